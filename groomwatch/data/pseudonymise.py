"""Keyed pseudonyms for author IDs, so shared datasets do not carry real screen names.

An HMAC (not a plain hash) is used because screen names are guessable: without the key nobody
can rebuild the mapping by hashing candidate names, while the same key always gives the same
pseudonym, so an author stays one author across files and imports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from groomwatch.errors import ConfigError

PSEUDONYM_HEX_CHARS = 16

AuthorMap = Callable[[str], str]


def make_pseudonymiser(key: bytes) -> AuthorMap:
    """A cached function mapping an author ID to its pseudonym under ``key``."""
    if not key:
        raise ConfigError("the pseudonymisation key is empty")

    @lru_cache(maxsize=1 << 18)
    def pseudonym(author_id: str) -> str:
        digest = hmac.new(key, author_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX_CHARS]

    return pseudonym


def pseudonymiser_from_env(variable: str | None) -> AuthorMap | None:
    """The pseudonymiser keyed by environment variable ``variable``, or None when not asked for."""
    if variable is None:
        return None
    key = os.environ.get(variable)
    if not key:
        raise ConfigError(f"environment variable {variable} (the pseudonymisation key) is not set")
    return make_pseudonymiser(key.encode("utf-8"))
