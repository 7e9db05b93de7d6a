"""Shared fixtures: a private cache per test session, the shared data, tiny word vectors."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, NamedTuple, Optional

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
EXAMPLE_PHOTO = PROJECT_ROOT / "examples" / "coffee.jpg"
SCENE_CLASSES = ("forest", "sea")
SCENE_PHOTOS_PER_CLASS = 10


REAL_MODEL_FIXTURES = {"default_tagger", "lite0", "trained_model", "large_photo"}
"""Fixtures that load the real default models (or feed a server that does)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a real-model fixture are ``slow``, like the modules that mark
    themselves because they build real taggers in every test."""
    for item in items:
        if REAL_MODEL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory) -> Path:
    """Every test caches derived data under one temporary directory, never in the user's."""
    cache = tmp_path_factory.mktemp("cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("ZEROSHOT_TAGS_CACHE", str(cache))
    yield cache
    patcher.undo()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the project")
    return SHARED_DATA


@pytest.fixture(scope="session")
def default_tagger():
    """The real default Tagger (EfficientNet-Lite0, GloVe 50-d, built-in vocabulary)."""
    from zeroshot_tags import Tagger

    return Tagger()


@pytest.fixture(scope="session")
def lite0():
    from zeroshot_tags.vision.backbones import load_backbone

    return load_backbone()


@pytest.fixture(scope="session")
def photo_folder(shared_data, tmp_path_factory):
    """DATA/<label>/*.jpg with 10 real intel_scenes photos of each of two classes."""
    root = tmp_path_factory.mktemp("labelled")
    for label in SCENE_CLASSES:
        (root / label).mkdir()
        sources = sorted((shared_data / "intel_scenes" / "images" / "train" / label).glob("*.jpg"))
        for photo in sources[:SCENE_PHOTOS_PER_CLASS]:
            shutil.copy(photo, root / label / photo.name)
    return root


@pytest.fixture(scope="session")
def trained_model(photo_folder, lite0, tmp_path_factory):
    """A forest/sea model trained on the photo folder, saved as a checkpoint."""
    from zeroshot_tags.config import TrainingConfig
    from zeroshot_tags.supervised.labelled import read_labelled
    from zeroshot_tags.supervised.trained import FineTunedClassifier

    config = TrainingConfig(epochs=5, learning_rate=3e-3, batch_size=8)
    path = tmp_path_factory.mktemp("model") / "scenes.pt"
    FineTunedClassifier(lite0, config).fit(read_labelled(photo_folder)).save(path)
    return path


def write_word2vec(path: Path, words: dict[str, list[float]], binary: bool) -> Path:
    """Write ``words`` as a word2vec file with gensim itself."""
    from gensim.models import KeyedVectors

    size = len(next(iter(words.values())))
    vectors = KeyedVectors(vector_size=size)
    vectors.add_vectors(list(words), np.asarray(list(words.values()), dtype=np.float32))
    vectors.save_word2vec_format(str(path), binary=binary)
    return path


TINY_WORDS = {
    "cat": [1.0, 0.1, 0.0, 0.0],
    "kitten": [0.9, 0.2, 0.0, 0.0],
    "dog": [0.7, 0.7, 0.0, 0.0],
    "food": [0.0, 0.0, 1.0, 0.0],
    "photography": [0.0, 0.0, 0.0, 1.0],
    "pizza": [0.0, 0.1, 0.9, 0.1],
    "beach": [0.0, 1.0, 0.0, 0.2],
}


@pytest.fixture
def tiny_vectors_file(tmp_path) -> Path:
    """A small word2vec binary written by gensim, like GoogleNews-vectors-negative300.bin."""
    return write_word2vec(tmp_path / "tiny-vectors.bin", TINY_WORDS, binary=True)


class QuietHandler(BaseHTTPRequestHandler):
    """A test server's request handler: whole answers in one call, no request log."""

    def send(self, status: int, body: bytes, headers: Optional[dict] = None) -> None:
        try:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout tests)
            pass

    def log_message(self, *args):
        pass


class _Handler(QuietHandler):
    photo = EXAMPLE_PHOTO.read_bytes()

    def do_GET(self):
        if self.path == "/photo.jpg":
            self.send(200, self.photo)
        elif self.path == "/slow.jpg":
            time.sleep(2)
            self.send(200, self.photo)
        elif self.path == "/trickle.jpg":  # a few bytes at a time, never quite timing out
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.photo)))
            self.end_headers()
            try:
                for start in range(0, 200, 10):
                    self.wfile.write(self.photo[start:start + 10])
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/huge.jpg":
            self.send(200, b"\xff" * 5000)
        else:
            self.send(404, b"not found")



@pytest.fixture(scope="session")
def image_server():
    """A real HTTP server on 127.0.0.1 serving a photo, a slow photo, junk and 404s."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class RunningServer(NamedTuple):
    url: str
    pid: int


@contextmanager
def zstags_serve(log: Path, cache: Path, *options: str) -> Iterator[RunningServer]:
    """``zstags serve`` in a subprocess on a free 127.0.0.1 port with ``cache`` as its cache
    directory, once it answers; stopped afterwards."""
    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(os.environ, ZEROSHOT_TAGS_CACHE=str(cache))
    with open(log, "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "zeroshot_tags.cli.main", "serve", "--port", str(port),
                                    *options], env=environment, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a fresh cache builds the semantic space first
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(f"{url}/api/models", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            pytest.fail(f"zstags serve did not start: {log.read_text(errors='replace')[-2000:]}")
        yield RunningServer(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def memory_mb(pid: int) -> dict[str, int]:
    """A process's resident size now (VmRSS) and its peak so far (VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) // 1024 for name in ("VmRSS", "VmHWM")}


@pytest.fixture(scope="session")
def large_photo(shared_data, tmp_path_factory) -> bytes:
    """A 7300x5440 (39.7-megapixel, under the served 40) JPEG made from a shared photo."""
    from PIL import Image

    source = shared_data / "food101_10class" / "images" / "test" / "apple_pie" / "1047447.jpg"
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    Image.open(source).convert("RGB").resize((7300, 5440), Image.Resampling.BICUBIC).save(path, quality=85)
    data = path.read_bytes()
    assert len(data) < 20 * 1024 * 1024  # under the upload limit
    return data
