"""MLflow tracking: where runs go, and logging a finished training run in one call.

Tracking goes to ``MLFLOW_TRACKING_URI`` when set, else to a SQLite store ``mlflow.db`` in the
current (project) directory. With a SQLite store, artifacts go to ``mlartifacts/`` beside the
database file, so a temporary store in tests keeps its artifacts in the same temporary place.
MLflow is imported only here and only when a run is logged, and told to keep quiet.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groomwatch.errors import ConfigError

DEFAULT_URI = "sqlite:///mlflow.db"
ARTIFACT_DIR = "mlartifacts"
_NOISY_LOGGERS = ("mlflow", "alembic", "urllib3", "git")


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    experiment_id: str
    #: ``models:/<name>/<version>`` of the registered pyfunc model, when one was logged.
    model_uri: str | None = None


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def _mlflow() -> Any:
    """Import MLflow with its progress bars and chatty loggers off."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    import mlflow

    for name in _NOISY_LOGGERS:  # after the import: MLflow sets its own levels when imported
        logging.getLogger(name).setLevel(logging.ERROR)
    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def _artifact_location(uri: str, experiment: str) -> str | None:
    """For a SQLite store, artifacts beside the database; otherwise the server decides."""
    if not uri.startswith("sqlite:///"):
        return None
    database = Path(uri.removeprefix("sqlite:///"))
    return (database.resolve().parent / ARTIFACT_DIR / experiment).as_uri()


@contextlib.contextmanager
def start_run(experiment: str, run_name: str, tags: dict[str, str]) -> Iterator[Any]:
    """An active MLflow run in ``experiment`` (created on first use); yields the mlflow module."""
    mlflow = _mlflow()
    try:
        found = mlflow.get_experiment_by_name(experiment)
        experiment_id = (
            found.experiment_id
            if found
            else mlflow.create_experiment(
                experiment, artifact_location=_artifact_location(tracking_uri(), experiment)
            )
        )
    except Exception as exc:  # MLflow raises many types for an unreachable or bad store
        raise ConfigError(f"MLflow tracking store {tracking_uri()!r} is unusable: {exc}") from None
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags):
        yield mlflow


def log_params(mlflow: Any, params: dict[str, Any], prefix: str = "") -> None:
    """Flatten nested settings into ``a.b`` keys (MLflow parameters are flat strings)."""
    flat: dict[str, Any] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for sub, inner in value.items():
                walk(inner, f"{key}.{sub}" if key else str(sub))
        else:
            flat[key] = value

    walk(params, prefix)
    mlflow.log_params(flat)


def log_pyfunc(mlflow: Any, detector_dir: Path, registered_model: str) -> str:
    """Log the saved detector as a pyfunc model, register it, and return its registry URI."""
    from groomwatch.training import pyfunc

    package_dir = Path(__file__).resolve().parents[1]
    # The registry prints "Successfully registered model ..." itself; errors still raise.
    with contextlib.redirect_stderr(io.StringIO()):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=pyfunc.__file__,
            artifacts={pyfunc.ARTIFACT_KEY: str(detector_dir)},
            code_paths=[str(package_dir)],
            signature=pyfunc.signature(),
            input_example=pyfunc.input_example(),
            pip_requirements=runtime_requirements(),
            registered_model_name=registered_model,
        )
    return f"models:/{registered_model}/{info.registered_model_version}"


def runtime_requirements() -> list[str]:
    """groomwatch's declared dependencies that are loaded now, pinned to the installed versions.

    Called after the detector is fitted, so the list holds what that detector needs (torch only
    for the neural ones) without MLflow's slow requirement inference in a subprocess.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    providers = importlib.metadata.packages_distributions()
    loaded = {
        canonicalize_name(dist)
        for module in list(sys.modules)
        for dist in providers.get(module.split(".")[0], ())
    }
    needed = {
        requirement.name
        for requirement in map(Requirement, importlib.metadata.requires("groomwatch") or [])
        if requirement.marker is None and canonicalize_name(requirement.name) in loaded
    }
    return sorted(f"{name}=={importlib.metadata.version(name)}" for name in needed)
