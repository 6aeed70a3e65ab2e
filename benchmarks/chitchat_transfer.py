"""Benchmark: does a model trained on synthetic data stay quiet on real benign chat? (issue 3)

Trains the project's ``tfidf-lr`` detector (word + character n-grams, logistic regression) on
the synthetic train split of a six-language run of 20,000 conversations (5,000 in quick mode,
where the threshold rests on only 75 validation grooming conversations and varies by seed),
sets the threshold where it reaches 90% recall on the synthetic validation split, and reports
the share of the real BYU Chit-Chat conversations (adults chatting, all benign) it flags at that
threshold. Target: at most 2%. Also prints the synthetic test split's recall and false-positive
rate at the same threshold.
Run: ``.venv/bin/python benchmarks/chitchat_transfer.py [--n N] [--seed S]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from harness import Row, emit, measure, quick

from groomwatch.data.importers.chitchat import iter_chitchat
from groomwatch.data.split import split_conversations
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.models.registry import create_detector

TARGET_RECALL = 0.9


def threshold_for_recall(scores: np.ndarray, labels: np.ndarray, recall: float) -> float:
    """The highest threshold whose ``score >= threshold`` rule reaches ``recall``."""
    positives = np.sort(scores[labels == 1])[::-1]
    needed = int(np.ceil(recall * len(positives)))
    return float(positives[needed - 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000 if quick() else 20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chitchat-limit", type=int, default=2000 if quick() else None)
    args = parser.parse_args()

    config = SynthConfig(n=args.n, seed=args.seed)
    splits = split_conversations(generate(config), config.split, config.seed)
    detector = create_detector("tfidf-lr")
    fit = measure(lambda: detector.fit(splits["train"], splits["validation"]))

    validation = splits["validation"]
    threshold = threshold_for_recall(
        detector.decision_function(validation),
        np.array([c.label for c in validation]),
        TARGET_RECALL,
    )
    test_labels = np.array([c.label for c in splits["test"]])
    test_flags = detector.decision_function(splits["test"]) >= threshold
    chitchat = list(iter_chitchat(limit=args.chitchat_limit))
    flagged = detector.decision_function(chitchat) >= threshold

    emit(
        [
            Row(
                "chitchat: share of real benign conversations flagged",
                100 * flagged.mean(),
                "%",
                "<= 2 %",
                peak_rss_mb=fit.peak_rss_mb,
            ),
            Row("chitchat: conversations scored", len(chitchat), "conv"),
            Row(
                "synthetic test: recall at the validation threshold",
                100 * test_flags[test_labels == 1].mean(),
                "%",
            ),
            Row(
                "synthetic test: false-positive rate",
                100 * test_flags[test_labels == 0].mean(),
                "%",
            ),
            Row("tfidf-lr: training time on the synthetic train split", fit.seconds, "s"),
        ]
    )


if __name__ == "__main__":
    main()
