"""Hubness reduction: keep a few vocabulary words from being nearest to every query.

In high-dimensional spaces some words ("hubs") lie close to most label vectors and so
to most ConSE queries. Two remedies, both fitted on the label vectors alone (never on photos):

- ``"center"``: subtract the mean label vector from labels and words, then rescale to unit length;
- ``"csls"``: cross-domain similarity local scaling (Conneau et al. 2018),
  ``CSLS(q, w) = 2 cos(q, w) - r(q) - r(w)``, where ``r(w)`` is the mean cosine of word ``w``
  to its ``CSLS_NEIGHBOURS`` nearest label vectors. Among the words for one query ``r(q)`` is
  a constant, so the words rank by ``cos(q, w) - r(w) / 2``: the penalty stored for a word is
  ``r(w) / 2``.
"""

from __future__ import annotations

import numpy as np

CSLS_NEIGHBOURS = 10


def label_mean(labels: np.ndarray) -> np.ndarray:
    """The mean of the label vectors the space can express (non-zero rows): the point
    centering moves to the origin."""
    return labels[np.any(labels != 0, axis=1)].mean(axis=0)


def centered(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows moved so ``mean`` is the origin and rescaled to unit length (zero rows, which mark
    what the space cannot express, stay zero)."""
    present = np.any(vectors != 0, axis=1, keepdims=True)
    moved = np.where(present, vectors - mean, 0.0)
    norms = np.linalg.norm(moved, axis=1, keepdims=True)
    return (moved / np.maximum(norms, 1e-12)).astype(np.float32)


def csls_penalties(words: np.ndarray, labels: np.ndarray,
                   neighbours: int = CSLS_NEIGHBOURS) -> np.ndarray:
    """Each word's CSLS penalty: half its mean similarity to its ``neighbours`` most similar
    label vectors."""
    known = labels[np.any(labels != 0, axis=1)]
    if len(words) == 0 or len(known) == 0:
        return np.zeros(len(words), dtype=np.float32)
    neighbours = min(neighbours, len(known))
    similarities = words @ known.T
    nearest = np.partition(similarities, -neighbours, axis=1)[:, -neighbours:]
    return (nearest.mean(axis=1) / 2).astype(np.float32)

