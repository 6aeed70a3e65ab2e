"""``embedding-lr``: all-MiniLM-L6-v2 sentence embeddings pooled over the conversation + LR.

Long conversations are embedded in chunks of consecutive messages (default 8, well inside the
encoder's 256-token limit for chat) and the chunk vectors averaged, so no message is cut off.
The encoder is verified and loaded from the bundled package, never saved with the detector.
"""

from __future__ import annotations

from typing import Any

from groomwatch.models.embedders import Embedder
from groomwatch.models.encoder import shared_encoder
from groomwatch.models.params import positive_int
from groomwatch.models.pooled import PooledEmbeddingDetector


class EmbeddingLogisticDetector(PooledEmbeddingDetector):
    name = "embedding-lr"

    def __init__(self, messages_per_chunk: int = 8, batch_size: int = 64, **params: Any) -> None:
        super().__init__(messages_per_chunk=messages_per_chunk, **params)
        self.batch_size = positive_int("batch_size", batch_size)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "batch_size": self.batch_size}

    @property
    def embedder(self) -> Embedder:
        return shared_encoder(self.batch_size)
