"""Perverted-Justice (PJ) transcripts → conversation records.

Two common shapes are read (the layout of ``DIR`` decides which):

* one file per conversation, lines ``name: message``, optionally with a ``(time)`` stamp
  before or after the name; lines that do not start a message continue the previous one. The
  file is named after the offender, so the participant whose name matches the file name is the
  offender and every other participant is the decoy (an adult volunteer posing as a child).
* ``predators/`` + ``officers/``: each side's utterances, one per line, with the turn order
  between the sides lost (the record's ``meta`` says so; the predator's lines come first). This
  is the layout of the published cleansed corpus (Koutli 2023): ``predator_NAME.txt`` holds
  all lines of one offender and ``officer_NAME.txt`` or ``officer_NAME_1.txt``,
  ``officer_NAME_2.txt``, … one decoy each. Files without the prefixes (``NAME.txt`` on both
  sides) are read the same way. One record per offender, with every decoy who talked to them.

An officer file whose offender is missing is skipped with a warning (a label-1 record without
an offender would teach a model that the decoy's lines are grooming); a predator file without
an officer is kept, also with a warning. ``strict=True`` turns both into an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from groomwatch.data.importers.common import (
    NoProgress,
    Progress,
    Warn,
    python_warning,
    read_lines,
    same_id,
)
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import InputError

SOURCE = "pj"
TURN_ORDER_UNKNOWN = "unknown: the predator's lines come first, then each officer's"
_SIDES = ("predators", "officers")
_PREFIXES = {"predators": "predator_", "officers": "officer_"}
_DECOY_SUFFIX = re.compile(r"^(?P<name>.+)_(?P<k>[0-9]+)$")
#: How many unpaired file names a warning or error lists before "and N more".
_LISTED = 10

_LINE = re.compile(
    r"^\s*(?:\((?P<before>[^()]{1,40})\)\s*)?"
    r"(?P<name>[^\s:()]{1,60})\s*"
    r"(?:\((?P<after>[^()]{1,40})\))?\s*:\s?(?P<text>.*)$"
)
_TIME_HINT = re.compile(r"\d{1,2}[:.]\d{2}")


def iter_pj(
    directory: Path,
    *,
    author_map: AuthorMap = same_id,
    progress: Progress | None = None,
    strict: bool = False,
    warn: Warn = python_warning,
) -> Iterator[Conversation]:
    """Yield one record per conversation found in ``directory`` (either shape).

    In the two-folder shape, unpaired files are reported through ``warn`` (or raise
    :class:`InputError` when ``strict``) before the first record is yielded.
    """
    progress = progress or NoProgress()
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    if (directory / "predators").is_dir() or (directory / "officers").is_dir():
        pairs = pair_files(directory)
        _report_unpaired(directory, pairs, strict=strict, warn=warn)
        progress.start(len(pairs.offenders), "offenders")
        for name, predator in pairs.offenders.items():
            yield _two_file_conversation(name, predator, pairs.decoys.get(name, []), author_map)
            progress.advance(1)
        return
    files = _text_files(directory)
    progress.start(len(files), "files")
    for path in files:
        yield _transcript_conversation(path, author_map)
        progress.advance(1)


@dataclass
class Pairs:
    """The two-folder shape resolved: offender name → predator file and decoy files."""

    offenders: dict[str, Path] = field(default_factory=dict)
    decoys: dict[str, list[Path]] = field(default_factory=dict)
    #: officer files whose offender has no predator file
    orphan_officers: list[Path] = field(default_factory=list)

    @property
    def lone_predators(self) -> list[Path]:
        return [path for name, path in self.offenders.items() if name not in self.decoys]


def pair_files(directory: Path) -> Pairs:
    """Match each officer file to its offender: the name after ``officer_``, exactly, or,
    when no predator has that exact name, without a trailing ``_k`` (a second decoy)."""
    sides = {side: _side_files(directory / side, side) for side in _SIDES}
    if not any(sides.values()):
        raise InputError(f"{directory}: predators/ and officers/ hold no transcript files")
    pairs = Pairs(offenders=dict(sorted(sides["predators"].items())))
    for name, path in sorted(sides["officers"].items(), key=lambda item: _decoy_order(item[0])):
        suffix = _DECOY_SUFFIX.match(name)
        if name in pairs.offenders:
            pairs.decoys.setdefault(name, []).append(path)
        elif suffix and suffix["name"] in pairs.offenders:
            pairs.decoys.setdefault(suffix["name"], []).append(path)
        else:
            pairs.orphan_officers.append(path)
    return pairs


def _side_files(folder: Path, side: str) -> dict[str, Path]:
    """Name → file for one side's folder; the ``predator_``/``officer_`` prefix is optional."""
    if not folder.is_dir():
        return {}
    named: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        name = path.stem.removeprefix(_PREFIXES[side])
        if name in named:
            raise InputError(f"{path}: names the same offender as {named[name].name}")
        named[name] = path
    return named


