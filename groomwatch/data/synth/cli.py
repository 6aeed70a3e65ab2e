"""The `groomwatch synth` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `groomwatch` app."""
    app.command("synth")(synth)


def synth(
    n: Annotated[
        int | None, typer.Option("--n", help="Number of conversations [default: 5000].")
    ] = None,
    prevalence: Annotated[
        float | None, typer.Option(help="Share of grooming conversations, 0–1 [default: 0.1].")
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option(help="Comma-separated language codes [default: en,de,fr,es,nl,pl]."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed: same seed and config, same files [default: 7].")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("data/synth"),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="YAML file setting any generator knob; options given here win."
        ),
    ] = None,
) -> None:
    """Generate synthetic, non-explicit grooming and benign conversations.

    Writes train.jsonl, validation.jsonl and test.jsonl (grouped by offender persona) and a
    dataset card README.md with counts, distributions and the shortcut audit.
    """
    from rich.console import Console
    from rich.progress import Progress

    from groomwatch.data.io import atomic_output, write_conversations
    from groomwatch.data.split import split_conversations
    from groomwatch.data.synth import GENERATOR_VERSION, iter_conversations
    from groomwatch.data.synth.audit import run_audit
    from groomwatch.data.synth.card import render_card
    from groomwatch.data.synth.config import config_from_dict, load_config, parse_languages
    from groomwatch.data.synth.generate import paused_gc
    from groomwatch.errors import InputError

    overrides = {
        key: value
        for key, value in (
            ("n", n),
            ("prevalence", prevalence),
            ("seed", seed),
            ("languages", parse_languages(languages) if languages is not None else None),
        )
        if value is not None
    }
    settings = load_config(config, **overrides) if config else config_from_dict(overrides)
    console = Console(stderr=True)
    conversations = []
    with Progress(console=console, transient=True) as progress, paused_gc():
        task = progress.add_task("generating", total=settings.n)
        for conv in iter_conversations(settings):
            conversations.append(conv)
            progress.advance(task)
    splits = split_conversations(conversations, settings.split, settings.seed)
    paths = {name: out / f"{name}.jsonl" for name in splits}
    for name, convs in splits.items():
        write_conversations(paths[name], convs)
    with console.status("running the shortcut audit"):
        try:
            audit = run_audit(splits["train"], splits["test"], settings.seed)
        except InputError:
            audit = None
    with atomic_output(out / "README.md") as handle:
        handle.write(render_card(settings, splits, audit, GENERATOR_VERSION))
    for name, path in paths.items():
        console.print(f"{name}: {len(splits[name])} conversations → {path}")
    if audit is not None:
        console.print(
            f"shortcut audit {audit.verdict}: shallow ROC-AUC {audit.shallow_auc:.3f}, "
            f"{len(audit.markers)} marker term(s); card → {out / 'README.md'}"
        )
        if audit.inconclusive_reason is not None:
            console.print(f"  not meaningful at this size: {audit.inconclusive_reason}")
