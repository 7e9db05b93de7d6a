"""An entry's related hashtags as suggestions of their own.

People post a content hashtag with its community forms (``#car #cars #carsofinstagram``), and
a vocabulary entry lists those after its own hashtag (``car: #car #cars #carsofinstagram``).
With ``related_weight`` w, the k-th of them (k = 1, 2, ...) is a candidate scored ``w ** k``
times its entry's score, so it follows its entry down the list; with w = 0 the candidates
are the entries' own hashtags alone, as before. A hashtag is one candidate: an entry's own
hashtag, or else the first place it holds among related ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..vocabulary.vocab import VocabularyEntry
from .suggestion import Suggestion


@dataclass(frozen=True)
class RelatedCandidates:
    """The candidate hashtags of a vocabulary's entries.

    Attributes:
        hashtags: each candidate's hashtag: every entry's own first, in entry order, then
            the related ones by their place.
        entry: each candidate's entry.
        place: its place among its entry's hashtags (0: the entry's own).
    """

    hashtags: tuple[str, ...]
    entry: np.ndarray
    place: np.ndarray

    @classmethod
    def create(cls, entries: Sequence[VocabularyEntry], related: bool) -> "RelatedCandidates":
        """The candidates of ``entries``: with ``related``, their related hashtags too."""
        places = max((len(entry.hashtags) for entry in entries), default=1) if related else 1
        chosen: dict[str, tuple[int, int]] = {}  # by place, then entry: the order of the candidates
        for place in range(places):
            for index, entry in enumerate(entries):
                if place < len(entry.hashtags):
                    chosen.setdefault(entry.hashtags[place], (index, place))
        return cls(tuple(chosen), np.array([index for index, _ in chosen.values()]),
                   np.array([place for _, place in chosen.values()]))

    def scores(self, entry_scores: np.ndarray, related_weight: float) -> np.ndarray:
        """Each candidate's score from its entry's: ``related_weight ** place`` times it."""
        return entry_scores[self.entry] * np.power(related_weight, self.place, dtype=np.float64)

    def following(self, entry_following: Callable[[int], np.ndarray]) -> Callable[[int], np.ndarray]:
        """``P(other | candidate)`` for every candidate from the entries' figures (a related
        hashtag follows as its entry does)."""
        return lambda candidate: entry_following(int(self.entry[candidate]))[self.entry]

    def suggestions(self, entries: Sequence[VocabularyEntry],
                    chosen: Sequence[tuple[int, float]]) -> list[Suggestion]:
        """A suggestion per chosen (candidate, score): its hashtag, its entry's word, the
        score and the entry's other hashtags."""
        suggestions = []
        for candidate, score in chosen:
            entry, hashtag = entries[self.entry[candidate]], self.hashtags[candidate]
            suggestions.append(Suggestion(hashtag, entry.word, score,
                                          tuple(tag for tag in entry.hashtags if tag != hashtag)))
        return suggestions
