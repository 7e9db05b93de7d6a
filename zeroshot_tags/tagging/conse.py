"""ConSE (Norouzi et al. 2014): embed an image as a convex combination of its top class vectors."""

from __future__ import annotations

import numpy as np

from ..errors import SettingError


def conse_queries(probabilities: np.ndarray, label_vectors: np.ndarray, top_t: int,
                  temperature: float = 1.0) -> np.ndarray:
    """Semantic query vectors for a batch of classifier outputs.

    For each row of ``probabilities`` (n_images x n_classes), keep the ``top_t`` most probable
    classes that have a label vector, weight them by their probabilities raised to
    ``1 / temperature`` and renormalised to sum to one, and return the weighted sum of their
    label vectors, scaled to unit length.

    Args:
        probabilities: softmax outputs, one row per image.
        label_vectors: one row per class; all-zero rows mark classes without a vector.
        top_t: how many classes enter the combination (T in the paper).
        temperature: above 1 flattens the weights, below 1 sharpens them (1: the paper's).
    """
    if top_t < 1:
        raise SettingError("top_t must be at least 1")
    if not temperature > 0:
        raise SettingError("temperature must be positive")
    known = np.any(label_vectors != 0, axis=1)
    usable = np.where(known, probabilities, -1.0)
    top_t = min(top_t, int(known.sum()))
    top = np.argpartition(-usable, top_t - 1, axis=1)[:, :top_t]
    logits = np.log(np.maximum(np.take_along_axis(probabilities, top, axis=1), 1e-30)) / temperature
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)
    queries = np.einsum("nt,ntd->nd", weights, np.asarray(label_vectors)[top])
    norms = np.linalg.norm(queries, axis=1, keepdims=True)
    return (queries / np.maximum(norms, 1e-12)).astype(np.float32)
