"""Read and write conversation records as JSON Lines or Parquet (chosen by file extension).

Reading validates every record and names the file, line and field of the first mistake.
Writing goes to a temporary file that is renamed on success, so a failed run never leaves
a partial output behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from groomwatch.data.record import Conversation, RecordError, conversation_from_dict
from groomwatch.errors import InputError

SPLITS = ("train", "validation", "test")
_PARQUET = (".parquet", ".pq")


def is_parquet(path: str | Path) -> bool:
    return Path(path).suffix.lower() in _PARQUET


def read_conversations(path: str | Path) -> Iterator[Conversation]:
    """Yield validated records from a .jsonl or .parquet file, streaming JSON Lines."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if is_parquet(path):
        yield from _read_parquet(path)
        return
    yield from _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[Conversation]:
    seen_any = False
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid UTF-8 ({exc.reason})") from None
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            yield _validated(data, f"{path}:{number}")
            seen_any = True
    if not seen_any:
        raise InputError(f"{path}: holds no conversation records")


def _read_parquet(path: Path) -> Iterator[Conversation]:
    import pyarrow.parquet as pq

    from groomwatch.data.hf import row_to_conversation

    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    row_number = 0
    for batch in table.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            row_number += 1
            try:
                yield row_to_conversation(row)
            except (RecordError, KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path}: row {row_number}: {exc}") from None
    if row_number == 0:
        raise InputError(f"{path}: holds no conversation records")


def _validated(data: object, where: str) -> Conversation:
    try:
        return conversation_from_dict(data)
    except RecordError as exc:
        raise InputError(f"{where}: {exc}") from None


def load_conversations(path: str | Path) -> list[Conversation]:
    """All records of a file, with conversation IDs checked for uniqueness."""
    conversations = list(read_conversations(path))
    seen: set[str] = set()
    for conv in conversations:
        if conv.conversation_id in seen:
            raise InputError(f"{path}: conversation_id {conv.conversation_id!r} appears twice")
        seen.add(conv.conversation_id)
    return conversations


def find_split(directory: str | Path, split: str) -> Path:
    """The file of one split in a split directory (``train.jsonl`` or ``train.parquet``)."""
    directory = Path(directory)
    for suffix in (".jsonl", ".parquet"):
        candidate = directory / f"{split}{suffix}"
        if candidate.is_file():
            return candidate
    raise InputError(
        f"{directory}: no {split}.jsonl or {split}.parquet (run `groomwatch data split`)"
    )


def load_split(directory: str | Path, split: str) -> list[Conversation]:
    return load_conversations(find_split(directory, split))


@contextlib.contextmanager
def atomic_output(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_conversations(path: str | Path, conversations: Iterable[Conversation]) -> int:
    """Write records atomically; returns how many were written."""
    if is_parquet(path):
        from groomwatch.data.hf import write_parquet

        return write_parquet(path, conversations)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    count = 0
    with atomic_output(path) as handle:
        for conv in conversations:
            handle.write(encode(conv.to_dict()) + "\n")
            count += 1
    return count
