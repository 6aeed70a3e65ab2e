"""Commands of the training stage: ``groomwatch train`` and ``groomwatch score``."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from groomwatch.data.io import is_parquet, read_conversations
from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError, InputError
from groomwatch.training.config import TrainConfig, load_config, shipped_config_for

if TYPE_CHECKING:
    import pandas as pd

console = Console(stderr=True)


def train(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            help="A YAML config file, a shipped config's name (tfidf, embedding, static, "
            "finetune, exemplar) or the detector it trains (tfidf-lr, ...). "
            "Default: the shipped config of --model, else tfidf.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Detector to train (e.g. tfidf-lr); must match config."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Split directory holding train.jsonl and validation.jsonl."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Model directory to write (default models/NAME).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed for every random generator.")
    ] = None,
    cv: Annotated[
        int | None,
        typer.Option(
            "--cv",
            help="Instead of training one model, run K-fold cross-validation grouped by offender "
            "and report each metric's mean and spread.",
        ),
    ] = None,
) -> None:
    """Train a detector, set its threshold on validation, write it with a model card, log to MLflow.

    Every value in the config can be overridden by the flags. Tracking goes to
    MLFLOW_TRACKING_URI, or to ./mlflow.db when unset.
    """
    chosen = config or (shipped_config_for(model) if model else "tfidf")
    settings = load_config(chosen)
    if model and model != settings.model:
        raise ConfigError(
            f"config {chosen!r} trains {settings.model!r}, not {model!r}; "
            f"drop --model or use a config for {model!r}"
        )
    settings = settings.with_overrides(data=data, out=out, seed=seed)
    if cv is not None:
        _cross_validate(settings, cv)
        return
    from groomwatch.training.run import train as run_training

    with console.status("training") as status:
        result = run_training(settings, report=lambda step: status.update(step))
    table = Table(title=f"{settings.model}: validation metrics (95% intervals)")
    for column in ("metric", "value", "interval", "method"):
        table.add_column(column)
    for name, e in result.metrics.items():
        table.add_row(name, f"{e.value:.3f}", f"[{e.low:.3f}, {e.high:.3f}]", e.method)
    Console().print(table)
    typer.echo(f"threshold {result.threshold:.6g} ({settings.threshold.describe()})")
    typer.echo(f"model written to {result.out_dir} (model card: {result.out_dir}/MODEL_CARD.md)")
    typer.echo(f"MLflow run {result.run_id}; registered model {result.model_uri}")


def _cross_validate(settings: TrainConfig, k: int) -> None:
    from groomwatch.training.cv import cross_validate

    with console.status("cross-validating") as status:
        result = cross_validate(settings, k, report=lambda step: status.update(step))
    table = Table(title=f"{settings.model}: {k}-fold cross-validation grouped by offender")
    for column in ("metric", "mean", "std", "min", "max"):
        table.add_column(column)
    for name, stats in result.summary().items():
        table.add_row(name, *(f"{stats[s]:.3f}" for s in ("mean", "std", "min", "max")))
    Console().print(table)


def score(
    model: Annotated[Path, typer.Option("--model", "-m", help="A trained model directory.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Conversations to score (.jsonl or .parquet); with --engine ray also a "
            "quoted glob.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="CSV file to write (default predictions.csv); with --engine ray a new directory "
            "of Parquet files (default predictions/).",
        ),
    ] = None,
    authors: Annotated[
        bool,
        typer.Option("--authors", help="One row per participant, with author_id and their score."),
    ] = False,
    early: Annotated[
        bool, typer.Option("--early", help="Add warning_at: messages seen when the warning fired.")
    ] = False,
    early_s: Annotated[
        int | None,
        typer.Option("--early-s", help="Warn once this many of the last 10 window scores pass."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Conversations scored per batch.")
    ] = 1000,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local (this process) or ray (Ray Data actors; pip install 'groomwatch[ray]').",
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --engine ray: cluster to join (host:port or auto); default a local Ray.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, help="With --engine ray: scoring actors, one CPU each."),
    ] = 2,
) -> None:
    """Score conversations; write conversation_id,score,flag (+author_id, +warning_at) as CSV."""
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be local or ray, not {engine!r}")
    if engine == "ray":
        from groomwatch.training.distributed import score_with_ray

        with console.status("scoring on Ray"):
            summary = score_with_ray(
                model, str(data), out or Path("predictions"), address=address,
                num_workers=workers, batch_size=batch_size,
                authors=authors, early=early, early_s=early_s,
            )
        typer.echo(str(summary))
        return
    if address is not None:
        raise ConfigError("--address needs --engine ray")
    out = out or Path("predictions.csv")
    from groomwatch.models.registry import load_detector
    from groomwatch.training.predict import predict, write_predictions

    detector = load_detector(model)
    total = _count_records(data)
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("scoring", total=total)

        def frames() -> Iterator[pd.DataFrame]:
            for batch in _batches(read_conversations(data), batch_size):
                yield predict(detector, batch, authors=authors, early=early, early_s=early_s)
                progress.advance(task, len(batch))

        rows = write_predictions(frames(), out)
    typer.echo(f"wrote {rows} rows for {total} conversations to {out}")


def _batches(conversations: Iterator[Conversation], size: int) -> Iterator[list[Conversation]]:
    """Batches of records, refusing a conversation_id seen before (its rows would be ambiguous)."""
    seen: set[str] = set()
    while batch := list(islice(conversations, size)):
        for conv in batch:
            if conv.conversation_id in seen:
                raise InputError(f"conversation_id {conv.conversation_id!r} appears twice")
            seen.add(conv.conversation_id)
        yield batch


def _count_records(path: Path) -> int:
    """How many records a file holds, cheaply, for the progress bar."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if is_parquet(path):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `groomwatch` app."""
    app.command("train")(train)
    app.command("score")(score)
