"""The real-transfer benchmark's splits and figures, on tiny hand-made corpora in the real layouts.

The benchmark is the instrument later detection changes are judged by, so what makes it honest
is tested here: one-author windows of one size on every side, whole groups per split (offender,
chit-chat conversation, NPS room session), every source in every split, a cache outside the
repository, and a clear skip when the corpora are absent.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
POST = (
    '<Post class="Statement" user="{user}">{text}'
    '<terminals><t pos="NN" word="x"/></terminals></Post>'
)


@pytest.fixture
def bench(monkeypatch, tmp_path: Path):
    from groomwatch.data.importers.chitchat import iter_chitchat

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.setenv("GROOMWATCH_CACHE_DIR", str(tmp_path / "cache"))
    module = importlib.import_module("real_transfer")
    # the real chit-chat corpus, its first 300 conversations (converting all takes seconds)
    monkeypatch.setattr(module, "iter_chitchat", lambda: iter_chitchat(limit=300))
    return module


def make_corpora(root: Path) -> Path:
    """Eight offenders (one with two decoys) and six NPS room sessions, in the real layouts."""
    for side in ("predators", "officers"):
        (root / "pj" / side).mkdir(parents=True)
    for i in range(8):
        lines = "".join(f"offender {i} asks about school and parents {k}\n" for k in range(12))
        (root / "pj" / "predators" / f"predator_user {i}.txt").write_text(lines)
        decoys = ("_1", "_2") if i == 0 else ("",)
        for suffix in decoys:
            (root / "pj" / "officers" / f"officer_user {i}{suffix}.txt").write_text(
                "".join(f"decoy reply {k}\n" for k in range(6))
            )
    (root / "nps_chat").mkdir()
    for day, band in enumerate(("teens", "20s", "30s", "40s", "adults", "20s")):
        stem = f"10-{10 + day}-{band}"
        posts = "".join(
            POST.format(user=f"{stem}User{u}", text=f"room talk {k} about the weather")
            for u in range(3) for k in range(7)
        )
        (root / "nps_chat" / f"{stem}_21posts.xml").write_text(
            f"<Session><Posts>{posts}</Posts></Session>"
        )
    return root


def test_splits_are_grouped_same_shaped_and_cached(bench, tmp_path: Path) -> None:
    corpora = make_corpora(tmp_path / "datasets")
    sizes = bench.Sizes(window=3, offender_windows=2, chitchat_conversations=60)
    splits = bench.real_splits(seed=1, sizes=sizes, datasets=corpora)
    home: dict[str, str] = {}
    for name, windows in splits.items():
        assert {w.source for w in windows} == {"pj", "chitchat", "nps"}, name
        for window in windows:
            assert len(window.messages) == 3 and len(window.participants) == 1
            assert window.label == (1 if window.source == "pj" else 0)
            if window.source == "pj":  # only the offender's own lines are positives
                assert window.offender_ids == [window.participants[0].author_id]
            assert home.setdefault(window.meta["window"]["of"], name) == name
    assert sum(w.source == "pj" for s in splits.values() for w in s) == 8 * 2
    assert sum(w.source == "nps" for s in splits.values() for w in s) == 6 * 3 * 2
    cached = list((tmp_path / "cache" / "benchmarks").glob("real-*/test.jsonl"))
    assert len(cached) == 1
    again = bench.real_splits(seed=1, sizes=sizes, datasets=corpora)
    assert [w.to_dict() for w in again["test"]] == [w.to_dict() for w in splits["test"]]


def test_figures_of_a_trained_config(bench, tmp_path: Path) -> None:
    corpora = make_corpora(tmp_path / "datasets")
    sizes = bench.Sizes(window=3, offender_windows=4, chitchat_conversations=80)
    real = bench.real_splits(seed=0, sizes=sizes, datasets=corpora)
    figures = bench.evaluate_detector(real["train"], real["validation"], "tfidf", real["test"],
                                      resamples=100)
    test_counts = {s: sum(w.source == s for w in real["test"]) for s in bench.SOURCES}
    assert figures["test"] == test_counts
    assert figures["pj_recall"]["trials"] == test_counts["pj"]
    assert figures["nps_fpr"]["trials"] == test_counts["nps"]
    auc = figures["roc_auc"]
    assert auc["low"] <= auc["value"] <= auc["high"]
    # The hand-made classes share no words, so any working detector ranks them apart.
    assert auc["value"] > 0.9 and figures["roc_auc_vs_nps"] > 0.9


def test_absent_corpora_skip_with_one_line(bench, tmp_path: Path, capsys) -> None:
    assert bench.main(["--datasets", str(tmp_path / "nowhere")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "skipped" in out[0] and "absent" in out[0]


def test_synthetic_windows_are_the_real_tests_view(bench) -> None:
    """Grooming conversations give only their offender's one-author windows, benign ones
    every speaker's; all full, so length and speaker count cannot separate the classes."""
    from groomwatch.data.synth import SynthConfig, generate

    conversations = list(generate(SynthConfig(n=60, prevalence=0.5, languages=["en"], seed=3)))
    cut = bench.author_windows(conversations, size=4)
    by_id = {c.conversation_id: c for c in conversations}
    assert cut and {w.label for w in cut} == {0, 1}
    for window in cut:
        source = by_id[window.meta["window"]["of"]]
        authors = {m.author_id for m in window.messages}
        assert len(window.messages) == 4 and len(authors) == 1
        offenders = {p.author_id for p in source.participants if p.offender}
        assert (authors <= offenders) == (window.label == 1)
    assert bench.author_windows(conversations, size=4) == cut  # deterministic


