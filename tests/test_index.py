import numpy as np

from zeroshot_tags.semantic.index import VocabularyIndex


def unit_rows(count, dimension, seed=0):
    rows = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_annoy_neighbours_match_exact_cosine(tmp_path):
    vectors = unit_rows(800, 50)
    index = VocabularyIndex.build(vectors, tmp_path / "index.ann")
    for query in unit_rows(20, 50, seed=1):
        ids, scores = index.nearest(query, 5)
        exact = vectors @ query
        np.testing.assert_array_equal(ids, np.argsort(-exact)[:5])
        np.testing.assert_allclose(scores, exact[ids], atol=1e-5)


def test_penalties_are_subtracted_from_the_cosine(tmp_path):
    vectors = unit_rows(800, 50)
    penalties = np.random.default_rng(2).uniform(0, 0.5, size=800).astype(np.float32)
    index = VocabularyIndex.build(vectors, tmp_path / "index.ann", penalties)
    for query in unit_rows(20, 50, seed=3):
        ids, scores = index.nearest(query, 5)
        exact = vectors @ query - penalties
        np.testing.assert_array_equal(ids, np.argsort(-exact)[:5])
        np.testing.assert_allclose(scores, exact[ids], atol=1e-5)


def test_a_saved_index_loads_and_answers_the_same(tmp_path):
    vectors = unit_rows(100, 8)
    built = VocabularyIndex.build(vectors, tmp_path / "index.ann")
    loaded = VocabularyIndex.load(tmp_path / "index.ann", 8, 100)
    np.testing.assert_array_equal(built.nearest(vectors[3], 4)[0], loaded.nearest(vectors[3], 4)[0])
    assert loaded.nearest(vectors[3], 1)[0][0] == 3
