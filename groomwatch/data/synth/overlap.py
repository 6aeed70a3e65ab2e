"""Verbatim-overlap check: no line of a real corpus may appear in the generator or its output.

The grammars are written by hand; this check makes sure no real chat line found its way into
them (copied text would carry real people's words into the project) nor comes out of them. A
real line counts when, normalised (lower case, single spaces, surrounding punctuation
dropped), it has at least ``min_words`` words and equals a generated message, a template's
literal text or a whole quoted string of the generator's source. Short lines are everyday
chat anyone writes (the same ones recur across unrelated real corpora), so they do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

#: real lines shorter than this many words are everyday phrases, not copied text: at 4-6 words a
#: few hundred common questions and replies match, most of them found in several real corpora
MIN_WORDS = 7

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")


def normalise(text: str) -> str:
    """Lower case, single spaces, no punctuation at either end."""
    return _EDGES.sub("", " ".join(text.lower().split()))


def real_line_set(lines: Iterable[str], min_words: int = MIN_WORDS) -> set[str]:
    """The normalised real lines long enough to count."""
    kept = set()
    for line in lines:
        norm = normalise(line)
        if len(norm.split()) >= min_words:
            kept.add(norm)
    return kept


def source_strings(package: Path) -> set[str]:
    """Every quoted string in the generator's Python source, normalised."""
    found = set()
    for path in sorted(package.rglob("*.py")):
        for match in _STRING.finditer(path.read_text(encoding="utf-8")):
            found.add(normalise(match.group(1)))
    return found


def overlapping(real: set[str], texts: Iterable[str]) -> set[str]:
    """The real lines that equal one of ``texts`` after normalisation."""
    return {norm for text in texts if (norm := normalise(text)) in real}