def test_hard_negative_threshold_override(bench) -> None:
    tfidf, tfidf_real = bench.load_config("tfidf"), bench.load_config("tfidf-real")
    held = bench.with_hard_negative_threshold(tfidf, 0.05).threshold
    assert (held.policy, held.target_fpr, held.on) == ("target-fpr", 0.05, {"source": "nps"})
    assert bench.with_hard_negative_threshold(tfidf, None) == tfidf
    # a config that names its own subset keeps its policy
    assert bench.with_hard_negative_threshold(tfidf_real, 0.05) == tfidf_real


def _run_file(path: Path, rows: list[tuple[str, str, float]], *, seed: int = 0) -> Path:
    """A real_transfer.py --json file holding rows of (config, training set, ROC-AUC)."""
    import json

    def rate(hits: int, trials: int) -> dict:
        return {"value": hits / trials, "low": 0.0, "high": 1.0, "successes": hits,
                "trials": trials}

    results = [{"config": config, "training": training, "generator_version": None,
                "code": {"git_commit": "abcdef0123"},
                "figures": {"roc_auc": {"value": auc, "low": auc - 0.01, "high": auc + 0.01},
                            "roc_auc_vs_nps": auc - 0.02, "recall_at_1pct_fpr": 0.5,
                            "pj_recall": rate(40, 50), "chitchat_fpr": rate(0, 60),
                            "nps_fpr": rate(1, 20), "fit_seconds": 3.0}}
               for config, training, auc in rows]
    path.write_text(json.dumps({"seed": seed, "sizes": {"window": 10},
                                "splits": {"test": {"pj": 50}}, "results": results}))
    return path


def test_merged_runs_make_one_leaderboard(bench, tmp_path: Path) -> None:
    first = _run_file(tmp_path / "a.json", [("tfidf", "real", 0.95), ("static", "real", 0.90)])
    later = _run_file(tmp_path / "b.json", [("static", "real", 0.97),
                                            ("tfidf", "synthetic", 0.80)])
    merged = bench.merge_runs([first, later])
    by_row = {(r["config"], r["training"]): r["figures"]["roc_auc"]["value"]
              for r in merged["results"]}
    assert by_row == {("tfidf", "real"): 0.95, ("static", "real"): 0.97,
                      ("tfidf", "synthetic"): 0.80}  # the later file's row wins
    table = bench.markdown_table(merged["results"]).splitlines()
    # real-train rows first, the best ROC-AUC first within a training set
    assert [line.split(" | ")[:2] for line in table[2:]] == [
        ["| static", "real"], ["| tfidf", "real"], ["| tfidf", "synthetic"]]
    assert "80.0% (40/50)" in table[3] and "abcdef0" in table[3]


def test_runs_on_other_splits_are_not_merged(bench, tmp_path: Path, capsys) -> None:
    first = _run_file(tmp_path / "a.json", [("tfidf", "real", 0.95)])
    other = _run_file(tmp_path / "b.json", [("tfidf", "real", 0.96)], seed=1)
    with pytest.raises(bench.GroomwatchError, match="other real splits"):
        bench.merge_runs([first, other])
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--merge", str(tmp_path / "broken.json")])
    assert exit_info.value.code == 2
    assert "not a real_transfer.py JSON file" in capsys.readouterr().err
