"""Users' own data as CSV, one row per message → conversation records.

Columns: ``conversation_id,author_id,text`` (required), ``timestamp`` and ``label`` (optional;
``label`` is the conversation's label, repeated on its rows, empty when unknown), ``grooming``
and ``stage`` (optional message labels). Any other column is kept as an extra key of the
message. Rows of one conversation need not be adjacent; their order is the message order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from groomwatch.data.importers.common import (
    NoProgress,
    Progress,
    decode_utf8,
    require_file,
    same_id,
)
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import (
    Conversation,
    Message,
    Participant,
    RecordError,
    conversation_from_dict,
)
from groomwatch.errors import InputError

SOURCE = "csv"
REQUIRED = ("conversation_id", "author_id", "text")
_CONVERSATION_COLUMNS = ("conversation_id", "label")


@dataclass
class _Pending:
    """A conversation being collected from its rows."""

    label: int | None
    first_line: int
    authors: dict[str, None] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)


def iter_csv(
    path: Path, *, author_map: AuthorMap = same_id, progress: Progress | None = None
) -> Iterator[Conversation]:
    """Yield one record per conversation id, in order of first appearance."""
    progress = progress or NoProgress()
    require_file(path)
    progress.start(path.stat().st_size, "bytes")
    pending = _collect(path, author_map)
    progress.advance(path.stat().st_size)
    for conv_id, conv in pending.items():
        yield Conversation(
            conv_id,
            [Participant(a) for a in conv.authors],
            conv.messages,
            label=conv.label,
            source=SOURCE,
        )


def _collect(path: Path, author_map: AuthorMap) -> dict[str, _Pending]:
    pending: dict[str, _Pending] = {}
    # Decoded whole (the rows are grouped in memory anyway) so a bad byte's line is exact.
    reader = csv.DictReader(io.StringIO(decode_utf8(path.read_bytes(), path), newline=""))
    try:
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}:1: missing column(s): {', '.join(missing)}")
        for row in reader:
            _add_row(pending, row, path, reader.line_num, author_map)
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    if not pending:
        raise InputError(f"{path}: holds a header but no rows")
    return pending


def _add_row(
    pending: dict[str, _Pending], row: dict, path: Path, line: int, author_map: AuthorMap
) -> None:
    where = f"{path}:{line}"
    if None in row or None in row.values():
        raise InputError(f"{where}: the row does not have one field per header column")
    conv_id = row["conversation_id"].strip()
    author = row["author_id"].strip()
    author_id = author_map(author) if author else ""
    fields = {k: v or None for k, v in row.items() if k not in _CONVERSATION_COLUMNS}
    fields |= {"text": row["text"], "author_id": author_id}
    fields["grooming"] = _as_binary(fields.get("grooming"))
    label = _as_binary(row.get("label") or None)
    try:
        # Validate the row as a one-message record so the error names the line and column.
        single = conversation_from_dict(
            {"conversation_id": conv_id, "label": label,
             "participants": [{"author_id": author_id}], "messages": [fields]}
        )
    except RecordError as exc:
        column = exc.path.rsplit(".", 1)[-1]
        raise InputError(f"{where}: column {column} {exc.problem}") from None
    conv = pending.setdefault(conv_id, _Pending(single.label, line))
    if single.label != conv.label:
        raise InputError(
            f"{where}: label {single.label} disagrees with line {conv.first_line}, "
            f"the first row of conversation {conv_id}"
        )
    conv.authors[author_id] = None
    conv.messages.append(single.messages[0])


def _as_binary(value: str | None) -> int | str | None:
    """"0"/"1" as numbers; anything else is left for validation to reject with a clear message."""
    return int(value) if value in ("0", "1") else value
