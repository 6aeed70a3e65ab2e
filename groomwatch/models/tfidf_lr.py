"""``tfidf-lr``: word and character n-gram TF-IDF + logistic regression; fast, strong, the default.

N-grams are counted per message and the counts summed per conversation, so a conversation's
vector (before L2 normalisation) is linear in its messages. That one choice gives both exact
per-message logit contributions for reviewers and an incremental window scorer for early
warning: moving the window adds one message's counts and subtracts another's.
Character n-grams (counted like ``char_wb``, see ``char_ngrams``) make it work in any language
without a tokenizer. ``sublinear_tf`` weighs a window's n-gram counts as ``1 + log(count)``
(scikit-learn's option of that name): the features stay functions of the summed counts, so both
properties hold.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import joblib
import msgspec
import numpy as np
import pandas as pd
import scipy.sparse as sp

from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, WindowScorer, conversation_labels
from groomwatch.models.calibration import Calibrator, fit_calibrator
from groomwatch.models.linear_head import LogisticHead
from groomwatch.models.ngrams import CharNgramCounter, HashedNgramCounter, WordNgramCounter
from groomwatch.models.params import ngram_range, positive_int

STATE_FILE = "tfidf_lr.joblib"
#: Conversations scored together: enough to spread numpy's per-call cost, few enough that the
#: (conversation, n-gram) hash table stays in the CPU cache (64 measured fastest: 2.5-2.7k
#: conversations/s, against 1.2k for one table over 2,000 conversations).
SCORING_CHUNK = 64


class TfidfLogisticDetector(Detector):
    name = "tfidf-lr"

    def __init__(
        self,
        word_ngrams: Sequence[int] = (1, 2),
        char_ngrams: Sequence[int] = (2, 4),
        min_df: int = 2,
        max_features: int = 200_000,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        calibration: str = "sigmoid",
        seed: int = 0,
        sublinear_tf: bool = False,
    ) -> None:
        if not isinstance(sublinear_tf, bool):
            raise ConfigError(f"sublinear_tf must be true or false, not {sublinear_tf!r}")
        self.sublinear_tf = sublinear_tf
        self.word_ngrams = ngram_range("word_ngrams", word_ngrams)
        self.char_ngrams = ngram_range("char_ngrams", char_ngrams)
        self.min_df = positive_int("min_df", min_df)
        self.max_features = positive_int("max_features", max_features)
        self.head = LogisticHead(C, class_weight, max_iter, calibration, seed)
        self.blocks: list[_Block] = []
        self.intercept = 0.0
        self.calibrator: Calibrator | None = None
        #: names the fitted weights, so a stored window state is never resumed by another model
        self.fingerprint = ""

    def get_params(self) -> dict[str, Any]:
        return {
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "sublinear_tf": self.sublinear_tf,
            **self.head.params(),
        }

    # -- learning ------------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        y_train = conversation_labels(train, "train")
        y_val = conversation_labels(validation, "validation")
        texts, conversation_of = _messages(train)
        owner = _summing_matrix(conversation_of, len(train))
        min_df = self.min_df if len(texts) > self.min_df else 1
        vectorizers = [
            WordNgramCounter(self.word_ngrams, min_df=min_df, max_features=self.max_features),
            CharNgramCounter(self.char_ngrams, min_df=min_df, max_features=self.max_features),
        ]
        counts = [owner @ vectorizer.fit_transform(texts) for vectorizer in vectorizers]
        self.blocks = [_Block(v, _smooth_idf(c)) for v, c in zip(vectorizers, counts, strict=True)]
        model = self.head.fit(self._tfidf(counts), y_train, sample_weight)
        offset = 0
        for block in self.blocks:
            size = len(block.idf)
            block.coef = model.coef_[0, offset : offset + size].copy()
            offset += size
        self.intercept = float(model.intercept_[0])
        self.fingerprint = _fingerprint(self.blocks, self.intercept)
        self.calibrator = fit_calibrator(
            self.decision_function(validation), y_val, self.head.calibration
        )
        return self

    # -- scoring -------------------------------------------------------------------------------
    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """The uncalibrated logit per conversation (what calibration maps to a probability)."""
        self._check_fitted()
        chunks = [
            self._logits(conversations[start : start + SCORING_CHUNK])[0]
            for start in range(0, len(conversations), SCORING_CHUNK)
        ]
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return self.calibrator(self.decision_function(conversations))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        """Each message's exact share of the logit: the messages' shares plus the intercept
        give the conversation's uncalibrated logit."""
        self._check_fitted()
        return self._logits([conversation], shares=True)[1]

    def _logits(
        self, conversations: Sequence[Conversation], shares: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Each conversation's logit and, with ``shares``, each message's share of it.

        Per block, a conversation contributes ``(tf·idf)·coef / ‖tf·idf‖``, tf being the counts
        (or ``1 + log`` of them). The numerator is a sum over n-gram occurrences, so a message's
        share is its own occurrences' weights over its conversation's norm (with sublinear tf
        an occurrence carries ``tf(count) / count`` of its n-gram's weight); only the norm and
        that share need counts per (conversation, n-gram), taken from a hash table. No sparse
        matrix is built, so one conversation costs little more than its share of a batch: the
        review service scores conversations as they arrive.
        """
        texts, conversation_of = _messages(conversations)
        n = len(conversations)
        logits = np.full(n, self.intercept)
        message_shares = np.zeros(len(texts)) if shares else None
        for block in self.blocks:
            message, ngram = block.vectorizer.occurrences(texts)
            owner = conversation_of[message]
            size = len(block.idf)
            codes, pairs = pd.factorize(owner * size + ngram)
            pair_counts = np.bincount(codes, minlength=len(pairs))
            tf = _tf(pair_counts, self.sublinear_tf)
            tfidf = tf * block.idf[pairs % size]
            norm = np.sqrt(np.bincount(pairs // size, tfidf * tfidf, minlength=n))
            norm[norm == 0] = 1.0
            weights = block.idf[ngram] * block.coef[ngram]
            if self.sublinear_tf:
                weights *= (tf / pair_counts)[codes]
            logits += np.bincount(owner, weights, minlength=n) / norm
            if message_shares is not None:
                message_shares += (np.bincount(message, weights, minlength=len(texts))
                                   / norm[conversation_of])
        return logits, message_shares

    def window_scorer(self, window: int = 50) -> WindowScorer:
        self._check_fitted()
        return IncrementalTfidfWindow(self, positive_int("window", window))

    def _tfidf(self, counts: list[sp.csr_matrix]) -> sp.csr_matrix:
        """Per-conversation counts of each block → idf-weighted, L2-normalised, side by side."""
        weighted = [
            _l2_rows(block.weighted(_tf_matrix(c, self.sublinear_tf)))
            for block, c in zip(self.blocks, counts, strict=True)
        ]
        return sp.hstack(weighted, format="csr")

    def _check_fitted(self) -> None:
        if not self.blocks:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")

    # -- persistence ---------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        joblib.dump({"blocks": self.blocks, "intercept": self.intercept}, directory / STATE_FILE)
        self.calibrator.save(directory)

    def _load_state(self, directory: Path) -> None:
        state = joblib.load(directory / STATE_FILE)
        self.blocks, self.intercept = state["blocks"], state["intercept"]
        self.fingerprint = _fingerprint(self.blocks, self.intercept)
        self.calibrator = Calibrator.load(directory)


class _Block:
    """One feature family (word or char n-grams): its vocabulary, idf and coefficients."""

    def __init__(self, vectorizer: HashedNgramCounter, idf: np.ndarray) -> None:
        self.vectorizer = vectorizer
        self.idf = idf
        self.coef = np.zeros_like(idf)

    def weighted(self, counts: sp.spmatrix) -> sp.csr_matrix:
        return sp.csr_matrix(counts.multiply(self.idf[None, :]))


class IncrementalTfidfWindow(WindowScorer):
    """Sliding-window scorer that updates the window's count vector instead of re-vectorising.

    Per block it keeps the window's summed counts (sparse: the sorted vocabulary indices of its
    n-grams and their counts), the dot product with the coefficients and the squared norm of
    the tf-idf vector. A message entering or leaving touches only its own non-zero n-grams; the
    leaving message is counted again from its text, in the same call as the entering one, which
    costs little more than one message and spares keeping a count row per message (about ten
    times the bytes: 40 KB against 3.7 KB a 50-message window, for the same time per append).
    Every update is the same arithmetic whether the scorer lives on or is rebuilt from
    ``state()`` with ``resume``, so a served stream whose state moves between workers scores to
    the last bit as one process, and as ``EarlyWarning.run``.
    """

    def __init__(self, detector: TfidfLogisticDetector, window: int) -> None:
        self.detector = detector
        self.window = window
        self.texts: deque[str] = deque()
        blocks = len(detector.blocks)
        #: per block, the window's n-grams (sorted, then ``_END``) and their summed counts
        self.keys = [np.array([_END]) for _ in range(blocks)]
        self.values = [np.zeros(1) for _ in range(blocks)]
        self.dot = [0.0] * blocks
        self.squared_norm = [0.0] * blocks
        self.nonzero = [0] * blocks

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        leaving = len(self.texts) >= self.window
        texts = [message.text, self.texts[0]] if leaving else [message.text]
        for i, block in enumerate(self.detector.blocks):
            doc, ngram = block.vectorizer.occurrences(texts)
            size = len(block.idf)
            codes, counts = np.unique(doc * size + ngram, return_counts=True)
            split = int(np.searchsorted(codes, size))
            self._add(i, codes[:split], counts[:split], 1.0)
            if leaving:
                self._add(i, codes[split:] - size, counts[split:], -1.0)
        self.texts.append(message.text)
        if leaving:
            self.texts.popleft()
        return float(self.detector.calibrator(np.array([self.logit()]))[0])

    def logit(self) -> float:
        value = self.detector.intercept
        for dot, squared_norm, nonzero in zip(
            self.dot, self.squared_norm, self.nonzero, strict=True
        ):
            if nonzero:
                value += dot / np.sqrt(squared_norm)
        return value

    def _add(self, i: int, idx: np.ndarray, counts: np.ndarray, sign: float) -> None:
        """Add (``sign`` 1) or remove (-1) one message's n-grams and counts in block ``i``."""
        block, keys, values = self.detector.blocks[i], self.keys[i], self.values[i]
        position = np.searchsorted(keys, idx)  # _END ends ``keys``: always a valid position
        found = keys[position] == idx
        delta = sign * counts
        old = np.where(found, values[position], 0.0)
        new = old + delta
        idf = block.idf[idx]
        self.nonzero[i] += int(np.count_nonzero(new)) - int(np.count_nonzero(old))
        if self.nonzero[i]:
            sublinear = self.detector.sublinear_tf
            tf_new, tf_old = _tf(new, sublinear), _tf(old, sublinear)
            self.squared_norm[i] += float(((tf_new * tf_new - tf_old * tf_old)
                                           * np.square(idf)).sum())
            self.dot[i] += float(((tf_new - tf_old) * idf * block.coef[idx]).sum())
        else:  # an empty window: reset exactly instead of carrying rounding error
            self.squared_norm[i] = self.dot[i] = 0.0
        if found.all():
            values[position] = new
            if sign < 0 and not new.all():  # n-grams no longer in the window leave
                kept = values != 0
                kept[-1] = True
                self.keys[i], self.values[i] = keys[kept], values[kept]
        else:  # only an entering message brings n-grams new to the window
            values[position[found]] = new[found]
            entering = ~found
            slots = position[entering] + np.arange(int(entering.sum()))
            staying = np.ones(len(keys) + len(slots), bool)
            staying[slots] = False
            self.keys[i] = np.empty(len(staying), keys.dtype)
            self.keys[i][slots], self.keys[i][staying] = idx[entering], keys
            self.values[i] = np.empty(len(staying))
            self.values[i][slots], self.values[i][staying] = new[entering], values

    def state(self) -> bytes:
        """Everything but the window's texts, as bytes: per block the summed counts (indices
        as gaps), in the smallest unsigned integer type that holds them, and three numbers."""
        return _STATE_ENCODER.encode({
            "m": self.detector.fingerprint, "w": self.window, "n": len(self.texts),
            "d": self.dot, "q": self.squared_norm, "z": self.nonzero,
            "k": [_pack(_gaps(k[:-1])) for k in self.keys],
            "v": [_pack(v[:-1]) for v in self.values],
        })

    def resume(self, state: bytes, texts: Sequence[str]) -> None:
        """Go on from ``state()`` of a scorer whose window held ``texts`` (oldest first).
        ValueError if the state is another model's or window's."""
        data = msgspec.msgpack.decode(state)
        if (data["m"], data["w"], data["n"]) != (self.detector.fingerprint, self.window,
                                                 len(texts)):
            raise ValueError("window state of another model, window length or window")
        self.texts = deque(texts)
        self.dot, self.squared_norm, self.nonzero = data["d"], data["q"], data["z"]
        self.keys = [np.append(np.cumsum(_unpack(k), dtype=np.int64), _END) for k in data["k"]]
        self.values = [np.append(_unpack(v).astype(float), 0.0) for v in data["v"]]


#: after every vocabulary index: ``searchsorted`` then never points past the end
_END = np.iinfo(np.int64).max
_STATE_ENCODER = msgspec.msgpack.Encoder()


def _pack(values: np.ndarray) -> tuple[str, bytes]:
    """Non-negative integers as (dtype, bytes) in the smallest unsigned type that holds them."""
    dtype = np.min_scalar_type(int(values.max()) if len(values) else 0)
    return dtype.str, values.astype(dtype).tobytes()


def _gaps(keys: np.ndarray) -> np.ndarray:
    """Sorted indices as the first one and the steps between them (``np.cumsum`` undoes it)."""
    gaps = keys.copy()
    gaps[1:] -= keys[:-1]
    return gaps


def _unpack(packed: tuple[str, bytes]) -> np.ndarray:
    dtype, raw = packed
    return np.frombuffer(raw, np.dtype(dtype))


def _messages(conversations: Sequence[Conversation]) -> tuple[list[str], np.ndarray]:
    """All message texts, and the index of the conversation each one belongs to."""
    texts = [m.text for c in conversations for m in c.messages]
    lengths = [len(c.messages) for c in conversations]
    return texts, np.repeat(np.arange(len(conversations)), lengths)


def _summing_matrix(conversation_of: np.ndarray, n_conversations: int) -> sp.csr_matrix:
    """The conversations × messages 0/1 matrix that sums message counts per conversation."""
    return sp.csr_matrix(
        (np.ones(len(conversation_of)), (conversation_of, np.arange(len(conversation_of)))),
        shape=(n_conversations, len(conversation_of)),
    )


def _fingerprint(blocks: list[_Block], intercept: float) -> str:
    digest = hashlib.blake2b(np.float64(intercept).tobytes(), digest_size=8)
    for block in blocks:
        digest.update(block.idf.tobytes())
        digest.update(block.coef.tobytes())
    return digest.hexdigest()


def _tf(counts: np.ndarray, sublinear: bool) -> np.ndarray:
    """Term frequency from counts: the counts, or ``1 + log(count)`` (0 stays 0)."""
    if not sublinear:
        return counts
    tf = np.zeros(counts.shape)
    present = counts > 0
    tf[present] = 1.0 + np.log(counts[present])
    return tf


def _tf_matrix(counts: sp.csr_matrix, sublinear: bool) -> sp.csr_matrix:
    if not sublinear:
        return counts
    weighted = counts.copy()
    weighted.data = _tf(weighted.data, True)
    return weighted


def _smooth_idf(counts: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smoothed idf, with documents = conversations."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + n) / (1 + df)) + 1.0


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
