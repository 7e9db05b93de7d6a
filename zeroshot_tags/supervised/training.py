"""Supervised fine-tuning of an ImageNet backbone on labelled photos (the seeds' baseline).

``finetune="head"`` trains only a new linear classifier on the backbone's pooled features,
which are computed once (and cached, see :mod:`zeroshot_tags.vision.features`), so CPU training
takes minutes. ``finetune="all"`` trains the whole network on the photos. With ``augment``,
mirror images join the photos (head: as extra features; all: each photo mirrored at random);
it is off by default because, for the head, 5-fold cross-validation within both shared train
splits scored it no better (intel_scenes 0.885 with, 0.890 without; food101_10class 0.706
and 0.710). Both choose the number of epochs by the validation loss, stopping early, and
then, by default, train again on the training and validation photos together for that many
epochs, so no labelled photo is left out of the final model.

:class:`zeroshot_tags.supervised.trained.FineTunedClassifier` is the estimator a caller holds; this
module is its training loop.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch

from ..config import TrainingConfig
from ..errors import LabelledDataError
from ..vision.backbones import Backbone
from ..vision.features import FeatureExtractor, open_photo
from ..vision.networks import final_layer
from .labelled import LabelledPhotos, stratified_holdout


@dataclass(frozen=True)
class EpochReport:
    """One epoch's training loss and accuracy, and its validation loss and accuracy."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float


@dataclass
class TrainingResult:
    """The trained network (the backbone's features and a new head), its classes and history."""

    model: torch.nn.Module
    classes: tuple[str, ...]
    history: list[EpochReport]
    best_epoch: int

    @property
    def val_accuracy(self) -> float:
        """Validation accuracy at the chosen epoch."""
        return self.history[self.best_epoch - 1].val_accuracy


def with_new_head(model: torch.nn.Module, classes: int, in_place: bool = False) -> torch.nn.Module:
    """A copy of ``model`` (``model`` itself when ``in_place``) whose final linear layer
    predicts ``classes`` classes."""
    name, layer = final_layer(model)
    changed = model if in_place else copy.deepcopy(model)
    setattr(changed, name, torch.nn.Linear(layer.in_features, classes))
    return changed


def train_classifier(backbone: Backbone, photos: LabelledPhotos, config: TrainingConfig = TrainingConfig(),
                     on_epoch: Optional[Callable[[EpochReport], None]] = None,
                     extractor: Optional[FeatureExtractor] = None) -> TrainingResult:
    """Fine-tune ``backbone`` on the ``train`` photos.

    Validation on ``val`` (or, when there is none, on a stratified fifth of ``train`` held out
    with the seed) picks the number of epochs: the one with the lowest validation loss,
    training stopping once that has not improved for ``patience`` epochs. With
    ``config.refit`` the network is then trained afresh on the training and validation photos
    together for that many epochs; otherwise the best epoch's weights are kept.
    Head training reads the photos' features through ``extractor`` (by default one caching
    them in the user cache), so a second run on the same photos skips the network.
    """
    train, val = _train_and_validation(photos, config.seed)
    classes = photos.classes
    extractor = extractor or FeatureExtractor(backbone)
    train_data = _prepare(extractor, train, classes, config, config.augment)
    val_data = _prepare(extractor, val, classes, config, config.augment and config.refit)
    chosen = _fit(backbone, train_data, classes, config, config.epochs,
                  val_data.unmirrored(len(val)), on_epoch)
    if not config.refit:
        return chosen
    final = _fit(backbone, train_data.joined(val_data), classes, config, chosen.best_epoch)
    return TrainingResult(final.model, classes, chosen.history, chosen.best_epoch)


@dataclass
class _Data:
    """What one epoch iterates over: cached features (head) or the photos (all), and targets."""

    inputs: Union[torch.Tensor, LabelledPhotos]
    targets: torch.Tensor

    def unmirrored(self, count: int) -> "_Data":
        """Without the mirrored copies of cached features (the first ``count`` rows)."""
        if isinstance(self.inputs, LabelledPhotos):
            return self
        return _Data(self.inputs[:count], self.targets[:count])

    def joined(self, other: "_Data") -> "_Data":
        """Both data sets, this one first."""
        inputs = (self.inputs + other.inputs if isinstance(self.inputs, LabelledPhotos)
                  else torch.cat([self.inputs, other.inputs]))
        return _Data(inputs, torch.cat([self.targets, other.targets]))


