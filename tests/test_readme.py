"""Every shell command in the README runs, as a newcomer would type it, and does what it says.

The README is the path a newcomer follows, so this module reads its shell code blocks (fenced
``bash`` blocks and indented blocks) and runs every command in README order in a scratch
directory laid out like a checkout after ``make demo``. The only changes are the ones listed in
``SUBSTITUTIONS`` (placeholders filled in, sizes made small, free ports) and the input files
that ``prepare_inputs`` writes under the README's own names (``CORPUS.xml``, ``messages.csv``,
``a.csv`` …) where the README says "your own file". ``make demo`` is run as its recipe, read
from the Makefile, with a small ``--n``. Servers (``groomwatch serve``, ``mlflow ui``,
``mlflow models serve``) run in the background while the rest of their code block talks to
them. A block that uses Ray runs as one script in a network namespace of its own, so every
Ray connection stays on loopback. Two commands run elsewhere, named in ``RUN_ELSEWHERE``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
#: README commands that this module does not run, and who does.
RUN_ELSEWHERE = {
    "make test": ".ci/run",
    ".venv/bin/jupyter execute --output=/tmp/01-run.ipynb notebooks/01_train_a_detector.ipynb":
        "tests/test_notebooks.py",
}
#: (README text, text run here, why). Applied in order to every command and to synth.yaml.
SUBSTITUTIONS = [
    ("--n 5000", "--n 600", "a small synthetic set"),
    ("n: 5000", "n: 600", "the same in the README's synth.yaml"),
    ("--limit N", "--limit 50", "a number for the placeholder"),
    ("--cv 5", "--cv 3", "three folds suffice on a small set"),
    ("--target-fpr 0.01", "--target-fpr 0.05",
     "the small test split's ~80 negatives cannot bound an FPR below 4%"),
    ("reviewer|lead|auditor|admin", "reviewer", "one of the alternatives"),
    ("users add NAME", "users add alice", "a user name"),
    ("add-key CLIENT", "add-key partner", "a client name"),
    ("--db URL", "--db sqlite:///review.db", "the README's example database"),
    ("--workers 16", "--workers 2", "two scoring actors on a 2-core machine"),
    ("HEAD_HOST", "127.0.0.1", "the head node is this machine"),
    # before "/shared/": the real corpora's folders become the hand-written fixtures in their layout
    ("../shared/datasets/pj", str(ROOT / "tests/data/fixtures/pj_published"),
     "a hand-written PJ folder in the published layout"),
    ("../shared/datasets/nps_chat", str(ROOT / "tests/data/fixtures/nps"),
     "hand-written NPS Chat files"),
    ("/shared/", "{work}/shared/", "storage every node sees"),
    ("6379", "{ray_port}", "a free port"),
    ("5001", "{serve_port}", "a free port"),
    ("--port 5000", "--port {ui_port}", "a free port"),
    ("--port 8000", "--port {review_port}", "a free port"),
]
#: The Makefile's demo size, and the one run here.
DEMO_SIZE = ("--n 3000", "--n 600")
#: Commands that start a server, with the path that answers 200 once it is up.
SERVERS = {"groomwatch serve": "/health", "mlflow ui": "/health", "mlflow models serve": "/ping"}
#: Small hand-written corpora in the importers' formats (never real chats).
PAN12_XML = """<?xml version="1.0" encoding="UTF-8"?>
<conversations>
  <conversation id="c1">
    <message line="1"><author>pred1</author><time>03:20</time><text>hi there</text></message>
    <message line="2"><author>decoy1</author><time>03:21</time><text>hey</text></message>
  </conversation>
  <conversation id="c2">
    <message line="1"><author>u1</author><time>10:00</time><text>see you later</text></message>
    <message line="2"><author>u2</author><text>fine</text></message>
  </conversation>
