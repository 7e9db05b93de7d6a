"""What every tagger does with photos, on a stand-in tagger: batches, order, bad photos, streaming."""

import itertools
import threading

import pytest
from PIL import Image
from threadpoolctl import threadpool_info, threadpool_limits

from zeroshot_tags.config import LANES, RANKING_BLAS_THREADS
from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.tagging.photo_tagger import PhotoTagger
from zeroshot_tags.tagging.suggestion import Suggestion

BATCH = 4


class WidthTagger(PhotoTagger):
    """Tags each photo with its width; counts the batches it is given."""

    batch_size = BATCH
    max_pixels = 10_000

    def __init__(self):
        self.batches = []

    def _suggest_images(self, photos, top, rng, refinement):
        self.batches.append(len(photos))
        return [[Suggestion(f"#w{photo.image.width}", f"w{photo.image.width}", 1.0)] for photo in photos]


class ExaminingTagger(WidthTagger):
    """Examines each photo for its height, noting the threads it examines and tags on; with
    ``overlap``, each examination waits (up to 5 s) for a batch to be in the network."""

    def __init__(self, overlap=False):
        super().__init__()
        self.examined_on, self.tagged_on = set(), set()
        self.in_network = threading.Event() if overlap else None
        self.overlapped = []

    def _examine(self, image):
        self.examined_on.add(threading.current_thread().name)
        if self.in_network is not None:
            self.overlapped.append(self.in_network.wait(timeout=5))
        return image.height

    def _suggest_images(self, photos, top, rng, refinement):
        self.tagged_on.add(threading.current_thread().name)
        if self.in_network is not None:
            self.in_network.set()
        return [[Suggestion(f"#h{photo.facts}", f"h{photo.facts}", 1.0)] for photo in photos]


def test_batches_are_examined_and_tagged_on_the_lanes_and_the_facts_reach_the_tagger():
    tagger = ExaminingTagger()
    results = list(tagger.suggest_many([Image.new("RGB", (1, n)) for n in range(1, 2 * BATCH + 2)]))
    assert [r.suggestions[0].hashtag for r in results] == [f"#h{n}" for n in range(1, 2 * BATCH + 2)]
    assert tagger.examined_on == tagger.tagged_on
    assert tagger.tagged_on and all(name.startswith("zstags-lane") for name in tagger.tagged_on)


def test_a_lone_batch_is_tagged_on_the_calling_thread_and_examined_beside_its_network():
    tagger = ExaminingTagger(overlap=True)
    results = list(tagger.suggest_many([Image.new("RGB", (1, n)) for n in range(1, BATCH + 1)]))
    assert [r.suggestions[0].hashtag for r in results] == [f"#h{n}" for n in range(1, BATCH + 1)]
    assert tagger.tagged_on == {threading.current_thread().name}
    assert len(tagger.examined_on) == 1 and next(iter(tagger.examined_on)).startswith("zstags-beside")
    assert tagger.overlapped[-1]  # the last photo was examined while the network ran


def endless_photos(pulled, every_bad=None, limit=10 * BATCH):
    """Photos of width 1, 2, 3, ... (a broken one every ``every_bad``), recording each pull;
    pulling more than ``limit`` fails the test rather than running on forever."""
    for n in itertools.count(1):
        if n > limit:
            raise AssertionError(f"the tagger read {limit} photos ahead")
        pulled.append(n)
        yield b"not an image" if every_bad and n % every_bad == 0 else Image.new("RGB", (n, 1))


def test_an_endless_generator_gives_its_first_results_in_order():
    tagger, pulled = WidthTagger(), []
    first = list(itertools.islice(tagger.suggest_many(endless_photos(pulled, every_bad=3)), 7))
    assert [r.suggestions[0].hashtag if r.error is None else None for r in first] == [
        "#w1", "#w2", None, "#w4", "#w5", None, "#w7"]
    assert isinstance(first[2].error, ZeroShotTagsError)
    assert len(pulled) == (2 + LANES) * BATCH  # the lanes have the batches after the second


def test_a_generator_is_read_a_batch_for_each_lane_ahead_of_the_one_yielded():
    tagger, pulled = WidthTagger(), []
    results = tagger.suggest_many(endless_photos(pulled))
    assert pulled == []  # nothing read before the first result is asked for
    next(results)
    assert len(pulled) == (1 + LANES) * BATCH  # the next batches are tagged while the first is yielded
    for _ in range(BATCH):
        next(results)
    assert len(pulled) == (2 + LANES) * BATCH


def test_a_short_last_batch_and_an_empty_input():
    tagger = WidthTagger()
    photos = (Image.new("RGB", (n, 1)) for n in range(1, BATCH + 2))
    assert [r.suggestions[0].word for r in tagger.suggest_many(photos)] == [
        f"w{n}" for n in range(1, BATCH + 2)]
    assert sorted(tagger.batches) == [1, BATCH]  # the lanes may finish them in either order
    assert list(tagger.suggest_many(iter(()))) == []


def test_top_below_one_is_refused():
    with pytest.raises(ZeroShotTagsError, match="at least 1"):
        next(WidthTagger().suggest_many(iter(()), top=0))


class BlasThreadsTagger(WidthTagger):
    """Notes how many threads the BLAS libraries have while it ranks."""

    def __init__(self):
        super().__init__()
        self.blas_threads = []

    def _suggest_images(self, photos, top, rng, refinement):
        self.blas_threads += [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        return super()._suggest_images(photos, top, rng, refinement)


def test_ranking_runs_blas_on_one_thread_and_gives_the_threads_back_after():
    with threadpool_limits(2, "blas"):
        tagger = BlasThreadsTagger()
        list(tagger.suggest_many([Image.new("RGB", (n, 1)) for n in range(1, 2 * BATCH + 2)]))
        assert tagger.blas_threads and set(tagger.blas_threads) == {RANKING_BLAS_THREADS}
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {2}


def test_blas_threads_come_back_when_the_last_of_two_overlapping_runs_ends():
    with threadpool_limits(2, "blas"):
        first, second = (WidthTagger().suggest_many([Image.new("RGB", (n, 1)) for n in range(1, 2 * BATCH + 2)])
                         for _ in range(2))
        next(first), next(second)
        list(first)
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {RANKING_BLAS_THREADS}
        list(second)
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {2}
