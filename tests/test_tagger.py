"""The public API on the real default models (EfficientNet-Lite0, GloVe 6B 50-d)."""

import io
import threading

import pytest
from PIL import Image

import zeroshot_tags
from conftest import EXAMPLE_PHOTO
from zeroshot_tags import ImageError, Suggestion, Tagger, suggest

COFFEE_TAGS = {"#espresso", "#cappuccino", "#latte", "#coffee", "#tea"}


def test_suggest_a_path(default_tagger):
    suggestions = default_tagger.suggest(EXAMPLE_PHOTO, top=5)
    assert len(suggestions) == 5 and all(isinstance(s, Suggestion) for s in suggestions)
    assert {s.hashtag for s in suggestions} & COFFEE_TAGS
    assert all(s.hashtag.startswith("#") for s in suggestions)
    scores = [s.score for s in suggestions]
    assert scores[0] == max(scores) and -1 <= min(scores) and scores[0] <= 1  # the spread orders the rest


def test_every_input_form_gives_the_same_answer(default_tagger):
    data = EXAMPLE_PHOTO.read_bytes()
    from_path = default_tagger.suggest(str(EXAMPLE_PHOTO), top=3)
    from_bytes = default_tagger.suggest(data, top=3)
    from_pil = default_tagger.suggest(Image.open(io.BytesIO(data)), top=3)
    assert [s.hashtag for s in from_path] == [s.hashtag for s in from_bytes] == [s.hashtag for s in from_pil]


def test_a_list_in_gives_a_list_of_lists(default_tagger):
    gray = Image.open(EXAMPLE_PHOTO).convert("L")
    results = default_tagger.suggest([EXAMPLE_PHOTO, gray, EXAMPLE_PHOTO], top=4)
    assert len(results) == 3 and all(len(r) == 4 for r in results)
    assert results[0] == results[2]


def test_a_batch_with_a_bad_image_still_tags_the_others(default_tagger, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    results = list(default_tagger.suggest_many([EXAMPLE_PHOTO, bad, EXAMPLE_PHOTO], top=2))
    assert [r.error is None for r in results] == [True, False, True]
    assert "broken.jpg" in str(results[1].error)
    assert results[2].suggestions == results[0].suggestions
    with pytest.raises(ImageError, match="broken.jpg"):
        default_tagger.suggest([EXAMPLE_PHOTO, bad])


def test_batches_are_decoded_ahead_yet_results_keep_the_input_order(default_tagger, shared_data):
    photos = sorted((shared_data / "intel_scenes" / "images" / "train" / "sea").glob("*.jpg"))[:5]
    tagger = Tagger(default_tagger.backbone, custom_hashtags=False, batch_size=2)
    sources = [photos[0], "missing.jpg", *photos[1:], EXAMPLE_PHOTO.read_bytes()]
    results = list(tagger.suggest_many(sources, top=3))
    assert [r.source for r in results] == [str(photos[0]), "missing.jpg", *map(str, photos[1:]), results[-1].source]
    assert [r.error is None for r in results] == [True, False, True, True, True, True, True]
    one_by_one = [[s.hashtag for s in tagger.suggest(source, top=3)] for source in [*photos, EXAMPLE_PHOTO]]
    assert [[s.hashtag for s in r.suggestions] for r in results if r.error is None] == one_by_one


def test_threads_set_torchs_threads_and_by_default_share_the_cores_among_the_lanes(default_tagger, monkeypatch):
    import os

    import torch

    from zeroshot_tags.config import LANES

    before = torch.get_num_threads()
    try:
        Tagger(default_tagger.backbone, custom_hashtags=False, threads=3)
        assert torch.get_num_threads() == 3
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(8)), raising=False)
        Tagger(default_tagger.backbone, custom_hashtags=False)
        assert torch.get_num_threads() == 8 // LANES
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
        Tagger(default_tagger.backbone, custom_hashtags=False)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_sampling_is_repeatable_with_a_seed_and_varies_without(default_tagger):
    best = [s.hashtag for s in default_tagger.suggest(EXAMPLE_PHOTO, top=5)]
    draws = [[s.hashtag for s in default_tagger.suggest(EXAMPLE_PHOTO, top=5, sample=True, seed=seed)]
             for seed in range(6)]
    again = [s.hashtag for s in default_tagger.suggest(EXAMPLE_PHOTO, top=5, sample=True, seed=0)]
    assert draws[0] == again
    assert any(draw != best for draw in draws)
    spread, default_tagger.spread_weight = default_tagger.spread_weight, 0.0  # a draw's pool is by score
    try:
        pool = {s.hashtag for s in default_tagger.suggest(EXAMPLE_PHOTO, top=15)}
    finally:
        default_tagger.spread_weight = spread
    assert all(set(draw) <= pool and len(set(draw)) == 5 for draw in draws)


