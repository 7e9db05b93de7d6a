"""The semantic side of ConSE: label vectors, vocabulary vectors and their index, in one space.

The space is built once per set of inputs and cached (see :mod:`.space_cache`); later runs
memory-map it and load no model of words. Text embedded later (added hashtags, captions) goes
through the same sources, weights and centering as the cached vectors.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..config import DEFAULT_HUBNESS, DEFAULT_SOURCES, DEFAULT_TEMPLATE, check_space_choices
from ..errors import VocabularyError
from ..vocabulary.labels import LabelSet
from ..vocabulary.vocab import Vocabulary, VocabularyEntry
from .hubness import centered, csls_penalties, label_mean
from .index import VocabularyIndex
from .sources import Embedder, Source, default_label_text, open_embedder, parse_sources
from .space_cache import SpaceArrays, load_or_build, space_inputs

logger = logging.getLogger("zeroshot_tags")


@dataclass(frozen=True)
class SpaceSettings:
    """How the semantic space is made.

    Args:
        sources: the word vectors and sentence encoders combined (see :mod:`.sources`).
        weights: one per source, summing to one.
        label_text: what a class is embedded from: ``"synonyms"``, ``"names"``,
            ``"descriptions"``, or ``"auto"`` (each source's best: synonyms for word vectors,
            clean names for sentence encoders).
        template: the phrase a vocabulary word is set in for sentence encoders (``"{}"``).
        hubness: ``"csls"``, ``"center"`` or ``"none"`` (see :mod:`.hubness`).
    """

    sources: tuple[Source, ...]
    weights: tuple[float, ...]
    label_text: str = "auto"
    template: str = DEFAULT_TEMPLATE
    hubness: str = DEFAULT_HUBNESS

    @classmethod
    def create(cls, vectors: Union[str, Sequence[str]] = DEFAULT_SOURCES, *,
               limit: Optional[int] = None, label_text: str = "auto",
               template: str = DEFAULT_TEMPLATE, hubness: str = DEFAULT_HUBNESS) -> "SpaceSettings":
        """Settings from source specs (``"spec[@weight]"``), checking every choice."""
        check_space_choices(label_text, template, hubness)
        sources, weights = parse_sources(vectors, limit)
        return cls(sources, weights, label_text, template, hubness)

    def label_text_for(self, source: Source) -> str:
        return default_label_text(source) if self.label_text == "auto" else self.label_text


@dataclass(frozen=True)
class SemanticSpace:
    """Label vectors (zero rows for classes the space cannot name), the vocabulary entries
    the space can express with their vectors and hubness penalties, and their index.

    ``center`` is the point centering moved to the origin: each source's mean label vector,
    side by side (zeros where nothing moved). Pass it to :func:`embed_into_space`.
    """

    label_vectors: np.ndarray
    vocabulary: Vocabulary
    vocabulary_vectors: np.ndarray
    penalties: np.ndarray
    index: VocabularyIndex
    center: np.ndarray

    @property
    def dimension(self) -> int:
        return self.label_vectors.shape[1]

    def scores(self, queries: np.ndarray, rows: Optional[Sequence[int]] = None) -> np.ndarray:
        """Each vocabulary entry's score for each query (one row per query; a vector for one
        query): its cosine less its hubness penalty, exactly what :attr:`index` ranks by. Only
        the entries ``rows`` when given."""
        chosen = slice(None) if rows is None else list(rows)
        vectors, penalties = self._scoring_terms
        return np.asarray(queries, dtype=np.float64) @ vectors[chosen].T - penalties[chosen]

    @functools.cached_property
    def _scoring_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary vectors and penalties in float64, converted once: converting them
        on every call took half of :meth:`scores`."""
        return (np.asarray(self.vocabulary_vectors, dtype=np.float64),
                np.asarray(self.penalties, dtype=np.float64))

    def extended(self, entries: Sequence[VocabularyEntry], vectors: np.ndarray,
                 hubness: str) -> "SemanticSpace":
        """This space with more vocabulary entries, indexed in memory; an entry whose first
        hashtag the space holds replaces it. With ``vectors`` from :func:`embed_into_space`
        given this space's ``center``, the result is what a full rebuild would give:
        penalties depend on the label vectors only."""
        replaced = {entry.hashtags[0] for entry in entries}
        keep = [i for i, entry in enumerate(self.vocabulary.entries) if entry.hashtags[0] not in replaced]
        new_penalties = (csls_penalties(vectors, self.label_vectors) if hubness == "csls"
                         else np.zeros(len(entries), dtype=np.float32))
        all_vectors = np.vstack([self.vocabulary_vectors[keep], vectors]).astype(np.float32)
        penalties = np.concatenate([self.penalties[keep], new_penalties]).astype(np.float32)
        return SemanticSpace(self.label_vectors,
                             Vocabulary(tuple(self.vocabulary.entries[i] for i in keep) + tuple(entries)),
                             all_vectors, penalties, VocabularyIndex.build(all_vectors, None, penalties),
                             self.center)


