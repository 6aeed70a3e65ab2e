"""Batch scoring on Ray Data, for inputs larger than one machine scores in time.

The distributed path reuses the local one: each Ray actor loads the detector once and calls
``groomwatch.training.predict.predict`` on its batches, so both paths give the same
predictions (``conversation_id``, ``score``, ``flag``). Ray is an optional extra and is
imported only inside :func:`score_with_ray`.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groomwatch.data.hf import row_to_conversation
from groomwatch.data.io import is_parquet, read_conversations
from groomwatch.data.record import Conversation, conversation_from_dict
from groomwatch.errors import ConfigError, GroomwatchError, InputError
from groomwatch.models.base import read_header
from groomwatch.models.registry import detector_class

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import ray.data

DEFAULT_BATCH_SIZE = 1000  # as the local `groomwatch score`; blocks of this size feed the actors
_INSTALL_HINT = "Ray scoring needs the optional extra: pip install 'groomwatch[ray]'"


@dataclass(frozen=True)
class RayScoreSummary:
    """What a Ray scoring run did, for the one summary line the CLI prints."""

    predictions: int
    flagged: int
    files: int
    out_dir: Path
    seconds: float
    workers: int

    @property
    def rate(self) -> float:
        """Prediction rows per second of wall time, Ray start-up excluded."""
        return self.predictions / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"{self.predictions} predictions ({self.flagged} flagged) from {self.workers} Ray "
            f"workers in {self.seconds:.1f} s ({self.rate:.0f}/s); "
            f"{self.files} Parquet file(s) in {self.out_dir}"
        )


def resolve_inputs(inputs: str | Path | Sequence[str | Path]) -> list[Path]:
    """Expand paths and globs (``'data/*.parquet'``) into existing files of one format."""
    patterns = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    if not patterns:
        raise InputError("no input files given")
    files: list[Path] = []
    for pattern in map(str, patterns):
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
            if not matches:
                raise InputError(f"{pattern}: matches no files")
            files.extend(matches)
        elif Path(pattern).is_dir():
            raise InputError(f"{pattern}: is a directory; pass a glob like '{pattern}/*.parquet'")
        elif Path(pattern).is_file():
            files.append(Path(pattern))
        else:
            raise InputError(f"{pattern}: no such file")
    if len({is_parquet(f) for f in files}) > 1:
        raise InputError("inputs mix Parquet and JSON Lines files; score each format separately")
    return list(dict.fromkeys(files))


def score_with_ray(
    model_dir: str | Path,
    inputs: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    *,
    address: str | None = None,
    num_workers: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    **predict_options: Any,
) -> RayScoreSummary:
    """Score conversation files with a pool of ``num_workers`` Ray actors; write Parquet.

    ``address=None`` starts a private local Ray (one CPU per worker plus one for reading and
    writing) and shuts it down afterwards; an address (``auto`` or ``host:6379``) joins a
    running cluster, where ``model_dir``, the inputs and ``out_dir`` must be on storage every
    node sees. ``predict_options`` (``authors``, ``early``, ...) go to ``predict`` unchanged.
    The output appears in ``out_dir`` only if the whole run succeeds.
    """
    if num_workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {num_workers}")
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, not {batch_size}")
    files = resolve_inputs(inputs)
    model_dir = Path(model_dir)
    detector_class(read_header(model_dir)["name"])  # a bad model fails here, not in an actor
    out_dir = Path(out_dir)
    if out_dir.suffix.lower() in (".csv", ".parquet", ".jsonl"):
        raise ConfigError(f"{out_dir}: --out must be a directory (Ray writes Parquet files)")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConfigError(f"{out_dir}: already exists and is not an empty directory")
    if address:
        _check_reachable(address)
    _require_ray()
    import ray.data

    with _ray_session(address, num_workers), _staging_dir(out_dir) as staging:
        started = time.perf_counter()
        dataset = _read(files, batch_size).map_batches(
            _BatchScorer,
            fn_constructor_kwargs={
                "model_dir": model_dir, "parquet": is_parquet(files[0]), "options": predict_options,
            },
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=num_workers),
            num_cpus=1,
        )
        _run_or_explain(lambda: dataset.write_parquet(str(staging)), files)
        seconds = time.perf_counter() - started
        predictions, flagged, written = _count(staging)
        if predictions == 0:
            raise InputError("the inputs hold no conversation records")
    return RayScoreSummary(predictions, flagged, written, out_dir, seconds, num_workers)


def _require_ray() -> None:
    try:
        import ray.data  # noqa: F401
    except ImportError:
        raise GroomwatchError(_INSTALL_HINT) from None


@contextlib.contextmanager
def _ray_session(address: str | None, num_workers: int) -> Iterator[None]:
    """Join or start Ray with logs and progress bars off; shut down only what we started."""
    import ray
    import ray.data

    started_here = not ray.is_initialized()
    if started_here:
        # "local" starts a private instance even if another Ray runs on this machine
        options: dict[str, Any] = (
            {"address": address} if address else {"address": "local", "num_cpus": num_workers + 1}
        )
        try:
            ray.init(
                **options, include_dashboard=False, log_to_driver=False,
                logging_level=logging.ERROR,
            )
        except ConnectionError as exc:
            raise GroomwatchError(
                f"cannot join the Ray cluster at {address}: {exc} (is it running? a cluster "
                "started with a token needs RAY_AUTH_MODE=token and its token in "
                "~/.ray/auth_token here)"
            ) from None
    context = ray.data.DataContext.get_current()
    saved = (context.enable_progress_bars, context.execution_options.preserve_order)
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True  # predictions in input order, as locally
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    data_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        data_logger.setLevel(level)
        context.enable_progress_bars, context.execution_options.preserve_order = saved
        if started_here:
            ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail at once on a wrong ``host:port``: Ray itself retries for minutes before giving up."""
    host, _, port = address.rpartition(":")
    if not host or "://" in address or not port.isdigit():
        return  # "auto" and "ray://" client addresses are left to Ray
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise GroomwatchError(
            f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); "
            "start one with `ray start --head` or check --address"
        ) from None


