"""Soak test of a real ``zstags serve``: 200 requests from 20 threads mixing good and large
uploads, refused URLs, hashtag adds and bad input. No answer may be a 5xx, each must be the
status its request calls for, memory stays bounded, and the custom hashtag file ends whole.

Run it with ``pytest tests/test_soak.py -s`` to see its figures (README, "Web app").
"""

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest
import requests

from conftest import EXAMPLE_PHOTO, memory_mb, zstags_serve

pytestmark = pytest.mark.slow

REQUESTS = 200
THREADS = 20
PEAK_ALLOWANCE_MB = 300
"""How far the peak may rise above the server's resident size once every kind of request
has been answered once."""

EXAMPLE = EXAMPLE_PHOTO.read_bytes()

_clients = threading.local()


def client() -> requests.Session:
    """This thread's session: like a browser, each of the 20 clients keeps its connection
    alive between requests (a plain ``requests.post`` per request leaves its connection open
    while its response is kept, which the server's connection limit counts)."""
    if not hasattr(_clients, "session"):
        _clients.session = requests.Session()
    return _clients.session


def upload(photo: bytes, name: str = "photo.jpg", **fields) -> Callable[[str], requests.Response]:
    return lambda url: client().post(f"{url}/api/suggest", files={"image": (name, photo, "image/jpeg")},
                                     data=fields, timeout=300)


def add(*entries: str) -> Callable[[str], requests.Response]:
    return lambda url: client().post(f"{url}/api/hashtags", json={"entries": list(entries)}, timeout=300)


def soak_requests(large_photo: bytes) -> list[tuple[str, int, Callable[[str], requests.Response]]]:
    """(kind, expected status, request) for each of the soak's requests, kinds in turn."""
    kinds = [
        ("upload", 200, lambda i: upload(EXAMPLE, top="5")),
        ("upload with caption", 200, lambda i: upload(EXAMPLE, caption="morning coffee", accepted="#coffee")),
        ("large upload", 200, lambda i: upload(large_photo)),
        ("loopback URL", 400, lambda i: lambda url: client().post(
            f"{url}/api/suggest", data={"url": f"{url}/static/app.js"}, timeout=300)),
        ("hashtag add", 200, lambda i: add(f"soak test {i}: #soaktest{i}")),
        ("not an image", 400, lambda i: upload(b"plain text, not a photo", "notes.jpg")),
        ("truncated photo", 400, lambda i: upload(EXAMPLE[:len(EXAMPLE) // 3])),
        ("bad hashtag", 422, lambda i: add(": #")),
        ("too many hashtags", 413, lambda i: add(*(f"#many{k}" for k in range(1000)))),
        ("no photo", 400, lambda i: lambda url: client().post(f"{url}/api/suggest", data={"top": "3"},
                                                               timeout=300)),
    ]
    return [(kinds[i % len(kinds)][0], kinds[i % len(kinds)][1], kinds[i % len(kinds)][2](i))
            for i in range(REQUESTS)]


@pytest.fixture(scope="module")
def server(session_cache, tmp_path_factory):
    """``zstags serve`` with a cache of its own (its custom hashtags stay out of the session's)
    whose semantic spaces are the session's, so they are built once."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("reads memory figures from /proc")
    cache = tmp_path_factory.mktemp("soak-cache")
    (session_cache / "spaces").mkdir(exist_ok=True)
    (cache / "spaces").symlink_to(session_cache / "spaces")
    with zstags_serve(tmp_path_factory.mktemp("soak-server") / "stderr.txt", cache) as running:
        yield running, cache


def test_two_hundred_mixed_requests_from_twenty_threads(server, large_photo, caplog):
    (url, pid), cache = server
    planned = soak_requests(large_photo)
    seen_kinds = {}
    for kind, expected, send in planned:  # every kind once first: models and buffers loaded
        if kind not in seen_kinds:
            seen_kinds[kind] = send(url).status_code
    assert seen_kinds == {kind: expected for kind, expected, _ in planned[:len(seen_kinds)]}
    base = memory_mb(pid)["VmRSS"]

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda request: (request[0], request[1], request[2](url)), planned))
    seconds = time.monotonic() - started
    memory = memory_mb(pid)

    statuses = Counter(answer.status_code for _, _, answer in answers)
    wrong = [(kind, expected, answer.status_code, answer.text[:200])
             for kind, expected, answer in answers if answer.status_code != expected]
    print(f"\nsoak: {len(answers)} requests from {THREADS} threads in {seconds:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}; unexpected {len(wrong)}; "
          f"RSS {base} MB before, peak {memory['VmHWM']} MB, {memory['VmRSS']} MB after")
    assert not [status for status in statuses if status >= 500]
    assert wrong == []
    assert all("\n" not in answer.json()["detail"] for _, expected, answer in answers if expected >= 400)
    assert memory["VmHWM"] < base + PEAK_ALLOWANCE_MB, (base, memory)

    added = {f"#soaktest{i}" for i, (kind, _, _) in enumerate(planned) if kind == "hashtag add"}
    listed = requests.get(f"{url}/api/hashtags", timeout=30).json()["hashtags"]
    assert added <= set(listed)
    from zeroshot_tags.vocabulary.custom import read_custom_hashtags

    with caplog.at_level(logging.WARNING, logger="zeroshot_tags"):
        saved = read_custom_hashtags(cache / "custom_hashtags.txt")
    assert caplog.records == []  # every line of the file parses
    assert sorted(entry.hashtags[0] for entry in saved.entries) == sorted(listed)
