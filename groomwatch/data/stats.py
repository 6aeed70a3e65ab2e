"""Summary numbers of a dataset file or split directory, to check an import or split at a glance.

Statistics stream over the records (only per-message lengths are kept), so large imports can be
inspected. Lengths are in characters (messages) and messages (conversations).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from groomwatch.data.io import SPLITS, find_split, read_conversations
from groomwatch.data.record import Conversation
from groomwatch.errors import InputError

PERCENTILES = (5, 25, 50, 75, 95, 99)


@dataclass
class DatasetStats:
    conversations: int = 0
    messages: int = 0
    labels: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    platforms: Counter = field(default_factory=Counter)
    #: (source, label) → conversations, to see what each corpus of a mix contributes
    source_labels: Counter = field(default_factory=Counter)
    message_chars: array = field(default_factory=lambda: array("L"))
    conversation_messages: array = field(default_factory=lambda: array("L"))

    def add(self, conv: Conversation) -> None:
        self.conversations += 1
        self.messages += len(conv.messages)
        self.labels[conv.label] += 1
        self.languages[conv.language] += 1
        self.sources[conv.source] += 1
        self.platforms[conv.platform] += 1
        self.source_labels[(conv.source, conv.label)] += 1
        self.message_chars.extend(len(m.text) for m in conv.messages)
        self.conversation_messages.append(len(conv.messages))


def percentiles(values: array) -> dict[int, float]:
    """The PERCENTILES of ``values`` (empty when there are none)."""
    if not values:
        return {}
    points = np.percentile(np.asarray(values), PERCENTILES)
    return dict(zip(PERCENTILES, (float(p) for p in points), strict=True))


def compute_stats(conversations: Iterable[Conversation]) -> DatasetStats:
    stats = DatasetStats()
    for conv in conversations:
        stats.add(conv)
    return stats


def dataset_files(path: Path) -> dict[str, Path]:
    """``{name: file}``: the file itself, or each split file present in a split directory."""
    if path.is_file():
        return {path.name: path}
    if not path.is_dir():
        raise InputError(f"{path}: no such file or directory")
    files = {}
    for split in SPLITS:
        try:
            files[split] = find_split(path, split)
        except InputError:
            continue
    if not files:
        raise InputError(f"{path}: holds no train/validation/test .jsonl or .parquet files")
    return files


def _share(counter: Counter, total: int) -> str:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return ", ".join(
        f"{'null' if key is None else key}: {n:,} ({100 * n / total:.1f}%)" for key, n in ranked
    )


def labels_by_source(stats: DatasetStats) -> str:
    """``pj: 525 (label 1: 525); nps: 15 (label 0: 15)``, largest source first."""
    parts = []
    for source, total in stats.sources.most_common():
        labels = sorted(
            ((label, n) for (s, label), n in stats.source_labels.items() if s == source),
            key=lambda kv: str(kv[0]),
        )
        shares = ", ".join(f"label {'null' if k is None else k}: {n:,}" for k, n in labels)
        parts.append(f"{'null' if source is None else source}: {total:,} ({shares})")
    return "; ".join(parts)


def stats_table(name: str, stats: DatasetStats) -> Table:
    table = Table(title=name, show_header=False, title_justify="left")
    table.add_column("measure", style="bold")
    table.add_column("value")
    table.add_row("conversations", f"{stats.conversations:,}")
    table.add_row("messages", f"{stats.messages:,}")
    for title, counter in (
        ("labels", stats.labels),
        ("languages", stats.languages),
        ("sources", stats.sources),
        ("platforms", stats.platforms),
    ):
        table.add_row(title, _share(counter, stats.conversations))
    table.add_row("labels by source", labels_by_source(stats))
    for title, values in (
        ("message length (chars)", stats.message_chars),
        ("conversation length (messages)", stats.conversation_messages),
    ):
        points = percentiles(values)
        table.add_row(title, "  ".join(f"p{p}={v:g}" for p, v in points.items()) or "-")
    return table


def print_stats(path: Path, console: Console | None = None) -> dict[str, DatasetStats]:
    """Compute and print one table per file (per split for a split directory)."""
    console = console or Console()
    results = {}
    for name, file in dataset_files(path).items():
        results[name] = compute_stats(read_conversations(file))
        console.print(stats_table(name, results[name]))
    return results
