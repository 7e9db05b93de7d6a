"""What a user already told about a photo: hashtags they accepted and a caption.

Accepted hashtags pull the photo's ConSE query toward their vectors and are not suggested
again; the caption's vector joins the query too. The refined query is the unit vector of
``query + accept_weight * mean(accepted vectors) + caption_weight * caption vector``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..config import DEFAULT_ACCEPT_WEIGHT, DEFAULT_CAPTION_WEIGHT
from ..errors import SettingError
from ..text import hashtag_form


@dataclass(frozen=True)
class Refinement:
    """Accepted hashtags (normalised to ``#lowercase``), a caption, and their weights."""

    accepted: tuple[str, ...] = ()
    caption: str = ""
    accept_weight: float = DEFAULT_ACCEPT_WEIGHT
    caption_weight: float = DEFAULT_CAPTION_WEIGHT

    @classmethod
    def create(cls, accepted: Sequence[str] = (), caption: Optional[str] = None,
               accept_weight: float = DEFAULT_ACCEPT_WEIGHT,
               caption_weight: float = DEFAULT_CAPTION_WEIGHT) -> "Refinement":
        """Check and normalise what the user gave.

        Raises:
            SettingError: a weight is negative, or an accepted hashtag has no letters.
        """
        if accept_weight < 0 or caption_weight < 0:
            raise SettingError("accept and caption weights cannot be negative")
        tags = tuple(dict.fromkeys(hashtag_form(tag) for tag in accepted))
        if "#" in tags:
            raise SettingError("an accepted hashtag needs letters or digits after '#'")
        return cls(tags, (caption or "").strip(), accept_weight, caption_weight)

    def __bool__(self) -> bool:
        return bool(self.accepted or self.caption)


def refine_queries(queries: np.ndarray, accepted_vectors: np.ndarray,
                   caption_vector: Optional[np.ndarray], refinement: Refinement) -> np.ndarray:
    """Unit query rows moved toward the mean accepted vector and the caption vector."""
    pull = np.zeros(queries.shape[1], dtype=np.float32)
    if len(accepted_vectors):
        pull += refinement.accept_weight * accepted_vectors.mean(axis=0)
    if caption_vector is not None:
        pull += refinement.caption_weight * caption_vector
    moved = queries + pull
    return (moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)).astype(np.float32)
