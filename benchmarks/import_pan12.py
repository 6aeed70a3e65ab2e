"""Benchmark: import a generated PAN12-format XML of 1,000,000 messages.

Prints messages per second (wall clock and per CPU second) and the import's peak RSS.
Targets (issue 2): at least 100,000 messages/s and peak RSS under 500 MB. The text is generated
(random words, some HTML escaped twice, some empty), never real chat.
Run: ``.venv/bin/python benchmarks/import_pan12.py [--messages N]`` (``make bench`` runs it at
200,000 messages; ``run_all.py --full`` at 1,000,000).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from harness import Row, emit, measure, quick

from groomwatch.cli import main

FULL_MESSAGES = 1_000_000
QUICK_MESSAGES = 200_000

WORDS = [
    "hey", "hi", "how", "are", "you", "doing", "today", "lol", "ok", "sure", "where", "what",
    "when", "school", "game", "play", "later", "friend", "music", "movie", "cool", "nice",
    "yeah", "no", "maybe", "tomorrow", "weekend", "home",
]


def write_corpus(directory: Path, n_messages: int, seed: int = 0) -> tuple[Path, Path]:
    """Write the XML and a predator list; about 2.5% of conversations include a predator."""
    rng = random.Random(seed)
    authors = [f"{rng.getrandbits(128):032x}" for _ in range(max(2, n_messages // 10))]
    predators = authors[: max(1, len(authors) // 700)]
    xml_path, predators_path = directory / "corpus.xml", directory / "predators.txt"
    written = conversation = 0
    with open(xml_path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<conversations>\n')
        while written < n_messages:
            pair = [rng.choice(authors), rng.choice(authors)]
            if rng.random() < 0.025:
                pair[0] = rng.choice(predators)
            out.write(f'<conversation id="{conversation:032x}">\n')
            for line in range(1, min(rng.randint(2, 30), n_messages - written) + 1):
                text = " ".join(rng.choices(WORDS, k=rng.randint(1, 12)))
                if line % 17 == 0:
                    text = "i &amp;lt;3 it"
                elif line % 23 == 0:
                    text = ""
                out.write(
                    f'<message line="{line}"><author>{pair[line % 2]}</author>'
                    f"<time>{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}</time>"
                    f"<text>{text}</text></message>\n"
                )
                written += 1
            out.write("</conversation>\n")
            conversation += 1
        out.write("</conversations>\n")
    predators_path.write_text("\n".join(predators) + "\n", encoding="utf-8")
    return xml_path, predators_path


def run(n_messages: int) -> list[Row]:
    """Import a generated corpus through the CLI; rows for wall rate, CPU rate and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        xml_path, predators_path = write_corpus(directory, n_messages)
        command = ["data", "import", "pan12", "--xml", str(xml_path),
                   "--predators", str(predators_path), "--out", str(directory / "pan12.jsonl")]
        cpu_started = time.process_time()
        run = measure(lambda: main(command))
        cpu = time.process_time() - cpu_started
        if run.result != 0:
            raise SystemExit(f"import failed with exit code {run.result}")
    step = f"import pan12 ({n_messages:,} messages)"
    return [
        Row(f"{step}: wall clock", n_messages / run.seconds, "msg/s", ">= 100000",
            peak_rss_mb=run.peak_rss_mb),
        # On a shared machine wall time includes waiting for a core; CPU time does not.
        Row(f"{step}: per CPU second", n_messages / cpu, "msg/CPU-s", ">= 100000",
            peak_rss_mb=run.peak_rss_mb),
        Row(f"{step}: peak RSS", run.peak_rss_mb, "MB", "< 500", peak_rss_mb=run.peak_rss_mb),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages", type=int, default=QUICK_MESSAGES if quick() else FULL_MESSAGES,
        help=f"corpus size (default {FULL_MESSAGES:,}; {QUICK_MESSAGES:,} under make bench)",
    )
    emit(run(parser.parse_args().messages))
