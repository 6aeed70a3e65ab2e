"""Perverted-Justice (PJ) transcripts → conversation records.

Two common shapes are read (the layout of ``DIR`` decides which):

* one file per conversation, lines ``name: message``, optionally with a ``(time)`` stamp
  before or after the name; lines that do not start a message continue the previous one. The
  file is named after the offender, so the participant whose name matches the file name is the
  offender and every other participant is the decoy (an adult volunteer posing as a child).
* ``predators/NAME.txt`` + ``officers/NAME.txt``: each side's utterances, one per line, with
  the turn order between the sides lost. The record's ``meta`` says so, and lists the
  predator's lines first, then the officer's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from groomwatch.data.importers.common import NoProgress, Progress, read_lines, same_id
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import InputError

SOURCE = "pj"
TURN_ORDER_UNKNOWN = "unknown: the predator's lines come first, then the officer's"
_SIDES = ("predators", "officers")

_LINE = re.compile(
    r"^\s*(?:\((?P<before>[^()]{1,40})\)\s*)?"
    r"(?P<name>[^\s:()]{1,60})\s*"
    r"(?:\((?P<after>[^()]{1,40})\))?\s*:\s?(?P<text>.*)$"
)
_TIME_HINT = re.compile(r"\d{1,2}[:.]\d{2}")


def iter_pj(
    directory: Path, *, author_map: AuthorMap = same_id, progress: Progress | None = None
) -> Iterator[Conversation]:
    """Yield one record per conversation found in ``directory`` (either shape)."""
    progress = progress or NoProgress()
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    if (directory / "predators").is_dir() or (directory / "officers").is_dir():
        names = _two_file_names(directory)
        progress.start(len(names), "conversations")
        for name in names:
            yield _two_file_conversation(directory, name, author_map)
            progress.advance(1)
        return
    files = _text_files(directory)
    progress.start(len(files), "files")
    for path in files:
        yield _transcript_conversation(path, author_map)
        progress.advance(1)


def _text_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(f"{directory}: holds no transcript files")
    return files


def _two_file_names(directory: Path) -> list[str]:
    sides = [directory / side for side in _SIDES if (directory / side).is_dir()]
    return sorted({p.name for side in sides for p in _text_files(side)})


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


def _two_file_conversation(directory: Path, file_name: str, author_map: AuthorMap) -> Conversation:
    """Both sides of one predator's chat; a missing side is noted in ``meta``, not guessed."""
    name = Path(file_name).stem
    predator_id = author_map(name)
    people = {
        "predators": Participant(predator_id, "adult", True),
        "officers": Participant(author_map(f"officer-{name}"), "child", False),
    }
    meta: dict[str, object] = {"turn_order": TURN_ORDER_UNKNOWN}
    participants, messages = [], []
    for side in _SIDES:
        path = directory / side / file_name
        if not path.is_file():
            meta["missing"] = f"no {side}/{file_name}"
            continue
        participants.append(people[side])
        author = people[side].author_id
        messages.extend(Message(author, line) for line in read_lines(path) if line.strip())
    return Conversation(
        f"pj-{predator_id}", participants, messages,
        label=1, language="en", source=SOURCE, meta=meta,
    )
