"""Shared fixtures: a private cache per test session, the shared data, tiny word vectors."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
EXAMPLE_PHOTO = PROJECT_ROOT / "examples" / "coffee.jpg"


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


class _Handler(BaseHTTPRequestHandler):
    photo = EXAMPLE_PHOTO.read_bytes()

    def do_GET(self):
        if self.path == "/photo.jpg":
            self._send(200, self.photo)
        elif self.path == "/slow.jpg":
            time.sleep(2)
            self._send(200, self.photo)
        elif self.path == "/huge.jpg":
            self._send(200, b"\xff" * 5000)
        else:
            self._send(404, b"not found")

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def image_server():
    """A real HTTP server on 127.0.0.1 serving a photo, a slow photo, junk and 404s."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
