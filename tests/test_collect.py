"""Collecting photos from Openverse and Wikimedia Commons, served from 127.0.0.1: their
documented search answers (tests/fixtures) and real photos of ../shared/data."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import QuietHandler
from zeroshot_tags.cli.main import main
from zeroshot_tags.collect import openverse, wikimedia
from zeroshot_tags.collect.downloader import collect_photos, label_for, retry_after
from zeroshot_tags.config import CollectSettings
from zeroshot_tags.errors import SettingError, SourceError
from zeroshot_tags.supervised.labelled import read_labelled

FIXTURES = Path(__file__).parent / "fixtures"
IMAGE_HOSTS = ("https://live.staticflickr.com/", "https://upload.wikimedia.org/")
FAST = dict(page_size=4, search_interval=0, retries=1, backoff=0.01, timeout=0.5)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_openverse_answers_become_candidates_with_their_licence_and_next_page():
    first = openverse.parse_page(fixture("openverse_forest_page1"))
    assert len(first.candidates) == 4 and first.next == {"page": "2"}
    third = first.candidates[2]
    assert (third.title, third.creator, third.licence, third.licence_url, third.source) == (
        "Old growth", "Tomás & Inés", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "openverse")
    assert third.landing_url == "https://www.flickr.com/photos/61522218@N07/52011111113"
    assert first.candidates[0].licence == "CC BY-SA 2.0"
    assert openverse.parse_page(fixture("openverse_forest_page2")).next is None
    assert openverse.parse_page(fixture("openverse_forest_page2")).candidates[1].licence == "Public Domain Mark 1.0"
    assert openverse.parse_page(fixture("openverse_empty")).candidates == ()


def test_wikimedia_answers_give_thumbnails_of_photos_in_search_order_and_continue():
    first = wikimedia.parse_page(fixture("wikimedia_forest_page1"))
    assert [c.title for c in first.candidates] == ["Forest path in autumn", "Beech forest in spring, Hainich"]
    path = first.candidates[0]
    assert path.url.endswith("/960px-Forest_path_in_autumn.jpg")  # the thumbnail, not the 12-megapixel original
    assert (path.creator, path.licence, path.licence_url) == (
        "Kallerna", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0")
    assert path.landing_url == "https://commons.wikimedia.org/wiki/File:Forest_path_in_autumn.jpg"
    assert first.next == {"gsroffset": 3, "continue": "gsroffset||"}
    params = wikimedia.search_params("forest", CollectSettings(), first.next)
    assert params["gsroffset"] == 3 and params["gsrnamespace"] == 6 and "extmetadata" in params["iiprop"]
    assert wikimedia.parse_page(fixture("wikimedia_forest_page2")).next is None
    assert wikimedia.parse_page(fixture("wikimedia_empty")).candidates == ()
    with pytest.raises(SourceError, match="maxlag"):
        wikimedia.parse_page({"error": {"code": "maxlag", "info": "Waiting for a database server"}})


def test_retry_after_reads_seconds_and_dates_and_words_become_labels():
    assert retry_after("7", 1.0) == 7.0 and retry_after(None, 1.5) == 1.5
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1.0) == 0.0  # in the past: at once
    assert label_for(" apple  pie ") == "apple_pie"
    for bad in ("", "../up", ".hidden", "a/b"):
        with pytest.raises(SettingError):
            label_for(bad)


def intel(shared: Path, label: str, index: int) -> bytes:
    return sorted((shared / "intel_scenes" / "images" / "train" / label).glob("*.jpg"))[index].read_bytes()


def smaller(photo: bytes) -> bytes:
    """The photo at half size, re-encoded: what a thumbnail service serves."""
    image = Image.open(io.BytesIO(photo))
    buffer = io.BytesIO()
    image.resize((image.width // 2, image.height // 2)).save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def served_images(shared: Path) -> dict:
    """What each image URL of the fixtures answers (by its last path segment)."""
    forest = [intel(shared, "forest", i) for i in range(8)]
    sea = [intel(shared, "sea", i) for i in range(3)]
    return {
        "52011111111_5a1c9e0f3b_b.jpg": forest[0],
        "52011111112_8d2b7c4a1e_b.jpg": forest[1][:len(forest[1]) // 2],  # broken: cut short
        "52011111113_0e6f3a9d2c_b.jpg": ("redirect", "/live.staticflickr.com/65535/52011111113_0e6f3a9d2c_o.jpg"),
        "52011111113_0e6f3a9d2c_o.jpg": forest[1],
        "Forest_path_in_autumn.jpg": forest[2],
        "960px-Forest_path_in_autumn.jpg": smaller(forest[2]),  # the same photo through Wikimedia
        "52011111115_7b3d9e1f0a_b.jpg": ("slow", forest[3]),
        "52011111116_2c8a4f6e9d_b.jpg": ("429 once", forest[4]),
        "52011111117_9f0e2d4c6b_b.jpg": forest[5],
        "960px-Beech_forest_in_spring%2C_Hainich.jpg": forest[6],
        "Pine_forest_near_Bory_Tucholskie.jpg": forest[7],
        "960px-Misty_forest_at_dawn.jpg": b"<html>Sorry, this file is not available</html>",
        "52022222221_3e1a5c7b9d_b.jpg": sea[0],
        "52022222222_6b2d8f0a4c_b.jpg": sea[1],
        "52022222223_8c4e0a2b6d_b.jpg": sea[2],
        "960px-Baltic_Sea_coast_at_Leba.jpg": sea[0],  # an exact copy of an Openverse photo
        "960px-Trees_by_the_shore.jpg": forest[0],  # a forest photo found for 'sea'
    }


class SourceServer(ThreadingHTTPServer):
    """Openverse's and Wikimedia's search endpoints and their image hosts on 127.0.0.1."""

    def __init__(self, images: dict, throttle: dict, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), SourceHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.images, self.throttle, self.delay = images, throttle, delay
        self.hits: Counter = Counter()
        self.lock = threading.Lock()

    def hit(self, key: str) -> int:
        with self.lock:
            self.hits[key] += 1
            return self.hits[key]


class SourceHandler(QuietHandler):
    server: SourceServer

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path in ("/v1/images/", "/w/api.php"):
            self.search(parts.path, query)
        else:
            self.image(parts.path)

    def search(self, path: str, query: dict) -> None:
        if path == "/v1/images/":
            source, word, page = "openverse", query["q"], int(query.get("page", 1))
        else:
            source, word = "wikimedia", query["gsrsearch"].split()[0]
            page = 2 if "gsroffset" in query else 1
        count = self.server.hit(f"{source} {word} {page}")
        wait = self.server.throttle.get(source)
        if wait is not None and (wait > 60 or (count == 1 and page == 1)):
            return self.send(429, b'{"detail": "Request was throttled."}', {"Retry-After": str(wait)})
        names = [f"{source}_{word}_page{page}", f"{source}_{word}" if page == 1 else "", f"{source}_empty"]
        body = next((FIXTURES / f"{name}.json").read_text() for name in names if (FIXTURES / f"{name}.json").is_file())
        for host in IMAGE_HOSTS:
            body = body.replace(host, f"{self.server.base}/{host.split('/')[2]}/")
        self.send(200, body.encode(), {"Content-Type": "application/json"})

    def image(self, path: str) -> None:
        served = self.server.images.get(path.rsplit("/", 1)[-1])
        count = self.server.hit(path)
        time.sleep(self.server.delay)
        if served is None:
            return self.send(404, b"not found")
        kind, photo = served if isinstance(served, tuple) else ("photo", served)
        if kind == "redirect":
            return self.send(302, b"", {"Location": f"{self.server.base}{photo}"})
        if kind == "429 once" and count == 1:
            return self.send(429, b"slow down", {"Retry-After": "1"})
        if kind == "slow":
            time.sleep(1.5)
        self.send(200, photo, {"Content-Type": "image/jpeg"})


@pytest.fixture
def sources(shared_data):
    """Start a source server: ``sources(throttle={'openverse': seconds}, delay=seconds)``."""
    servers = []

    def start(throttle: dict = {}, delay: float = 0.0) -> SourceServer:
        server = SourceServer(served_images(shared_data), throttle, delay)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


def local(server: SourceServer, **changes) -> CollectSettings:
    return CollectSettings(sources=(("openverse", f"{server.base}/v1/images/"), ("wikimedia", f"{server.base}/w/api.php")),
                           **{**FAST, **changes})


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_run_pages_through_both_sources_skips_failures_and_duplicates_and_records_attribution(sources, tmp_path):
    server = sources(throttle={"openverse": 1})  # its first search of each word answers 429, Retry-After: 1
    results = collect_photos(["forest", "sea", "xyzzy"], tmp_path, local(server, per_class=10))
    forest, sea, nothing = results
    assert (forest.photos, forest.downloaded, forest.duplicates) == (7, 7, 1)
    failed = "\n".join(forest.failures)
    assert len(forest.failures) == 3
    assert "52011111112" in failed and "truncated" in failed  # the broken photo
    assert "52011111115" in failed and "timed out" in failed  # the slow one
    assert "Misty_forest" in failed and "not an image" in failed  # HTML where a photo should be
    assert (sea.photos, sea.duplicates) == (3, 2)  # an exact copy from Wikimedia, a forest photo
    assert (nothing.photos, nothing.failures, nothing.notes) == (0, (), ())
    assert not (tmp_path / "xyzzy").exists()
    hits = server.hits
    assert hits["openverse forest 1"] == 2 and hits["openverse forest 2"] == 1  # 429 retried; paged
    assert hits["wikimedia forest 1"] == hits["wikimedia forest 2"] == 1
    assert hits["/live.staticflickr.com/65535/52011111116_2c8a4f6e9d_b.jpg"] == 2  # 429 with Retry-After
    assert hits["/live.staticflickr.com/65535/52011111113_0e6f3a9d2c_o.jpg"] == 1  # the redirect followed
    assert hits["/live.staticflickr.com/65535/52011111115_7b3d9e1f0a_b.jpg"] == 2  # timed out twice
    assert not any("svg" in key for key in hits)  # a drawing is never downloaded

    recorded = rows(tmp_path / "sources.csv")
    assert len(recorded) == 10 and all((tmp_path / row["file"]).is_file() for row in recorded)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duplicates.csv", "forest", "sea", "sources.csv"]
    old_growth = next(row for row in recorded if row["title"] == "Old growth")
    assert old_growth["label"] == "forest" and old_growth["file"].startswith("forest/")
    assert (old_growth["creator"], old_growth["licence"], old_growth["source"]) == ("Tomás & Inés", "CC0 1.0", "openverse")
    assert old_growth["url"].endswith("/52011111113_0e6f3a9d2c_b.jpg")  # the URL searched, before its redirect
    beech = next(row for row in recorded if row["source"] == "wikimedia")
    assert (beech["creator"], beech["licence"]) == ("Jörg Braukmann", "CC BY 3.0")
    left_out = rows(tmp_path / "duplicates.csv")
    assert {row["url"].rsplit("/", 1)[1] for row in left_out} == {
        "960px-Forest_path_in_autumn.jpg", "960px-Baltic_Sea_coast_at_Leba.jpg", "960px-Trees_by_the_shore.jpg"}
    assert all(row["duplicate_of"] and int(row["distance"]) <= 6 for row in left_out)
    assert sorted(Counter(read_labelled(tmp_path).labels).items()) == [("forest", 7), ("sea", 3)]


def test_a_word_stops_at_per_class_without_searching_further(sources, tmp_path):
    server = sources()
    (forest,) = collect_photos(["forest"], tmp_path, local(server, per_class=2))
    assert forest.photos == 2 and forest.failures[0].count("52011111112") == 1
    assert "openverse forest 2" not in server.hits and "wikimedia forest 1" not in server.hits


def test_a_source_that_asks_for_a_long_wait_is_left_and_the_other_fills_in(sources, tmp_path):
    server = sources(throttle={"openverse": 3600})
    started = time.monotonic()
    forest, sea = collect_photos(["forest", "sea"], tmp_path, local(server, per_class=10))
    assert time.monotonic() - started < 20
    assert "3600 s" in forest.notes[0] and sea.notes == forest.notes
    assert server.hits["openverse forest 1"] == 1 and "openverse sea 1" not in server.hits
    assert (forest.photos, sea.photos) == (3, 2)  # Wikimedia's alone
    assert {row["source"] for row in rows(tmp_path / "sources.csv")} == {"wikimedia"}


def test_an_interrupted_run_resumes_without_downloading_twice(sources, tmp_path):
    server = sources(delay=0.2)
    settings = local(server, per_class=10)
    code = ("import sys; from zeroshot_tags.collect.downloader import collect_photos; "
            "from zeroshot_tags.config import CollectSettings, DedupSettings; "
            f"collect_photos(['forest', 'sea'], sys.argv[1], {settings!r})")
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)])
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("forest/*.jpg"))) < 4 and time.monotonic() < deadline:  # into page 2
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # no chance to tidy up
    process.wait()
    before = {p.name for p in tmp_path.glob("*/*.jpg")}
    assert len(rows(tmp_path / "sources.csv")) < len(before) < 10  # the last page's photos unrecorded
    fetched_before = Counter(server.hits)

    forest, sea = collect_photos(["forest", "sea"], tmp_path, settings)
    assert (forest.photos, sea.photos) == (7, 3)
    recorded = rows(tmp_path / "sources.csv")
    assert len(recorded) == len({row["url"] for row in recorded}) == 10
    for row in recorded:  # a photo saved before the interruption is never fetched again
        if Path(row["file"]).name in before:
            path = urlsplit(row["url"]).path
            assert server.hits[path] == fetched_before[path] >= 1, row["url"]


@pytest.fixture
def run():
    return lambda *args: CliRunner().invoke(main, [str(arg) for arg in args])


def test_zstags_collect_reports_each_word_and_a_word_without_photos(run, sources, tmp_path):
    server = sources()
    result = run("collect", "sea", "xyzzy", "--out", tmp_path / "set", "--per-class", 2,
                 "--endpoint", f"openverse={server.base}/v1/images/", "--endpoint", f"wikimedia={server.base}/w/api.php",
                 "--timeout", 2, "--retries", 0)
    assert result.exit_code == 0, result.output
    assert "sea: 2 photos (2 new, 0 duplicates left out, 0 failed)" in result.output
    assert "no photos found for 'xyzzy'" in result.output
    assert len(list((tmp_path / "set" / "sea").iterdir())) == 2


@pytest.mark.parametrize("args, words", [
    (("collect", "sea", "--out", "x", "--endpoint", "flickr=http://127.0.0.1:1/"), "SOURCE=URL"),
    (("collect", "../sea", "--out", "x"), "cannot be a class folder"),
    (("collect", "--out", "x"), "at least one word"),
    (("collect", "sea", "--out", "x", "--max-distance", 64), "max_distance"),
])
def test_zstags_collect_refuses_bad_input_in_one_line_before_any_download(run, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 1 and words in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_collect_then_dedup_finds_nothing_more(run, sources, tmp_path):
    server = sources()
    collect_photos(["forest", "sea"], tmp_path, local(server, per_class=10))
    result = run("dedup", tmp_path, "--dry-run")
    assert result.exit_code == 0 and "found 0 duplicates among 10 photos" in result.output


def test_without_dedup_the_copies_are_kept(sources, tmp_path):
    server = sources()
    forest, sea = collect_photos(["forest", "sea"], tmp_path, local(server, per_class=10, dedup=None))
    assert (forest.photos, sea.photos, forest.duplicates + sea.duplicates) == (8, 5, 0)
