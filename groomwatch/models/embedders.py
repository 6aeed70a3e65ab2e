"""Text → vector embedders the embedding-based detectors share: MiniLM and its static distillate.

Both expose ``encode(texts) -> (n, dim) float32`` with unit rows. Chat repeats itself ("ok",
"lol"), so ``encode_unique`` embeds each distinct text once.
The static model is distilled from the bundled MiniLM with model2vec the first time it is
needed and cached on disk; a saved detector carries its own copy, so loading never distills.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from groomwatch.errors import ConfigError
from groomwatch.models.encoder import load_tokenizer_and_model, shared_encoder

EMBEDDERS = ("static", "minilm")
STATIC_DIR = "static_model"


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def encode_unique(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Embed each distinct text once; rows follow ``texts``."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    return embedder.encode(list(unique))[inverse]


def cache_dir() -> Path:
    """Where derived models are cached: ``$GROOMWATCH_CACHE_DIR`` or ``~/.cache/groomwatch``."""
    default = Path.home() / ".cache" / "groomwatch"
    return Path(os.environ.get("GROOMWATCH_CACHE_DIR", default))


class StaticEmbedder:
    """A model2vec static model: a token-embedding lookup and a mean, tens of thousands of
    messages per second on one core."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(list(texts), use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)

    def save(self, directory: Path) -> None:
        self.model.save_pretrained(str(directory / STATIC_DIR))

    @classmethod
    def load(cls, directory: Path) -> StaticEmbedder:
        from model2vec import StaticModel

        return cls(StaticModel.from_pretrained(str(directory / STATIC_DIR)))


@cache
def distilled_static_embedder(pca_dims: int = 256) -> StaticEmbedder:
    """The static model distilled from MiniLM; distils (minutes on a CPU) only on a cold cache."""
    from model2vec import StaticModel

    target = cache_dir() / f"minilm-static-pca{pca_dims}"
    if not (target / STATIC_DIR).is_dir():
        _distill(pca_dims, target)
    return StaticEmbedder(StaticModel.from_pretrained(str(target / STATIC_DIR)))


def _distill(pca_dims: int, target: Path) -> None:
    try:
        from model2vec.distill import distill_from_model
    except ImportError as exc:
        raise ConfigError(f"static embeddings need model2vec's distill extra: {exc}") from None
    tokenizer, model = load_tokenizer_and_model()
    static = distill_from_model(model=model, tokenizer=tokenizer, device="cpu", pca_dims=pca_dims)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".distill-"))
    StaticEmbedder(static).save(scratch)
    try:
        scratch.rename(target)  # atomic: a concurrent run sees all of it or none of it
    except OSError:
        shutil.rmtree(scratch)  # another process finished first; theirs is identical


def make_embedder(kind: str, *, batch_size: int = 64, pca_dims: int = 256) -> Embedder:
    if kind == "static":
        return distilled_static_embedder(pca_dims)
    if kind == "minilm":
        return shared_encoder(batch_size)
    raise ConfigError(f"embedder must be one of {', '.join(EMBEDDERS)}, not {kind!r}")
