"""``finetune``: all-MiniLM-L6-v2 fine-tuned end to end, over windows that cover the conversation.

The classifier is the encoder, mean pooling (as the sentence model was trained) and a linear
head started from a linear probe, so it learns in a few dozen steps; BERT's ``[CLS]`` pooler
is not trained in this checkpoint and learns far slower.

A conversation is packed into windows of whole consecutive messages (joined with ``[SEP]``) of
at most ``max_length`` tokens; a message longer than that is cut into several windows. Every
message is read, not only the last ``max_length`` tokens. Windows inherit their conversation's
label for training (multiple-instance learning; a conversation's windows share its weight) and
the conversation's logit pools its window logits like the embedding detectors do (``topk``:
the mean of the ``top_k`` highest; ``max``; ``mean``). A message's contribution is its window's
logit. ``max_train_samples`` (windows), ``epochs`` and ``max_length`` bound the cost so a run
finishes in minutes on a 2-core CPU; ``device="auto"`` uses a GPU where there is one.

CPU cost: batches are drawn from windows of similar length (little padding), the embeddings and
the lowest ``freeze_layers`` transformer layers can be frozen (no gradient through them, and
AdamW does not update the 11.7M-parameter embedding table each step), and the logits of the last
input scored are remembered, so validation, scored for calibration and again for the threshold,
costs one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, conversation_labels
from groomwatch.models.calibration import METHODS, Calibrator, fit_calibrator
from groomwatch.models.encoder import (
    configure_cpu_threads,
    load_tokenizer_and_model,
    mean_pool,
    pick_device,
)
from groomwatch.models.mil import TOP_POOLINGS, pool_groups
from groomwatch.models.params import choice, count, positive_float, positive_int

MODEL_DIR = "model"
HEAD_FILE = "head.pt"
#: training batches are drawn from pools of this many batches sorted by length
BUCKET_BATCHES = 50


class FineTunedDetector(Detector):
    name = "finetune"

    def __init__(
        self,
        max_length: int = 128,
        epochs: int = 1,
        max_train_samples: int = 2000,
        batch_size: int = 16,
        lr: float = 5e-5,
        weight_decay: float = 0.01,
        device: str = "auto",
        calibration: str = "sigmoid",
        seed: int = 0,
        pooling: str = "topk",
        top_k: int = 3,
        freeze_embeddings: bool = False,
        freeze_layers: int = 0,
    ) -> None:
        self.max_length = positive_int("max_length", max_length)
        if self.max_length < 8:
            raise ConfigError(f"max_length must be at least 8 tokens, not {max_length}")
        self.pooling = choice("pooling", pooling, (*TOP_POOLINGS, "mean"))
        self.top_k = positive_int("top_k", top_k)
        self.epochs = positive_int("epochs", epochs)
        self.max_train_samples = positive_int("max_train_samples", max_train_samples)
        self.batch_size = positive_int("batch_size", batch_size)
        self.lr = positive_float("lr", lr)
        self.weight_decay = float(weight_decay)
        self.device = device
        self.calibration = choice("calibration", calibration, METHODS)
        self.seed = seed
        self.freeze_embeddings = choice("freeze_embeddings", freeze_embeddings, (True, False))
        self.freeze_layers = count("freeze_layers", freeze_layers)
        self.tokenizer: Any = None
        self.model: Any = None
        self.calibrator: Calibrator | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "max_length": self.max_length,
            "epochs": self.epochs,
            "max_train_samples": self.max_train_samples,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "device": self.device,
            "calibration": self.calibration,
            "seed": self.seed,
            "pooling": self.pooling,
            "top_k": self.top_k,
            "freeze_embeddings": self.freeze_embeddings,
            "freeze_layers": self.freeze_layers,
        }

    # -- learning ------------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        import torch
        from transformers import get_linear_schedule_with_warmup

        y_train = conversation_labels(train, "train")
        y_val = conversation_labels(validation, "validation")
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        self._load(None)
        trainable = self._trainable()
        weights = np.ones(len(train)) if sample_weight is None else np.asarray(sample_weight)
        texts, owners = self._windows(train)
        counts = np.bincount(owners, minlength=len(train))
        # a conversation's windows share its weight, so long chats do not dominate
        window_weights = (weights / np.maximum(counts, 1))[owners]
        keep = rng.permutation(len(texts))[: self.max_train_samples]
        texts = [texts[i] for i in keep]
        y_train, weights = y_train[owners[keep]], window_weights[keep]
        weights = weights / weights.mean()
        self._probe_head(texts, y_train)
        steps = self.epochs * -(-len(texts) // self.batch_size)
        optimizer = torch.optim.AdamW(trainable, lr=self.lr, weight_decay=self.weight_decay)
        schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
        # balanced class weights: grooming is rare, and a rare class must not be ignored
        counts = np.bincount(y_train, minlength=2).clip(min=1)
        loss_fn = torch.nn.CrossEntropyLoss(
            weight=torch.tensor(len(y_train) / (2 * counts), dtype=torch.float32).to(self._device),
            reduction="none",
        )
        self.model.train()
        with _progress() as progress:
            task = progress.add_task("fine-tuning", total=steps)
            for _ in range(self.epochs):
                for idx in length_batches([len(t) for t in texts], self.batch_size, rng):
                    batch = self._tokenize([texts[i] for i in idx])
                    labels = torch.tensor(y_train[idx], dtype=torch.long).to(self._device)
                    weight = torch.tensor(weights[idx], dtype=torch.float32).to(self._device)
                    loss = (loss_fn(self.model(batch), labels) * weight).mean()
                    loss.backward()
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad()
                    progress.advance(task)
        self.model.eval()
        self._last = None
        scores = self.decision_function(validation)
        self.calibrator = fit_calibrator(scores, y_val, self.calibration)
        return self

    def _trainable(self) -> list[Any]:
        """The parameters fine-tuning updates; frozen ones get no gradient at all."""
        encoder = self.model.encoder
        layers = encoder.encoder.layer
        if self.freeze_layers > len(layers):
            raise ConfigError(
                f"freeze_layers must be at most {len(layers)} (the encoder's layers), "
                f"not {self.freeze_layers}"
            )
        frozen = [*layers[: self.freeze_layers]]
        if self.freeze_embeddings or self.freeze_layers:
            frozen.append(encoder.embeddings)  # a frozen layer's input needs no gradient
        for module in frozen:
            module.requires_grad_(False)
        return [p for p in self.model.parameters() if p.requires_grad]

    def _probe_head(self, texts: list[list[int]], labels: np.ndarray) -> None:
        """Start the head from a logistic regression on the frozen pooled embeddings.

        Linear probing before fine-tuning (LP-FT) means the first steps refine a working
        classifier instead of pushing gradients through a random head: a few dozen steps on a
        CPU then suffice.
        """
        import torch
        from sklearn.linear_model import LogisticRegression

        pooled = np.zeros((len(texts), self.model.head.in_features), dtype=np.float32)
        with torch.inference_mode():
            for idx in _sorted_chunks(texts, self.batch_size * 4):
                pooled[idx] = self.model.pool(self._tokenize([texts[i] for i in idx])).cpu().numpy()
        probe = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(
            pooled, labels
        )
        w = torch.tensor(probe.coef_[0] / 2, dtype=torch.float32)
        b = float(probe.intercept_[0]) / 2
        with torch.no_grad():
            self.model.head.weight.copy_(torch.stack([-w, w]))
            self.model.head.bias.copy_(torch.tensor([-b, b]))

    # -- scoring -------------------------------------------------------------------------------
    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """The uncalibrated logit difference (grooming − not) per conversation: its windows'
        logits pooled."""
        texts, owners = self._windows(conversations)
        logits = self._logits(texts)
        return pool_groups(logits, owners, len(conversations), self.pooling, self.top_k, 0.0)

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return self.calibrator(self.decision_function(conversations))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        """Each message's window's logit: which stretches of the chat the model reacts to."""
        texts, _, members = self._windows([conversation], with_members=True)
        logits = self._logits(texts)
        out = np.full(len(conversation.messages), -np.inf)
        for logit, messages in zip(logits, members, strict=True):
            out[messages] = np.maximum(out[messages], logit)
        return out

    def _windows(
        self, conversations: Sequence[Conversation], with_members: bool = False
    ) -> Any:
        """Every conversation's windows (token ids without the special tokens), the index of
        the conversation of each and, ``with_members``, each window's message indices."""
        if self.tokenizer is None:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")
        windows: list[list[int]] = []
        owners: list[int] = []
        members: list[list[int]] = []
        for i, conversation in enumerate(conversations):
            if not conversation.messages:
                continue
            encoded = self.tokenizer(conversation.texts, add_special_tokens=False)["input_ids"]
            for ids, inside in pack_windows(encoded, self.max_length - 2, self._sep):
                windows.append(ids)
                owners.append(i)
                members.append(inside)
        result = (windows, np.asarray(owners, dtype=np.int64))
        return (*result, members) if with_members else result

    def _logits(self, texts: list[list[int]]) -> np.ndarray:
        import torch

        if self.model is None:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")
        keys = tuple(tuple(t) for t in texts)
        if self._last is not None and self._last[0] == keys:
            return self._last[1].copy()
        # Only the last input is remembered: a window's logit moves in the last bits with the
        # padding of its batch, so a cache across inputs would make a score depend on what was
        # scored before (and a loaded model disagree with the fitted one).
        unique = list(dict.fromkeys(keys))
        logit_of: dict[tuple[int, ...], float] = {}
        with torch.inference_mode():
            for idx in _sorted_chunks(unique, self.batch_size * 4):
                logits = self.model(self._tokenize([list(unique[i]) for i in idx]))
                diff = (logits[:, 1] - logits[:, 0]).float().cpu().numpy()
                logit_of.update(zip([unique[i] for i in idx], diff.tolist(), strict=True))
        out = np.array([logit_of[k] for k in keys], dtype=np.float64)
        self._last = (keys, out)
        return out.copy()

    def _tokenize(self, windows: list[list[int]]) -> Any:
        """A padded batch of windows with ``[CLS] … [SEP]`` around each."""
        cls = self.tokenizer.cls_token_id
        batch = [[cls, *ids, self._sep] for ids in windows]
        return self.tokenizer.pad({"input_ids": batch}, return_tensors="pt").to(self._device)

    @property
    def _sep(self) -> int:
        return int(self.tokenizer.sep_token_id)

    def _load(self, directory: Path | None) -> None:
        """The bundled MiniLM with a fresh head (``None``) or a saved fine-tuned model."""
        import torch

        configure_cpu_threads()
        self._last: tuple[tuple[tuple[int, ...], ...], np.ndarray] | None = None
        self._device = pick_device(self.device)
        self.tokenizer, encoder = load_tokenizer_and_model(directory)
        self.model = _mean_pool_classifier(encoder)
        if directory is not None:
            head = torch.load(directory / HEAD_FILE, weights_only=True, map_location="cpu")
            self.model.head.load_state_dict(head)
        self.model.to(self._device).eval()

    # -- persistence ---------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        import torch

        self.model.encoder.save_pretrained(directory / MODEL_DIR)
        self.tokenizer.save_pretrained(directory / MODEL_DIR)
        torch.save(self.model.head.state_dict(), directory / MODEL_DIR / HEAD_FILE)
        self.calibrator.save(directory)

    def _load_state(self, directory: Path) -> None:
        self._load(directory / MODEL_DIR)
        self.calibrator = Calibrator.load(directory)


