"""A person's nearest photos: cosine after centring on their mean photo, from an Annoy index."""

import numpy as np

from zeroshot_tags.personal.neighbours import PhotoNeighbours, unit_rows


def brute_force_weights(features, query, count):
    center = features.mean(axis=0)
    similarities = unit_rows(features - center) @ unit_rows((query - center)[None])[0]
    nearest = np.argsort(-similarities)[:count]
    kept = np.maximum(similarities[nearest], 0)
    return dict(zip(nearest.tolist(), kept / kept.sum()))


def test_photos_and_queries_are_compared_centred_on_the_photos_mean():
    rng = np.random.default_rng(0)
    shared = rng.normal(size=16)  # what every photo of the person has, some more than others
    features = unit_rows(rng.uniform(1, 4, size=(40, 1)) * shared + rng.normal(size=(40, 16)))
    queries = unit_rows(rng.uniform(1, 4, size=(5, 1)) * shared + rng.normal(size=(5, 16)))
    weights = PhotoNeighbours(features).weights(queries, 4)
    for row, query in enumerate(queries):
        found = dict(zip(weights[row].indices.tolist(), weights[row].data))
        expected = brute_force_weights(features, query, 4)
        assert found.keys() == expected.keys()
        np.testing.assert_allclose([found[k] for k in expected], list(expected.values()), rtol=1e-5)
    uncentred = np.argsort(-(queries @ features.T), axis=1)[:, :4]
    assert any(set(near) != set(weights[row].indices) for row, near in enumerate(uncentred.tolist()))

