"""The object a user holds: a backbone, a semantic space and a vocabulary, ready to tag photos."""

from __future__ import annotations

import copy
import os
import threading
from typing import Optional, Sequence, Union

import numpy as np

from .backbones import DEFAULT_BACKBONE, Backbone, Ensemble, load_backbone
from .cache import resolve_cache_dir
from .conse import conse_queries
from .errors import ZeroShotTagsError
from .hubness import DEFAULT_HUBNESS
from .images import MAX_PIXELS, ImageSource
from .photo_tagger import PhotoTagger
from .sources import DEFAULT_SOURCES
from .suggestion import Suggestion
from .space import DEFAULT_TEMPLATE, SemanticSpace, SpaceSettings, open_space
from .vocab import VocabularySpec, load_vocabulary

DEFAULT_TOP_CLASSES = 20
"""T, the number of top ImageNet classes combined into the query (see docs/benchmarks.md)."""

SAMPLING_POOL_FACTOR = 3
SAMPLING_TEMPERATURE = 0.1
"""Sampling draws a hashtag with probability proportional to exp(score / 0.1): a score
0.1 lower makes a hashtag e times less likely."""


class Tagger(PhotoTagger):
    """Suggests hashtags for photos by ConSE zero-shot learning.

    Loads the backbone and the cached semantic space once; reuse one Tagger for many photos.
    Every default was chosen on the train splits of the public pool (docs/benchmarks.md).

    Args:
        backbone: a name from ``zeroshot_tags.BACKBONES`` (several joined by ``+`` average
            their probabilities), or a loaded backbone.
        vectors: the semantic sources, each ``"spec[@weight]"``: word vectors (see
            :mod:`zeroshot_tags.vectors`) or a sentence encoder (see :mod:`zeroshot_tags.encoder`);
            by default GloVe 6B 50-d and all-MiniLM-L6-v2, weighted 0.3 and 0.7.
        vocabulary: the candidates: ``None`` for the built-in hashtag vocabulary, a file
            path, or a list of words and #hashtags.
        extra_vocabulary: entries added to ``vocabulary`` (same forms).
        top_classes: T, how many top ImageNet classes form the query.
        temperature: the classifier's probabilities are raised to ``1 / temperature``
            before they weight the label vectors.
        label_text: what an ImageNet class is embedded from: ``"auto"``, ``"synonyms"``,
            ``"names"`` or ``"descriptions"``.
        template: the phrase a vocabulary word is set in for sentence encoders.
        hubness: ``"csls"``, ``"center"`` or ``"none"`` (see :mod:`zeroshot_tags.hubness`).
        flip: average the probabilities of each photo and its mirror image.
        vectors_limit: read only the first N vectors of a word2vec/GloVe file.
        cache_dir: where derived data is cached (default: user cache dir).
        device: torch device of the backbone.
        batch_size: images per forward pass in batches.
        max_pixels: larger images are refused.

    Example:
        >>> tagger = Tagger()
        >>> [s.hashtag for s in tagger.suggest("examples/coffee.jpg", top=3)]  # doctest: +SKIP
        ['#espresso', '#cappuccino', '#latte']
    """

    def __init__(self, backbone: Union[str, Backbone, Ensemble] = DEFAULT_BACKBONE,
                 vectors: Union[str, Sequence[str]] = DEFAULT_SOURCES,
                 vocabulary: VocabularySpec = None, *, extra_vocabulary: VocabularySpec = None,
                 top_classes: int = DEFAULT_TOP_CLASSES, temperature: float = 1.0,
                 label_text: str = "auto", template: str = DEFAULT_TEMPLATE,
                 hubness: str = DEFAULT_HUBNESS, flip: bool = False,
                 vectors_limit: Optional[int] = None, cache_dir: Optional[os.PathLike] = None,
                 device: str = "cpu", batch_size: int = 16, max_pixels: int = MAX_PIXELS) -> None:
        if top_classes < 1:
            raise ZeroShotTagsError("top_classes must be at least 1")
        if not temperature > 0:
            raise ZeroShotTagsError("temperature must be positive")
        self.settings = SpaceSettings.create(vectors, limit=vectors_limit, label_text=label_text,
                                             template=template, hubness=hubness)
        self.backbone = backbone if not isinstance(backbone, str) else load_backbone(backbone, device)
        self.vocabulary = load_vocabulary(vocabulary, extra_vocabulary)
        self.top_classes = top_classes
        self.temperature = temperature
        self.flip = flip
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.max_pixels = max_pixels
        self.space: SemanticSpace = self._open_space()

    def with_vocabulary(self, vocabulary: VocabularySpec, *, extend: bool = False) -> "Tagger":
        """A Tagger sharing this one's backbone and settings, with ``vocabulary`` in place of
        (or, with ``extend=True``, added to) this one's."""
        other = copy.copy(self)
        other.vocabulary = (load_vocabulary(self.vocabulary, vocabulary) if extend
                            else load_vocabulary(vocabulary))
        other.space = other._open_space()
        return other

    def _open_space(self) -> SemanticSpace:
        return open_space(self.settings, self.backbone.labels, self.vocabulary,
                          resolve_cache_dir(self.cache_dir))

    def _suggest_images(self, images: Sequence, top: int,
                        rng: Optional[np.random.Generator]) -> list[list[Suggestion]]:
        return [self.rank(query, top, rng) for query in self.query_vectors(images)]

    def query_vectors(self, images: Sequence) -> np.ndarray:
        """ConSE query vectors (unit rows) for RGB PIL images."""
        return self.queries(self.backbone.predict_proba(images, self.flip))

    def queries(self, probabilities: np.ndarray) -> np.ndarray:
        """ConSE query vectors (unit rows) for the classifier's probabilities, one row each."""
        return conse_queries(probabilities, self.space.label_vectors, self.top_classes,
                             self.temperature)

    def rank(self, query: np.ndarray, top: int,
             rng: Optional[np.random.Generator] = None) -> list[Suggestion]:
        """The vocabulary entries nearest ``query``, as suggestions (sampled when ``rng``)."""
        wanted = top * SAMPLING_POOL_FACTOR if rng is not None else top
        ids, scores = self.space.index.nearest(query, wanted)
        if rng is not None and len(ids) > top:
            weights = np.exp((scores - scores.max()) / SAMPLING_TEMPERATURE)
            chosen = np.sort(rng.choice(len(ids), size=top, replace=False, p=weights / weights.sum()))
            ids, scores = ids[chosen], scores[chosen]
        entries = self.space.vocabulary.entries
        return [
            Suggestion(entries[i].hashtags[0], entries[i].word, float(score), entries[i].hashtags[1:])
            for i, score in zip(ids[:top], scores[:top])
        ]


_default_tagger: Optional[Tagger] = None
_default_lock = threading.Lock()


def default_tagger() -> Tagger:
    """The shared Tagger with default settings, built on first use (thread-safe)."""
    global _default_tagger
    with _default_lock:
        if _default_tagger is None:
            _default_tagger = Tagger()
        return _default_tagger


def suggest(image: Union[ImageSource, Sequence[ImageSource]], top: int = 5,
            vocabulary: VocabularySpec = None, *, sample: bool = False,
            seed: Optional[int] = None):
    """Suggest hashtags for a photo (or a list of photos) with the default Tagger.

    Example:
        >>> from zeroshot_tags import suggest
        >>> suggest("examples/coffee.jpg", top=3)  # doctest: +SKIP
        [Suggestion(hashtag='#espresso', word='espresso', score=0.721, related=()), ...]

    See :meth:`Tagger.suggest` for the arguments; ``vocabulary`` replaces the built-in one.
    """
    tagger = default_tagger()
    if vocabulary is not None:
        tagger = tagger.with_vocabulary(vocabulary)
    return tagger.suggest(image, top, sample=sample, seed=seed)