@contextlib.contextmanager
def _staging_dir(out_dir: Path) -> Iterator[Path]:
    """A sibling directory that replaces ``out_dir`` only when the block succeeds."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield staging
        if out_dir.exists():
            out_dir.rmdir()  # checked empty before the run
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read(files: list[Path], batch_size: int) -> ray.data.Dataset:
    """Parquet rows as they are, JSON Lines as raw lines (parsed and validated in the actors).

    Blocks are cut to ``batch_size`` rows so a single input file still feeds every worker.
    """
    import ray.data

    paths = [str(f) for f in files]
    if is_parquet(files[0]):
        dataset = ray.data.read_parquet(paths)
    else:
        dataset = ray.data.read_text(paths, drop_empty_lines=True)
    return dataset.repartition(target_num_rows_per_block=batch_size)


class _BatchScorer:
    """The ``map_batches`` callable: one detector per actor, ``predict`` on every batch."""

    def __init__(self, model_dir: Path, parquet: bool, options: dict[str, Any]) -> None:
        from groomwatch.models.registry import load_detector

        self.detector = load_detector(model_dir)
        self.parquet = parquet
        self.options = options

    def __call__(self, batch: pa.Table) -> pd.DataFrame:
        from groomwatch.training.predict import predict

        conversations = [self._decode(row) for row in batch.to_pylist()]
        return predict(self.detector, conversations, **self.options)

    def _decode(self, row: dict[str, Any]) -> Conversation:
        """The same validation as the local readers: a Parquet row, or one JSON Lines line."""
        if self.parquet:
            return row_to_conversation(row)
        return conversation_from_dict(json.loads(row["text"]))


def _run_or_explain(run: Callable[[], None], files: list[Path]) -> None:
    """Run the Ray job; if it fails, re-read the inputs locally to name the bad record.

    Ray reports a worker's exception without the original type or message, so a record
    that breaks the format is located with the local reader, which names file, line and field.
    """
    try:
        run()
    except Exception:
        for path in files:
            for _ in read_conversations(path):
                pass
        raise


def _count(directory: Path) -> tuple[int, int, int]:
    """Prediction rows, flagged rows and files in a predictions directory."""
    import pyarrow.parquet as pq

    parts = sorted(directory.glob("*.parquet"))
    flags = [pq.read_table(part, columns=["flag"]).column("flag") for part in parts]
    rows = sum(len(column) for column in flags)
    flagged = sum(int(column.to_numpy(zero_copy_only=False).sum()) for column in flags)
    return rows, flagged, len(parts)
