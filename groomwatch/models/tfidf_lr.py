"""``tfidf-lr``: word and character n-gram TF-IDF + logistic regression; fast, strong, the default.

N-grams are counted per message and the counts summed per conversation, so a conversation's
vector (before L2 normalisation) is linear in its messages. That one choice gives both exact
per-message logit contributions for reviewers and an incremental window scorer for early
warning: moving the window adds one message's counts and subtracts another's.
Character n-grams (counted like ``char_wb``, see ``char_ngrams``) make it work in any language
without a tokenizer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp

from groomwatch.data.record import Conversation, Message
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
    ) -> None:
        self.word_ngrams = ngram_range("word_ngrams", word_ngrams)
        self.char_ngrams = ngram_range("char_ngrams", char_ngrams)
        self.min_df = positive_int("min_df", min_df)
        self.max_features = positive_int("max_features", max_features)
        self.head = LogisticHead(C, class_weight, max_iter, calibration, seed)
        self.blocks: list[_Block] = []
        self.intercept = 0.0
        self.calibrator: Calibrator | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
            "max_features": self.max_features,
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

        Per block, a conversation contributes ``(counts·idf)·coef / ‖counts·idf‖``. The
        numerator is a sum over n-gram occurrences, so a message's share is its own
        occurrences' weights over its conversation's norm; only the norm needs counts per
        (conversation, n-gram), taken from a hash table. No sparse matrix is built, so one
        conversation costs little more than its share of a batch: the review service scores
        conversations as they arrive.
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
            tfidf = np.bincount(codes, minlength=len(pairs)) * block.idf[pairs % size]
            norm = np.sqrt(np.bincount(pairs // size, tfidf * tfidf, minlength=n))
            norm[norm == 0] = 1.0
            weights = block.idf[ngram] * block.coef[ngram]
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
            _l2_rows(block.weighted(c)) for block, c in zip(self.blocks, counts, strict=True)
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

    Per block it keeps the window's summed counts, the dot product with the coefficients and
    the squared norm of the tf-idf vector; a message entering or leaving touches only its own
    non-zero n-grams, so each update costs one message's vectorisation.
    """

    def __init__(self, detector: TfidfLogisticDetector, window: int) -> None:
        self.detector = detector
        self.window = window
        self.messages: deque[list[tuple[np.ndarray, np.ndarray]]] = deque()
        self.counts = [np.zeros(len(b.idf)) for b in detector.blocks]
        self.dot = [0.0] * len(detector.blocks)
        self.squared_norm = [0.0] * len(detector.blocks)
        self.nonzero = [0] * len(detector.blocks)

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        rows = [_counts(b.vectorizer, message.text) for b in self.detector.blocks]
        self._add(rows, 1.0)
        self.messages.append(rows)
        if len(self.messages) > self.window:
            self._add(self.messages.popleft(), -1.0)
        return float(self.detector.calibrator(np.array([self.logit()]))[0])

    def logit(self) -> float:
        value = self.detector.intercept
        for dot, squared_norm, nonzero in zip(
            self.dot, self.squared_norm, self.nonzero, strict=True
        ):
            if nonzero:
                value += dot / np.sqrt(squared_norm)
        return value

    def _add(self, rows: list[tuple[np.ndarray, np.ndarray]], sign: float) -> None:
        for i, (block, (idx, counts)) in enumerate(zip(self.detector.blocks, rows, strict=True)):
            delta = sign * counts
            old = self.counts[i][idx]
            new = old + delta
            self.counts[i][idx] = new
            idf_sq = np.square(block.idf[idx])
            self.nonzero[i] += int(np.count_nonzero(new)) - int(np.count_nonzero(old))
            if self.nonzero[i]:
                self.squared_norm[i] += float(((new * new - old * old) * idf_sq).sum())
                self.dot[i] += float((delta * block.idf[idx] * block.coef[idx]).sum())
            else:  # an empty window: reset exactly instead of carrying rounding error
                self.squared_norm[i] = self.dot[i] = 0.0


def _counts(vectorizer: HashedNgramCounter, text: str) -> tuple[np.ndarray, np.ndarray]:
    """One text's known n-grams (vocabulary indices) and how often each occurs."""
    _, ngram = vectorizer.occurrences([text])
    return np.unique(ngram, return_counts=True)


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


def _smooth_idf(counts: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smoothed idf, with documents = conversations."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + n) / (1 + df)) + 1.0


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
