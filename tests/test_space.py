"""The cached semantic space: built once, reused without the vectors file, rebuilt when stale."""

import logging

import numpy as np
import pytest

import zeroshot_tags.sources as sources_module
from conftest import TINY_WORDS, write_word2vec
from zeroshot_tags.errors import VocabularyError, ZeroShotTagsError
from zeroshot_tags.labels import LabelSet
from zeroshot_tags.space import SpaceSettings, open_space
from zeroshot_tags.vocab import load_vocabulary

LABELS = LabelSet("tiny", ("n1", "n2", "n3"), (("cat", "kitten"), ("pizza",), ("unknownword",)),
                  ("cat", "pizza", "unknownword"), ("A small furry pet.", "", ""))


@pytest.fixture
def spy_loads(monkeypatch):
    """Count how often the full vectors file is read."""
    calls = []
    real = sources_module.load_keyed_vectors

    def counting(source):
        calls.append(source.spec)
        return real(source)

    sources_module.open_embedder.cache_clear()
    monkeypatch.setattr(sources_module, "load_keyed_vectors", counting)
    yield calls
    sources_module.open_embedder.cache_clear()


def unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def build(vectors_file, cache, words=("cat", "pizza", "beach", "#foodphotography"), **settings):
    settings = SpaceSettings.create(str(vectors_file), **{"hubness": "none", **settings})
    return open_space(settings, LABELS, load_vocabulary(list(words)), cache)


def test_space_holds_label_and_vocabulary_vectors(tiny_vectors_file, tmp_path, spy_loads):
    space = build(tiny_vectors_file, tmp_path)
    synonyms = [unit(TINY_WORDS["cat"]), unit(TINY_WORDS["kitten"])]
    np.testing.assert_allclose(space.label_vectors[0], unit(np.mean(synonyms, axis=0)), rtol=1e-5)
    assert not space.label_vectors[2].any()  # a class no word of which is known
    assert [e.word for e in space.vocabulary.entries] == ["cat", "pizza", "beach", "foodphotography"]
    ids, scores = space.index.nearest(space.vocabulary_vectors[1], 1)
    assert ids[0] == 1 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_second_open_reads_only_the_cache(tiny_vectors_file, tmp_path, spy_loads):
    build(tiny_vectors_file, tmp_path)
    sources_module.open_embedder.cache_clear()
    again = build(tiny_vectors_file, tmp_path)
    assert spy_loads == [str(tiny_vectors_file)]
    assert len(again.vocabulary) == 4


def test_a_changed_vectors_file_rebuilds_the_cache(tiny_vectors_file, tmp_path, spy_loads):
    build(tiny_vectors_file, tmp_path)
    changed = dict(TINY_WORDS, beach=[0.0, 0.0, 1.0, 0.0])
    write_word2vec(tiny_vectors_file, changed, binary=True)
    sources_module.open_embedder.cache_clear()
    space = build(tiny_vectors_file, tmp_path)
    assert len(spy_loads) == 2
    np.testing.assert_allclose(space.vocabulary_vectors[2], [0, 0, 1, 0])


@pytest.mark.parametrize("victim", ["index.ann", "labels.npy", "manifest.json"])
def test_a_corrupt_cache_file_is_reported_and_rebuilt(tiny_vectors_file, tmp_path, spy_loads,
                                                       victim, caplog):
    build(tiny_vectors_file, tmp_path)
    (victim_path,) = tmp_path.glob(f"spaces/*/{victim}")
    victim_path.write_bytes(b"\x00garbage" * 3)
    sources_module.open_embedder.cache_clear()
    with caplog.at_level(logging.WARNING, logger="zeroshot_tags"):
        space = build(tiny_vectors_file, tmp_path)
    assert "corrupt cache" in caplog.text
    assert space.index.nearest(space.vocabulary_vectors[0], 1)[0][0] == 0


def test_entries_without_vectors_are_left_out_with_a_warning(tiny_vectors_file, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="zeroshot_tags"):
        space = build(tiny_vectors_file, tmp_path, words=("cat", "qqqzzz"))
    assert [e.word for e in space.vocabulary.entries] == ["cat"]
    assert "qqqzzz" in caplog.text


def test_a_vocabulary_the_vectors_cannot_express_is_an_error(tiny_vectors_file, tmp_path):
    with pytest.raises(VocabularyError, match="no word of the vocabulary"):
        build(tiny_vectors_file, tmp_path, words=("qqqzzz",))


def test_no_temporary_directories_are_left(tiny_vectors_file, tmp_path):
    build(tiny_vectors_file, tmp_path)
    assert [p.name for p in (tmp_path / "spaces").iterdir() if p.name.startswith(".")] == []


def test_csls_penalises_words_near_many_labels(tiny_vectors_file, tmp_path):
    space = build(tiny_vectors_file, tmp_path, hubness="csls")
    labels = np.asarray(space.label_vectors[:2])  # the third class has no vector
    similarities = np.asarray(space.vocabulary_vectors) @ labels.T
    np.testing.assert_allclose(space.penalties, similarities.mean(axis=1) / 2, rtol=1e-5)
    ids, scores = space.index.nearest(labels[0], 4)
    exact = np.asarray(space.vocabulary_vectors) @ labels[0] - space.penalties
    np.testing.assert_array_equal(ids, np.argsort(-exact))
    np.testing.assert_allclose(scores, exact[ids], atol=1e-5)


def test_sources_are_weighted_side_by_side(tiny_vectors_file, tmp_path):
    rotated = write_word2vec(tmp_path / "rotated.txt",
                             {w: v[1:] + v[:1] for w, v in TINY_WORDS.items()}, binary=False)
    settings = SpaceSettings.create([f"{tiny_vectors_file}@1", f"{rotated}@3"], hubness="none")
    space = open_space(settings, LABELS, load_vocabulary(["pizza", "beach"]), tmp_path)
    assert settings.weights == (0.25, 0.75)
    pizza = unit(TINY_WORDS["pizza"])
    np.testing.assert_allclose(space.vocabulary_vectors[0],
                               np.concatenate([0.5 * pizza, np.sqrt(0.75) * np.roll(pizza, -1)]),
                               rtol=1e-5)
    assert np.linalg.norm(space.vocabulary_vectors[0]) == pytest.approx(1.0)


def test_each_setting_has_its_own_cache(tiny_vectors_file, tmp_path, spy_loads):
    for hubness in ("none", "csls", "center"):
        build(tiny_vectors_file, tmp_path, hubness=hubness)
    build(tiny_vectors_file, tmp_path, label_text="names")
    assert len(list((tmp_path / "spaces").iterdir())) == 4
    assert spy_loads == [str(tiny_vectors_file)]  # one load of the file serves them all


@pytest.mark.parametrize("settings, message", [
    ({"hubness": "zscore"}, "unknown hubness"),
    ({"label_text": "glosses"}, "unknown label text"),
    ({"template": "a photo of"}, "exactly once"),
])
def test_bad_settings_are_refused(tiny_vectors_file, settings, message):
    with pytest.raises(ZeroShotTagsError, match=message):
        SpaceSettings.create(str(tiny_vectors_file), **settings)