def _decoy_order(name: str) -> tuple[str, int]:
    """``NAME`` before ``NAME_1`` before ``NAME_2`` … before ``NAME_10``."""
    suffix = _DECOY_SUFFIX.match(name)
    return (suffix["name"], int(suffix["k"])) if suffix else (name, -1)


def _report_unpaired(directory: Path, pairs: Pairs, *, strict: bool, warn: Warn) -> None:
    problems = []  # (what is wrong, what happens to it when not strict)
    if pairs.orphan_officers:
        problems.append((
            f"{len(pairs.orphan_officers)} officer file(s) match no predator file: "
            f"{_listed(pairs.orphan_officers)}",
            "skipped",
        ))
    if pairs.lone_predators:
        problems.append((
            f"{len(pairs.lone_predators)} predator file(s) have no officer file: "
            f"{_listed(pairs.lone_predators)}",
            "kept with the offender's lines only",
        ))
    if problems and strict:
        raise InputError(f"{directory}: " + "; ".join(p for p, _ in problems) + " (--strict)")
    for problem, outcome in problems:
        warn(f"{directory}: {problem} ({outcome})")


def _listed(paths: list[Path]) -> str:
    names = ", ".join(repr(p.name) for p in paths[:_LISTED])
    more = len(paths) - _LISTED
    return f"{names} and {more} more" if more > 0 else names


def _text_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(f"{directory}: holds no transcript files")
    return files


def _normalised(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _time_fields(stamp: str | None) -> tuple[str | None, dict[str, str]]:
    """A stamp with a date becomes the timestamp; a bare clock time stays in ``extra``."""
    if not stamp:
        return None, {}
    stamp = stamp.strip()
    try:
        datetime.fromisoformat(stamp)
    except ValueError:
        return None, {"time": stamp}
    return stamp, {}


def _parse_transcript(path: Path) -> list[tuple[str, str, str | None]]:
    """(name, text, stamp) per message; continuation lines join the message before them."""
    messages: list[tuple[str, str, str | None]] = []
    for number, line in enumerate(read_lines(path), start=1):
        match = _LINE.match(line)
        stamp = match and (match["before"] or match["after"])
        if match and (stamp is None or _TIME_HINT.search(stamp)):
            messages.append((match["name"].strip(), match["text"], stamp))
        elif messages:
            name, text, old_stamp = messages[-1]
            messages[-1] = (name, f"{text}\n{line}", old_stamp)
        elif line.strip():
            raise InputError(f"{path}:{number}: expected a 'name: message' line")
    if not messages:
        raise InputError(f"{path}: holds no 'name: message' lines")
    return messages


def _role(name: str, offender: str | None) -> tuple[str, bool | None]:
    """(role, offender flag): the decoy poses as a child; nothing is guessed without a match."""
    if offender is None:
        return "unknown", None
    return ("adult", True) if name == offender else ("child", False)


def _transcript_conversation(path: Path, author_map: AuthorMap) -> Conversation:
    parsed = _parse_transcript(path)
    names = list(dict.fromkeys(name for name, _, _ in parsed))
    stem = _normalised(path.stem)
    matching = [n for n in names if _normalised(n) and stem.startswith(_normalised(n))]
    offender = max(matching, key=len) if matching else None
    meta: dict[str, object] = {}
    if offender is None:
        meta["offender"] = "unknown: no participant's name matches the file name"
    participants = [Participant(author_map(name), *_role(name, offender)) for name in names]
    messages = []
    for name, text, stamp in parsed:
        timestamp, extra = _time_fields(stamp)
        messages.append(Message(author_map(name), text, timestamp, extra=extra))
    return Conversation(
        f"pj-{author_map(path.stem)}", participants, messages,
        label=1, language="en", source=SOURCE, meta=meta,
    )


def _two_file_conversation(
    name: str, predator: Path, decoys: list[Path], author_map: AuthorMap
) -> Conversation:
    """One offender's lines, then each decoy's; a missing decoy is noted in ``meta``."""
    predator_id = author_map(name)
    participants = [Participant(predator_id, "adult", True)]
    messages = _lines_of(predator, predator_id)
    meta: dict[str, object] = {"turn_order": TURN_ORDER_UNKNOWN}
    if not decoys:
        meta["missing"] = "no officer file"
    for path in decoys:
        decoy_id = author_map(f"officer-{path.stem.removeprefix(_PREFIXES['officers'])}")
        participants.append(Participant(decoy_id, "child", False))
        messages.extend(_lines_of(path, decoy_id))
    return Conversation(
        f"pj-{predator_id}", participants, messages,
        label=1, language="en", source=SOURCE, meta=meta,
    )


def _lines_of(path: Path, author_id: str) -> list[Message]:
    return [Message(author_id, line) for line in read_lines(path) if line.strip()]
