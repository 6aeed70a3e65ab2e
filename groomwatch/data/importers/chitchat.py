"""The BYU Chit-Chat corpus (MIT licence, PyPI package ``chitchat-dataset``) → records.

7,168 one-to-one instant-message conversations between adults: the project's real benign
corpus for measuring false positives. The package ships the corpus as one JSON file
(``chitchat_dataset/dataset.json``: conversation id → ``{"messages": [[utterance, ...] per
turn], "prompt", "ratings", "start"}``, each utterance ``{"text", "timestamp", "sender"}``), so it
is read offline with no download. Turns are flattened into one message per utterance.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from groomwatch.data.importers.common import (
    NoProgress,
    Progress,
    decode_utf8,
    require_file,
    same_id,
)
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import Conversation, Message, Participant, RecordError
from groomwatch.errors import InputError

SOURCE = "chitchat"
PLATFORM = "instant-messaging"
_META_KEYS = ("prompt", "ratings", "start")


def packaged_corpus() -> Path:
    """The corpus file inside the installed ``chitchat-dataset`` package."""
    import chitchat_dataset

    return Path(chitchat_dataset.__file__).with_name("dataset.json")


def iter_chitchat(
    path: Path | None = None,
    *,
    limit: int | None = None,
    author_map: AuthorMap = same_id,
    progress: Progress | None = None,
) -> Iterator[Conversation]:
    """Yield the corpus's conversations (the first ``limit`` of them if given), label 0."""
    path = path or packaged_corpus()
    progress = progress or NoProgress()
    corpus = _load(path)
    items = list(corpus.items())[:limit]
    progress.start(len(items), "conversations")
    for conv_id, raw in items:
        try:
            conv = _conversation(conv_id, raw, author_map)
        except (KeyError, TypeError, AttributeError, RecordError) as exc:
            raise InputError(f"{path}: conversation {conv_id}: malformed ({exc!r})") from None
        yield conv
        progress.advance(1)


def _load(path: Path) -> dict[str, Any]:
    require_file(path)
    try:
        corpus = json.loads(decode_utf8(path.read_bytes(), path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(corpus, dict) or not corpus:
        raise InputError(f"{path}: expected an object of conversations keyed by id")
    return corpus


def _conversation(conv_id: str, raw: dict[str, Any], author_map: AuthorMap) -> Conversation:
    messages = [
        Message(author_map(u["sender"]), u["text"] or "", u.get("timestamp"))
        for turn in raw["messages"]
        for u in turn
    ]
    authors = dict.fromkeys(m.author_id for m in messages)
    conv = Conversation(
        conv_id,
        [Participant(a, "adult", False) for a in authors],
        messages,
        label=0,
        language="en",
        source=SOURCE,
        platform=PLATFORM,
        meta={k: raw[k] for k in _META_KEYS if raw.get(k) is not None},
    )
    # Validate through the record schema (e.g. timestamps) so bad corpus files fail here.
    return Conversation.from_dict(conv.to_dict())