def pack_windows(
    messages: list[list[int]], budget: int, sep: int
) -> list[tuple[list[int], list[int]]]:
    """Pack messages' token ids into windows of at most ``budget`` ids: whole consecutive
    messages joined by ``sep``, a message longer than ``budget`` cut into pieces. Returns
    (ids, indices of the messages in it) per window; every message is in at least one."""
    windows: list[tuple[list[int], list[int]]] = []
    ids: list[int] = []
    inside: list[int] = []
    for j, message in enumerate(messages):
        for start in range(0, max(len(message), 1), budget):
            piece = message[start : start + budget]
            if ids and len(ids) + 1 + len(piece) > budget:
                windows.append((ids, inside))
                ids, inside = [], []
            ids = [*ids, sep, *piece] if ids else list(piece)
            if not inside or inside[-1] != j:
                inside.append(j)
    if ids or inside:
        windows.append((ids, inside))
    return windows


def length_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """One epoch's batches of indices, each from windows of similar length, in random order.

    The windows are shuffled, cut into pools of ``BUCKET_BATCHES`` batches, each pool sorted by
    length and cut into batches: a batch pads to its longest window, so similar lengths save
    most of the padding while every batch is still a random draw."""
    order = rng.permutation(len(lengths))
    pool = batch_size * BUCKET_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _sorted_chunks(windows: Sequence[Sequence[int]], size: int) -> list[np.ndarray]:
    """Indices of ``windows`` in chunks of ``size``, by length, so inference pads little."""
    order = np.argsort([len(w) for w in windows], kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


def _mean_pool_classifier(encoder: Any) -> Any:
    """encoder → mean pooling → linear head; built in a function so torch loads lazily."""
    import torch

    class MeanPoolClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 2)

        def pool(self, batch: Any) -> Any:
            return mean_pool(self.encoder(**batch).last_hidden_state, batch["attention_mask"])

        def forward(self, batch: Any) -> Any:
            return self.head(self.pool(batch))

    return MeanPoolClassifier()


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
