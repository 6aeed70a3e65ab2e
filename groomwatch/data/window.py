"""Cut long conversations into windows of a fixed number of messages.

A 3,000-message Perverted-Justice log trained against a 40-message chat teaches a model length,
not grooming; windows of the same size on both sides take that cue away. Two views:

* ``by="conversation"``: consecutive messages of the conversation, every speaker included;
* ``by="author"``: each participant's own messages, one author per window (PAN12 task 1
  style). It is the only honest view of logs whose turn order is lost, such as PJ's.

Window ``k`` (counted from 1 over the whole conversation) is a valid record ``ID-wk``. Label,
language, source, platform and the source's ``meta`` carry over; the participants are those who
speak in the window, with their role and offender flag. ``meta.window`` says where it came from:
``{"of": ID, "by": ..., "start": i, "end": j}`` with ``[i, j)`` indexing the conversation's
messages, or for ``by="author"`` that author's own messages (then ``"author"`` names them).
The last window of a sequence may be shorter than ``size``; a window is never wholly contained
in the one before it. ``offenders_only`` (with ``by="author"``) keeps only offenders' windows:
a PJ decoy's lines carry the conversation's label 1 but are not the grooming. The same input
always gives the same output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from groomwatch.data.io import read_conversations, write_conversations
from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError

VIEWS = ("conversation", "author")


def check_window(
    size: int, stride: int | None, by: str, offenders_only: bool = False
) -> int:
    """Validate the window options; returns the stride (``size`` when not given)."""
    if size < 1:
        raise ConfigError(f"--size must be at least 1 message, not {size}")
    stride = size if stride is None else stride
    if stride < 1:
        raise ConfigError(f"--stride must be at least 1 message, not {stride}")
    if by not in VIEWS:
        raise ConfigError(f"--by must be one of {', '.join(VIEWS)}, not {by!r}")
    if offenders_only and by != "author":
        raise ConfigError("--offenders-only needs --by author (a window of the whole "
                          "conversation holds everyone's lines)")
    return stride


def spans(length: int, size: int, stride: int) -> list[tuple[int, int]]:
    """``[start, end)`` of each window over ``length`` items; the last reaches the end."""
    result = []
    for start in range(0, length, stride):
        result.append((start, min(start + size, length)))
        if start + size >= length:
            break
    return result


def windows(
    conv: Conversation,
    size: int,
    stride: int | None = None,
    by: str = "conversation",
    offenders_only: bool = False,
) -> list[Conversation]:
    """The windows of one conversation (see the module docstring)."""
    stride = check_window(size, stride, by, offenders_only)
    if by == "conversation":
        sequences: list[tuple[str | None, list[Message]]] = [(None, conv.messages)]
    else:
        sequences = [
            (p.author_id, [m for m in conv.messages if m.author_id == p.author_id])
            for p in conv.participants
            if p.offender or not offenders_only
        ]
    result = []
    for author, messages in sequences:
        for start, end in spans(len(messages), size, stride):
            where: dict[str, object] = {"of": conv.conversation_id, "by": by}
            if author is not None:
                where["author"] = author
            span = where | {"start": start, "end": end}
            result.append(_window(conv, len(result) + 1, messages[start:end], span))
    return result


def _window(
    conv: Conversation, number: int, messages: Sequence[Message], where: dict[str, object]
) -> Conversation:
    speakers = {m.author_id for m in messages}
    return Conversation(
        f"{conv.conversation_id}-w{number}",
        [p for p in conv.participants if p.author_id in speakers],
        list(messages),
        label=conv.label,
        language=conv.language,
        source=conv.source,
        platform=conv.platform,
        meta={**conv.meta, "window": where},
    )


def iter_windows(
    conversations: Iterable[Conversation],
    size: int,
    stride: int | None = None,
    by: str = "conversation",
    offenders_only: bool = False,
) -> Iterator[Conversation]:
    """Windows of every conversation, in input order."""
    check_window(size, stride, by, offenders_only)
    for conv in conversations:
        yield from windows(conv, size, stride, by, offenders_only)


def window_file(
    source: Path,
    out: Path,
    size: int,
    stride: int | None = None,
    by: str = "conversation",
    offenders_only: bool = False,
) -> int:
    """Window a records file into ``out`` (atomic); returns how many windows were written."""
    check_window(size, stride, by, offenders_only)
    conversations = read_conversations(source)
    return write_conversations(
        out, iter_windows(conversations, size, stride, by, offenders_only)
    )
