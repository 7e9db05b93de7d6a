"""The semantic sources a space combines: word vectors and sentence encoders, each with a weight.

A source spec is a vectors spec (:mod:`zeroshot_tags.semantic.vectors`) or an encoder spec
(:mod:`zeroshot_tags.semantic.encoder`), optionally followed by ``@WEIGHT``: ``"glove-6b-50d@0.3"``.
Weights are scaled to sum to one; a space of several sources scores a word by the weighted
sum of its cosines in each.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

from ..errors import VectorsError
from .embedding import SentenceEmbedder, WordVectorsEmbedder
from .encoder import EncoderSource, is_encoder_spec, load_encoder
from .vectors import VectorsSource, load_keyed_vectors

Source = Union[VectorsSource, EncoderSource]
Embedder = Union[WordVectorsEmbedder, SentenceEmbedder]


def default_label_text(source: Source) -> str:
    """The label text each kind of source embeds best (chosen on the train splits,
    docs/benchmarks.md): WordNet synonyms for word vectors, clean names for sentence encoders."""
    return "names" if isinstance(source, EncoderSource) else "synonyms"


def parse_sources(specs: Union[str, Sequence[str]],
                  limit: Optional[int] = None) -> tuple[tuple[Source, ...], tuple[float, ...]]:
    """Sources and their weights (summing to one) from one spec or a list of specs.

    ``limit`` (read only the first N vectors) applies to word-vector files.
    """
    specs = [specs] if isinstance(specs, str) else list(specs)
    if not specs:
        raise VectorsError("no vectors given")
    sources, weights = [], []
    for spec in specs:
        name, weight = _split_weight(spec)
        sources.append(EncoderSource(name) if is_encoder_spec(name) else VectorsSource(name, limit))
        weights.append(weight)
    total = sum(weights)
    return tuple(sources), tuple(w / total for w in weights)


def _split_weight(spec: str) -> tuple[str, float]:
    name, sep, suffix = spec.rpartition("@")
    if not sep:
        return spec, 1.0
    try:
        weight = float(suffix)
    except ValueError:
        return spec, 1.0  # an "@" that is part of a path
    if not weight > 0:
        raise VectorsError(f"{spec}: a source's weight must be positive")
    return name, weight


@functools.lru_cache(maxsize=4)
def open_embedder(source: Source) -> Embedder:
    """Load the model behind ``source`` (once per process) as an embedder."""
    if isinstance(source, EncoderSource):
        return SentenceEmbedder(load_encoder(source))
    vectors = load_keyed_vectors(source)
    if vectors.vector_size < 2 or len(vectors) == 0:
        raise VectorsError(f"{source.spec}: holds no usable word vectors")
    return WordVectorsEmbedder(vectors)
