"""Benchmark: detector speed on one core (issue 4).

Prints, per CPU second of this single-threaded process (the figure for "one core" on a
shared machine): tfidf-lr training time on 20,000 synthetic conversations and its scoring
rate on thirty-message conversations; static-lr and embedding-lr scoring rates in messages
per second; and early warning's cost per message over a 300-message conversation against
the cost of scoring one 50-message window once.
Run: ``.venv/bin/python benchmarks/detectors.py [--train N]``.
"""

from __future__ import annotations

import os

ONE_THREAD = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "GROOMWATCH_TORCH_THREADS",
)
for _var in ONE_THREAD:
    os.environ[_var] = "1"  # one core, before numpy and torch start their thread pools
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from harness import Row, emit, quick  # noqa: E402

from groomwatch.data.record import Conversation  # noqa: E402
from groomwatch.data.synth import SynthConfig, generate  # noqa: E402
from groomwatch.models.early_warning import EarlyWarning  # noqa: E402
from groomwatch.models.registry import create_detector  # noqa: E402


def cpu_seconds(fn: Callable[[], object], repeat: int = 1) -> float:
    """CPU seconds of one call, the best of ``repeat`` (least disturbed by neighbours)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def conversations(n: int, length: int, seed: int) -> list[Conversation]:
    """Synthetic conversations of exactly ``length`` messages."""
    config = SynthConfig(
        n=n,
        seed=seed,
        length_median=length,
        length_sigma=0.01,
        min_messages=length,
        max_messages=length,
    )
    return generate(config)


def split(convs: list[Conversation]) -> tuple[list[Conversation], list[Conversation]]:
    cut = int(len(convs) * 0.85)
    return convs[:cut], convs[cut:]


def tfidf_rows(n_train: int) -> tuple[list[Row], object]:
    train, validation = split(conversations(n_train, 30, seed=1))
    detector = create_detector("tfidf-lr")
    seconds = cpu_seconds(lambda: detector.fit(train, validation))
    test = conversations(2000, 30, seed=2)
    scoring = cpu_seconds(lambda: detector.predict_proba(test), repeat=2)
    target = "< 120 s" if n_train >= 20000 else ""
    return [
        Row(f"tfidf-lr: train on {n_train:,} conversations", seconds, "s", target),
        Row(
            "tfidf-lr: score 30-message conversations",
            len(test) / scoring,
            "conv/s",
            ">= 2000 conv/s",
        ),
    ], detector


#: (label, detector, params, target): the static tier with its linear attention head and with
#: the hidden layer of ``static-real``; embedding-lr as shipped
EMBEDDING_VARIANTS = (
    ("static-lr", "static-lr", {}, ">= 20000 msg/s"),
    ("static-lr hidden 256", "static-lr", {"hidden": 256, "pooling": "mean"}, ">= 20000 msg/s"),
    ("embedding-lr", "embedding-lr", {}, ""),
)


def embedding_rows(n_messages: int) -> list[Row]:
    train, validation = split(conversations(400, 20, seed=3))
    test = conversations(n_messages // 30, 30, seed=4)
    rows = []
    for label, name, params, target in EMBEDDING_VARIANTS:
        detector = create_detector(name, **params).fit(train, validation)
        scored = test
        if name == "static-lr":  # one-message chunks: incremental windows
            rows += early_warning_rows(detector, label)
        if name == "embedding-lr":  # score unseen text, not the embedding cache
            detector.embedder._cache.clear()
            scored = test[: max(1, 600 // 30)]
        messages = sum(len(c.messages) for c in scored)
        seconds = cpu_seconds(lambda d=detector, t=scored: d.predict_proba(t))
        rows.append(Row(f"{label}: score messages", messages / seconds, "msg/s", target))
    return rows


def early_warning_rows(detector, name: str = "tfidf-lr") -> list[Row]:
    conv = conversations(1, 300, seed=5)[0]
    rule = EarlyWarning(detector, window=50)
    per_message = cpu_seconds(lambda: rule.run(conv), repeat=3) / len(conv.messages)
    window = Conversation("window", conv.participants, conv.messages[-50:])
    once = cpu_seconds(lambda: [detector.predict_proba([window]) for _ in range(20)], 3) / 20
    return [
        Row(f"early warning ({name}): cost per message", per_message * 1e3, "ms"),
        Row(f"{name}: score one 50-message window once", once * 1e3, "ms"),
        Row(
            f"early warning per message / one window score ({name})",
            per_message / once, "x", "<= 2 x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train",
        type=int,
        default=4000 if quick() else 20000,
        help="conversations to train tfidf-lr on",
    )
    parser.add_argument(
        "--messages",
        type=int,
        default=30000,
        help="messages static-lr scores (embedding-lr scores 600)",
    )
    args = parser.parse_args()
    rows, tfidf = tfidf_rows(args.train)
    rows += early_warning_rows(tfidf)
    rows += embedding_rows(args.messages)
    emit(rows)


if __name__ == "__main__":
    main()
