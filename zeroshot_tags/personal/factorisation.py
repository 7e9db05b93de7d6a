"""Alternating least squares on the photo x hashtag matrix (the ``implicit`` package), as one
founding study recommended hashtags: a photo and a hashtag each get a factor vector whose
dot product says how likely the photo carries the hashtag. A new photo has no row of its
own, so its factors are its nearest photos' factors, weighted by similarity."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from ..config import ALS_ALPHA, ALS_FACTORS, ALS_ITERATIONS, ALS_REGULARIZATION


def fit_factors(tags: sparse.csr_matrix, factors: int = ALS_FACTORS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(photo factors, hashtag factors) of the (photos x hashtags) 0/1 matrix, each 0/1
    entry a confidence of ``1 + ALS_ALPHA``."""
    from implicit.cpu.als import AlternatingLeastSquares

    with threadpool_limits(1, "blas"):  # implicit's own threads do the work; BLAS threads slow it
        model = AlternatingLeastSquares(factors=min(factors, max(1, min(tags.shape) - 1)),
                                        regularization=ALS_REGULARIZATION, iterations=ALS_ITERATIONS,
                                        random_state=seed)
        model.fit((tags * ALS_ALPHA).astype(np.float32).tocsr(), show_progress=False)
    return np.asarray(model.user_factors, np.float32), np.asarray(model.item_factors, np.float32)


def factor_scores(weights: sparse.csr_matrix, photo_factors: np.ndarray,
                  hashtag_factors: np.ndarray) -> np.ndarray:
    """(queries x hashtags) scores of new photos whose factors are their neighbours'
    (``weights``: see :meth:`~zeroshot_tags.personal.neighbours.PhotoNeighbours.weights`)."""
    return np.asarray(weights @ photo_factors, np.float32) @ hashtag_factors.T
