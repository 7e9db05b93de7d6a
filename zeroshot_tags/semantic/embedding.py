"""Embed class names and vocabulary words, with word vectors or with a sentence encoder.

Both embedders give unit rows, and all-zero rows for what they cannot express.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..vocabulary.vocab import VocabularyEntry
from .encoder import encode
from .vectors import phrase_parts, phrase_vector


class WordVectorsEmbedder:
    """Embeds with gensim word vectors: a phrase is the mean of its words' unit vectors."""

    def __init__(self, vectors) -> None:
        self.vectors = vectors
        self.dimension = vectors.vector_size

    def embed_phrases(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """One row per group: the mean over the words of all its phrases (each word, or each
        phrase the vectors hold whole, counts once)."""
        matrix = np.zeros((len(groups), self.dimension), dtype=np.float32)
        for row, phrases in enumerate(groups):
            parts = [part for phrase in phrases for part in phrase_parts(self.vectors, phrase)]
            if parts:
                mean = np.mean(parts, axis=0)
                matrix[row] = mean / np.linalg.norm(mean)
        return matrix

    def embed_entries(self, entries: Sequence[VocabularyEntry], template: str) -> np.ndarray:
        """The entry's word vector; failing that, its hashtags segmented into words.
        (``template`` is for sentence encoders; word vectors embed the bare word.)"""
        matrix = np.zeros((len(entries), self.dimension), dtype=np.float32)
        for row, entry in enumerate(entries):
            vector = self._entry_vector(entry)
            if vector is not None:
                matrix[row] = vector
        return matrix

    def _entry_vector(self, entry: VocabularyEntry) -> Optional[np.ndarray]:
        for text in (entry.word, *entry.hashtags):
            vector = phrase_vector(self.vectors, text)
            if vector is not None:
                return vector
        return None


class SentenceEmbedder:
    """Embeds with a sentence encoder: the phrases of a group are read as one list."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.dimension = encoder.get_embedding_dimension()

    def embed_phrases(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        return encode(self.encoder, [", ".join(phrases) for phrases in groups])

    def embed_entries(self, entries: Sequence[VocabularyEntry], template: str) -> np.ndarray:
        """Each entry's word, set in ``template`` (``"a photo of {}"``; ``"{}"`` is the bare word)."""
        return encode(self.encoder, [template.format(entry.word) for entry in entries])
