"""Lossless conversion between conversation records and Hugging Face ``datasets`` / Parquet rows,
and Parquet files of records (``groomwatch.data.io`` picks this format by file extension).

Arrow needs a fixed schema, so the free-form parts (``meta`` and unknown keys at each level)
travel as JSON strings; everything else is a typed, nested column. A row is validated by the
same ``conversation_from_dict`` as a JSON Lines record.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groomwatch.data.atomic import atomic_output
from groomwatch.data.record import Conversation, RecordError, conversation_from_dict
from groomwatch.errors import InputError

if TYPE_CHECKING:
    import datasets


def features() -> datasets.Features:
    """The explicit ``Features`` of a conversation dataset (nested participants and messages)."""
    from datasets import Features, Value

    return Features(
        {
            "conversation_id": Value("string"),
            "label": Value("int8"),
            "language": Value("string"),
            "source": Value("string"),
            "platform": Value("string"),
            "meta_json": Value("string"),
            "extra_json": Value("string"),
            "participants": [
                {
                    "author_id": Value("string"),
                    "role": Value("string"),
                    "offender": Value("bool"),
                    "extra_json": Value("string"),
                }
            ],
            "messages": [
                {
                    "author_id": Value("string"),
                    "text": Value("string"),
                    "timestamp": Value("string"),
                    "grooming": Value("int8"),
                    "stage": Value("string"),
                    "extra_json": Value("string"),
                }
            ],
        }
    )


def _dump(extra: dict[str, Any]) -> str | None:
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None


def _load(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def conversation_to_row(conv: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conv.conversation_id,
        "label": conv.label,
        "language": conv.language,
        "source": conv.source,
        "platform": conv.platform,
        "meta_json": _dump(conv.meta),
        "extra_json": _dump(conv.extra),
        "participants": [
            {"author_id": p.author_id, "role": p.role, "offender": p.offender,
             "extra_json": _dump(p.extra)}
            for p in conv.participants
        ],
        "messages": [
            {"author_id": m.author_id, "text": m.text, "timestamp": m.timestamp,
             "grooming": m.grooming, "stage": m.stage, "extra_json": _dump(m.extra)}
            for m in conv.messages
        ],
    }


def row_to_conversation(row: dict[str, Any]) -> Conversation:
    """Rebuild (and validate) a record from a dataset or Parquet row."""

    def unpack(item: dict[str, Any]) -> dict[str, Any]:
        record = dict(item)
        extra = record.pop("extra_json", None)
        return {**record, **_load(extra)} if extra else record

    record = unpack(row)
    record["meta"] = _load(record.pop("meta_json", None))
    record["participants"] = [unpack(p) for p in row["participants"]]
    record["messages"] = [unpack(m) for m in row["messages"]]
    return conversation_from_dict(record)


def to_dataset(conversations: Iterable[Conversation]) -> datasets.Dataset:
    from datasets import Dataset

    rows = [conversation_to_row(c) for c in conversations]
    return Dataset.from_list(rows, features=features())


def from_dataset(dataset: datasets.Dataset) -> list[Conversation]:
    return [row_to_conversation(row) for row in dataset]


def write_parquet(
    path: str | Path, conversations: Iterable[Conversation], batch_size: int = 2048
) -> int:
    """Write records to Parquet atomically with the dataset's Arrow schema, in row batches
    so a large import streams to disk instead of being held in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = features().arrow_schema
    count = 0
    with atomic_output(path, "wb") as handle, pq.ParquetWriter(handle, schema) as writer:
        records = iter(conversations)
        while batch := list(itertools.islice(records, batch_size)):
            writer.write_table(
                pa.Table.from_pylist([conversation_to_row(c) for c in batch], schema=schema)
            )
            count += len(batch)
    return count


def read_parquet(path: Path) -> Iterator[Conversation]:
    """Validated records of a Parquet file, streamed in row batches."""
    import pyarrow.parquet as pq

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
