"""The k nearest of a person's photos vote their hashtags, weighted by similarity."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..semantic.index import VocabularyIndex


def unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), float32."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return (features / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class PhotoNeighbours:
    """Cosine nearest photos among ``features`` (unit rows), answered by an Annoy index, with
    photos and queries centred on the photos' mean first: what all of a person's photos share
    says little about which of them a new one is like (as hubness reduction does for words)."""

    def __init__(self, features: np.ndarray) -> None:
        self.center = features.mean(axis=0)
        self.index = VocabularyIndex.build(unit_rows(features - self.center), path=None)

    def weights(self, queries: np.ndarray, count: int) -> sparse.csr_matrix:
        """For each unit query row, its ``count`` nearest photos' similarities (negatives
        clipped to 0) normalised to sum 1: a (queries x photos) matrix."""
        rows, columns, values = [], [], []
        for row, query in enumerate(unit_rows(queries - self.center)):
            ids, similarities = self.index.nearest(query, count)
            similarities = np.maximum(similarities, 0.0)
            total = similarities.sum()
            if total > 0:
                rows += [row] * len(ids)
                columns += ids.tolist()
                values += (similarities / total).tolist()
        return sparse.csr_matrix((values, (rows, columns)), shape=(len(queries), self.index.size))


def neighbour_votes(weights: sparse.csr_matrix, tags: sparse.csr_matrix) -> np.ndarray:
    """Each query's share of neighbour similarity whose photo carries each hashtag: (queries x
    hashtags), from :meth:`PhotoNeighbours.weights` and the photos' (photos x hashtags) 0/1
    matrix."""
    return np.asarray((weights @ tags).todense(), dtype=np.float32)
