"""The one asset resolver: explicit path, project cache, package, library download, one error.

Nothing here reaches the network: downloads come from a real HTTP server on 127.0.0.1, and
every other request goes through a proxy on a closed local port, refused at once.
"""

import dataclasses
import functools
import gzip
import hashlib
import json
import re
import sys
import textwrap
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from torchvision import models

from conftest import TINY_WORDS, write_word2vec
from zeroshot_tags.assets import Asset, Download, find_asset, resolve_asset
from zeroshot_tags.vision.backbone_specs import BACKBONE_SPECS
from zeroshot_tags.vision.backbones import load_backbone, weights_asset
from zeroshot_tags.errors import AssetMissingError
from zeroshot_tags.semantic.vectors import VectorsSource, load_keyed_vectors

CLOSED_PORT = "http://127.0.0.1:1"


@pytest.fixture
def offline(monkeypatch):
    """Every request but those to 127.0.0.1 goes to a closed port, so it fails at once."""
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(variable, CLOSED_PORT)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen's opener reads them afresh


@pytest.fixture
def project_cache(tmp_path, monkeypatch):
    """A project cache of this test's own; its assets folder is ``project_cache / "assets"``."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ZEROSHOT_TAGS_CACHE", str(cache))
    return cache


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP on 127.0.0.1, and its URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def installed_package(tmp_path, monkeypatch):
    """An installed package ``zs-test-assets`` that ships ``data.txt``."""
    package = tmp_path / "site" / "zs_test_assets"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data.txt").write_text("packaged")
    monkeypatch.syspath_prepend(str(package.parent))
    return package / "data.txt"


def _write(path, text="data"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_places_are_tried_in_order(tmp_path, project_cache, installed_package):
    fetched = []

    def fetch(source, target):
        fetched.append(source)
        _write(target, "downloaded")

    library = tmp_path / "library"
    asset = Asset("test data", "data.txt", package="zs-test-assets",
                  locate=lambda module: installed_package, download=Download("SOURCE", library, fetch))
    explicit, cached = _write(tmp_path / "mine.txt"), _write(project_cache / "assets" / "data.txt")
    in_library = _write(library / "data.txt")

    assert resolve_asset(dataclasses.replace(asset, path=explicit)) == explicit
    assert resolve_asset(asset) == cached
    assert resolve_asset(dataclasses.replace(asset, cached=False)) == installed_package
    cached.unlink()
    assert resolve_asset(asset) == installed_package
    assert resolve_asset(dataclasses.replace(asset, package=None)) == in_library
    in_library.unlink()
    assert find_asset(dataclasses.replace(asset, package=None)) is None and not fetched
    assert resolve_asset(dataclasses.replace(asset, package=None)) == in_library
    assert fetched == ["SOURCE"] and in_library.read_text() == "downloaded"


def test_an_explicit_path_is_the_only_place_looked_at(tmp_path, project_cache):
    _write(project_cache / "assets" / "mine.txt")
    asset = Asset("vectors file", "mine.txt", path=tmp_path / "mine.txt")
    assert find_asset(asset) is None
    with pytest.raises(AssetMissingError, match=re.escape(f"vectors file {tmp_path / 'mine.txt'} does not exist")):
        resolve_asset(asset)


def test_an_asset_nowhere_is_one_line_that_says_what_to_install_and_where_to_put_it(tmp_path, project_cache,
                                                                                  offline):
    download = weights_asset(BACKBONE_SPECS["resnet18"]).download
    asset = Asset("test weights", "test-0123abcd.pth", package="zs-no-such-package",
                  download=dataclasses.replace(download, source="https://example.invalid/test-0123abcd.pth",
                                               folder=tmp_path / "checkpoints"))
    with pytest.raises(AssetMissingError) as raised:
        resolve_asset(asset)
    places = [project_cache / "assets" / "test-0123abcd.pth", tmp_path / "checkpoints" / "test-0123abcd.pth"]
    assert str(raised.value) == ("test weights not found and could not be downloaded (URLError): "
                                 f"pip install zs-no-such-package, or put it at {places[0]} or {places[1]}")


def _served_resnet18_weights(served, prefix: str = "") -> tuple[Asset, dict]:
    """resnet18's weights asset, downloading instead a small state dict from the local server,
    served as ``tiny-<prefix>.pth`` (torch.hub checks that SHA-256 prefix; default: the true one)."""
    folder, url = served
    state = {"weight": torch.arange(6.0).reshape(2, 3)}
    torch.save(state, folder / "state.pth")
    name = f"tiny-{prefix or hashlib.sha256((folder / 'state.pth').read_bytes()).hexdigest()[:8]}.pth"
    (folder / "state.pth").rename(folder / name)
    resnet = weights_asset(BACKBONE_SPECS["resnet18"])
    download = dataclasses.replace(resnet.download, source=f"{url}/{name}")
    return dataclasses.replace(resnet, name=name, download=download), state


def test_torchvision_weights_are_downloaded_into_torch_home(served, torch_home, project_cache):
    asset, state = _served_resnet18_weights(served)
    path = resolve_asset(asset)
    assert path == torch_home / "hub" / "checkpoints" / asset.name
    torch.testing.assert_close(torch.load(path, weights_only=True), state)


def test_a_download_that_fails_its_hash_check_leaves_nothing(served, torch_home, project_cache):
    asset, _ = _served_resnet18_weights(served, prefix="00000000")
    with pytest.raises(AssetMissingError, match=r"could not be downloaded \(RuntimeError\)"):
        resolve_asset(asset)
    assert not (torch_home / "hub" / "checkpoints" / asset.name).exists()


def test_missing_resnet_weights_say_which_file_to_put_where(torch_home, offline):
    with pytest.raises(AssetMissingError) as raised:
        load_backbone("resnet18")
    message = str(raised.value)
    assert str(torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert models.ResNet18_Weights.IMAGENET1K_V1.url in message and "\n" not in message


def test_resnet_weights_in_the_project_cache_need_no_download(torch_home, project_cache, offline):
    torch.manual_seed(0)
    saved = models.resnet18().state_dict()
    (project_cache / "assets").mkdir(parents=True)
    torch.save(saved, project_cache / "assets" / "resnet18-f37072fd.pth")

    backbone = load_backbone("resnet18")
    torch.testing.assert_close(backbone.model.state_dict()["fc.weight"], saved["fc.weight"])
    assert not torch_home.exists()


@pytest.fixture
def gensim_data(tmp_path, monkeypatch):
    """gensim's downloader with its data folder in ``tmp_path``."""
    import gensim.downloader

    folder = tmp_path / "gensim-data"
    monkeypatch.setenv("GENSIM_DATA_DIR", str(folder))
    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(folder))
    monkeypatch.setattr(sys, "path", list(sys.path))  # its loader imports downloads from the folder
    modules = set(sys.modules)
    yield folder
    for module in set(sys.modules) - modules:
        if module.startswith("zs-"):
            del sys.modules[module]


