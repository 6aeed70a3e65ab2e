"""The verbatim-overlap check: no real chat line in the generator's source or output.

The real corpora are development data outside the repository, so the check against them is
slow and skips when they are absent; the matching itself is tested on hand-written lines.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import groomwatch.data.synth as synth_package
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.overlap import (
    MIN_WORDS,
    normalise,
    overlapping,
    real_line_set,
    source_strings,
)

DATASETS = Path(
    os.environ.get("GROOMWATCH_DATASETS") or Path(__file__).parents[3] / "shared" / "datasets"
)
PACKAGE = Path(synth_package.__file__).parent


def test_normalise_ignores_case_spacing_and_edge_punctuation():
    assert normalise("  So,  WHAT are we doing?! ") == "so, what are we doing"


def test_overlap_counts_only_long_lines():
    real = real_line_set(["ok see you at the station then, bye now", "lol ok"])
    assert real == {"ok see you at the station then, bye now"}
    texts = ["OK see you at the station then, bye now!", "lol ok", "something else"]
    assert overlapping(real, texts) == {"ok see you at the station then, bye now"}


def test_source_strings_reads_quoted_templates(tmp_path: Path):
    (tmp_path / "g.py").write_text('RULES = {"a": ["Hello There friend", "x"]}\n')
    assert "hello there friend" in source_strings(tmp_path)


def _real_lines(folder: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted((folder / "pj").rglob("*.txt")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for path in sorted((folder / "nps_chat").glob("*.xml")):
        lines += [post.text or "" for post in ET.parse(path).getroot().iter("Post")]
    try:
        from groomwatch.data.importers.chitchat import iter_chitchat

        lines += [m.text for conv in iter_chitchat() for m in conv.messages]
    except ImportError:  # the chit-chat package is optional here
        pass
    return lines


@pytest.mark.slow
@pytest.mark.skipif(not (DATASETS / "pj").is_dir(), reason="real corpora folder absent")
def test_no_real_line_in_generator_source_or_output():
    real = real_line_set(_real_lines(DATASETS))
    assert len(real) > 100_000  # the corpora were read
    in_source = overlapping(real, source_strings(PACKAGE))
    convs = generate(SynthConfig(n=6000, prevalence=0.15, languages=["en"], seed=7))
    in_output = overlapping(real, (m.text for c in convs for m in c.messages))
    # counts only: the real lines themselves must never reach a log
    assert (len(in_source), len(in_output)) == (0, 0), f"lines of >= {MIN_WORDS} words"
