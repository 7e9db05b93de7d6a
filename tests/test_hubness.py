import numpy as np

from zeroshot_tags.semantic.hubness import centered, csls_penalties, label_mean


def unit_rows(matrix):
    matrix = np.asarray(matrix, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_csls_penalty_is_half_the_mean_similarity_to_the_nearest_labels():
    labels = np.vstack([unit_rows([[1, 0], [0.9, 0.1], [0, 1]]), [[0, 0]]])  # no vector: ignored
    words = unit_rows([[1, 0], [0, 1]])
    penalties = csls_penalties(words, labels, neighbours=2)
    expected_first = (1.0 + labels[1, 0]) / 4
    expected_second = (1.0 + labels[1, 1]) / 4
    np.testing.assert_allclose(penalties, [expected_first, expected_second], rtol=1e-6)


def test_a_hub_gets_the_larger_penalty():
    labels = unit_rows(np.random.default_rng(0).normal(size=(50, 8)) + 3.0)  # a crowded corner
    hub = unit_rows([np.ones(8)])
    loner = unit_rows([-np.ones(8)])
    assert csls_penalties(hub, labels)[0] > csls_penalties(loner, labels)[0]


def test_centering_moves_the_mean_label_to_the_origin():
    labels = np.vstack([unit_rows([[1, 1], [1, 0.5], [0.5, 1]]), [[0, 0]]])  # no vector: ignored
    words = unit_rows([[1, 0], [0, 0.0001]])
    words[1] = 0  # a word the space cannot express stays zero
    mean = label_mean(labels)
    np.testing.assert_allclose(mean, labels[:3].mean(axis=0), rtol=1e-6)
    moved_labels, moved_words = centered(labels, mean), centered(words, mean)
    np.testing.assert_allclose(moved_labels[:3], unit_rows(labels[:3] - mean), rtol=1e-5)
    np.testing.assert_allclose(moved_words[0], unit_rows([words[0] - mean])[0], rtol=1e-5)
    assert not moved_labels[3].any() and not moved_words[1].any()
