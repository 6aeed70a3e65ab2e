"""The ``groomwatch`` command: one entry point whose sub-commands are the pipeline's stages.

Each stage owns its commands in ``groomwatch/<stage>/cli.py`` and adds them here through
``register(app)``. Heavy libraries (torch, mlflow, the web stack) are imported inside the
commands, so ``groomwatch --help`` stays fast.
"""

from __future__ import annotations

import gc
import sys

import typer

from groomwatch import __version__
from groomwatch.data import cli as data_cli
from groomwatch.data.synth import cli as synth_cli
from groomwatch.errors import GroomwatchError
from groomwatch.evaluation import cli as evaluation_cli
from groomwatch.serving import cli as serving_cli
from groomwatch.training import cli as training_cli

app = typer.Typer(
    name="groomwatch",
    help="Detect online grooming in chat conversations and assess detectors by their error rates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"groomwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Detect online grooming in chat conversations and assess detectors by their error rates."""


for stage in (data_cli, synth_cli, training_cli, evaluation_cli, serving_cli):
    stage.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors print one line, never a traceback."""
    try:
        app(args=argv, prog_name="groomwatch")
    except SystemExit as exc:  # Typer/Click end every run, including --help, with SystemExit
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except GroomwatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return 0


#: First-generation threshold of the cyclic garbage collector for a ``groomwatch`` process.
#: Commands hold batches of records: hundreds of thousands of small acyclic objects that
#: reference counting frees. At Python's default (700 allocations) the collector rescans them
#: all the time: about a fifth of ``groomwatch score``'s CPU time with tfidf-lr (issue 16).
GC_THRESHOLD = 10_000


def entry() -> None:
    """The console script: the CLI with the collector tuned for record batches."""
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    sys.exit(main())
