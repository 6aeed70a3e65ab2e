"""``static-lr``: a model2vec static embedding distilled from MiniLM + LR, the high-volume tier.

A static model embeds a message by averaging token vectors, so it needs no transformer at
scoring time. The distilled model is saved inside the detector directory, so a loaded
detector scores with exactly the vectors it was trained with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groomwatch.models.embedders import StaticEmbedder, distilled_static_embedder
from groomwatch.models.params import positive_int
from groomwatch.models.pooled import PooledEmbeddingDetector


class StaticEmbeddingDetector(PooledEmbeddingDetector):
    name = "static-lr"

    def __init__(self, pca_dims: int = 256, **params: Any) -> None:
        super().__init__(**params)
        self.pca_dims = positive_int("pca_dims", pca_dims)
        self._embedder: StaticEmbedder | None = None

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "pca_dims": self.pca_dims}

    @property
    def embedder(self) -> StaticEmbedder:
        if self._embedder is None:
            self._embedder = distilled_static_embedder(self.pca_dims)
        return self._embedder

    def _save_state(self, directory: Path) -> None:
        super()._save_state(directory)
        self.embedder.save(directory)

    def _load_state(self, directory: Path) -> None:
        super()._load_state(directory)
        self._embedder = StaticEmbedder.load(directory)
