"""A backbone's preprocessing, from an RGB PIL image to a normalised tensor, with PIL and torch.

The steps and the numbers are torchvision's ``Resize``, ``CenterCrop``, ``ToTensor`` and
``Normalize`` on a PIL image (tests/test_transform.py compares them). Importing torchvision
for them cost 1.3 s and 160 MiB here, because ``torchvision`` loads torch's compiler for its
detection ops; tagging would pay that on every start for a resize and a crop (only building
the cache, through sentence-transformers, still imports it).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .backbone_specs import Preprocessing


def resized_size(width: int, height: int, shorter: int) -> tuple[int, int]:
    """(width, height) with the shorter side ``shorter`` and the longer one scaled and
    truncated to an integer, as torchvision's ``Resize(shorter)`` does."""
    if width <= height:
        return shorter, int(shorter * height / width)
    return int(shorter * width / height), shorter


class PhotoTransform:
    """An RGB PIL image resized (shorter side ``resize``), centre-cropped to ``crop`` x
    ``crop``, scaled to [0, 1] and normalised: a float32 CHW tensor."""

    def __init__(self, preprocessing: Preprocessing) -> None:
        self.preprocessing = preprocessing
        self._resample = Image.Resampling[preprocessing.interpolation.upper()]
        self._mean = torch.tensor(preprocessing.mean, dtype=torch.float32).view(-1, 1, 1)
        self._std = torch.tensor(preprocessing.std, dtype=torch.float32).view(-1, 1, 1)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        crop = self.preprocessing.crop
        size = resized_size(*image.size, self.preprocessing.resize)
        if size != image.size:
            image = image.resize(size, self._resample)
        left = int(round((image.width - crop) / 2.0))
        top = int(round((image.height - crop) / 2.0))
        pixels = np.asarray(image.crop((left, top, left + crop, top + crop)), dtype=np.uint8)
        tensor = torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous().float().div(255)
        return tensor.sub_(self._mean).div_(self._std)

    def __repr__(self) -> str:
        return f"PhotoTransform({self.preprocessing!r})"
