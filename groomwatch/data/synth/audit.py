"""Shortcut audit: can the label be guessed from artefacts of the generator instead of behaviour?

Two checks, both on held-out data:
- a gradient-boosting classifier on shallow features only (lengths, punctuation, emoji and
  upper-case rates, timestamp gaps, platform, language) should score close to chance;
  redaction tokens such as ``[SEXUAL_CONTENT]`` stand for what was said, not how it was typed,
  so the rates count each of them as one plain lower-case word;
- no word or adjacent word pair may be a near-certain marker: common in grooming conversations
  yet almost absent from benign ones.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from groomwatch.data.record import Conversation
from groomwatch.errors import InputError

SHALLOW_FEATURES = (
    "messages",
    "mean_length",
    "max_length",
    "punctuation_rate",
    "emoji_rate",
    "uppercase_rate",
    "mean_gap",
    "median_gap",
    "max_gap",
    "platform",
    "language",
)
#: the highest ROC-AUC the shallow-feature classifier may reach
SHALLOW_AUC_LIMIT = 0.65
#: a marker: in more than this share of grooming conversations ...
MARKER_MIN_GROOMING = 0.20
#: ... while in fewer than this share of benign ones
MARKER_MAX_BENIGN = 0.01
#: below these test-split counts the audit's figures are mostly chance (an AUC on a handful of
#: grooming conversations, a "1% of benign" that means none), so it is reported as inconclusive
MIN_TEST_GROOMING = 50
MIN_TEST_BENIGN = 200

_WORD = re.compile(r"\w+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf]")
_PUNCT = re.compile(r"[^\w\s]")
_REDACTION = re.compile(r"\[[A-Z_]+\]")


def _gaps(conv: Conversation) -> list[float]:
    times = [datetime.fromisoformat(m.timestamp) for m in conv.messages if m.timestamp]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)] or [0.0]


def shallow_features(conv: Conversation) -> list[float | str]:
    """The values of SHALLOW_FEATURES for one conversation (the last two are categories)."""
    texts = [_REDACTION.sub("x", t) for t in conv.texts] or [""]
    lengths = [len(t) for t in texts]
    chars = max(1, sum(lengths))
    letters = [c for t in texts for c in t if c.isalpha()]
    gaps = [math.log1p(max(0.0, g)) for g in _gaps(conv)]
    return [
        len(texts),
        sum(lengths) / len(texts),
        max(lengths),
        sum(len(_PUNCT.findall(t)) for t in texts) / chars,
        sum(bool(_EMOJI.search(t)) for t in texts) / len(texts),
        sum(c.isupper() for c in letters) / max(1, len(letters)),
        statistics.fmean(gaps),
        statistics.median(gaps),
        max(gaps),
        conv.platform or "",
        conv.language or "",
    ]


def shallow_auc(
    train: Sequence[Conversation], test: Sequence[Conversation], seed: int = 0
) -> float:
    """ROC-AUC on ``test`` of gradient boosting fitted on ``train``'s shallow features."""
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    for name, convs in (("train", train), ("test", test)):
        if len({c.label for c in convs}) < 2:
            raise InputError(f"the shallow-feature audit needs both labels in the {name} split")

    def frame(convs: Sequence[Conversation]) -> pd.DataFrame:
        data = pd.DataFrame([shallow_features(c) for c in convs], columns=list(SHALLOW_FEATURES))
        for column in ("platform", "language"):
            data[column] = pd.Categorical(data[column], categories=categories[column])
        return data

    categories = {
        "platform": sorted({c.platform or "" for c in [*train, *test]}),
        "language": sorted({c.language or "" for c in [*train, *test]}),
    }
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    # one thread: on a busy machine OpenMP oversubscription makes this small fit 20x slower
    with threadpool_limits(1):
        model.fit(frame(train), [c.label for c in train])
        scores = model.predict_proba(frame(test))[:, 1]
    return float(roc_auc_score([c.label for c in test], scores))


