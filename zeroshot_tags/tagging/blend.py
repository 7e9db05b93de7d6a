"""A person's profile beside the zero-shot candidates: one ranking of both.

A candidate's blended score is ``(1 - personal_weight) * zero-shot score + personal_weight *
personal score``; the person's hashtags that no vocabulary entry has join the candidates
with a zero-shot score of 0, and vocabulary entries the person never used have a personal
score of 0, so they can still come from the zero-shot side.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from scipy import sparse

from ..vocabulary.vocab import VocabularyEntry
from .ranking import as_suggestions
from .suggestion import Suggestion

if TYPE_CHECKING:
    from ..personal.profile import PersonalWeights, Profile


@dataclass(frozen=True)
class PersonalScores:
    """A profile's scores of its hashtags for one photo, and the photo's nearest of the
    person's photos (a row of :meth:`Profile.nearest`)."""

    profile: "Profile"
    scores: np.ndarray
    near: sparse.csr_matrix

    @classmethod
    def of_photos(cls, profile: "Profile", features: np.ndarray, weights: "PersonalWeights",
                  neighbours: int) -> list["PersonalScores"]:
        """Each photo's scores from its pooled features: ``weights`` of the profile's models,
        over its ``neighbours`` nearest of the person's photos."""
        near = profile.nearest(features, neighbours)
        return [cls(profile, row, near[k]) for k, row in enumerate(profile.scores(features, weights, near))]

    def shared(self, hashtag: int) -> np.ndarray:
        """For each of the profile's hashtags, the share of the photo's nearest photos that
        carry both it and ``hashtag`` (a position in the profile's hashtags), weighted as
        they vote."""
        nearby = self._nearby_tags
        return (self.near.data * nearby[:, hashtag]) @ nearby

    @functools.cached_property
    def _nearby_tags(self) -> np.ndarray:
        """The (nearest photos x hashtags) 0/1 rows of the photo's nearest photos, in
        ``near``'s order."""
        return self.profile.tags[self.near.indices].toarray()

    @property
    def hashtags(self) -> tuple[str, ...]:
        """The hashtags scored, the profile's."""
        return self.profile.hashtags


@dataclass(frozen=True)
class PersonalBlend:
    """The candidates of a vocabulary and a profile.

    Attributes:
        hashtags: every candidate's hashtag: the entries' first hashtags, then the profile's
            hashtags that are none of them.
        columns: each profile hashtag's position among the candidates.
        entries: how many candidates are vocabulary entries.
    """

    hashtags: tuple[str, ...]
    columns: np.ndarray
    entries: int

    @classmethod
    def create(cls, entries: Sequence[VocabularyEntry], profile_hashtags: Sequence[str]) -> "PersonalBlend":
        """The candidates of ``entries`` and of a profile's hashtags."""
        firsts = [entry.hashtags[0] for entry in entries]
        position = {tag: k for k, tag in reversed(list(enumerate(firsts)))}
        added = [tag for tag in profile_hashtags if tag not in position]
        position.update({tag: len(firsts) + k for k, tag in enumerate(added)})
        return cls(tuple(firsts + added), np.array([position[tag] for tag in profile_hashtags]), len(firsts))

    def on_profile(self, entry_values: np.ndarray) -> np.ndarray:
        """Values given per vocabulary entry, per profile hashtag (0 for a hashtag no entry has)."""
        inside = self.columns < self.entries
        return np.where(inside, entry_values[np.where(inside, self.columns, 0)], 0.0)

    def scores(self, zero_shot: np.ndarray, personal: np.ndarray, personal_weight: float) -> np.ndarray:
        """The blended score of every candidate from the entries' zero-shot scores and the
        profile's scores of its hashtags."""
        blended = np.zeros(len(self.hashtags), dtype=np.float64)
        blended[:self.entries] = (1.0 - personal_weight) * zero_shot
        blended[self.columns] += personal_weight * personal
        return blended

    def following(self, follows: np.ndarray, candidate: int) -> np.ndarray:
        """``P(other | candidate)`` for every candidate, from a profile's ``follows`` between
        its hashtags (0 where the profile has no figure)."""
        return self._per_candidate(candidate, lambda hashtag: follows[hashtag])

    def shared(self, personal: PersonalScores, candidate: int) -> np.ndarray:
        """For every candidate, the share of the photo's nearest own photos that carry both
        it and ``candidate`` (see :meth:`PersonalScores.shared`; 0 where the profile has no figure)."""
        return self._per_candidate(candidate, personal.shared)

    def _per_candidate(self, candidate: int, values: Callable[[int], np.ndarray]) -> np.ndarray:
        """``values`` of ``candidate``'s profile hashtag (a value per profile hashtag) placed on
        the candidates; zeros when ``candidate`` is none of the profile's hashtags."""
        row = np.zeros(len(self.hashtags))
        hashtag = np.flatnonzero(self.columns == candidate)
        if len(hashtag):
            row[self.columns] = values(int(hashtag[0]))
        return row

    def suggestions(self, entries: Sequence[VocabularyEntry], chosen: Sequence[tuple[int, float]]) -> list[Suggestion]:
        """A suggestion per chosen (candidate, score): an entry's, or a profile hashtag's own."""
        return [as_suggestions(entries, [(k, score)])[0] if k < self.entries
                else Suggestion(self.hashtags[k], self.hashtags[k][1:], score) for k, score in chosen]
