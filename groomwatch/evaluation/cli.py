"""Commands of the evaluation stage: `groomwatch assess` and `groomwatch compare`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from groomwatch.errors import ConfigError
from groomwatch.evaluation.defaults import (
    DEFAULT_BASE_RATE,
    DEFAULT_HANDLING_MINUTES,
    DEFAULT_PERTURB_RATE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    DEFAULT_VOLUME,
)

ASSESS_HELP = "\n\n".join((
    "Assess a detection technology by its error rates, with intervals, at scale.",
    "Give the technology's scores as --predictions (CSV: conversation_id,score and optionally "
    "flag, author_id, warning_at; any technology) or a saved detector as --model. The decision "
    "assessed is --threshold, --target-fpr (lowest threshold whose FPR upper 95% bound is <= F) "
    "or the CSV's flag column. Writes report.json (schema: --schema), report.html and report.md "
    "under --out. Two --predictions files are each assessed and then compared (paired bootstrap "
    "+ McNemar).",
    "report.json records its provenance: SHA-256, size and count of every input file, the "
    "options, and the code and library versions. --reproduce reports/NAME hashes the recorded "
    "inputs again, re-runs with the recorded options and compares every figure exactly.",
    "Exit codes: 0 done (with --reproduce: every figure equal); 1 --reproduce found an input "
    "file that changed or a figure that differs, each listed by name; 2 a user error such as a "
    "bad option or a missing or malformed input file (one line: error: ...).",
))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@contextlib.contextmanager
def rich_progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for the long loops (bootstrap, perturbation re-scoring)."""
    from rich.console import Console
    from rich.progress import Progress

    if total <= 0:
        yield lambda: None
        return
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def _print_headline(report: dict, paths: dict[str, Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    from groomwatch.evaluation import format as fmt

    table = Table(title=f"Assessment ({report['n']:,} {report['level']}s, "
                        f"{fmt.threshold_text(report)})")
    for column in ("measure", "value", "95% interval"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for row in fmt.headline_rows(report):
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print(fmt.projection_sentence(report))
    console.print(f"report: {paths['report.html']}")


def _given(ctx: typer.Context) -> list[str]:
    """The options typed on the command line (or set in the environment), not defaulted."""
    # compared by name: typer may bring its own copy of click's ParameterSource enum
    sources = {name: ctx.get_parameter_source(name) for name in ctx.params}
    return [name for name, source in sources.items()
            if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")]


def _reproduce(directory: Path) -> None:
    """Run --reproduce and print its verdict; exit 1 unless every figure is equal."""
    from groomwatch.evaluation.reproduce import reproduce

    result = reproduce(directory, progress=rich_progress)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if result.changed_inputs:
        typer.echo(f"not reproduced: {len(result.changed_inputs)} input file(s) changed since "
                   "the report was computed:")
    elif result.differing:
        typer.echo(f"not reproduced: {len(result.differing)} figure(s) differ "
                   f"({result.n_equal} equal):")
    for line in result.changed_inputs or result.differing:
        typer.echo(f"  {line}")
    if not result.ok:
        raise typer.Exit(1)
    typer.echo(f"reproduced: {result.n_equal} figures equal")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `groomwatch` app."""

    @app.command(help=ASSESS_HELP)
    def assess(
        ctx: typer.Context,
        predictions: Annotated[list[Path] | None, typer.Option(
            "--predictions", "-p", help="Predictions CSV; give it twice to compare two.")] = None,
        data: Annotated[Path | None, typer.Option(
            "--data", "-d", help="Labelled conversations (.jsonl or .parquet).")] = None,
        model: Annotated[Path | None, typer.Option(
            "--model", "-m", help="Saved detector to score --data with.")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", "-o", help="Report directory, e.g. reports/NAME.")] = None,
        threshold: Annotated[float | None, typer.Option(
            help="Flag when score >= this.")] = None,
        target_fpr: Annotated[float | None, typer.Option(
            help="Use the lowest threshold whose FPR upper 95% bound is <= this.")] = None,
        base_rate: Annotated[float, typer.Option(
            help="Share of real conversations that are grooming.")] = DEFAULT_BASE_RATE,
        volume: Annotated[float, typer.Option(
            help="Conversations scanned per day.")] = DEFAULT_VOLUME,
        handling_minutes: Annotated[float, typer.Option(
            help="Reviewer minutes per flag.")] = DEFAULT_HANDLING_MINUTES,
        group_by: Annotated[str | None, typer.Option(
            help="Comma-separated record fields or meta keys, e.g. language,platform.")] = None,
        level: Annotated[str, typer.Option(
            help="conversation, or author (offender identification, PAN12 task 1).")
        ] = "conversation",
        perturb: Annotated[str | None, typer.Option(
            help="With --model: comma-separated perturbations, e.g. typos,leet,emoji.")] = None,
        perturb_rate: Annotated[float, typer.Option(
            help="Perturbation strength (see groomwatch.data.perturb).")] = DEFAULT_PERTURB_RATE,
        early: Annotated[bool, typer.Option(
            help="With --model: run the eSPD early-warning rule too.")] = False,
        resamples: Annotated[int, typer.Option(
            help="Bootstrap resamples (0 for none).")] = DEFAULT_RESAMPLES,
        seed: Annotated[int, typer.Option(
            help="Seed of the bootstrap and the perturbations.")] = DEFAULT_SEED,
        mlflow: Annotated[bool, typer.Option(
            "--mlflow", help="Log to MLflow (done anyway when a run is active).")] = False,
        schema: Annotated[bool, typer.Option(
            "--schema", help="Print the report's JSON Schema and exit.")] = False,
        reproduce: Annotated[Path | None, typer.Option(
            "--reproduce", metavar="DIR",
            help="Re-run the report in DIR from its recorded inputs and options; exit 0 when "
                 "every figure is equal, 1 listing what changed.")] = None,
    ) -> None:
        if schema:
            from groomwatch.evaluation.schema import report_schema

            typer.echo(json.dumps(report_schema(), indent=2, ensure_ascii=False))
            return
        if reproduce is not None:
            others = [name for name in _given(ctx) if name != "reproduce"]
            if others:
                raise ConfigError("--reproduce re-runs the recorded options; give no other "
                                  f"option (got --{others[0].replace('_', '-')})")
            _reproduce(reproduce)
            return
        if data is None or out is None:
            raise ConfigError("assess needs --data and --out (and --predictions or --model)")
        from groomwatch.evaluation.assess import Request, command_line, run
        from groomwatch.evaluation.deployment import Assumptions

        request = Request(
            data=data, out=out, predictions=list(predictions or []), model=model,
            threshold=threshold, target_fpr=target_fpr,
            assumptions=Assumptions(base_rate, volume, handling_minutes),
            group_by=_split(group_by), level=level, perturb=_split(perturb),
            perturb_rate=perturb_rate, early=early, n_resamples=resamples, seed=seed,
            mlflow=mlflow,
        )
        request.command = command_line(request.options(), _given(ctx)) + (
            " --mlflow" if mlflow else "")
        result = run(request, progress=rich_progress)
        for report, paths in result["reports"]:
            _print_headline(report, paths)
        if "comparison" in result:
            comparison, paths = result["comparison"]
            typer.echo(comparison["verdict"])
            typer.echo(f"comparison: {paths['md']}")

    @app.command("compare")
    def compare_command(
        first: Annotated[Path, typer.Argument(help="Report directory of technology A.")],
        second: Annotated[Path, typer.Argument(help="Report directory of technology B.")],
        out: Annotated[Path | None, typer.Option(
            "--out", "-o", help="Also write comparison.json and comparison.md here.")] = None,
        resamples: Annotated[int, typer.Option(
            help="Paired bootstrap resamples.")] = DEFAULT_RESAMPLES,
        seed: Annotated[int, typer.Option(help="Seed of the paired bootstrap.")] = DEFAULT_SEED,
        allow_different_data: Annotated[bool, typer.Option(
            "--allow-different-data",
            help="Compare even when the reports' labelled data differ (by SHA-256).")] = False,
    ) -> None:
        """Compare two assessed technologies on the same data, with paired tests.

        Paired bootstrap of the ROC-AUC difference, McNemar's exact test on the decisions,
        a side-by-side table and a verdict sentence with p-values. Refuses reports computed on
        different labelled data (their recorded SHA-256) unless --allow-different-data;
        comparison.json records both reports' provenance.
        """
        from groomwatch.evaluation.assess import write_comparison
        from groomwatch.evaluation.compare import compare, comparison_markdown, load_report_dir

        loaded = [load_report_dir(d) for d in (first, second)]
        names = (first.name, second.name) if first.name != second.name else ("A", "B")
        with rich_progress("paired bootstrap", resamples) as advance:
            result = compare((loaded[0][0], loaded[1][0]), (loaded[0][1], loaded[1][1]), names,
                             n_resamples=resamples, seed=seed, directories=(first, second),
                             allow_different_data=allow_different_data, progress=advance)
        typer.echo(comparison_markdown(result))
        if out is not None:
            paths = write_comparison(out, result)
            typer.echo(f"comparison: {paths['md']}")