def open_space(settings: SpaceSettings, labels: LabelSet, vocabulary: Vocabulary,
               root: Path) -> SemanticSpace:
    """Load the cached space for these inputs, building it first when missing, stale or damaged
    (see :func:`.space_cache.load_or_build`).

    Raises:
        VocabularyError: the space must be built and no vocabulary entry has a vector.
        CacheError: the space must be built and ``root`` cannot be written.
    """
    sources = [dict(source.fingerprint(), weight=weight, label_text=settings.label_text_for(source))
               for source, weight in zip(settings.sources, settings.weights)]
    inputs = space_inputs(sources, settings.template, settings.hubness, labels, vocabulary)
    arrays, index = load_or_build(root, inputs, len(vocabulary.entries),
                                  lambda: _build(settings, labels, vocabulary))
    return SemanticSpace(
        label_vectors=arrays.label_vectors,
        vocabulary=Vocabulary(tuple(vocabulary.entries[i] for i in arrays.kept)),
        vocabulary_vectors=arrays.vocabulary_vectors,
        penalties=arrays.penalties,
        index=index,
        center=arrays.center,
    )


def embed_into_space(settings: SpaceSettings, center: np.ndarray, entries: Sequence[VocabularyEntry] = (),
                     phrases: Sequence[str] = ()) -> np.ndarray:
    """Vectors, in the space ``settings`` made, of vocabulary entries (as the space embeds its
    vocabulary) followed by free text such as a caption (as it embeds class names); zero rows
    for what the sources cannot express. Loads the sources' models, never embeds the labels.

    Args:
        settings: the space's settings.
        center: the space's :attr:`SemanticSpace.center` (used when it is centered).
        entries: vocabulary entries.
        phrases: free text.
    """
    parts = [np.vstack([embedder.embed_entries(entries, settings.template),
                        embedder.embed_phrases([[phrase] for phrase in phrases])])
             for embedder in _embedders(settings)]
    if settings.hubness == "center":
        means = np.split(center, np.cumsum([part.shape[1] for part in parts])[:-1])
        parts = [centered(part, mean) for part, mean in zip(parts, means)]
    return _side_by_side(settings, parts)


def _build(settings: SpaceSettings, labels: LabelSet, vocabulary: Vocabulary) -> SpaceArrays:
    """The space's arrays: entries without a vector left out, hubness penalties found.

    Raises:
        VocabularyError: no vocabulary entry has a vector.
    """
    label_vectors, vocabulary_vectors, center = _embed_labels_and_vocabulary(settings, labels, vocabulary)
    kept = np.flatnonzero(np.any(vocabulary_vectors != 0, axis=1))
    if len(kept) == 0:
        raise VocabularyError("no word of the vocabulary is known to the vectors "
                              + ", ".join(repr(s.spec) for s in settings.sources))
    if len(kept) < len(vocabulary.entries):
        dropped = [vocabulary.entries[i].word for i in sorted(set(range(len(vocabulary.entries))) - set(kept))]
        logger.warning("%d vocabulary entries have no word vector and are left out: %s",
                       len(dropped), ", ".join(dropped[:10]))
    vocabulary_vectors = vocabulary_vectors[kept]
    penalties = (csls_penalties(vocabulary_vectors, label_vectors) if settings.hubness == "csls"
                 else np.zeros(len(kept), dtype=np.float32))
    return SpaceArrays(label_vectors, kept.tolist(), vocabulary_vectors, penalties, center)


def _embed_labels_and_vocabulary(settings: SpaceSettings, labels: LabelSet,
                                 vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label vectors, vocabulary vectors and the center (see :class:`SemanticSpace`)."""
    label_parts = _label_parts(settings, labels)
    entry_parts = [embedder.embed_entries(vocabulary.entries, settings.template)
                   for embedder in _embedders(settings)]
    if settings.hubness == "center":
        means = [label_mean(part) for part in label_parts]
        label_parts = [centered(part, mean) for part, mean in zip(label_parts, means)]
        entry_parts = [centered(part, mean) for part, mean in zip(entry_parts, means)]
    else:
        means = [np.zeros(part.shape[1], dtype=np.float32) for part in label_parts]
    return (_side_by_side(settings, label_parts), _side_by_side(settings, entry_parts),
            np.concatenate(means).astype(np.float32))


def _embedders(settings: SpaceSettings) -> list[Embedder]:
    return [open_embedder(source) for source in settings.sources]


def _label_parts(settings: SpaceSettings, labels: LabelSet) -> list[np.ndarray]:
    """The label vectors of each source, each from the label text it embeds best."""
    return [open_embedder(source).embed_phrases(labels.texts(settings.label_text_for(source)))
            for source in settings.sources]


def _side_by_side(settings: SpaceSettings, parts: Sequence[np.ndarray]) -> np.ndarray:
    """Each source's vectors scaled by the square root of its weight and set side by side,
    so dot products are weighted sums of per-source cosines."""
    return np.concatenate([np.sqrt(weight) * part for part, weight in zip(parts, settings.weights)],
                          axis=1).astype(np.float32)