</conversations>
"""
PJ_LOG = "(10:32:15 PM) cooldude42: hey there\n(10:32:40 PM) decoy: hi\n"


@dataclass
class Block:
    """One shell code block of the README: where it starts and its commands."""

    line: int
    commands: list[str]

    @property
    def uses_ray(self) -> bool:
        return any(c.startswith("ray ") or "--engine ray" in c for c in self.commands)


def strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` outside quotes after a space)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def commands_of(lines: list[str]) -> list[str]:
    """Commands of a block: continuation lines joined, comments dropped, spaces collapsed."""
    commands, pending = [], ""
    for raw in lines:
        line = strip_comment(raw)
        pending = f"{pending} {line.strip()}" if pending else line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        if pending:
            commands.append(" ".join(pending.split()))
        pending = ""
    return commands


def readme_blocks(text: str) -> tuple[list[Block], dict[str, str]]:
    """The README's shell blocks, and its other fenced blocks by language (e.g. ``yaml``)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    others: dict[str, str] = {}
    i, after_blank = 0, True
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            language, end = line[3:].strip(), lines.index("```", i + 1)
            if language in ("bash", "sh", ""):
                blocks.append(Block(i + 1, commands_of(lines[i + 1 : end])))
            else:
                others.setdefault(language, "\n".join(lines[i + 1 : end]) + "\n")
            i, after_blank = end + 1, False
            continue
        if line.startswith("    ") and after_blank:
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            blocks.append(Block(i + 1, commands_of([x[4:] for x in lines[i:end]])))
            i, after_blank = end, True
            continue
        after_blank = not line.strip()
        i += 1
    return [b for b in blocks if b.commands], others


BLOCKS, OTHER_BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
COMMANDS = [c for b in BLOCKS for c in b.commands]


def demo_recipe() -> list[str]:
    """The Makefile's ``demo`` recipe with its variables expanded and ``$(GW)`` as `groomwatch`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    variables = dict(re.findall(r"^(\w+) :?= (.*)$", makefile, re.MULTILINE))
    variables["GW"] = "groomwatch"
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no demo recipe"
    lines = commands_of([line.strip() for line in recipe.group(1).splitlines()])
    return [re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], line) for line in lines]


def substitute(command: str, values: dict[str, str]) -> str:
    for readme_text, here, _ in SUBSTITUTIONS:
        command = command.replace(readme_text, here.format(**values))
    return re.sub(r"\[(--[^\]]+)\]", r"\1", command)  # optional flags: given


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Outcome:
    """What running one README command did."""

    ran: str
    returncode: int
    output: str
    extra: dict = field(default_factory=dict)
    skipped: str = ""


@dataclass
class Walk:
    work: Path
    env: dict[str, str]
    values: dict[str, str]
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    demo: list[Outcome] = field(default_factory=list)

    def run(self, command: str, *, timeout: float = 600, env: dict | None = None) -> Outcome:
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.work, env=env or self.env, text=True,
            capture_output=True, timeout=timeout,
        )
        return Outcome(command, done.returncode, done.stdout + done.stderr)


def command_env(work: Path) -> dict[str, str]:
    """The newcomer's shell after `source .venv/bin/activate` and the README's audit-key
    ``export``: no tracking URI, no colour (each command runs in a shell of its own)."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return env | {"PATH": f"{BIN}{os.pathsep}{env['PATH']}", "TERM": "dumb", "NO_COLOR": "1",
                  "GROOMWATCH_AUDIT_KEY_FILE": str(work / "audit.key")}


