"""Nearest vocabulary words to a query through an Annoy index, with per-word score offsets.

A word's score is ``query . word - penalty(word)``: its cosine to the unit query (for a
single space; a weighted sum of cosines for combined spaces) less its hubness penalty.
Annoy's ``dot`` metric finds the highest scores exactly that way when each word is stored
as ``[word, -penalty]`` and each query as ``[query, 1]``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
from annoy import AnnoyIndex

from ..errors import CacheError

METRIC = "dot"
N_TREES = 32


class VocabularyIndex:
    """Highest-scoring vocabulary rows for a query, answered by Annoy."""

    def __init__(self, annoy: AnnoyIndex, size: int) -> None:
        self._annoy = annoy
        self.size = size

    @classmethod
    def build(cls, vectors: np.ndarray, path: Optional[Path], penalties: Optional[np.ndarray] = None,
              seed: int = 0) -> "VocabularyIndex":
        """Index the rows of ``vectors`` (less ``penalties``, if given) and save at ``path``
        (memory-mapped from there), or keep it in memory when ``path`` is None."""
        if penalties is None:
            penalties = np.zeros(len(vectors), dtype=np.float32)
        annoy = AnnoyIndex(vectors.shape[1] + 1, METRIC)
        annoy.set_seed(seed)
        for item, (vector, penalty) in enumerate(zip(vectors, penalties)):
            annoy.add_item(item, np.append(vector, -penalty))
        annoy.build(N_TREES, n_jobs=1)
        if path is None:
            return cls(annoy, len(vectors))
        annoy.save(os.fspath(path))
        return cls.load(path, vectors.shape[1], len(vectors))

    @classmethod
    def load(cls, path: Path, dimension: int, size: int) -> "VocabularyIndex":
        """Memory-map a saved index; check it holds ``size`` items of ``dimension``."""
        annoy = AnnoyIndex(dimension + 1, METRIC)
        try:
            annoy.load(os.fspath(path))
        except OSError as exc:
            raise CacheError(f"{path}: unreadable Annoy index ({exc})") from exc
        if annoy.get_n_items() != size or (size and annoy.f != dimension + 1):
            raise CacheError(f"{path}: index does not match its manifest")
        return cls(annoy, size)

    def nearest(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` best items for a unit ``query``: (item ids, scores), best first."""
        count = min(count, self.size)
        search_k = max(count, 100) * N_TREES
        ids, scores = self._annoy.get_nns_by_vector(
            np.append(query, 1.0).tolist(), count, search_k=search_k, include_distances=True
        )
        return np.asarray(ids, dtype=np.int64), np.asarray(scores, dtype=np.float32)
