"""Embed class names and vocabulary words in a semantic space (pure numpy over gensim vectors)."""

from __future__ import annotations

import numpy as np

from .labels import LabelSet
from .vectors import phrase_parts, phrase_vector
from .vocab import Vocabulary, VocabularyEntry


def embed_labels(vectors, labels: LabelSet) -> np.ndarray:
    """One unit vector per class: the mean over the words of all its synonyms (each word,
    or each phrase the vectors hold whole, counts once); zeros when none is known."""
    matrix = np.zeros((len(labels), vectors.vector_size), dtype=np.float32)
    for row, synonyms in enumerate(labels.synonyms):
        parts = [part for name in synonyms for part in phrase_parts(vectors, name)]
        if parts:
            mean = np.mean(parts, axis=0)
            matrix[row] = mean / np.linalg.norm(mean)
    return matrix


def embed_vocabulary(vectors, vocabulary: Vocabulary) -> tuple[list[int], np.ndarray]:
    """Unit vectors of the entries the space can express: (kept entry positions, matrix)."""
    kept, rows = [], []
    for position, entry in enumerate(vocabulary.entries):
        vector = entry_vector(vectors, entry)
        if vector is not None:
            kept.append(position)
            rows.append(vector)
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), vectors.vector_size)
    return kept, matrix


def entry_vector(vectors, entry: VocabularyEntry):
    """The entry's word vector; failing that, its first hashtag segmented into words."""
    for text in (entry.word, *entry.hashtags):
        vector = phrase_vector(vectors, text)
        if vector is not None:
            return vector
    return None
