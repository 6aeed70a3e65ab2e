"""Run an assessment end to end: predictions (read or scored) → joined items → report files."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import shlex
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from groomwatch.data.io import atomic_output, load_conversations
from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError
from groomwatch.evaluation.compare import compare, comparison_markdown
from groomwatch.evaluation.defaults import DEFAULT_PERTURB_RATE, DEFAULT_RESAMPLES, DEFAULT_SEED
from groomwatch.evaluation.deployment import Assumptions
from groomwatch.evaluation.html import find_cards, render_html
from groomwatch.evaluation.markdown import render_markdown
from groomwatch.evaluation.outputs import write_report_dir
from groomwatch.evaluation.predictions import (
    LEVELS,
    as_text,
    join_authors,
    join_conversations,
    read_predictions,
    validate_predictions,
)
from groomwatch.evaluation.provenance import file_record, input_records, provenance
from groomwatch.evaluation.report import Options, build_report
from groomwatch.evaluation.robustness import robustness
from groomwatch.evaluation.threshold import decide
from groomwatch.evaluation.tracking import log_assessment, mlflow_wanted
from groomwatch.models.base import Detector

log = logging.getLogger(__name__)


@dataclass
class Request:
    """Everything `groomwatch assess` was asked to do."""

    data: Path
    out: Path
    predictions: list[Path] = field(default_factory=list)
    model: Path | None = None
    threshold: float | None = None
    target_fpr: float | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    group_by: list[str] = field(default_factory=list)
    level: str = "conversation"
    perturb: list[str] = field(default_factory=list)
    perturb_rate: float = DEFAULT_PERTURB_RATE
    early: bool = False
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    mlflow: bool = False
    #: the command line as typed (set by the CLI); None writes every option out
    command: str | None = None
    #: False for --reproduce: a re-check into a scratch directory is not logged to MLflow
    track: bool = True

    def options(self) -> dict[str, Any]:
        """Every option that shapes a figure, as the report's provenance records it."""
        a = self.assumptions
        return {
            "predictions": [str(p) for p in self.predictions], "data": str(self.data),
            "model": str(self.model) if self.model else None, "out": str(self.out),
            "threshold": self.threshold, "target_fpr": self.target_fpr,
            "base_rate": a.base_rate, "volume": a.volume_per_day,
            "handling_minutes": a.handling_minutes, "group_by": list(self.group_by),
            "level": self.level, "perturb": list(self.perturb), "perturb_rate": self.perturb_rate,
            "early": self.early, "resamples": self.n_resamples, "seed": self.seed,
        }

    @classmethod
    def from_options(cls, options: dict[str, Any], out: Path) -> Request:
        """The request recorded by ``options()``, writing to ``out`` instead."""
        return cls(
            data=Path(options["data"]), out=out,
            predictions=[Path(p) for p in options["predictions"]],
            model=Path(options["model"]) if options["model"] else None,
            threshold=options["threshold"], target_fpr=options["target_fpr"],
            assumptions=Assumptions(options["base_rate"], options["volume"],
                                    options["handling_minutes"]),
            group_by=list(options["group_by"]), level=options["level"],
            perturb=list(options["perturb"]), perturb_rate=options["perturb_rate"],
            early=options["early"], n_resamples=options["resamples"], seed=options["seed"],
        )

    def check(self) -> None:
        if self.level not in LEVELS:
            raise ConfigError(f"--level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        if not self.predictions and not self.model:
            raise ConfigError("nothing to assess: give --predictions FILE or --model DIR")
        if self.predictions and self.model:
            raise ConfigError("give --predictions or --model, not both")
        if len(self.predictions) > 2:
            raise ConfigError("--predictions: give one file, or two to compare them")
        if (self.perturb or self.early) and not self.model:
            raise ConfigError("--perturb and --early re-score the text, so they need --model")
        if (self.perturb or self.group_by) and self.level == "author":
            raise ConfigError("--perturb and --group-by work at --level conversation")
        if self.n_resamples < 0:
            raise ConfigError("--resamples must be 0 or more")
        a = self.assumptions
        if not 0 < a.base_rate < 1 or a.volume_per_day <= 0 or a.handling_minutes < 0:
            raise ConfigError("--base-rate must be in (0, 1), --volume > 0, --handling-minutes ≥ 0")


def command_line(options: dict[str, Any], given: Collection[str] | None = None) -> str:
    """``groomwatch assess`` with its options spelled out (only those in ``given``, if given)."""
    words = ["groomwatch", "assess"]
    for name, value in options.items():
        if (given is not None and name not in given) or value in (None, False, []):
            continue
        flag = "--" + name.replace("_", "-")
        if name == "predictions":
            words += [part for path in value for part in (flag, path)]
        elif isinstance(value, list):
            words += [flag, ",".join(value)]
        else:
            words += [flag] if value is True else [flag, str(value)]
    return shlex.join(words)


Progress = Callable[[str, int], contextlib.AbstractContextManager[Callable[[], None]]]


@contextlib.contextmanager
def no_progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    yield lambda: None


def evaluation_window(convs: Sequence[Conversation]) -> dict[str, str | None] | None:
    stamps = [m.timestamp for c in convs for m in c.messages if m.timestamp]
    return {"first": min(stamps), "last": max(stamps)} if stamps else None


def _items(request: Request, predictions: pd.DataFrame, convs: Sequence[Conversation],
           source: str) -> pd.DataFrame:
    if request.level == "author":
        return join_authors(predictions, convs, source=source)
    return join_conversations(predictions, convs, source=source, group_by=request.group_by)


def assess_one(
    request: Request,
    convs: Sequence[Conversation],
    predictions: pd.DataFrame,
    *,
    source: str,
    out: Path,
    progress: Progress,
    detector: Detector | None = None,
    provenance: dict | None = None,
) -> tuple[dict, pd.DataFrame, dict[str, Path]]:
    """Assess one technology's predictions and write its report directory."""
    items = _items(request, predictions, convs, source)
    y = items["y"].to_numpy(dtype=np.int64)
    score = items["score"].to_numpy(dtype=np.float64)
    flag = items["flag"].to_numpy(dtype=bool) if "flag" in items.columns else None
    decision = decide(y, score, flag=flag, threshold=request.threshold,
                      target_fpr=request.target_fpr)
    items["flag"] = decision.flag
    robust = None
    if request.perturb:
        threshold = decision.threshold if decision.threshold is not None else detector.threshold
        by_id = {c.conversation_id: c for c in convs}
        ordered = [by_id[i] for i in items["id"]]
        with progress("robustness", len(request.perturb)) as advance:
            robust = robustness(detector.predict_proba, ordered, y, threshold, request.perturb,
                                rate=request.perturb_rate, seed=request.seed, progress=advance)
    options = Options(
        level=request.level, n_resamples=request.n_resamples, seed=request.seed,
        assumptions=request.assumptions,
        inputs={"predictions": source if request.predictions else None,
                "data": str(request.data),
                "model": str(request.model) if request.model else None},
        evaluation_window=evaluation_window(convs),
        provenance=provenance,
    )
    with progress("bootstrap", request.n_resamples) as advance:
        report = build_report(items, decision, options, robustness=robust, progress=advance)
    title = Path(source).stem if request.predictions else Path(source).name
    html = render_html(report, y, score, decision.flag, title=title,
                       cards=find_cards(request.data, request.model))
    paths = write_report_dir(out, report, html, render_markdown(report, title), items)
    if request.track and mlflow_wanted(request.mlflow):
        run_id = log_assessment(report, [p for name, p in paths.items() if name != "items.csv"])
        log.info("logged the assessment to MLflow run %s", run_id)
    return report, items, paths


def _scored_by_model(
    request: Request, convs: Sequence[Conversation]
) -> tuple[Detector, pd.DataFrame]:
    from groomwatch.models.registry import load_detector
    from groomwatch.training.predict import predict

    detector = load_detector(request.model)
    frame = predict(detector, convs, authors=request.level == "author", early=request.early)
    flags_from_scores = request.threshold is not None or request.target_fpr is not None
    return detector, validate_predictions(as_text(frame), f"{request.model} (scored)",
                                          flags_from_scores=flags_from_scores)


def run(request: Request, progress: Progress = no_progress) -> dict:
    """Assess one technology (or two, then compare them); returns what was written."""
    request.check()
    convs = load_conversations(request.data)
    shared_inputs = input_records(request.data, len(convs), request.model)
    command = request.command or command_line(request.options())

    def recorded(predictions: pd.DataFrame | None = None, path: Path | None = None,
                 out: Path = request.out) -> dict:
        """Provenance of one report: its own predictions file, the shared data and model."""
        if path is None:
            return provenance(command, request.options(), shared_inputs)
        options = dataclasses.replace(request, predictions=[path], out=out).options()
        own = file_record("predictions", path, len(predictions), "rows")
        return provenance(command, options, [own, *shared_inputs])

    flags_from_scores = request.threshold is not None or request.target_fpr is not None
    if request.model:
        detector, predictions = _scored_by_model(request, convs)
        block = recorded()
        if request.threshold is None and request.target_fpr is None:
            request = dataclasses.replace(request, threshold=detector.threshold)
        report, _, paths = assess_one(request, convs, predictions, source=str(request.model),
                                      out=request.out, progress=progress, detector=detector,
                                      provenance=block)
        return {"reports": [(report, paths)]}
    tables = [read_predictions(p, flags_from_scores=flags_from_scores)
              for p in request.predictions]
    if len(tables) == 1:
        report, _, paths = assess_one(request, convs, tables[0], source=str(request.predictions[0]),
                                      out=request.out, progress=progress,
                                      provenance=recorded(tables[0], request.predictions[0]))
        return {"reports": [(report, paths)]}
    names = tuple(p.stem for p in request.predictions)
    if names[0] == names[1]:
        names = ("A", "B")
    results = [
        assess_one(request, convs, table, source=str(path), out=request.out / name,
                   progress=progress, provenance=recorded(table, path, request.out / name))
        for table, path, name in zip(tables, request.predictions, names, strict=True)
    ]
    with progress("paired bootstrap", request.n_resamples) as advance:
        comparison = compare((results[0][0], results[1][0]), (results[0][1], results[1][1]),
                             names, n_resamples=request.n_resamples, seed=request.seed,
                             directories=(request.out / names[0], request.out / names[1]),
                             progress=advance)
    return {"reports": [(r, p) for r, _, p in results],
            "comparison": (comparison, write_comparison(request.out, comparison))}


def write_comparison(out: Path, comparison: dict) -> dict[str, Path]:
    paths = {"json": out / "comparison.json", "md": out / "comparison.md"}
    with atomic_output(paths["json"]) as handle:
        json.dump(comparison, handle, indent=2, allow_nan=False)
    with atomic_output(paths["md"]) as handle:
        handle.write(comparison_markdown(comparison))
    return paths
