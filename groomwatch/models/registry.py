"""Detectors by name: adding a detector is adding one module and one line here."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, read_header

#: name -> "module:ClassName"; modules are imported only when their detector is used.
DETECTORS: dict[str, str] = {
    "tfidf-lr": "groomwatch.models.tfidf_lr:TfidfLogisticDetector",
    "embedding-lr": "groomwatch.models.embedding_lr:EmbeddingLogisticDetector",
    "static-lr": "groomwatch.models.static_lr:StaticEmbeddingDetector",
    "finetune": "groomwatch.models.finetune:FineTunedDetector",
    "exemplar": "groomwatch.models.exemplar:ExemplarDetector",
    "ensemble": "groomwatch.models.ensemble:StackedDetector",
}


def detector_class(name: str) -> type[Detector]:
    if name not in DETECTORS:
        known = ", ".join(sorted(DETECTORS))
        raise ConfigError(f"unknown detector {name!r}; choose one of: {known}")
    module_name, class_name = DETECTORS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def create_detector(name: str, **params: Any) -> Detector:
    cls = detector_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for detector {name!r}: {exc}") from None


def load_detector(directory: str | Path) -> Detector:
    """Load any saved detector; the name in its ``detector.json`` picks the class."""
    return detector_class(read_header(directory)["name"]).load(directory)
