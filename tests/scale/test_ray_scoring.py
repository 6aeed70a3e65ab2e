"""Ray batch scoring gives the single-process predictions, and fails with the local messages.

One local Ray instance (3 CPUs: 2 scoring actors plus reading and writing) serves the whole
module; each Ray run takes several seconds, so only the runs that prove something use Ray.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from groomwatch.cli import main
from groomwatch.data.io import load_conversations, write_conversations
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.errors import ConfigError, GroomwatchError, InputError
from groomwatch.models.registry import create_detector, load_detector
from groomwatch.training.distributed import resolve_inputs, score_with_ray
from groomwatch.training.predict import predict

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        address="local", num_cpus=3, include_dashboard=False, log_to_driver=False,
        logging_level="ERROR",
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A trained tfidf-lr detector and 300 held-out conversations in two Parquet files + JSONL."""
    root = tmp_path_factory.mktemp("ray")
    conversations = generate(SynthConfig(n=600, prevalence=0.3, seed=11))
    detector = create_detector("tfidf-lr", max_features=5000)
    detector.fit(conversations[:200], conversations[200:300]).save(root / "model")
    held_out = conversations[300:]
    write_conversations(root / "in" / "part-0.parquet", held_out[:140])
    write_conversations(root / "in" / "part-1.parquet", held_out[140:])
    write_conversations(root / "jsonl" / "all.jsonl", held_out)
    return root


def _local(workspace: Path, **options) -> pd.DataFrame:
    conversations = load_conversations(workspace / "jsonl" / "all.jsonl")
    return predict(load_detector(workspace / "model"), conversations, **options)


def _assert_same(ray_out: Path, local: pd.DataFrame) -> None:
    distributed = pd.read_parquet(ray_out)
    assert list(distributed.columns) == list(local.columns)
    assert len(distributed) == len(local) == 300
    merged = local.merge(distributed, on="conversation_id", suffixes=("_local", "_ray"))
    assert len(merged) == 300
    np.testing.assert_allclose(merged["score_ray"], merged["score_local"], rtol=1e-9, atol=1e-12)
    assert (merged["flag_ray"] == merged["flag_local"]).all()
    assert 0 < merged["flag_local"].sum() < 300  # both classes occur, so flags are compared


def test_parquet_glob_with_two_workers_equals_single_process(local_ray, workspace, tmp_path):
    summary = score_with_ray(
        workspace / "model", str(workspace / "in" / "*.parquet"), tmp_path / "out",
        num_workers=2, batch_size=32,
    )
    local = _local(workspace)
    _assert_same(tmp_path / "out", local)
    in_file_order = pd.read_parquet(tmp_path / "out")["conversation_id"].tolist()
    assert in_file_order == local["conversation_id"].tolist()  # input order is kept
    assert summary.predictions == 300
    assert summary.flagged == int(local["flag"].sum())
    assert summary.files == len(list((tmp_path / "out").glob("*.parquet")))


def test_cli_jsonl_with_early_warning_equals_single_process(local_ray, workspace, tmp_path):
    exit_code = main([
        "score", "--engine", "ray", "--workers", "2", "--batch-size", "64", "--early",
        "--model", str(workspace / "model"), "--data", str(workspace / "jsonl" / "all.jsonl"),
        "--out", str(tmp_path / "out"),
    ])
    assert exit_code == 0
    local = _local(workspace, early=True)
    _assert_same(tmp_path / "out", local)
    distributed = pd.read_parquet(tmp_path / "out").set_index("conversation_id")
    expected = local.set_index("conversation_id")["warning_at"]
    assert distributed.loc[expected.index, "warning_at"].equals(expected)


def test_bad_record_is_named_by_file_and_line_and_leaves_no_output(
    local_ray, workspace, tmp_path
):
    lines = (workspace / "jsonl" / "all.jsonl").read_text().splitlines()[:5]
    broken = json.loads(lines[2])
    del broken["messages"][0]["author_id"]
    lines[2] = json.dumps(broken)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:3: messages\[0\]\.author_id is missing"):
        score_with_ray(workspace / "model", bad, tmp_path / "out", num_workers=2)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.jsonl"]


def test_inputs_are_checked_before_ray_starts(workspace, tmp_path):
    with pytest.raises(InputError, match="matches no files"):
        resolve_inputs(str(tmp_path / "*.parquet"))
    with pytest.raises(InputError, match="is a directory"):
        resolve_inputs(workspace / "in")
    with pytest.raises(InputError, match="mix Parquet and JSON Lines"):
        resolve_inputs([workspace / "in" / "part-0.parquet", workspace / "jsonl" / "all.jsonl"])
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "old.parquet").write_bytes(b"")
    with pytest.raises(ConfigError, match="not an empty directory"):
        score_with_ray(workspace / "model", workspace / "jsonl" / "all.jsonl", tmp_path / "taken")
    with pytest.raises(ConfigError, match=r"--out must be a directory"):
        score_with_ray(workspace / "model", workspace / "jsonl" / "all.jsonl", tmp_path / "p.csv")
    with pytest.raises(InputError, match="not a saved detector"):
        score_with_ray(tmp_path, workspace / "jsonl" / "all.jsonl", tmp_path / "out")


def test_unreachable_cluster_fails_at_once(workspace, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(GroomwatchError, match=r"cannot reach a Ray cluster at 127\.0\.0\.1:"):
        score_with_ray(
            workspace / "model", workspace / "jsonl" / "all.jsonl", tmp_path / "out",
            address=f"127.0.0.1:{closed_port}",
        )


def test_missing_ray_asks_for_the_extra(workspace, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(GroomwatchError, match=r"pip install 'groomwatch\[ray\]'"):
        score_with_ray(workspace / "model", workspace / "jsonl" / "all.jsonl", tmp_path / "out")


def test_address_without_ray_engine_is_refused(workspace, tmp_path, capsys):
    args = [
        "score", "--model", str(workspace / "model"),
        "--data", str(workspace / "jsonl" / "all.jsonl"),
        "--out", str(tmp_path / "p.csv"), "--address", "auto",
    ]
    assert main(args) == 2
    assert "--address needs --engine ray" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_core_package_does_not_import_ray():
    code = (
        "import sys, groomwatch.cli, groomwatch.training.distributed;"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
