"""Checkpoints of fine-tuned classifiers: saved atomically, loaded safely (``weights_only``).

A checkpoint holds the backbone's name (which fixes the architecture and the preprocessing,
also recorded as text), the class names, the fine-tuned weights, the training settings and
the validation history.
"""

from __future__ import annotations

import dataclasses
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from PIL import Image

from .atomic import atomic_write
from .backbones import head_probabilities, load_backbone
from .errors import ZeroShotTagsError
from .files import file_problem
from .training import TrainingConfig, TrainingResult, with_new_head

CHECKPOINT_FORMAT = 1


@dataclass
class TrainedClassifier:
    """A fine-tuned backbone that gives probabilities over its own ``classes``."""

    name: str
    model: torch.nn.Module
    preprocess: object
    classes: tuple[str, ...]
    metrics: dict
    device: str = "cpu"
    min_side: Optional[int] = None
    """The shorter side ``preprocess`` needs (None: decode photos at full size)."""

    def predict_proba(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Class probabilities, one row of ``len(self.classes)`` per RGB image."""
        batch = torch.stack([self.preprocess(image) for image in images]).to(self.device)
        return head_probabilities(self.model, batch)


def save_checkpoint(result: TrainingResult, backbone_name: str, config: TrainingConfig,
                    preprocessing: str, path: Path) -> None:
    """Write the checkpoint to a temporary file beside ``path`` and rename it into place."""
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


def load_checkpoint(path: Path, device: str = "cpu") -> TrainedClassifier:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors and plain data only).

    Raises:
        ZeroShotTagsError: the file is missing, unreadable, not a checkpoint (a pickle that
            holds more than tensors and plain data is refused unrun), or of another format.
    """
    path = Path(path)
    problem = file_problem(path, missing="no such model file")
    if problem is not None:
        raise ZeroShotTagsError(f"{path}: {problem}")
    try:
        with warnings.catch_warnings():  # torch warns of pickle protocols it does not expect
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # code, other objects, or not a pickle at all
        raise ZeroShotTagsError(f"{path}: not a zeroshot-tags model (refused by the safe "
                                "weights_only loader, which runs none of its code)") from exc
    except Exception as exc:  # pickle, zip and tensor errors all mean "not our checkpoint"
        raise ZeroShotTagsError(f"{path}: not a zeroshot-tags model ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ZeroShotTagsError(f"{path}: not a zeroshot-tags model of format {CHECKPOINT_FORMAT}")
    try:
        backbone = load_backbone(payload["backbone"], device)
        model = with_new_head(backbone.model, len(payload["classes"]))
        model.load_state_dict(payload["state_dict"])
        return TrainedClassifier(payload["backbone"], model.eval().to(device), backbone.preprocess,
                                 tuple(payload["classes"]), payload["metrics"], device,
                                 backbone.min_side)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:  # fields missing or unfit
        raise ZeroShotTagsError(
            f"{path}: a damaged zeroshot-tags model ({type(exc).__name__})") from exc
