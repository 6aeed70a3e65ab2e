"""Train/validation/test splits, stratified by label and grouped by offender.

Grouping keeps every conversation of one offender in one split, so a model is never tested on
an offender it was trained on (offender leakage inflates scores). Conversations linked through
a shared offender form one group, and so do the windows cut from one conversation; any other
conversation is its own group. Groups
are placed greedily, largest first, into the split where they least raise the chi-square
distance between the split's label counts and its target share of each label, which keeps each
split's size and label balance close to the targets.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path

from groomwatch.data.io import SPLITS, read_conversations, write_conversations
from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError, InputError

DEFAULT_RATIOS = (0.7, 0.15, 0.15)


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``"0.7,0.15,0.15"`` → a validated ratio triple."""
    try:
        ratios = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--ratios {text!r}: expected three numbers like 0.7,0.15,0.15") from None
    return check_ratios(ratios)


def check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if len(ratios) != len(SPLITS) or any(r <= 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ConfigError(
            f"ratios {tuple(ratios)} must be three positive numbers (train, validation, test) "
            "that sum to 1"
        )
    return (ratios[0], ratios[1], ratios[2])


def offender_groups(conversations: Iterable[Conversation]) -> list[str]:
    """One group key per conversation: conversations sharing any offender share the key.

    The synthetic generator reuses an offender persona's ``author_id`` across conversations,
    so this also groups its conversations by persona. Windows (``groomwatch data window``) of
    one conversation share its key too, so its talk never sits on both sides of a split.
    """
    return group_keys((source_id(c), c.offender_ids) for c in conversations)


def source_id(conv: Conversation) -> str:
    """The ID of the conversation a record was cut from: itself, or a window's source."""
    window = conv.meta.get("window")
    if isinstance(window, dict) and isinstance(window.get("of"), str):
        return window["of"]
    return conv.conversation_id


def group_keys(items: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """Group keys from ``(conversation_id, offender author ids)`` pairs (union-find): items
    with the same conversation ID or a shared offender share a key."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    keys = []
    for conversation_id, offender_ids in items:
        key = f"conversation:{conversation_id}"
        for offender in offender_ids:
            parent[root(f"offender:{offender}")] = root(key)
        keys.append(key)
    return [root(k) for k in keys]


def assign_splits(
    groups: Sequence[Hashable],
    labels: Sequence[int | None],
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
) -> list[str]:
    """The split name of each item, keeping groups whole and label ratios close to the whole's."""
    ratios = check_ratios(ratios)
    members: dict[Hashable, Counter] = {}
    for group, label in zip(groups, labels, strict=True):
        members.setdefault(group, Counter())[label] += 1
    if len(members) < len(SPLITS):
        raise InputError(f"{len(members)} offender group(s) are too few for three splits")
    totals = Counter(labels)
    order = list(members)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -sum(members[g].values()))
    placed = [Counter() for _ in SPLITS]
    split_of: dict[Hashable, int] = {}
    for group in order:
        counts = members[group]
        best = min(
            range(len(SPLITS)),
            key=lambda s: sum(
                (2 * (placed[s][label] - ratios[s] * totals[label]) + n) * n
                / (ratios[s] * totals[label])
                for label, n in counts.items()
            ),
        )
        placed[best].update(counts)
        split_of[group] = best
    empty = [SPLITS[s] for s in range(len(SPLITS)) if not placed[s]]
    if empty:
        raise InputError(f"too few offender groups: the {', '.join(empty)} split would be empty")
    return [SPLITS[split_of[g]] for g in groups]


def split_conversations(
    conversations: Sequence[Conversation],
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
) -> dict[str, list[Conversation]]:
    """Split records into train/validation/test, grouped by offender, stratified by label."""
    names = assign_splits(
        offender_groups(conversations), [c.label for c in conversations], ratios, seed
    )
    splits: dict[str, list[Conversation]] = {name: [] for name in SPLITS}
    for conv, name in zip(conversations, names, strict=True):
        splits[name].append(conv)
    return splits


def split_files(
    sources: Sequence[Path],
    directory: Path,
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
    cap: int | None = None,
) -> dict[str, int]:
    """Mix records files into ``DIR/<split>.jsonl`` without holding the records in memory.

    One pass reads only IDs, labels and offenders to assign the splits (so offender groups hold
    across inputs, and a conversation ID found in two inputs is an error naming both); ``cap``
    keeps at most that many conversations of each input, drawn at random with the seed. One
    more pass per split streams its records into its file (each written atomically). Nothing is
    written before every input has been read. Returns records per split.
    """
    if not sources:
        raise InputError("no input files given (--in FILE, repeatable)")
    repeated = sorted({str(s) for s in sources if list(sources).count(s) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)}: given more than once as --in")
    if cap is not None and cap < 1:
        raise ConfigError(f"--cap must be at least 1 conversation, not {cap}")
    index: list[tuple[str, int | None, list[str], str]] = []
    origin: dict[str, Path] = {}
    chosen: list[set[str]] = []
    for number, source in enumerate(sources):
        ids = _index_file(source, origin, index)
        if cap is not None and len(ids) > cap:
            ids = random.Random(seed * 1_000_003 + number).sample(ids, cap)
        chosen.append(set(ids))
    kept = set().union(*chosen)
    index = [entry for entry in index if entry[0] in kept]
    groups = group_keys((source, offenders) for _, _, offenders, source in index)
    names = assign_splits(groups, [entry[1] for entry in index], ratios, seed)
    split_of = {entry[0]: name for entry, name in zip(index, names, strict=True)}
    return {
        name: write_conversations(
            directory / f"{name}.jsonl",
            (
                c
                for source in sources
                for c in read_conversations(source)
                if split_of.get(c.conversation_id) == name
            ),
        )
        for name in SPLITS
    }


def _index_file(
    source: Path, origin: dict[str, Path], index: list[tuple[str, int | None, list[str], str]]
) -> list[str]:
    """Add one input's (id, label, offenders, source id) to ``index``; returns its IDs."""
    ids = []
    for conv in read_conversations(source):
        conv_id = conv.conversation_id
        if conv_id in origin and origin[conv_id] == source:
            raise InputError(f"{source}: conversation_id {conv_id!r} appears twice")
        if conv_id in origin:
            raise InputError(
                f"conversation_id {conv_id!r} appears in both {origin[conv_id]} and {source}"
            )
        origin[conv_id] = source
        index.append((conv_id, conv.label, conv.offender_ids, source_id(conv)))
        ids.append(conv_id)
    return ids

