"""The cached semantic space: built once, reused without the vectors file, rebuilt when stale."""

import logging

import numpy as np
import pytest

import zeroshot_tags.space as space_module
from conftest import TINY_WORDS, write_word2vec
from zeroshot_tags.errors import VocabularyError
from zeroshot_tags.labels import LabelSet
from zeroshot_tags.space import open_space
from zeroshot_tags.vectors import VectorsSource
from zeroshot_tags.vocab import load_vocabulary

LABELS = LabelSet("tiny", ("n1", "n2", "n3"), (("cat", "kitten"), ("pizza",), ("unknownword",)))


@pytest.fixture
def spy_loads(monkeypatch):
    """Count how often the full vectors file is read."""
    calls = []
    real = space_module.load_keyed_vectors

    def counting(source):
        calls.append(source.spec)
        return real(source)

    space_module._keyed_vectors.cache_clear()
    monkeypatch.setattr(space_module, "load_keyed_vectors", counting)
    yield calls
    space_module._keyed_vectors.cache_clear()


def unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def build(vectors_file, cache, words=("cat", "pizza", "beach", "#foodphotography")):
    return open_space(VectorsSource(str(vectors_file)), LABELS, load_vocabulary(list(words)), cache)


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
    space_module._keyed_vectors.cache_clear()
    again = build(tiny_vectors_file, tmp_path)
    assert spy_loads == [str(tiny_vectors_file)]
    assert len(again.vocabulary) == 4


def test_a_changed_vectors_file_rebuilds_the_cache(tiny_vectors_file, tmp_path, spy_loads):
    build(tiny_vectors_file, tmp_path)
    changed = dict(TINY_WORDS, beach=[0.0, 0.0, 1.0, 0.0])
    write_word2vec(tiny_vectors_file, changed, binary=True)
    space_module._keyed_vectors.cache_clear()
    space = build(tiny_vectors_file, tmp_path)
    assert len(spy_loads) == 2
    np.testing.assert_allclose(space.vocabulary_vectors[2], [0, 0, 1, 0])


@pytest.mark.parametrize("victim", ["index.ann", "labels.npy", "manifest.json"])
def test_a_corrupt_cache_file_is_reported_and_rebuilt(tiny_vectors_file, tmp_path, spy_loads,
                                                       victim, caplog):
    build(tiny_vectors_file, tmp_path)
    (victim_path,) = tmp_path.glob(f"spaces/*/{victim}")
    victim_path.write_bytes(b"\x00garbage" * 3)
    space_module._keyed_vectors.cache_clear()
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
