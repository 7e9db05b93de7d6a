"""What every tagger does with photos, on a stand-in tagger: batches, order, bad photos, streaming."""

import itertools
import threading

import pytest
from PIL import Image
from threadpoolctl import threadpool_info, threadpool_limits

from zeroshot_tags.config import RANKING_BLAS_THREADS
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
    """Examines each photo for its height, noting the thread it does so on."""

    def __init__(self):
        super().__init__()
        self.threads = set()

    def _examine(self, image):
        self.threads.add(threading.current_thread().name)
        return image.height

    def _suggest_images(self, photos, top, rng, refinement):
        return [[Suggestion(f"#h{photo.facts}", f"h{photo.facts}", 1.0)] for photo in photos]


def test_photos_are_examined_on_the_decoding_threads_and_the_facts_reach_the_tagger():
    tagger = ExaminingTagger()
    results = list(tagger.suggest_many([Image.new("RGB", (1, n)) for n in range(1, 2 * BATCH + 2)]))
    assert [r.suggestions[0].hashtag for r in results] == [f"#h{n}" for n in range(1, 2 * BATCH + 2)]
    assert tagger.threads and all(name.startswith("zstags-decode") for name in tagger.threads)


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
    assert len(pulled) == 3 * BATCH and tagger.batches == [3, 3]  # the third batch is decoding


def test_a_generator_is_read_one_batch_ahead_of_the_one_tagged():
    tagger, pulled = WidthTagger(), []
    results = tagger.suggest_many(endless_photos(pulled))
    assert pulled == []  # nothing read before the first result is asked for
    next(results)
    assert len(pulled) == 2 * BATCH  # the next batch decodes while the first is tagged
    for _ in range(BATCH):
        next(results)
    assert len(pulled) == 3 * BATCH


def test_a_short_last_batch_and_an_empty_input():
    tagger = WidthTagger()
    photos = (Image.new("RGB", (n, 1)) for n in range(1, BATCH + 2))
    assert [r.suggestions[0].word for r in tagger.suggest_many(photos)] == [
        f"w{n}" for n in range(1, BATCH + 2)]
    assert tagger.batches == [BATCH, 1]
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
