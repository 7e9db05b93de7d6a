"""Pooled backbone features: the same as the backbone's own forward pass, cached by content."""

import shutil

import numpy as np
import pytest

from zeroshot_tags.errors import ImageError
from zeroshot_tags.vision.features import FeatureExtractor, open_photo


@pytest.fixture(scope="module")
def photos(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    sources = sorted((shared_data / "intel_scenes" / "images" / "train" / "sea").glob("*.jpg"))[:3]
    return [shutil.copy(source, folder / source.name) for source in sources]


class ForwardCounter:
    """Counts the backbone's forward passes (wraps its network; the results are untouched)."""

    def __init__(self, backbone):
        self.calls = 0
        self.backbone = backbone
        self.network = backbone.network
        backbone.network = self._count

    def _count(self, batch):
        self.calls += 1
        return self.network(batch)

    def remove(self):
        self.backbone.network = self.network


def test_probabilities_from_features_equal_the_backbones_own(lite0, photos, tmp_path):
    extractor = FeatureExtractor(lite0, cache_dir=tmp_path)
    features = extractor.features(photos)
    assert features.shape == (3, 1280)
    expected = lite0.predict_proba([open_photo(p) for p in photos])
    assert np.allclose(extractor.probabilities(features), expected, atol=1e-5)


def test_mirrored_features_are_those_of_the_mirror_image(lite0, photos, tmp_path):
    extractor = FeatureExtractor(lite0, cache_dir=tmp_path)
    mirrored = extractor.features(photos[:1], mirrored=True)
    assert not np.allclose(mirrored, extractor.features(photos[:1]))
    expected = lite0.predict_proba([open_photo(photos[0], mirrored=True)])
    assert np.allclose(extractor.probabilities(mirrored), expected, atol=1e-5)


def test_a_second_run_and_a_renamed_copy_read_the_cache(lite0, photos, tmp_path):
    first = FeatureExtractor(lite0, cache_dir=tmp_path).features(photos)
    copy = shutil.copy(photos[0], tmp_path / "renamed.jpg")
    counter = ForwardCounter(lite0)
    try:
        again = FeatureExtractor(lite0, cache_dir=tmp_path).features([*photos, copy])
    finally:
        counter.remove()
    assert counter.calls == 0
    assert np.array_equal(again[:3], first) and np.array_equal(again[3], first[0])


def a_directory(path):
    path.unlink()
    (path / "stray").mkdir(parents=True)


def a_zip(path):
    np.savez(path.with_suffix(".npz"), row=np.zeros(1280, dtype=np.float32))
    path.with_suffix(".npz").replace(path)


DAMAGES = {
    "garbage": lambda path: path.write_bytes(b"not numpy"),
    "empty": lambda path: path.write_bytes(b""),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:200]),
    "a zip archive": a_zip,
    "a directory": a_directory,
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_cache_file_is_computed_again_and_replaced(lite0, photos, tmp_path, damage):
    first = FeatureExtractor(lite0, cache_dir=tmp_path).features(photos[:1])
    (cached,) = (tmp_path / "features" / lite0.name).glob("*.npy")
    damage(cached)
    assert np.allclose(FeatureExtractor(lite0, cache_dir=tmp_path).features(photos[:1]), first, atol=1e-6)
    counter = ForwardCounter(lite0)
    try:
        FeatureExtractor(lite0, cache_dir=tmp_path).features(photos[:1])
    finally:
        counter.remove()
    assert counter.calls == 0  # replaced by a good file


def test_a_cache_that_cannot_be_written_only_costs_recomputation(lite0, photos, tmp_path):
    (tmp_path / "file").write_text("")
    extractor = FeatureExtractor(lite0, cache_dir=tmp_path / "file" / "cache")
    assert np.array_equal(extractor.features(photos[:1]), extractor.features(photos[:1]))


def test_without_a_cache_nothing_is_written(lite0, photos, tmp_path, session_cache):
    before = sorted(session_cache.rglob("*.npy"))
    FeatureExtractor(lite0, cache_dir=False).features(photos[:1])
    assert sorted(session_cache.rglob("*.npy")) == before
    assert not list(tmp_path.iterdir())


def test_an_unreadable_photo_is_an_image_error(lite0, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ImageError):
        FeatureExtractor(lite0, cache_dir=tmp_path).features([broken])
