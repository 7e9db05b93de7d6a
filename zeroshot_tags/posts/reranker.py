"""Re-ranking by a hashtag model. The candidates are the hashtags most relevant to the photo
(by the zero-shot score) and those most associated with its most relevant ones; a
candidate's score is its relevance plus ``prior_weight`` times its standardised log prior
plus ``cooccurrence_weight`` times its standardised association. Weights 0 give the plain
ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import sparse

from .hashtag_model import HashtagModel

SEEDS = 5
"""How many of the most relevant hashtags the co-occurrence term starts from."""
CANDIDATES = 50
"""How many of the most relevant hashtags, and of the most associated ones, are re-ranked."""


@dataclass(frozen=True)
class HashtagReranker:
    """A hashtag model's terms for one list of candidates (each known by its first hashtag).

    Attributes:
        prior: each candidate's standardised log prior (candidates the model does not know
            get the lowest prior it has).
        association: positive PMI between candidates (zero where the model knows neither).
    """

    prior: np.ndarray
    association: sparse.csr_matrix

    @classmethod
    def create(cls, model: HashtagModel, candidates: Sequence[str]) -> "HashtagReranker":
        """The terms of ``model`` for ``candidates``, ``#tag`` forms."""
        column = {tag: k for k, tag in enumerate(model.hashtags)}
        known = np.array([column.get(tag, -1) for tag in candidates])
        log_prior = model.log_prior()
        prior = np.where(known >= 0, log_prior[np.maximum(known, 0)], log_prior.min())
        prior = (prior - prior.mean()) / (prior.std() or 1.0)
        rows = np.flatnonzero(known >= 0)
        pick = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, known[rows])),
                                 shape=(len(candidates), len(model.hashtags)))
        association = (pick @ model.association() @ pick.T).tocsr()
        scale = association.data.std() if association.nnz else 1.0
        return cls(prior.astype(np.float32), (association / (scale or 1.0)).tocsr())

    def scores(self, relevance: np.ndarray, prior_weight: float, cooccurrence_weight: float,
               candidates: int = CANDIDATES) -> np.ndarray:
        """Each hashtag's score given its ``relevance``: the ``candidates`` most relevant and
        most associated get the model's terms added, the others ``-inf``."""
        chosen = _best(relevance, candidates)
        terms = prior_weight * self.prior
        if cooccurrence_weight:  # the association with the most relevant, only when it counts
            association = np.asarray(self.association[_best(relevance, SEEDS)].mean(axis=0)).ravel()
            chosen = np.union1d(chosen, _best(association, candidates))
            terms = terms + cooccurrence_weight * association
        scores = np.full(len(relevance), -np.inf, dtype=np.float64)
        scores[chosen] = relevance[chosen] + terms[chosen]
        return scores


def _best(values: np.ndarray, count: int) -> np.ndarray:
    """The indices of the ``count`` largest ``values`` (all of them when fewer)."""
    if count >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values, count)[:count]
