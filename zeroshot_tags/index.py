"""Cosine nearest neighbours through an Annoy index (angular metric)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from annoy import AnnoyIndex

from .errors import CacheError

METRIC = "angular"
N_TREES = 32


def angular_to_cosine(distance: np.ndarray) -> np.ndarray:
    """Annoy's angular distance is sqrt(2 - 2 cos); turn it back into the cosine."""
    return 1.0 - np.square(distance) / 2.0


class CosineIndex:
    """Nearest unit vectors by cosine similarity, answered by Annoy."""

    def __init__(self, annoy: AnnoyIndex, size: int) -> None:
        self._annoy = annoy
        self.size = size

    @classmethod
    def build(cls, vectors: np.ndarray, path: Path, seed: int = 0) -> "CosineIndex":
        """Build an index over the rows of ``vectors`` and save it at ``path``."""
        annoy = AnnoyIndex(vectors.shape[1], METRIC)
        annoy.set_seed(seed)
        for item, vector in enumerate(vectors):
            annoy.add_item(item, vector)
        annoy.build(N_TREES, n_jobs=1)
        annoy.save(os.fspath(path))
        return cls.load(path, vectors.shape[1], len(vectors))

    @classmethod
    def load(cls, path: Path, dimension: int, size: int) -> "CosineIndex":
        """Memory-map a saved index; check it holds ``size`` items of ``dimension``."""
        annoy = AnnoyIndex(dimension, METRIC)
        try:
            annoy.load(os.fspath(path))
        except OSError as exc:
            raise CacheError(f"{path}: unreadable Annoy index ({exc})") from exc
        if annoy.get_n_items() != size or (size and annoy.f != dimension):
            raise CacheError(f"{path}: index does not match its manifest")
        return cls(annoy, size)

    def nearest(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` items nearest ``query``: (item ids, cosine similarities), best first."""
        count = min(count, self.size)
        search_k = max(count, 100) * N_TREES
        ids, distances = self._annoy.get_nns_by_vector(
            query.tolist(), count, search_k=search_k, include_distances=True
        )
        return np.asarray(ids, dtype=np.int64), angular_to_cosine(np.asarray(distances))
