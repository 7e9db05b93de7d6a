"""A multi-label head: one sigmoid output per hashtag of the person, trained on their photos'
cached backbone features (binary cross-entropy, AdamW). As ``zstags train`` does, it holds
out a share of the photos to choose the number of epochs by the validation loss (stopping
early), then trains again on every photo for that many epochs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from ..config import HEAD_EPOCHS, HEAD_HOLDOUT, HEAD_LEARNING_RATE, HEAD_PATIENCE, HEAD_WEIGHT_DECAY

HEAD_BATCH = 64


@dataclass(frozen=True)
class HeadEpoch:
    """One epoch of the head's training: its mean training and validation loss."""

    epoch: int
    train_loss: float
    val_loss: float


@dataclass(frozen=True)
class MultiLabelHead:
    """``sigmoid(features @ weight.T + bias)``: each photo's chance to carry each hashtag."""

    weight: np.ndarray
    bias: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(photos x hashtags) probabilities for unit feature rows."""
        return 1.0 / (1.0 + np.exp(-(features @ self.weight.T + self.bias)))


def train_head(features: np.ndarray, tags: np.ndarray, seed: int = 0,
               on_epoch: Optional[Callable[[HeadEpoch], None]] = None) -> MultiLabelHead:
    """A head for unit ``features`` (photos x dimension) and 0/1 ``tags`` (photos x hashtags)."""
    generator = np.random.default_rng(seed)
    order = generator.permutation(len(features))
    held = order[:max(1, int(len(features) * HEAD_HOLDOUT))] if len(features) > 1 else order[:0]
    kept = np.setdiff1d(order, held)
    inputs, targets = torch.from_numpy(features.astype(np.float32)), torch.from_numpy(tags.astype(np.float32))
    best_epoch = HEAD_EPOCHS
    if len(held):
        layer, history = _fit(inputs[kept], targets[kept], HEAD_EPOCHS, seed, (inputs[held], targets[held]), on_epoch)
        best_epoch = min(history, key=lambda report: report.val_loss).epoch
    layer, _ = _fit(inputs, targets, best_epoch, seed)
    return MultiLabelHead(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())


def _fit(inputs: torch.Tensor, targets: torch.Tensor, epochs: int, seed: int,
         validation: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
         on_epoch: Optional[Callable[[HeadEpoch], None]] = None) -> tuple[torch.nn.Linear, list[HeadEpoch]]:
    """Train a fresh layer for up to ``epochs`` (with ``validation``: stopping once the
    validation loss has not improved for ``HEAD_PATIENCE`` epochs)."""
    torch.manual_seed(seed)
    layer = torch.nn.Linear(inputs.shape[1], targets.shape[1])
    optimizer = torch.optim.AdamW(layer.parameters(), lr=HEAD_LEARNING_RATE, weight_decay=HEAD_WEIGHT_DECAY)
    loss_of = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(seed)
    history: list[HeadEpoch] = []
    for epoch in range(1, epochs + 1):
        total = 0.0
        for chosen in torch.randperm(len(inputs), generator=generator).split(HEAD_BATCH):
            loss = loss_of(layer(inputs[chosen]), targets[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(chosen)
        if validation is None:
            continue
        with torch.inference_mode():
            val_loss = loss_of(layer(validation[0]), validation[1]).item()
        history.append(HeadEpoch(epoch, total / len(inputs), val_loss))
        if on_epoch:
            on_epoch(history[-1])
        if epoch - min(history, key=lambda report: report.val_loss).epoch >= HEAD_PATIENCE:
            break
    return layer, history