def test_gensim_names_are_downloaded_by_gensims_downloader(served, gensim_data, offline, monkeypatch):
    import gensim.downloader

    name = "zs-tiny-vectors-4"
    folder, url = served
    (folder / name).mkdir()
    packed = folder / name / f"{name}.gz"
    plain = write_word2vec(folder / "plain.bin", TINY_WORDS, binary=True)
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    (folder / name / "__init__.py").write_text(textwrap.dedent(f"""\
        import os
        from gensim.models import KeyedVectors

        def load_data():  # gensim-data's loader: the downloader imports the folder and calls it
            path = os.path.join(os.path.dirname(__file__), "{name}.gz")
            return KeyedVectors.load_word2vec_format(path, binary=True)
        """))
    gensim_data.mkdir()  # the list of gensim-data, as the downloader keeps it when it cannot fetch it
    (gensim_data / "information.json").write_text(json.dumps({"corpora": {}, "models": {name: {
        "file_name": f"{name}.gz", "parts": 1, "checksum": hashlib.md5(packed.read_bytes()).hexdigest()}}}))
    monkeypatch.setattr(gensim.downloader, "DOWNLOAD_BASE_URL", url)

    source = VectorsSource(name)
    assert source.path is None
    vectors = load_keyed_vectors(source)
    assert set(vectors.key_to_index) == set(TINY_WORDS)
    assert source.path == gensim_data / name and source.fingerprint()["size"] is not None


def test_a_downloader_name_that_cannot_be_fetched_is_one_clear_error(gensim_data, offline):
    with pytest.raises(AssetMissingError, match="no-such-vectors-300") as raised:
        load_keyed_vectors(VectorsSource("no-such-vectors-300"))
    assert str(gensim_data / "no-such-vectors-300") in str(raised.value)
    assert "\n" not in str(raised.value)
