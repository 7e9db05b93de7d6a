"""What runs the backbone's network: ONNX Runtime gives torch's outputs, from a cached graph."""

import numpy as np
import pytest

from zeroshot_tags import Tagger
from zeroshot_tags.config import TaggerConfig, chosen_runtime
from zeroshot_tags.errors import SettingError
from zeroshot_tags.vision.backbones import load_backbone
from zeroshot_tags.vision.features import open_photo
from zeroshot_tags.vision.networks import OnnxNetwork, TorchNetwork

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def photos(shared_data):
    return [open_photo(path) for path in sorted((shared_data / "food101_10class").rglob("*.jpg"))[::100]]


def test_onnx_runtime_gives_torchs_features_and_probabilities(photos, tmp_path):
    on_onnx = load_backbone(runtime="onnx", threads=1, cache_dir=tmp_path)
    on_torch = load_backbone(runtime="torch")
    assert isinstance(on_onnx.network, OnnxNetwork) and isinstance(on_torch.network, TorchNetwork)
    features, probabilities = on_onnx.features_and_probabilities(photos)
    expected_features, expected = on_torch.features_and_probabilities(photos)
    assert features.shape == (len(photos), 1280) and probabilities.shape == (len(photos), 1000)
    assert np.abs(features - expected_features).max() < 1e-3
    assert np.abs(probabilities - expected).max() < 1e-4
    assert np.array_equal(np.argsort(-probabilities)[:, :5], np.argsort(-expected)[:, :5])
    assert on_onnx.network.session.get_session_options().intra_op_num_threads == 1


def test_the_default_tagger_suggests_the_same_on_either_runtime(default_tagger, shared_data):
    paths = sorted((shared_data / "intel_scenes").rglob("*.jpg"))[::200]
    on_torch = Tagger(runtime="torch")
    for ours, theirs in zip(default_tagger.suggest_many(paths), on_torch.suggest_many(paths)):
        assert ours.error is None and ours.suggestions
        assert [s.hashtag for s in ours.suggestions] == [s.hashtag for s in theirs.suggestions]


def test_the_graph_is_exported_once_and_read_again(photos, tmp_path):
    first = load_backbone(cache_dir=tmp_path).predict_proba(photos[:2])
    (graph,) = (tmp_path / "onnx").iterdir()
    written = graph.stat().st_mtime_ns
    assert np.array_equal(load_backbone(cache_dir=tmp_path).predict_proba(photos[:2]), first)
    assert graph.stat().st_mtime_ns == written and len(list((tmp_path / "onnx").iterdir())) == 1


def a_directory(path):
    path.unlink()
    (path / "stray").mkdir(parents=True)


DAMAGES = {
    "garbage": lambda path: path.write_bytes(b"not a graph"),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:5000]),
    "a directory": a_directory,
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_graph_is_exported_again_and_replaced(photos, tmp_path, damage, caplog):
    expected = load_backbone(cache_dir=tmp_path).predict_proba(photos[:1])
    (graph,) = (tmp_path / "onnx").iterdir()
    size = graph.stat().st_size
    damage(graph)
    assert np.allclose(load_backbone(cache_dir=tmp_path).predict_proba(photos[:1]), expected, atol=1e-6)
    assert "exporting it again" in caplog.text
    assert graph.is_file() and graph.stat().st_size == size


def test_a_cache_that_cannot_be_written_only_costs_exporting(photos, tmp_path):
    (tmp_path / "file").write_text("")
    backbone = load_backbone(cache_dir=tmp_path / "file" / "cache")
    assert backbone.predict_proba(photos[:1]).shape == (1, 1000)


def test_auto_is_onnx_runtime_on_the_cpu_and_torch_elsewhere():
    assert chosen_runtime("auto", "cpu") == "onnx"
    assert chosen_runtime("auto", "cuda") == "torch"
    assert chosen_runtime("torch", "cpu") == "torch"
    with pytest.raises(SettingError, match="runs on the CPU"):
        chosen_runtime("onnx", "cuda")
    with pytest.raises(SettingError, match="unknown runtime 'tensorrt'"):
        TaggerConfig(runtime="tensorrt")

