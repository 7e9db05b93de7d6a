"""Hashtags from a classifier fine-tuned by ``zstags train``: its most probable classes,
each mapped to hashtags through the vocabulary."""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from ..config import DEFAULT_BATCH_SIZE, MAX_PIXELS
from ..supervised.trained import FineTunedClassifier
from ..text import class_phrase, hashtag_form
from ..vocabulary.vocab import Vocabulary, VocabularyEntry, VocabularySpec, load_vocabulary
from .photo_tagger import LoadedPhoto, PhotoTagger
from .ranking import as_suggestions, choose
from .refinement import Refinement
from .suggestion import Suggestion


class TrainedTagger(PhotoTagger):
    """Suggests the hashtags of the classes a trained model finds most probable.

    Args:
        model: a model file written by ``zstags train``.
        vocabulary: where each class finds its hashtags (the built-in vocabulary by default):
            a class whose name is a vocabulary word gets that word's hashtags, any other its
            own hashtag form (``apple_pie`` -> ``#applepie``).
        extra_vocabulary: entries added to ``vocabulary``.
        device, batch_size, max_pixels: as for :class:`~zeroshot_tags.Tagger`.

    Example:
        >>> TrainedTagger("scenes.pt").suggest("beach.jpg", top=2)  # doctest: +SKIP
        [Suggestion(hashtag='#sea', word='sea', score=0.97, related=('#ocean',)), ...]
    """

    def __init__(self, model: os.PathLike, vocabulary: VocabularySpec = None, *,
                 extra_vocabulary: VocabularySpec = None, device: str = "cpu",
                 batch_size: int = DEFAULT_BATCH_SIZE, max_pixels: int = MAX_PIXELS) -> None:
        self.classifier = FineTunedClassifier.load(model, device)
        self.vocabulary = load_vocabulary(vocabulary, extra_vocabulary)
        self.entries = class_entries(self.classifier.classes_, self.vocabulary)
        self.batch_size = batch_size
        self.max_pixels = max_pixels

    @property
    def min_side(self) -> Optional[int]:
        """The shorter side the model's network needs: larger photos are decoded at reduced size."""
        return self.classifier.min_side

    def _suggest_images(self, photos: Sequence[LoadedPhoto], top: int,
                        rngs: Sequence[Optional[np.random.Generator]],
                        refinement: Refinement) -> list[list[Suggestion]]:
        """The classes' suggestions; a caption has no part in a trained model's answer."""
        probabilities = self.classifier.predict_proba([photo.image for photo in photos])
        return [self.rank(row, top, rng, refinement.accepted) for row, rng in zip(probabilities, rngs)]

    def rank(self, probabilities: np.ndarray, top: int, rng: Optional[np.random.Generator] = None,
             exclude: Sequence[str] = ()) -> list[Suggestion]:
        """The ``top`` most probable classes as suggestions, leaving out classes whose hashtag
        is in ``exclude``; with ``rng``, ``top`` classes drawn with their probabilities
        instead, listed most probable first."""
        hashtags = [entry.hashtags[0] for entry in self.entries]
        chosen = choose(np.arange(len(probabilities)), probabilities, hashtags, top, rng, exclude,
                        weights=np.maximum(probabilities, 1e-12))
        return as_suggestions(self.entries, chosen)


def class_entries(classes: Sequence[str], vocabulary: Vocabulary) -> list[VocabularyEntry]:
    """The vocabulary entry of each class name (``_`` read as a space), matched by word or by
    hashtag; a class the vocabulary lacks stands for its own hashtag form."""
    by_word = {entry.word.lower(): entry for entry in vocabulary.entries}
    by_hashtag = {tag: entry for entry in vocabulary.entries for tag in entry.hashtags}
    entries = []
    for name in classes:
        word = class_phrase(name)
        tag = hashtag_form(word)
        entries.append(by_word.get(word.lower()) or by_hashtag.get(tag) or VocabularyEntry(word, (tag,)))
    return entries