def test_a_user_vocabulary_replaces_the_builtin_one(default_tagger):
    tagger = default_tagger.with_vocabulary(["coffee", "#beachlife", "mountain bike", "football"])
    suggestions = tagger.suggest(EXAMPLE_PHOTO, top=4)
    assert suggestions[0].hashtag == "#coffee"
    assert {s.hashtag for s in suggestions} == {"#coffee", "#beachlife", "#mountainbike", "#football"}
    assert tagger.backbone is default_tagger.backbone


def test_a_user_vocabulary_extends_the_builtin_one(default_tagger):
    tagger = default_tagger.with_vocabulary(["#espressolover"], extend=True)
    assert len(tagger.vocabulary) == len(default_tagger.vocabulary) + 1


def test_module_level_suggest_uses_one_shared_tagger(monkeypatch, default_tagger):
    monkeypatch.setattr(zeroshot_tags.tagging.tagger, "_default_tagger", None)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(zeroshot_tags.tagging.tagger.default_tagger()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(t) for t in seen}) == 1
    assert suggest(EXAMPLE_PHOTO, top=3, vocabulary=["coffee", "beach", "dog"])[0].hashtag == "#coffee"


def test_bad_arguments(default_tagger):
    with pytest.raises(zeroshot_tags.ZeroShotTagsError):
        default_tagger.suggest(EXAMPLE_PHOTO, top=0)
    with pytest.raises(zeroshot_tags.ZeroShotTagsError):
        Tagger(default_tagger.backbone, top_classes=0)


def test_every_setting_is_reachable_and_kept_by_with_vocabulary(default_tagger):
    tagger = Tagger(default_tagger.backbone, "glove-6b-50d", ["coffee", "beach", "dog", "espresso"],
                    hubness="center", label_text="names", temperature=2.0, top_classes=5, flip=True)
    assert tagger.suggest(EXAMPLE_PHOTO, top=1)[0].hashtag in {"#coffee", "#espresso"}
    other = tagger.with_vocabulary(["cappuccino", "mountain"])
    assert other.settings == tagger.settings and other.flip and other.temperature == 2.0
    assert other.suggest(EXAMPLE_PHOTO, top=1)[0].hashtag == "#cappuccino"


def test_queries_follow_top_classes_and_temperature(default_tagger):
    import numpy as np

    from zeroshot_tags.tagging.conse import conse_queries

    probabilities = default_tagger.backbone.predict_proba([Image.open(EXAMPLE_PHOTO).convert("RGB")])
    tagger = default_tagger.with_vocabulary(["coffee"])
    tagger.top_classes, tagger.temperature = 7, 3.0
    np.testing.assert_allclose(tagger.queries(probabilities),
                               conse_queries(probabilities, tagger.space.label_vectors, 7, 3.0))


@pytest.mark.parametrize("settings", [{"temperature": 0}, {"hubness": "zscore"},
                                      {"vectors": "glove-6b-50d@-1"}, {"template": "{} {}"}])
def test_bad_settings_are_refused(default_tagger, settings):
    with pytest.raises(zeroshot_tags.ZeroShotTagsError):
        Tagger(default_tagger.backbone, **settings)


def test_a_tagger_is_described_by_a_picklable_config_that_rebuilds_it(default_tagger, tmp_path):
    import pickle

    from zeroshot_tags import TaggerConfig

    custom = tmp_path / "mine.txt"
    custom.write_text("morning brew: #morningbrew\n")
    tagger = Tagger(default_tagger.backbone, ["glove-6b-50d"], ["coffee", "beach", "espresso"],
                    extra_vocabulary=["#latte"], hubness="none", top_classes=5, custom_hashtags=custom)
    config = pickle.loads(pickle.dumps(tagger.config))
    assert config == TaggerConfig(vectors=("glove-6b-50d",), vocabulary=("coffee", "beach", "espresso"),
                                  extra_vocabulary=("#latte",), hubness="none", top_classes=5,
                                  custom_hashtags=str(custom))
    rebuilt = Tagger.from_config(config)
    assert rebuilt.vocabulary == tagger.vocabulary
    assert rebuilt.suggest(EXAMPLE_PHOTO, top=4) == tagger.suggest(EXAMPLE_PHOTO, top=4)


def test_with_vocabulary_keeps_the_custom_hashtags_of_the_builtin_vocabulary_and_its_config(
        default_tagger, tmp_path):
    custom = tmp_path / "mine.txt"
    custom.write_text("#morningbrew\n")
    tagger = Tagger(default_tagger.backbone, ["glove-6b-50d"], custom_hashtags=custom)
    assert "#morningbrew" in tagger.with_vocabulary(None).space.vocabulary.entries[-1].hashtags
    words = tagger.with_vocabulary(["coffee", "beach"])
    assert [e.hashtags[0] for e in words.vocabulary.entries] == ["#coffee", "#beach", "#morningbrew"]
    extended = words.with_vocabulary(["#latte"], extend=True)
    assert set(Tagger.from_config(extended.config).vocabulary.entries) == set(extended.vocabulary.entries)
