import numpy as np
import pytest

from zeroshot_tags.tagging.conse import conse_queries

LABELS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.float32)


def test_query_is_the_renormalised_convex_combination_of_the_top_classes():
    probs = np.array([[0.5, 0.3, 0.2, 0.0]])
    query = conse_queries(probs, LABELS, top_t=2)[0]
    expected = np.array([0.5, 0.3, 0.0]) / 0.8
    np.testing.assert_allclose(query, expected / np.linalg.norm(expected), rtol=1e-6)


def test_top_one_is_the_best_class_vector():
    probs = np.array([[0.1, 0.6, 0.3, 0.0], [0.7, 0.1, 0.2, 0.0]])
    np.testing.assert_allclose(conse_queries(probs, LABELS, top_t=1), LABELS[[1, 0]])


def test_classes_without_a_vector_are_skipped():
    probs = np.array([[0.1, 0.05, 0.05, 0.8]])  # the most probable class has no vector
    query = conse_queries(probs, LABELS, top_t=1)[0]
    np.testing.assert_allclose(query, LABELS[0])


def test_top_t_larger_than_the_class_count_uses_every_known_class():
    probs = np.array([[0.25, 0.25, 0.25, 0.25]])
    query = conse_queries(probs, LABELS, top_t=50)[0]
    np.testing.assert_allclose(query, np.ones(3) / np.sqrt(3), rtol=1e-6)


def test_top_t_must_be_positive():
    with pytest.raises(ValueError):
        conse_queries(np.ones((1, 4)) / 4, LABELS, top_t=0)


def test_temperature_raises_the_weights_to_its_inverse_power():
    probs = np.array([[0.6, 0.3, 0.1, 0.0]])
    for temperature in (0.5, 2.0):
        weights = probs[0, :3] ** (1 / temperature)
        expected = weights / np.linalg.norm(weights)
        query = conse_queries(probs, LABELS, top_t=3, temperature=temperature)[0]
        np.testing.assert_allclose(query, expected, rtol=1e-6)


def test_a_higher_temperature_flattens_the_combination():
    probs = np.array([[0.9, 0.1, 0.0, 0.0]])
    sharp = conse_queries(probs, LABELS, top_t=2, temperature=0.5)[0]
    flat = conse_queries(probs, LABELS, top_t=2, temperature=4.0)[0]
    assert flat[1] > sharp[1] and flat[0] < sharp[0]
    with pytest.raises(ValueError):
        conse_queries(probs, LABELS, top_t=2, temperature=0)