def prepare_inputs(walk: Walk) -> None:
    """The files the README names as the reader's own, written under the README's names."""
    work = walk.work
    (work / "CORPUS.xml").write_text(PAN12_XML, encoding="utf-8")
    (work / "PREDATORS.txt").write_text("pred1\n", encoding="utf-8")
    (work / "GROUNDTRUTH2.txt").write_text("c1\t1\n", encoding="utf-8")
    (work / "LOGS").mkdir()
    (work / "LOGS" / "cooldude42.txt").write_text(PJ_LOG, encoding="utf-8")
    (work / "synth.yaml").write_text(substitute(OTHER_BLOCKS["yaml"], walk.values))
    # messages.csv: the demo's synthetic conversations as one CSV row per message.
    demo = [json.loads(line) for split in ("train", "validation", "test")
            for line in (work / f"data/demo/{split}.jsonl").read_text().splitlines()]
    with (work / "messages.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["conversation_id", "author_id", "text", "label"])
        for conv in demo:
            for message in conv["messages"]:
                writer.writerow([conv["conversation_id"], message["author_id"], message["text"],
                                 conv["label"]])
    config = (work / "my.yaml")
    shutil.copy(ROOT / "groomwatch/training/configs/tfidf.yaml", config)
    config.write_text(config.read_text().replace("bootstrap: 1000", "bootstrap: 200"))
    # Two technologies' predictions on test.jsonl: the demo model's, and message counts.
    shutil.copy(work / "data/demo/test.jsonl", work / "test.jsonl")
    shutil.copy(work / "predictions/demo.csv", work / "a.csv")
    test = [json.loads(line) for line in (work / "test.jsonl").read_text().splitlines()]
    longest = max(len(c["messages"]) for c in test)
    pd.DataFrame({"conversation_id": [c["conversation_id"] for c in test],
                  "score": [len(c["messages"]) / longest for c in test]}).to_csv(
        work / "b.csv", index=False)
    # The cluster's shared storage: the demo model and the test split as Parquet.
    from groomwatch.data.io import read_conversations, write_conversations

    shutil.copytree(work / "models/demo-tfidf", work / "shared/models/tfidf")
    (work / "shared/incoming").mkdir(parents=True)
    (work / "shared/predictions").mkdir()
    write_conversations(work / "shared/incoming/part-0.parquet",
                        read_conversations(work / "data/demo/test.jsonl"))


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def run_with_server(walk: Walk, block: Block) -> None:
    """Start the block's server in the background, run the block's other commands, stop it."""
    server = block.commands[0]
    kind = next(name for name in SERVERS if server.startswith(name))
    port = re.search(r"(?:-p|--port) (\d+)", substitute(server, walk.values)).group(1)
    log = walk.work / f"server-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {substitute(server, walk.values)}"], cwd=walk.work,
            env=walk.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        answer = wait_for(f"http://127.0.0.1:{port}{SERVERS[kind]}", process)
        walk.outcomes[server] = Outcome(server, 0, answer.decode(errors="replace"))
        if kind == "mlflow ui":
            url = (f"http://127.0.0.1:{port}/api/2.0/mlflow/registered-models/get"
                   "?name=groomwatch-tfidf-lr")
            with urllib.request.urlopen(url, timeout=30) as found:
                walk.outcomes[server].extra["registered"] = json.load(found)
        for command in block.commands[1:]:
            walk.outcomes[command] = walk.run(substitute(command, walk.values))
    except AssertionError as exc:
        walk.outcomes[server] = Outcome(server, 1, f"{exc}\n{log.read_text()}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def run_ray_block(walk: Walk, block: Block) -> None:
    """The whole block as one script, in a network namespace with only loopback, and with a
    home of its own so the cluster's token is made fresh (and the user's is left alone)."""
    script = "\n".join(
        ["set -e", "trap 'ray stop --force > /dev/null 2>&1 || true' EXIT", "ip link set lo up"]
        + [f"echo '>>> {i}'; {substitute(c, walk.values)}" for i, c in enumerate(block.commands)]
    )
    home = walk.work / "ray-home"
    home.mkdir(exist_ok=True)
    # the model cache stays where the user's is (HOME moves for Ray's token only)
    cache = os.environ.get("GROOMWATCH_CACHE_DIR", str(Path.home() / ".cache/groomwatch"))
    env = walk.env | {"HOME": str(home), "GROOMWATCH_CACHE_DIR": cache}
    done = walk.run(f"unshare -n bash -c {shlex.quote(script)}", env=env)
    parts = re.split(r"^>>> (\d+)$", done.output, flags=re.MULTILINE)
    printed = {int(i): text for i, text in zip(parts[1::2], parts[2::2], strict=True)}
    no_namespace = "" if printed else f"no network namespace here (unshare -n): {done.output}"
    for i, command in enumerate(block.commands):
        failed = i not in printed or (done.returncode != 0 and i == max(printed))
        walk.outcomes[command] = Outcome(
            command, int(failed), printed.get(i, done.output), skipped=no_namespace[:500]
        )


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    work = tmp_path_factory.mktemp("readme-walk")
    values = {"work": str(work), "ray_port": str(free_port()), "serve_port": str(free_port()),
              "ui_port": str(free_port()), "review_port": str(free_port())}
    walk = Walk(work, command_env(work), values)
    offline = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    for line in demo_recipe():
        walk.demo.append(walk.run(line.replace(*DEMO_SIZE), env=walk.env | offline))
        assert walk.demo[-1].returncode == 0, walk.demo[-1].output
    prepare_inputs(walk)
    for block in BLOCKS:
        if block.uses_ray:
            run_ray_block(walk, block)
        elif any(block.commands[0].startswith(server) for server in SERVERS):
            run_with_server(walk, block)
        else:
            for command in block.commands:
                if command not in RUN_ELSEWHERE and command != "make demo":
                    walk.outcomes[command] = walk.run(substitute(command, values))
    yield walk


def test_every_readme_command_is_run_here_or_named_elsewhere() -> None:
    assert COMMANDS, "no shell commands found in the README"
    assert len(COMMANDS) == len(set(COMMANDS)), "a README command appears twice"
    assert set(RUN_ELSEWHERE) <= set(COMMANDS), "RUN_ELSEWHERE names a command the README lacks"
    assert "make demo" in COMMANDS
    assert "make test" in (ROOT / ".ci/run").read_text().splitlines()
    notebooks_test = (ROOT / "tests/test_notebooks.py").read_text()
    assert "README" in notebooks_test and "jupyter execute" in notebooks_test


def test_every_substitution_still_applies() -> None:
    """A substitution whose README text is gone would hide that the README changed."""
    searched = "\n".join([*COMMANDS, OTHER_BLOCKS["yaml"]])
    assert [text for text, _, _ in SUBSTITUTIONS if text not in searched] == []
    assert any(DEMO_SIZE[0] in line for line in demo_recipe())


def test_make_targets_and_commands_named_in_prose_exist() -> None:
    """Inline mentions (`make bench`, `groomwatch compare …`) name real targets and commands."""
    import typer.main

    from groomwatch.cli import app

    text = README.read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert set(re.findall(r"`make ([\w-]+)", text)) <= targets
    root = typer.main.get_command(app)
    for words in re.findall(r"`groomwatch ((?:[a-z][\w-]* ?)+)", text):
        command = root
        for word in words.split():
            if not hasattr(command, "commands") or word not in command.commands:
                break
            command = command.commands[word]
        assert command is not root, f"`groomwatch {words}` names no command"


def test_make_demo_recipe_prints_the_headline_table(walk: Walk) -> None:
    assert [o.returncode for o in walk.demo] == [0] * len(walk.demo)
    assert "Assessment (" in walk.demo[-1].output
    assert "innocent conversations a day" in walk.demo[-1].output
    assert (walk.work / "reports/demo/report.json").is_file()


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c not in RUN_ELSEWHERE and c != "make demo"]
)
def test_readme_command_succeeds(walk: Walk, command: str) -> None:
    outcome = walk.outcomes[command]
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    assert outcome.returncode == 0, f"`{outcome.ran}` failed:\n{outcome.output[-3000:]}"
    assert "Traceback" not in outcome.output, outcome.output[-3000:]


