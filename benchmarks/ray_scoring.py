"""Benchmark: tfidf-lr batch scoring in one process against Ray Data with 2 workers.

Both paths do the same work on the same Parquet file of generated thirty-message
conversations: read and validate the records, ``predict``, write Parquet predictions. The
Ray figure excludes starting the local Ray instance (reported on its own row), as a cluster
is started once and then scores many batches; the workers' own start-up (imports, loading
the detector) is included, so small sets understate the speed-up. The single-process target is
the detectors issue's (>= 2,000 thirty-message conversations/s on one core); the speed-up has
none.
"""

from __future__ import annotations

import tempfile
from itertools import islice
from pathlib import Path

import pandas as pd
from harness import Row, emit, measure, quick

from groomwatch.data.io import read_conversations, write_conversations
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.models.registry import create_detector, load_detector
from groomwatch.training.distributed import score_with_ray
from groomwatch.training.predict import predict

WORKERS = 2


def prepare(root: Path, n_train: int, n_score: int) -> tuple[Path, Path]:
    """A tfidf-lr detector trained on generated data, and a Parquet file to score."""
    config = SynthConfig(n=n_train + n_score, prevalence=0.1, seed=5, length_median=30)
    conversations = generate(config)
    train, validation = conversations[: n_train * 4 // 5], conversations[n_train * 4 // 5 : n_train]
    create_detector("tfidf-lr").fit(train, validation).save(root / "model")
    write_conversations(root / "score.parquet", conversations[n_train:])
    return root / "model", root / "score.parquet"


def score_locally(model: Path, data: Path, out: Path, batch_size: int = 1000) -> int:
    """What ``groomwatch score`` does in one process (streamed batches), writing Parquet."""
    detector = load_detector(model)
    records = read_conversations(data)
    frames = []
    while batch := list(islice(records, batch_size)):
        frames.append(predict(detector, batch))
    frame = pd.concat(frames, ignore_index=True)
    frame.to_parquet(out)
    return len(frame)


def main() -> None:
    n_train, n_score = (1000, 15_000) if quick() else (5000, 50_000)
    with tempfile.TemporaryDirectory(prefix="gw-ray-bench-") as tmp:
        root = Path(tmp)
        model, data = prepare(root, n_train, n_score)
        single = measure(lambda: score_locally(model, data, root / "single.parquet"))
        distributed = measure(
            lambda: score_with_ray(model, data, root / "ray", num_workers=WORKERS)
        )
        summary = distributed.result
        assert summary.predictions == single.result == n_score
        local, remote = pd.read_parquet(root / "single.parquet"), pd.read_parquet(root / "ray")
        assert set(local["conversation_id"]) == set(remote["conversation_id"])
    single_rate = single.result / single.seconds
    startup = distributed.seconds - summary.seconds
    emit([
        Row(f"score tfidf-lr, 1 process, read+predict+write ({n_score:,} conv)", single_rate,
            "conv/s", ">= 2000 conv/s", peak_rss_mb=single.peak_rss_mb),
        Row(f"score tfidf-lr, Ray {WORKERS} workers (driver RSS)", summary.rate, "conv/s",
            peak_rss_mb=distributed.peak_rss_mb),
        Row(f"Ray speed-up, {WORKERS} workers vs 1 process", summary.rate / single_rate, "x"),
        Row("Ray local start-up and shut-down", startup, "s"),
    ])


if __name__ == "__main__":
    main()
