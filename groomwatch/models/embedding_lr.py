"""``embedding-lr``: sentence embeddings of message chunks, pooled (``pooled.py``), + a linear head.

Long conversations are embedded in chunks of consecutive messages (default 8, well inside the
encoder's 256-token limit for chat), so no message is cut off. ``encoder`` is all-MiniLM-L6-v2
(English, the default) or ``use-multilingual`` (USE multilingual v3, 16 languages). The encoder
is verified and loaded from its package, never saved with the detector.
"""

from __future__ import annotations

from typing import Any

from groomwatch.models.embedders import Embedder, make_embedder
from groomwatch.models.params import choice, positive_int
from groomwatch.models.pooled import PooledEmbeddingDetector

ENCODERS = ("minilm", "use-multilingual")


class EmbeddingLogisticDetector(PooledEmbeddingDetector):
    name = "embedding-lr"

    def __init__(
        self,
        messages_per_chunk: int = 8,
        batch_size: int = 64,
        encoder: str = "minilm",
        **params: Any,
    ) -> None:
        super().__init__(messages_per_chunk=messages_per_chunk, **params)
        self.batch_size = positive_int("batch_size", batch_size)
        self.encoder = choice("encoder", encoder, ENCODERS)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "batch_size": self.batch_size, "encoder": self.encoder}

    @property
    def embedder(self) -> Embedder:
        return make_embedder(self.encoder, batch_size=self.batch_size)