def _scores(csv_path: Path) -> pd.Series:
    return pd.read_csv(csv_path).set_index("conversation_id")["score"]


def test_mlflow_serving_gives_the_scores_groomwatch_score_gives(walk: Walk) -> None:
    curl = next(c for c in COMMANDS if c.startswith("curl "))
    answer = json.loads(walk.outcomes[curl].output)["predictions"]
    ids = [json.loads(line)["conversation_id"]
           for line in (walk.work / "data/demo/test.jsonl").read_text().splitlines()]
    served = pd.Series([row["score"] for row in answer], index=ids)
    expected = _scores(walk.work / "predictions/demo.csv").loc[ids]
    assert served.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)


def test_mlflow_ui_lists_the_registered_model(walk: Walk) -> None:
    ui = next(c for c in COMMANDS if c.startswith("mlflow ui"))
    registered = walk.outcomes[ui].extra["registered"]["registered_model"]
    assert registered["name"] == "groomwatch-tfidf-lr"


def test_ray_scoring_matches_local_scoring(walk: Walk) -> None:
    joined = next(c for c in COMMANDS if c.startswith("groomwatch score --engine ray --address"))
    if walk.outcomes[joined].skipped:
        pytest.skip(walk.outcomes[joined].skipped)
    expected = _scores(walk.work / "predictions/demo.csv")
    local = pd.read_parquet(walk.work / "predictions/run-1").set_index("conversation_id")
    demo_ids = [json.loads(line)["conversation_id"] for split in ("train", "validation", "test")
                for line in (walk.work / f"data/demo/{split}.jsonl").read_text().splitlines()]
    assert sorted(local.index) == sorted(demo_ids)
    cluster = pd.read_parquet(walk.work / "shared/predictions/2026-11-24")
    assert list(cluster["conversation_id"]) == list(expected.index)
    for scored in (local["score"].loc[expected.index], cluster["score"]):
        assert scored.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)
    assert "from 2 Ray workers" in walk.outcomes[joined].output


def test_import_and_assessment_commands_write_what_they_say(walk: Walk) -> None:
    work = walk.work
    for written in ("data/pan12.jsonl", "data/pj.jsonl", "data/chitchat.jsonl", "data/mine.jsonl",
                    "data/mine/train.jsonl", "models/mine/detector.json",
                    "models/static-lr/detector.json", "predictions/test.csv",
                    "reports/fpr1/report.json", "reports/robust/report.json",
                    "reports/ab", "reports/demo-vs-fpr1", "reports/export.json"):
        assert (work / written).exists(), written
    assert len((work / "data/chitchat.jsonl").read_text().splitlines()) == 50
    schema = next(c for c in COMMANDS if c.startswith("groomwatch assess --schema"))
    assert "properties" in json.loads(walk.outcomes[schema].output)
