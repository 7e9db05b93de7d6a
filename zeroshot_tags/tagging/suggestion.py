"""What the library answers: suggested hashtags, and per-image results of a batch."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from ..errors import ZeroShotTagsError


@dataclass(frozen=True)
class Suggestion:
    """One suggested hashtag: ``hashtag`` (with '#'), the vocabulary ``word`` it stands for,
    its ``score``, and ``related`` hashtags people use for the same word.

    The score of zero-shot suggestions is, with a hashtag model (the default with the built-in
    vocabulary), the chance a post about the photo carries the hashtag, and without one the
    cosine similarity to the photo's query less the word's hubness penalty; with a profile,
    its blend with the profile's score; that of a trained model's suggestions is the class
    probability."""

    hashtag: str
    word: str
    score: float
    related: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ImageResult:
    """The outcome for one image of a batch: its suggestions, or the error that stopped it."""

    source: str
    suggestions: Optional[list[Suggestion]] = None
    error: Optional[ZeroShotTagsError] = None