def _prepare(extractor: FeatureExtractor, photos: LabelledPhotos, classes: tuple[str, ...],
             config: TrainingConfig, augment: bool) -> _Data:
    """The photos themselves (``all``), or their features followed, with ``augment``, by
    those of their mirror images (``head``)."""
    targets = torch.tensor([classes.index(label) for label in photos.labels])
    if config.finetune == "all":
        return _Data(photos, targets)
    features = extractor.features(photos.paths)
    if augment:
        features = torch.cat([features, extractor.features(photos.paths, mirrored=True)])
    return _Data(features, targets.repeat(2) if augment else targets)


def _fit(backbone: Backbone, train: _Data, classes: tuple[str, ...], config: TrainingConfig,
         epochs: int, val: Optional[_Data] = None,
         on_epoch: Optional[Callable[[EpochReport], None]] = None) -> TrainingResult:
    """Train a fresh head (and, for ``all``, the network) for up to ``epochs`` epochs; with
    ``val``, stop early and keep the epoch of lowest validation loss."""
    torch.manual_seed(config.seed)
    model = with_new_head(backbone.model, len(classes)).to(config.device)
    trainable = final_layer(model)[1] if config.finetune == "head" else model
    optimizer = torch.optim.AdamW(trainable.parameters(), lr=config.learning_rate,
                                  weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    history: list[EpochReport] = []
    best_state, best_epoch, best_loss = None, epochs, float("inf")
    for epoch in range(1, epochs + 1):
        train_loss, train_accuracy = _run_epoch(trainable, backbone, train, config, optimizer, generator)
        if val is None:
            continue
        with torch.inference_mode():
            val_loss, val_accuracy = _run_epoch(trainable, backbone, val, config)
        history.append(EpochReport(epoch, train_loss, train_accuracy, val_loss, val_accuracy))
        if on_epoch:
            on_epoch(history[-1])
        if val_loss < best_loss:
            best_state, best_epoch, best_loss = copy.deepcopy(model.state_dict()), epoch, val_loss
        elif epoch - best_epoch >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return TrainingResult(model.eval(), classes, history, best_epoch)


def _train_and_validation(photos: LabelledPhotos, seed: int) -> tuple[LabelledPhotos, LabelledPhotos]:
    train, val = photos.split("train"), photos.split("val")
    if len(train) == 0:
        raise LabelledDataError("no photos in the train split")
    if len(val) == 0:
        held = stratified_holdout(train.labels, 0.2, seed)
        val = train.subset(sorted(held))
        train = train.subset(i for i in range(len(train)) if i not in held)
    if len(val) == 0:
        raise LabelledDataError("too few photos to hold some out for validation: give at least "
                                "two training photos of a class, or a val split")
    return train, val


def _run_epoch(model: torch.nn.Module, backbone: Backbone, data: _Data, config: TrainingConfig,
               optimizer=None, generator=None) -> tuple[float, float]:
    """One pass over the data (training when ``optimizer`` is given): (mean loss, accuracy)."""
    inputs, targets = data.inputs, data.targets
    training = optimizer is not None
    model.train(training)
    order = torch.randperm(len(targets), generator=generator) if training else torch.arange(len(targets))
    total_loss, correct = 0.0, 0
    for start in range(0, len(order), config.batch_size):
        chosen = order[start:start + config.batch_size]
        batch = (inputs[chosen] if isinstance(inputs, torch.Tensor)
                 else _image_batch(backbone, inputs, chosen, generator if config.augment else None))
        logits = model(batch.to(config.device))
        loss = torch.nn.functional.cross_entropy(logits, targets[chosen].to(config.device))
        if training:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        total_loss += loss.item() * len(chosen)
        correct += int((logits.argmax(dim=1).cpu() == targets[chosen]).sum())
    return total_loss / len(order), correct / len(order)


def _image_batch(backbone: Backbone, photos: LabelledPhotos, chosen: torch.Tensor,
                 generator: Optional[torch.Generator]) -> torch.Tensor:
    """Preprocessed photos; with a ``generator``, each mirrored with probability one half."""
    flips = (torch.rand(len(chosen), generator=generator) < 0.5 if generator is not None
             else torch.zeros(len(chosen), dtype=torch.bool))
    return torch.stack([backbone.preprocess(open_photo(photos.paths[int(i)], bool(flip)))
                        for i, flip in zip(chosen, flips)])
