"""Read and write conversation records as JSON Lines or Parquet (chosen by file extension).

Reading validates every record and names the file, line and field of the first mistake.
JSON Lines are decoded by msgspec (C, a few times faster than the standard library); a line
it refuses is decoded again by the standard library, so blank lines, bad UTF-8, bad JSON and
lone surrogate escapes get the same handling and messages as ever. Every decoded object goes
through the one validation path, ``conversation_from_dict``. Writing goes to a temporary file
that is renamed on success, so a failed run never leaves a partial output behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from groomwatch.data.atomic import atomic_output
from groomwatch.data.hf import read_parquet, write_parquet
from groomwatch.data.record import Conversation, RecordError, conversation_from_dict
from groomwatch.errors import InputError

__all__ = [
    "SPLITS", "atomic_output", "find_split", "is_parquet", "load_conversations", "load_split",
    "read_conversations", "write_conversations",
]

SPLITS = ("train", "validation", "test")
_PARQUET = (".parquet", ".pq")
_decode = msgspec.json.Decoder().decode
#: what a line with nothing but whitespace decodes to: no record
_BLANK = object()


def is_parquet(path: str | Path) -> bool:
    return Path(path).suffix.lower() in _PARQUET


def read_conversations(path: str | Path) -> Iterator[Conversation]:
    """Yield validated records from a .jsonl or .parquet file, streaming JSON Lines."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if is_parquet(path):
        yield from read_parquet(path)
        return
    yield from _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[Conversation]:
    seen_any = False
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                data = _decode(raw)
            except msgspec.DecodeError:
                data = _decode_exactly(raw, f"{path}:{number}")
                if data is _BLANK:
                    continue
            try:
                yield conversation_from_dict(data)
            except RecordError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
            seen_any = True
    if not seen_any:
        raise InputError(f"{path}: holds no conversation records")


def _decode_exactly(raw: bytes, where: str) -> object:
    """The standard library's reading of a line msgspec refused, or the reason it is no JSON."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not valid UTF-8 ({exc.reason})") from None
    if not line.strip():
        return _BLANK
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from None


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


def write_conversations(path: str | Path, conversations: Iterable[Conversation]) -> int:
    """Write records atomically; returns how many were written."""
    if is_parquet(path):
        return write_parquet(path, conversations)
    encode = msgspec.json.Encoder().encode
    count = 0
    with atomic_output(path, "wb") as handle:
        for conv in conversations:
            handle.write(encode(conv.to_dict()) + b"\n")
            count += 1
    return count
