"""`assess --model`: score with a saved detector, re-score perturbed copies, show its card."""

import json

import numpy as np

from groomwatch.cli import main
from groomwatch.data.record import Conversation
from groomwatch.models.registry import create_detector

GROOMING = ["this is our secret", "dont tell your parents", "can we meet alone",
            "you are so mature", "delete our chat"]
INNOCENT = ["did you finish homework", "the match was great", "see you at practice",
            "what game are you playing", "lunch was awful today"]


def record(cid: str, label: int, rng: np.random.Generator) -> dict:
    pool = GROOMING if label else INNOCENT
    texts = list(rng.choice(pool, size=4)) + list(rng.choice(INNOCENT, size=2))
    return {
        "conversation_id": cid, "label": label, "language": "en",
        "participants": [{"author_id": f"a{cid}", "role": "adult", "offender": bool(label)},
                         {"author_id": f"c{cid}", "role": "child", "offender": False}],
        "messages": [{"author_id": f"a{cid}" if i % 2 == 0 else f"c{cid}", "text": str(t)}
                     for i, t in enumerate(texts)],
    }


def test_assess_model_scores_perturbs_and_includes_the_model_card(tmp_path):
    rng = np.random.default_rng(0)
    convs = [record(f"x{i}", int(i % 3 == 0), rng) for i in range(90)]
    train = [Conversation.from_dict(r) for r in convs[:60]]
    model_dir = tmp_path / "model"
    detector = create_detector("tfidf-lr", min_df=1).fit(train[:40], train[40:])
    detector.save(model_dir)
    (model_dir / "MODEL_CARD.md").write_text("# Model card: hand-made test detector\n")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in convs[60:]))
    out = tmp_path / "report"
    code = main(["assess", "--model", str(model_dir), "-d", str(data), "-o", str(out),
                 "--perturb", "typos,casing", "--resamples", "20"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["n"] == 30 and report["inputs"]["model"] == str(model_dir)
    assert report["threshold"]["value"] == detector.threshold  # the one set in training
    robust = report["robustness"]["perturbations"]
    assert set(robust) == {"typos", "casing"}
    clean = report["robustness"]["clean"]
    for values in robust.values():
        assert values["delta_fnr"] == values["fnr"] - clean["fnr"]
    assert "hand-made test detector" in (out / "report.html").read_text()


def test_perturb_without_a_model_is_refused(tmp_path, labelled, csv_file, capsys):
    data = labelled([("c1", 1, "en"), ("c2", 0, "en")])
    predictions = csv_file("conversation_id,score", [("c1", 0.9), ("c2", 0.1)])
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(tmp_path / "o"),
                 "--perturb", "typos", "--threshold", "0.5"])
    assert code == 2 and "need --model" in capsys.readouterr().err