def conversation_terms(conv: Conversation) -> tuple[set[str], set[str]]:
    """The distinct lower-cased words and adjacent word pairs of a conversation."""
    words: set[str] = set()
    pairs: set[str] = set()
    for text in conv.texts:
        tokens = _WORD.findall(text.lower())
        words.update(tokens)
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return words, pairs


@dataclass(frozen=True)
class TermRate:
    term: str
    grooming: float  # share of grooming conversations containing the term
    benign: float  # share of benign conversations containing it

    @property
    def log_odds(self) -> float:
        return math.log((self.grooming + 1e-3) / (self.benign + 1e-3))


@dataclass(frozen=True)
class TermCounts:
    grooming: Counter
    benign: Counter
    n_grooming: int
    n_benign: int

    def rate(self, term: str) -> TermRate:
        return TermRate(
            term,
            self.grooming[term] / max(1, self.n_grooming),
            self.benign[term] / max(1, self.n_benign),
        )


def count_terms(convs: Sequence[Conversation], pairs: bool = True) -> TermCounts:
    """In how many conversations of each class each word (and word pair) occurs."""
    grooming: Counter = Counter()
    benign: Counter = Counter()
    n_grooming = 0
    for conv in convs:
        words, word_pairs = conversation_terms(conv)
        target = grooming if conv.label == 1 else benign
        target.update(words)
        if pairs:
            target.update(word_pairs)
        n_grooming += conv.label == 1
    return TermCounts(grooming, benign, n_grooming, len(convs) - n_grooming)


def markers(counts: TermCounts) -> list[TermRate]:
    """Terms in > 20% of grooming conversations but < 1% of benign ones, strongest first."""
    found = [
        rate
        for term in counts.grooming
        if (rate := counts.rate(term)).grooming > MARKER_MIN_GROOMING
        and rate.benign < MARKER_MAX_BENIGN
    ]
    return sorted(found, key=lambda r: (-r.grooming, r.term))


def predictive_words(counts: TermCounts, k: int = 20, min_conversations: int = 5) -> list[TermRate]:
    """The ``k`` single words whose presence most shifts the odds of either class."""
    candidates = [
        counts.rate(term)
        for term in set(counts.grooming) | set(counts.benign)
        if " " not in term and counts.grooming[term] + counts.benign[term] >= min_conversations
    ]
    return sorted(candidates, key=lambda r: (-abs(r.log_odds), r.term))[:k]


@dataclass(frozen=True)
class AuditResult:
    shallow_auc: float
    markers: list[TermRate]
    top_words: list[TermRate]
    test_conversations: int
    test_grooming: int

    @property
    def passed(self) -> bool:
        return self.shallow_auc <= SHALLOW_AUC_LIMIT and not self.markers

    @property
    def inconclusive_reason(self) -> str | None:
        """Why the test split is too small for a pass or fail; None when it is large enough."""
        benign = self.test_conversations - self.test_grooming
        if self.test_grooming >= MIN_TEST_GROOMING and benign >= MIN_TEST_BENIGN:
            return None
        return (
            f"the test split holds {self.test_grooming} grooming and {benign} benign "
            f"conversations; a meaningful audit needs at least {MIN_TEST_GROOMING} and "
            f"{MIN_TEST_BENIGN}"
        )

    @property
    def verdict(self) -> str:
        """``passed``, ``FAILED`` or ``inconclusive`` (too small a sample to say)."""
        if self.inconclusive_reason is not None:
            return "inconclusive"
        return "passed" if self.passed else "FAILED"


def run_audit(
    train: Sequence[Conversation], test: Sequence[Conversation], seed: int = 0
) -> AuditResult:
    """Both checks: the classifier learns on ``train``; everything is measured on ``test``."""
    counts = count_terms(test)
    return AuditResult(
        shallow_auc=shallow_auc(train, test, seed),
        markers=markers(counts),
        top_words=predictive_words(counts),
        test_conversations=len(test),
        test_grooming=counts.n_grooming,
    )
