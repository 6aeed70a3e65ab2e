"""The `groomwatch data` commands: import corpora, split, and inspect datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from groomwatch.data.io import write_conversations
from groomwatch.data.record import Conversation

data_app = typer.Typer(
    help="Import corpora into the conversation format, split them, and print their statistics.",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import a corpus into conversation records (JSON Lines, or Parquet by extension).",
    no_args_is_help=True,
)
data_app.add_typer(import_app, name="import")

OutFile = Annotated[
    Path, typer.Option("--out", help="Output file (.jsonl, or .parquet); written atomically.")
]
KeyEnv = Annotated[
    str | None,
    typer.Option(
        "--pseudonymise-key-env",
        metavar="VAR",
        help="Replace author IDs by an HMAC-SHA256 pseudonym keyed by environment variable VAR.",
    ),
]


class _AmountColumn(ProgressColumn):
    """Bytes as a download size (e.g. 12.3/146.0 MB), anything else as "done/total unit"."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes, self._count = DownloadColumn(), MofNCompleteColumn()

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if unit == "bytes":
            return self._bytes.render(task)
        return self._count.render(task) + f" {unit}"


class _RichProgress:
    """Adapts an importer's progress reports (see importers.common.Progress) to a rich task."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def start(self, total: int | None, unit: str) -> None:
        self._progress.update(self._task, total=total, unit=unit)

    def advance(self, amount: int) -> None:
        self._progress.advance(self._task, amount)


def _run_import(
    label: str, out: Path, read: Callable[[_RichProgress], Iterable[Conversation]]
) -> None:
    """Stream an importer into ``out`` with a progress bar and a closing summary line."""
    console = Console(stderr=True)
    counts = {"conversations": 0, "messages": 0}

    def counted(conversations: Iterable[Conversation]) -> Iterator[Conversation]:
        for conv in conversations:
            counts["conversations"] += 1
            counts["messages"] += len(conv.messages)
            yield conv

    columns = (
        TextColumn(f"importing {label}"),
        BarColumn(),
        _AmountColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task(label, total=None, unit="")
        write_conversations(out, counted(read(_RichProgress(progress, task))))
    console.print(
        f"wrote {counts['conversations']:,} conversations, {counts['messages']:,} messages "
        f"to {out}",
        highlight=False,
    )


XmlFile = Annotated[Path, typer.Option("--xml", help="PAN12 corpus XML (training or test file).")]
PredatorsFile = Annotated[
    Path, typer.Option("--predators", help="Predator author IDs, one per line (problem 1 truth).")
]
LinesFile = Annotated[
    Path | None,
    typer.Option("--lines", help="Problem-2 truth (conversation id TAB line): message labels."),
]


@import_app.command("pan12")
def import_pan12(
    xml: XmlFile,
    predators: PredatorsFile,
    out: OutFile,
    lines: LinesFile = None,
    pseudonymise_key_env: KeyEnv = None,
) -> None:
    """Import the PAN 2012 sexual predator identification corpus (streamed, flat memory)."""
    from groomwatch.data.importers import pan12

    author_map = _author_map(pseudonymise_key_env)
    predator_ids = pan12.read_predators(predators)
    marked = pan12.read_predatory_lines(lines) if lines else None
    _run_import(
        "pan12",
        out,
        lambda p: pan12.iter_pan12(xml, predator_ids, marked, author_map=author_map, progress=p),
    )


PjDir = Annotated[
    Path,
    typer.Option("--dir", help="Transcript directory: NAME.txt files, or predators/ + officers/."),
]


Strict = Annotated[
    bool,
    typer.Option("--strict", help="Fail on files without a partner instead of warning."),
]


@import_app.command("pj")
def import_pj(
    directory: PjDir, out: OutFile, strict: Strict = False, pseudonymise_key_env: KeyEnv = None
) -> None:
    """Import Perverted-Justice transcripts: one record per offender (label 1; decoys are
    role child). Reads predators/predator_NAME.txt + officers/officer_NAME[_k].txt as published.
    """
    from groomwatch.data.importers.pj import iter_pj

    author_map = _author_map(pseudonymise_key_env)
    _run_import(
        "pj",
        out,
        lambda p: iter_pj(
            directory, author_map=author_map, progress=p, strict=strict, warn=_warn
        ),
    )


def _warn(message: str) -> None:
    """Importer warnings go to stderr, before the progress bar starts."""
    typer.echo(f"warning: {message}", err=True)


NpsDir = Annotated[
    Path, typer.Option("--dir", help="Folder of NPS Chat XML files (one room session each).")
]


Plain = Annotated[
    bool,
    typer.Option(
        "--plain",
        help="Remove the corpus's markup from the text (anonymised user names such as "
        "10-19-20sUser7, the .ACTION prefix), which no other chat carries.",
    ),
]


@import_app.command("nps")
def import_nps(
    directory: NpsDir, out: OutFile, plain: Plain = False, pseudonymise_key_env: KeyEnv = None
) -> None:
    """Import the NPS Chat corpus: one record per room session (label 0, platform chatroom)."""
    from groomwatch.data.importers.nps import iter_nps

    author_map = _author_map(pseudonymise_key_env)
    _run_import(
        "nps", out, lambda p: iter_nps(directory, author_map=author_map, progress=p, plain=plain)
    )


Limit = Annotated[
    int | None, typer.Option("--limit", min=1, help="Import only the first N conversations.")
]


@import_app.command("chitchat")
def import_chitchat(
    out: OutFile, limit: Limit = None, pseudonymise_key_env: KeyEnv = None
) -> None:
    """Import the BYU Chit-Chat corpus shipped in the chitchat-dataset package (label 0)."""
    from groomwatch.data.importers.chitchat import iter_chitchat

    author_map = _author_map(pseudonymise_key_env)
    _run_import(
        "chitchat", out, lambda p: iter_chitchat(limit=limit, author_map=author_map, progress=p)
    )


CsvFile = Annotated[
    Path,
    typer.Option("--in", help="Messages CSV with a header row, one row per message."),
]


@import_app.command("csv")
def import_csv(csv_file: CsvFile, out: OutFile, pseudonymise_key_env: KeyEnv = None) -> None:
    """Import your own messages from CSV.

    Required columns: conversation_id, author_id, text.
    Optional: timestamp (ISO 8601), label (conversation 0/1), grooming, stage; others are kept.
    """
    from groomwatch.data.importers.csv_messages import iter_csv

    author_map = _author_map(pseudonymise_key_env)
    _run_import("csv", out, lambda p: iter_csv(csv_file, author_map=author_map, progress=p))


def _author_map(variable: str | None) -> Callable[[str], str]:
    from groomwatch.data.importers.common import same_id
    from groomwatch.data.pseudonymise import pseudonymiser_from_env

    return pseudonymiser_from_env(variable) or same_id


SplitInput = Annotated[
    list[Path],
    typer.Option(
        "--in",
        help="Records to split (.jsonl or .parquet); repeat to mix corpora (offender groups hold "
        "across inputs; a conversation ID in two inputs is an error).",
    ),
]
SplitDir = Annotated[
    Path, typer.Option("--out", help="Directory for train/validation/test.jsonl.")
]
Ratios = Annotated[
    str, typer.Option("--ratios", help="Train, validation and test shares, summing to 1.")
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the group shuffle and the --cap draw.")]
Cap = Annotated[
    int | None,
    typer.Option("--cap", help="At most N conversations from each input, drawn with the seed."),
]


@data_app.command("split")
def split(
    sources: SplitInput,
    out: SplitDir,
    ratios: Ratios = "0.7,0.15,0.15",
    seed: Seed = 0,
    cap: Cap = None,
) -> None:
    """Split into train/validation/test, stratified by label and grouped by offender."""
    from groomwatch.data.split import parse_ratios, split_files

    counts = split_files(sources, out, parse_ratios(ratios), seed, cap)
    for name, count in counts.items():
        typer.echo(f"{name}: {count:,} conversations → {out / f'{name}.jsonl'}")


WindowInput = Annotated[Path, typer.Option("--in", help="Records to cut (.jsonl or .parquet).")]
WindowOut = Annotated[Path, typer.Option("--out", help="Output records file; written atomically.")]
WindowSize = Annotated[int, typer.Option("--size", help="Messages per window.")]
WindowStride = Annotated[
    int | None, typer.Option("--stride", help="Messages between window starts (default: --size).")
]
WindowBy = Annotated[
    str,
    typer.Option(
        "--by",
        help="conversation: consecutive messages of all speakers; author: one author's own "
        "messages per window (for logs whose turn order is lost, such as PJ).",
    ),
]


OffendersOnly = Annotated[
    bool,
    typer.Option(
        "--offenders-only",
        help="With --by author: keep only offenders' windows (a PJ decoy's lines carry label 1 "
        "but are not grooming).",
    ),
]


@data_app.command("window")
def window(
    source: WindowInput,
    out: WindowOut,
    size: WindowSize,
    stride: WindowStride = None,
    by: WindowBy = "conversation",
    offenders_only: OffendersOnly = False,
) -> None:
    """Cut long conversations into windows of N messages (records ID-wK; labels carry over)."""
    from groomwatch.data.window import window_file

    count = window_file(source, out, size, stride, by, offenders_only)
    typer.echo(f"wrote {count:,} windows to {out}")


StatsPath = Annotated[Path, typer.Argument(help="A records file, or a split directory.")]


@data_app.command("stats")
def stats(path: StatsPath) -> None:
    """Print conversations, messages, label balance, languages, sources and length percentiles."""
    from groomwatch.data.stats import print_stats

    print_stats(path)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `groomwatch` app."""
    app.add_typer(data_app, name="data")
