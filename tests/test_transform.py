"""The backbones' preprocessing: torchvision's steps and numbers, without importing torchvision."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from conftest import EXAMPLE_PHOTO
from zeroshot_tags.vision.backbone_specs import BACKBONE_SPECS, Preprocessing

PREPROCESSINGS = sorted({spec.preprocessing for spec in BACKBONE_SPECS.values()}, key=repr)
SIZES = [(640, 480), (480, 640), (256, 256), (300, 257), (257, 300), (1001, 333), (224, 999)]


def torchvisions(preprocessing: Preprocessing):
    return transforms.Compose([
        transforms.Resize(preprocessing.resize,
                          interpolation=transforms.InterpolationMode(preprocessing.interpolation)),
        transforms.CenterCrop(preprocessing.crop),
        transforms.ToTensor(),
        transforms.Normalize(mean=list(preprocessing.mean), std=list(preprocessing.std)),
    ])


@pytest.mark.parametrize("preprocessing", PREPROCESSINGS, ids=repr)
def test_the_transform_gives_torchvisions_numbers_exactly(preprocessing):
    ours, theirs = preprocessing.transform(), torchvisions(preprocessing)
    noise = np.random.default_rng(0)
    photos = [Image.fromarray(noise.integers(0, 256, (height, width, 3), dtype=np.uint8))
              for width, height in SIZES]
    photos.append(Image.open(EXAMPLE_PHOTO).convert("RGB"))
    for photo in photos:
        mine = ours(photo)
        assert mine.shape == (3, preprocessing.crop, preprocessing.crop) and mine.dtype == torch.float32
        assert torch.equal(mine, theirs(photo)), photo.size


def test_tagging_with_a_warm_cache_does_not_import_torchvision():
    code = ("import sys; from zeroshot_tags import Tagger; "
            f"Tagger(custom_hashtags=False).suggest({str(EXAMPLE_PHOTO)!r}); "
            "print('torchvision' in sys.modules)")
    imported = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout.strip()
                for _ in range(2)]  # the first may build the cache (exporting the graph imports it)
    assert imported[1] == "False"
