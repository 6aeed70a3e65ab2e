"""Word and character n-gram counts computed with numpy, not a Python loop per n-gram.

scikit-learn's ``CountVectorizer`` builds every n-gram as a Python string and looks it up in a
dict; at thirty messages a conversation that caps tfidf-lr near 600 conversations per second
on one core. Here every n-gram becomes a 64-bit hash computed over whole arrays at once, and
the vocabulary is a pandas hash index of those hashes. The features are
those of ``analyzer="word"`` and ``analyzer="char_wb"``; 64-bit hash collisions are negligible
at these vocabulary sizes.
"""

from __future__ import annotations

import functools
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

_MULTIPLIER = np.uint64(1_000_003)
#: From this many n-grams on, a hash-table lookup beats binary search (measured, 200k vocabulary).
_HASH_TABLE_FROM = 800
_SPACE, _BOUNDARY = 32, 0
#: Words of one or more letters (scikit-learn's default drops chat's "u" and "r").
WORD = re.compile(r"\w+")


class HashedNgramCounter(ABC):
    """Fit a vocabulary of n-gram hashes, then count them: the CountVectorizer interface."""

    def __init__(
        self, ngram_range: tuple[int, int], min_df: int = 1, max_features: int | None = None
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = np.zeros(0, dtype=np.uint64)
        self._index = pd.Index(self.vocabulary)

    @abstractmethod
    def _ngrams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, hash) of every n-gram in ``texts``."""

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        docs, hashes = self._ngrams(texts)
        codes, unique = pd.factorize(hashes)  # hash table: linear time, unlike sorting
        totals = np.bincount(codes, minlength=len(unique))
        pairs = pd.unique(docs * len(unique) + codes)  # distinct (text, n-gram) pairs
        df = np.bincount(pairs % len(unique), minlength=len(unique))
        keep = np.flatnonzero(df >= self.min_df)
        if self.max_features is not None and len(keep) > self.max_features:
            # most frequent first; ties broken by hash so the choice is reproducible
            order = np.lexsort((unique[keep], -totals[keep]))
            keep = keep[order[: self.max_features]]
        self.vocabulary = np.sort(np.asarray(unique[keep], dtype=np.uint64))
        self._index = pd.Index(self.vocabulary)
        return self.transform(texts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        docs, idx = self.occurrences(texts)
        counts = sp.csr_matrix(
            (np.ones(len(idx)), (docs, idx)),
            shape=(len(texts), len(self.vocabulary)), dtype=np.float64,
        )
        counts.sum_duplicates()
        return counts

    def occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, vocabulary index) of every occurrence of a known n-gram.

        The sparse matrix ``transform`` builds from these costs more than the counting itself
        when there are only a few texts; scoring one conversation at a time uses this directly.
        """
        docs, hashes = self._ngrams(texts)
        if not len(self.vocabulary):
            return docs[:0], docs[:0]
        idx = self._lookup(hashes)
        known = idx >= 0
        return docs[known], idx[known]

    def _lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Each hash's position in the vocabulary, -1 if absent.

        A binary search in the sorted vocabulary for a few hashes (one message: pandas spends
        more time wrapping the array than looking it up), the hash table for many.
        """
        if len(hashes) >= _HASH_TABLE_FROM:
            return self._index.get_indexer(hashes)
        position = np.minimum(np.searchsorted(self.vocabulary, hashes), len(self.vocabulary) - 1)
        return np.where(self.vocabulary[position] == hashes, position, -1)

    def _windows(self, units: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of every run of n consecutive ``units`` with one owner, n in the range."""
        all_docs, all_hashes = [], []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            count = len(units) - n + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64(n))
            for j in range(n):
                h = h * _MULTIPLIER + units[j : j + count]
            valid = owner[:count] == owner[n - 1 :]
            all_hashes.append(h[valid])
            all_docs.append(owner[:count][valid])
        if not all_hashes:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
        return np.concatenate(all_docs), np.concatenate(all_hashes)


class CharNgramCounter(HashedNgramCounter):
    """Character n-grams inside space-padded words, as ``char_wb`` counts them."""

    def _ngrams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        padded = [
            f" {' '.join(words)} " if (words := t.lower().split()) else ""
            for t in _without_nul(texts)
        ]
        codes = np.frombuffer(
            ("\0".join(padded) + "\0").encode("utf-32-le"), dtype=np.uint32
        ).astype(np.uint64)
        spaces, boundaries = _prefix_count(codes == _SPACE), _prefix_count(codes == _BOUNDARY)
        docs, hashes = [], []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            count = len(codes) - n + 1
            if count <= 0:
                continue
            # inside one text (no boundary in it), with a space only as the first or last
            # character (no space strictly inside): slices, so no index arrays are built
            inner = max(n - 1, 1)
            valid = (boundaries[n : n + count] == boundaries[:count]) & (
                spaces[inner : inner + count] == spaces[1 : 1 + count]
            )
            h = np.full(count, np.uint64(n))
            for j in range(n):
                h = h * _MULTIPLIER + codes[j : j + count]
            docs.append(boundaries[:count][valid])
            hashes.append(h[valid])
        if not hashes:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
        return np.concatenate(docs), np.concatenate(hashes)


class WordNgramCounter(HashedNgramCounter):
    """Word n-grams of lower-cased ``\\w+`` tokens, as ``analyzer="word"`` counts them."""

    def _ngrams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        tokens = [WORD.findall(text.lower()) for text in texts]
        words = [word for text_tokens in tokens for word in text_tokens]
        hashes = np.fromiter(map(_stable_hash, words), dtype=np.uint64, count=len(words))
        owner = np.repeat(np.arange(len(texts)), [len(t) for t in tokens])
        return self._windows(hashes, owner)


def _prefix_count(hits: np.ndarray) -> np.ndarray:
    """``out[k]`` = how many of ``hits[:k]`` are true."""
    out = np.zeros(len(hits) + 1, dtype=np.int64)
    np.cumsum(hits, out=out[1:])
    return out


def _without_nul(texts: Sequence[str]) -> list[str]:
    """NUL separates texts internally, so a NUL inside a text becomes a space."""
    return [t.replace("\0", " ") for t in texts]


@functools.lru_cache(maxsize=1 << 18)  # chat reuses few words; bounded so input can't grow it
def _stable_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
