"""Choosing suggestions from scored candidates: the best ones, or a sample that favours them.

Both taggers rank here (pure numpy): the zero-shot tagger's candidates are the index's
nearest vocabulary words, scored by similarity; a trained tagger's are its classes, scored
by probability.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
from PIL import Image

from ..errors import SettingError
from ..vocabulary.vocab import VocabularyEntry
from .suggestion import Suggestion

SAMPLING_POOL_FACTOR = 3
"""The zero-shot tagger samples ``top`` hashtags from its ``top * SAMPLING_POOL_FACTOR`` best."""
SAMPLING_TEMPERATURE = 0.1
"""Sampling draws a hashtag with probability proportional to exp(score / 0.1): a score
0.1 lower makes a hashtag e times less likely."""


@dataclass(frozen=True)
class Spread:
    """How the hashtags already listed hold back the ones posted with them: after each pick
    ``k``, a candidate's score counts ``1 - weight * P(candidate | k)`` times as much, and
    loses ``coverage_weight`` times its share with ``k`` of the photo's own nearest posts
    (with a profile), so a list of five covers five guesses rather than one guess five ways.

    Attributes:
        weight: 0 (rank by score alone) to 1.
        follows: ``P(candidate | k)`` for every candidate, given ``k``.
        coverage_weight: 0 (none) or more.
        shared: for every candidate, the share of the photo's nearest posts that carry both
            it and ``k``, given ``k`` (see :meth:`~zeroshot_tags.tagging.blend.PersonalScores.shared`).
    """

    weight: float
    follows: Callable[[int], np.ndarray]
    coverage_weight: float = 0.0
    shared: Optional[Callable[[int], np.ndarray]] = None

    @property
    def active(self) -> bool:
        """Whether the picks hold anything back."""
        return bool(self.weight) or self.covering

    @property
    def covering(self) -> bool:
        """Whether the picks take back what the photo's nearest posts share with them."""
        return bool(self.coverage_weight) and self.shared is not None

    def order(self, scores: np.ndarray, allowed: np.ndarray, top: int) -> np.ndarray:
        """The first ``top`` of ``allowed`` (candidate positions), picked one at a time by
        their scores held back by the picks before them (ties: the earlier position)."""
        available = np.zeros(len(scores), dtype=bool)
        available[allowed] = True
        kept, taken = np.ones(len(scores)), np.zeros(len(scores))
        picked = []
        for _ in range(min(top, len(allowed))):
            held_back = np.where(available, scores - np.abs(scores) * (1.0 - kept) - taken, -np.inf)
            k = int(np.argmax(held_back))
            picked.append(k)
            available[k] = False
            if self.weight:
                kept *= 1.0 - self.weight * np.minimum(self.follows(k), 1.0)
            if self.covering:
                taken += self.coverage_weight * self.shared(k)
        return np.array(picked, dtype=np.int64)


def check_top(top: int) -> None:
    """Refuse a ``top`` (how many suggestions a photo gets) below 1."""
    if top < 1:
        raise SettingError("top must be at least 1")


def photo_rng(seed: Optional[int], image: Image.Image) -> np.random.Generator:
    """The generator one photo's hashtags are sampled with: from ``seed`` and the photo's
    pixels, so a photo's sample does not depend on the photos batched with it or on the engine
    that tags it (without a seed, a fresh one each time)."""
    if seed is None:
        return np.random.default_rng()
    digest = hashlib.blake2b(image.tobytes(), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "little")])


def score_weights(scores: np.ndarray) -> np.ndarray:
    """Sampling weights ``exp((score - best) / SAMPLING_TEMPERATURE)``."""
    return np.exp((scores - scores.max()) / SAMPLING_TEMPERATURE)


def choose(ids: np.ndarray, scores: np.ndarray, hashtags: Sequence[str], top: int,
           rng: Optional[np.random.Generator] = None, exclude: Sequence[str] = (), *,
           pool: Optional[int] = None,
           weights: Optional[np.ndarray] = None,
           spread: Optional[Spread] = None) -> list[tuple[int, float]]:
    """The ``top`` best candidates as (id, score) pairs, best first (equal scores keep the
    given order), leaving out candidates whose hashtag is in ``exclude``; with ``spread``
    (and no ``rng``), picked in :meth:`Spread.order` instead.

    With ``rng``, ``top`` of the ``pool`` best (default: all) are drawn instead, without
    replacement, with probabilities proportional to ``weights`` (default:
    :func:`score_weights`), and listed best first. The draw runs over the pool in the given
    order, so one seed gives one sample.

    Args:
        ids, scores, hashtags: one per candidate: its id, its score, its (first) hashtag.
        weights: one per candidate, when sampling should not follow :func:`score_weights`.

    Raises:
        SettingError: ``top`` is below 1.
    """
    check_top(top)
    excluded = set(exclude)
    allowed = (np.array([k for k, tag in enumerate(hashtags) if tag not in excluded], dtype=np.int64)
               if excluded else np.arange(len(hashtags)))
    if spread is not None and spread.active and rng is None:
        ranked = spread.order(scores, allowed, top)
    else:
        ranked = allowed[np.argsort(-scores[allowed], kind="stable")]
    if rng is not None:
        pooled = np.sort(ranked[:pool])
        if len(pooled) > top:
            chances = score_weights(scores[pooled]) if weights is None else weights[pooled]
            drawn = pooled[np.sort(rng.choice(len(pooled), size=top, replace=False,
                                              p=chances / chances.sum()))]
            ranked = drawn[np.argsort(-scores[drawn], kind="stable")]
    return [(int(ids[k]), float(scores[k])) for k in ranked[:top]]


def as_suggestions(entries: Sequence[VocabularyEntry],
                   chosen: Sequence[tuple[int, float]]) -> list[Suggestion]:
    """A suggestion per chosen (entry id, score): the entry's first hashtag, its word, the
    score and its other hashtags."""
    return [Suggestion(entries[i].hashtags[0], entries[i].word, score, entries[i].hashtags[1:])
            for i, score in chosen]
