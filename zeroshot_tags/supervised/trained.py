"""A fine-tuned ImageNet backbone as an estimator, and its checkpoints: saved atomically,
loaded safely (``weights_only``).

A checkpoint holds the backbone's name (which fixes the architecture and the preprocessing,
also recorded as text), the class names, the fine-tuned weights, the training settings and
the validation history.

Example:
    >>> classifier = FineTunedClassifier(load_backbone()).fit(read_labelled("photos"))  # doctest: +SKIP
    >>> classifier.save("scenes.pt")  # doctest: +SKIP
    >>> FineTunedClassifier.load("scenes.pt").predict([load_image("beach.jpg")])  # doctest: +SKIP
    ['sea']
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import warnings
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from ..atomic import atomic_write
from ..config import TrainingConfig
from ..errors import ModelError
from ..files import file_problem
from ..vision.backbones import Backbone, head_probabilities, load_backbone
from ..vision.features import FeatureExtractor
from ..vision.networks import final_layer
from .labelled import LabelledPhotos
from .training import EpochReport, TrainingResult, train_classifier, with_new_head

CHECKPOINT_FORMAT = 1

Inputs = Union[torch.Tensor, np.ndarray, Sequence[Image.Image]]
"""What a fitted classifier predicts from: RGB images, or the backbone's pooled features of
photos (one row each; head-only models)."""


class FineTunedClassifier:
    """An ImageNet backbone fine-tuned on labelled photos: a new last layer (``finetune=
    "head"``) or the whole network (``"all"``), trained as :mod:`zeroshot_tags.supervised.training`
    describes.

    Args:
        backbone: the ImageNet backbone to fine-tune (one, not an ensemble); it is copied,
            never changed.
        config: how to train.
        extractor: reads the photos' pooled features for head training (by default one
            caching them in the user cache, so a second fit on the same photos skips the
            network).

    Attributes:
        model_: the fine-tuned network (the backbone's layers and a new head), in eval mode.
        classes_: the sorted class names; column ``i`` of :meth:`predict_proba` is
            ``classes_[i]``.
        history_: one :class:`~zeroshot_tags.supervised.training.EpochReport` per validated epoch.
        best_epoch_: the number of epochs chosen by the validation loss.

    Example:
        >>> classifier = FineTunedClassifier(load_backbone(), TrainingConfig(epochs=10))  # doctest: +SKIP
        >>> classifier.fit(read_labelled("photos")).score(images, labels)  # doctest: +SKIP
        0.9
    """

    def __init__(self, backbone: Backbone, config: TrainingConfig = TrainingConfig(),
                 extractor: Optional[FeatureExtractor] = None) -> None:
        self.backbone = backbone
        self.config = config
        self.extractor = extractor

    def fit(self, photos: LabelledPhotos,
            on_epoch: Optional[Callable[[EpochReport], None]] = None) -> "FineTunedClassifier":
        """Train on the ``train`` photos, choosing the number of epochs on the ``val`` photos
        (or a stratified fifth of ``train``); ``on_epoch`` hears each epoch's report.

        Raises:
            LabelledDataError: no training photos, or too few to hold some out for validation.
            ImageError: a photo cannot be read.
        """
        result = train_classifier(self.backbone, photos, self.config, on_epoch, self.extractor)
        self.model_ = result.model
        self.classes_ = result.classes
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        return self

    @property
    def val_accuracy_(self) -> float:
        """Validation accuracy at the chosen epoch."""
        return self.history_[self.best_epoch_ - 1].val_accuracy

    @property
    def min_side(self) -> Optional[int]:
        """The shorter side the backbone's preprocessing needs (None: decode photos at full
        size)."""
        return self.backbone.min_side

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        """Class probabilities, one row of ``len(classes_)`` per input: RGB images, or the
        backbone's pooled features of photos (as :class:`~zeroshot_tags.vision.features.FeatureExtractor`
        gives them), which only a head-only model can use.

        Raises:
            ModelError: the model is not fitted, or features are given to a model whose
                whole network was trained.
        """
        if not hasattr(self, "model_"):
            raise ModelError("the model is not fitted; call fit first")
        device = self.config.device
        if isinstance(inputs, (torch.Tensor, np.ndarray)):
            if self.config.finetune != "head":
                raise ModelError("the whole network was fine-tuned, so the backbone's "
                                        "features no longer fit it; give images")
            features = torch.as_tensor(inputs, dtype=torch.float32).to(device)
            return head_probabilities(final_layer(self.model_)[1], features)
        batch = torch.stack([self.backbone.preprocess(image) for image in inputs]).to(device)
        return head_probabilities(self.model_, batch)

    def predict(self, inputs: Inputs) -> list[str]:
        """The most probable class name of each input (see :meth:`predict_proba`)."""
        return [self.classes_[i] for i in self.predict_proba(inputs).argmax(axis=1)]

    def score(self, inputs: Inputs, labels: Sequence[str]) -> float:
        """Top-1 accuracy of :meth:`predict` against the true class names ``labels``."""
        return float(np.mean(np.asarray(self.predict(inputs)) == np.asarray(labels)))

    def save(self, path: os.PathLike) -> None:
        """Write the checkpoint to a temporary file beside ``path`` and rename it into place."""
        _write_checkpoint(TrainingResult(self.model_, self.classes_, self.history_, self.best_epoch_),
                        self.backbone.name, self.config, str(self.backbone.preprocess), Path(path))

    @classmethod
    def load(cls, path: os.PathLike, device: str = "cpu") -> "FineTunedClassifier":
        """A fitted classifier from a checkpoint written by :meth:`save` (tensors and plain
        data only), on ``device``. Its backbone's network is the fine-tuned one (the ImageNet
        head replaced in place), so a loaded model holds one network.

        Raises:
            ModelError: the file is missing, unreadable, not a checkpoint (a pickle that
                holds more than tensors and plain data is refused unrun), or of another format.
        """
        path = Path(path)
        payload = _read_checkpoint(path)
        try:
            backbone = load_backbone(payload["backbone"], device, runtime="torch")  # changed in place
            model = with_new_head(backbone.model, len(payload["classes"]), in_place=True)
            model.load_state_dict(payload["state_dict"])
            classifier = cls(backbone, TrainingConfig(**dict(payload["config"], device=device)))
            classifier.model_ = model.eval().to(device)
            classifier.classes_ = tuple(payload["classes"])
            classifier.history_ = [EpochReport(**epoch) for epoch in payload["metrics"]["history"]]
            classifier.best_epoch_ = payload["metrics"]["best_epoch"]
            return classifier
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:  # fields missing or unfit
            raise ModelError(
                f"{path}: a damaged zeroshot-tags model ({type(exc).__name__})") from exc


def _write_checkpoint(result: TrainingResult, backbone_name: str, config: TrainingConfig,
                    preprocessing: str, path: Path) -> None:
    """Write a trained network as a checkpoint, to a temporary file beside ``path`` renamed
    into place."""
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "backbone": backbone_name,
        "preprocessing": preprocessing,
        "classes": list(result.classes),
        "state_dict": result.model.state_dict(),
        "config": dataclasses.asdict(config),
        "metrics": {"best_epoch": result.best_epoch, "val_accuracy": result.val_accuracy,
                    "history": [dataclasses.asdict(r) for r in result.history]},
    }
    with atomic_write(path) as stream:
        torch.save(payload, stream)


def _read_checkpoint(path: Path) -> dict:
    """The checkpoint's contents, read by the safe ``weights_only`` loader.

    Raises:
        ModelError: the file is missing, unreadable, refused by the safe loader, or not
            a checkpoint of :data:`CHECKPOINT_FORMAT`.
    """
    problem = file_problem(path, missing="no such model file")
    if problem is not None:
        raise ModelError(f"{path}: {problem}")
    try:
        with warnings.catch_warnings():  # torch warns of pickle protocols it does not expect
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # code, other objects, or not a pickle at all
        raise ModelError(f"{path}: not a zeroshot-tags model (refused by the safe "
                                "weights_only loader, which runs none of its code)") from exc
    except Exception as exc:  # pickle, zip and tensor errors all mean "not our checkpoint"
        raise ModelError(f"{path}: not a zeroshot-tags model ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path}: not a zeroshot-tags model of format {CHECKPOINT_FORMAT}")
    return payload
