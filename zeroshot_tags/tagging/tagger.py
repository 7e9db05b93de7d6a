"""The object a user holds: a backbone, a semantic space and a vocabulary, ready to tag photos."""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import os
import threading
from pathlib import Path
from typing import Literal, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from ..cache import resolve_cache_dir
from ..config import (DEFAULT_ACCEPT_WEIGHT, DEFAULT_BACKBONE, DEFAULT_BATCH_SIZE, DEFAULT_CAPTION_WEIGHT,
                      DEFAULT_COOCCURRENCE_WEIGHT, DEFAULT_COVERAGE_WEIGHT, DEFAULT_FACTOR_WEIGHT,
                      DEFAULT_HASHTAG_MODEL, DEFAULT_HEAD_WEIGHT, DEFAULT_HUBNESS, DEFAULT_NEIGHBOUR_WEIGHT,
                      DEFAULT_OWN_COOCCURRENCE_WEIGHT, DEFAULT_PEOPLE_WEIGHT, DEFAULT_PERSONAL_WEIGHT,
                      DEFAULT_PRIOR_WEIGHT, DEFAULT_PROFILE_NEIGHBOURS, DEFAULT_RELATED_WEIGHT, DEFAULT_RUNTIME,
                      DEFAULT_SEED_TEMPERATURE, DEFAULT_SOURCES, DEFAULT_TEMPLATE, DEFAULT_TOP,
                      DEFAULT_TOP_CLASSES, HASHTAG_MODELS, MAX_PIXELS, PEOPLE_HASHTAG, TaggerConfig,
                      default_network_threads, default_spread_weight)
from ..errors import MissingExtraError, SettingError, VocabularyError
from ..images import ImageSource
from ..posts.expansion import HashtagExpansion
from ..posts.hashtag_model import HashtagModel, load_hashtag_model, with_model_hashtags
from ..semantic.space import SemanticSpace, SpaceSettings, embed_into_space, open_space
from ..personal.profile import PersonalWeights, Profile
from ..vision.backbones import Backbone, Ensemble, load_backbone
from ..vision.people import FaceDetector, people_extra_installed
from .blend import PersonalBlend, PersonalScores
from ..vocabulary.custom import (custom_hashtags_file, parse_custom_hashtags, read_custom_hashtags,
                                 save_custom_hashtags)
from ..vocabulary.vocab import Vocabulary, VocabularyEntry, VocabularySpec, load_vocabulary
from .conse import conse_queries
from .photo_tagger import LoadedPhoto, PhotoTagger
from .ranking import SAMPLING_POOL_FACTOR, Spread, as_suggestions, choose
from .refinement import Refinement, refine_queries
from .related import RelatedCandidates
from .suggestion import Suggestion

logger = logging.getLogger(__name__)

class Tagger(PhotoTagger):
    """Suggests hashtags for photos by ConSE zero-shot learning.

    Loads the backbone and the cached semantic space once; reuse one Tagger for many photos.
    Every default was chosen on the train splits of the public pool (docs/benchmarks.md).

    Args:
        backbone: a name from ``zeroshot_tags.BACKBONES`` (several joined by ``+`` average
            their probabilities), or a loaded backbone.
        vectors: the semantic sources, each ``"spec[@weight]"``: word vectors (see
            :mod:`zeroshot_tags.semantic.vectors`) or a sentence encoder (see :mod:`zeroshot_tags.semantic.encoder`);
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
        hubness: ``"csls"``, ``"center"`` or ``"none"`` (see :mod:`zeroshot_tags.semantic.hubness`).
        flip: average the probabilities of each photo and its mirror image.
        vectors_limit: read only the first N vectors of a word2vec/GloVe file.
        custom_hashtags: the file of hashtags the user added (see :meth:`add_hashtags`):
            by default ``custom_hashtags.txt`` in the cache directory, added to the built-in
            vocabulary; a path names another file, added to any vocabulary; ``False`` uses
            none and keeps added hashtags in this Tagger only.
        cache_dir: where derived data is cached (default: user cache dir).
        device: torch device of the backbone.
        batch_size: images per forward pass in batches.
        max_pixels: larger images are refused.
        hashtag_model: what people post, learned from posts' hashtag lists (see
            :mod:`zeroshot_tags.posts`): ``"harrison"`` (57,383 HARRISON posts, shipped), a
            file ``zstags hashtags learn`` wrote, ``"auto"`` (default: ``harrison`` with the
            built-in vocabulary, none with a vocabulary you gave) or ``None`` (the plain
            ConSE ranking by relevance). Its hashtags join the vocabulary, and a suggestion's
            score becomes the chance a post about the photo uses the hashtag (see
            :mod:`zeroshot_tags.posts.expansion`).
        seed_temperature, prior_weight, cooccurrence_weight: how sharply relevance picks the
            seed hashtags, how much their popularity counts, how much the hashtags that go
            with them count (chosen by cross-validation, docs/benchmarks.md).
        people: look for faces (the ``people`` extra): a photo with one seeds
            ``PEOPLE_HASHTAG`` (#selfie) with ``people_weight``; ``None`` (default): when the
            extra is installed and a hashtag model is used.
        threads: the network's threads (torch's process-wide: ``torch.set_num_threads``, and
            ONNX Runtime's) in each lane; ``None``: the cores shared among the lanes, at least
            one (:func:`~zeroshot_tags.config.default_network_threads`).
        profile: a profile file ``zstags learn`` wrote (see
            :class:`~zeroshot_tags.personal.profile.Profile`): the person's own photos and
            hashtags; its scores are blended with the zero-shot ones, ``personal_weight`` of
            each suggestion's score (see :mod:`zeroshot_tags.tagging.blend`). It must have been
            learned with this tagger's backbone.
        neighbour_weight, factor_weight, head_weight: how much the profile's nearest photos,
            ALS factors and multi-label head count.
        own_cooccurrence_weight: how much the hashtags the person posts with the photo's seed
            hashtags count (with a hashtag model: ``Profile.cooccurring`` of the seeds among
            the person's hashtags, scaled to sum to 1).
        spread_weight: how much a hashtag in the list holds back the ones posted with it (by
            the hashtag model's or the profile's co-occurrence), so the list covers more
            guesses: 0 ranks by score alone (see :class:`~zeroshot_tags.tagging.ranking.Spread`);
            ``None``: ``DEFAULT_SPREAD_WEIGHT``, or ``DEFAULT_PROFILE_SPREAD_WEIGHT`` with a profile.
        related_weight: with a hashtag model and no profile, how far an entry's related
            hashtags follow it as suggestions of their own (``#car`` -> ``#cars``): the k-th
            scores ``related_weight ** k`` times the entry (see
            :mod:`zeroshot_tags.tagging.related`); 0: the entries' own hashtags alone. With
            a profile, the person's own hashtags play that part.
        neighbours: with a profile, how many of the person's photos nearest a new one vote
            its hashtags and lend it their ALS factors.
        coverage_weight: with a profile, how much a hashtag in the list holds back the others
            its photo's nearest own posts carry with it, so the list goes after the posts it
            does not match yet (see :class:`~zeroshot_tags.tagging.ranking.Spread`); 0: none.
        runtime: what runs the backbone's network: ``"auto"`` (ONNX Runtime on the CPU, torch on
            other devices), ``"onnx"`` or ``"torch"`` (see :mod:`zeroshot_tags.vision.networks`).

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
                 vectors_limit: Optional[int] = None,
                 custom_hashtags: Union[None, Literal[False], os.PathLike] = None,
                 cache_dir: Optional[os.PathLike] = None, device: str = "cpu",
                 batch_size: int = DEFAULT_BATCH_SIZE, max_pixels: int = MAX_PIXELS,
                 hashtag_model: Union[None, str, os.PathLike] = DEFAULT_HASHTAG_MODEL,
                 seed_temperature: float = DEFAULT_SEED_TEMPERATURE,
                 prior_weight: float = DEFAULT_PRIOR_WEIGHT,
                 cooccurrence_weight: float = DEFAULT_COOCCURRENCE_WEIGHT,
                 people: Optional[bool] = None,
                 people_weight: float = DEFAULT_PEOPLE_WEIGHT,
                 threads: Optional[int] = None,
                 profile: Optional[os.PathLike] = None,
                 personal_weight: float = DEFAULT_PERSONAL_WEIGHT,
                 neighbour_weight: float = DEFAULT_NEIGHBOUR_WEIGHT,
                 factor_weight: float = DEFAULT_FACTOR_WEIGHT,
                 head_weight: float = DEFAULT_HEAD_WEIGHT,
                 own_cooccurrence_weight: float = DEFAULT_OWN_COOCCURRENCE_WEIGHT,
                 spread_weight: Optional[float] = None,
                 runtime: str = DEFAULT_RUNTIME,
                 related_weight: float = DEFAULT_RELATED_WEIGHT,
                 coverage_weight: float = DEFAULT_COVERAGE_WEIGHT,
                 neighbours: int = DEFAULT_PROFILE_NEIGHBOURS) -> None:
        self.config = TaggerConfig(
            backbone if isinstance(backbone, str) else backbone.name,
            (vectors,) if isinstance(vectors, str) else tuple(vectors),
            _as_config_value(vocabulary), _as_config_value(extra_vocabulary),
            top_classes, temperature, label_text, template, hubness, flip, vectors_limit,
            custom_hashtags if custom_hashtags in (None, False) else os.fspath(custom_hashtags),
            None if cache_dir is None else os.fspath(cache_dir), device, batch_size, max_pixels,
            None if hashtag_model is None else os.fspath(hashtag_model), seed_temperature, prior_weight,
            cooccurrence_weight, people, people_weight, threads, None if profile is None else os.fspath(profile),
            personal_weight, neighbour_weight, factor_weight, head_weight, own_cooccurrence_weight,
            spread_weight, runtime, related_weight, coverage_weight, neighbours)
        threads = threads if threads is not None else default_network_threads()
        torch.set_num_threads(threads)
        self.settings = SpaceSettings.create(vectors, limit=vectors_limit, label_text=label_text,
                                             template=template, hubness=hubness)
        self.backbone = (backbone if not isinstance(backbone, str)
                         else load_backbone(backbone, device, runtime, threads, cache_dir))
        self.custom_file = (custom_hashtags_file(cache_dir) if custom_hashtags is None
                            else None if custom_hashtags is False else Path(custom_hashtags))
        self.hashtag_model = _chosen_hashtag_model(self.config.hashtag_model, vocabulary)
        self.seed_temperature = seed_temperature
        self.prior_weight = prior_weight
        self.cooccurrence_weight = cooccurrence_weight
        self.people_weight = people_weight
        self.people = people if people is not None else people_extra_installed()
        self._face_detector = FaceDetector() if people and self.hashtag_model is not None else None
        self.vocabulary, self.own_hashtags = self._vocabulary(vocabulary, extra_vocabulary)
        self.top_classes = top_classes
        self.temperature = temperature
        self.flip = flip
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.max_pixels = max_pixels
        self.space: SemanticSpace = self._open_space()
        self._expansion: Optional[tuple[SemanticSpace, HashtagExpansion]] = None
        self.profile = None if profile is None else Profile.load(profile)
        if self.profile is not None and self.profile.backbone != self.backbone.name:
            raise SettingError(f"{profile} was learned with {self.profile.backbone}, not {self.backbone.name}: "
                               f"use --backbone {self.profile.backbone}")
        self.personal_weight = personal_weight
        self.personal_weights = PersonalWeights(neighbour_weight, factor_weight, head_weight)
        self.own_cooccurrence_weight = own_cooccurrence_weight
        self.spread_weight = spread_weight if spread_weight is not None else default_spread_weight(profile is not None)
        self.related_weight = related_weight
        self.coverage_weight = coverage_weight
        self.neighbours = neighbours
        self._related: Optional[tuple[SemanticSpace, bool, RelatedCandidates]] = None
        self._blend: Optional[tuple[SemanticSpace, tuple[str, ...], PersonalBlend]] = None
        self._adding = threading.Lock()

    @classmethod
    def from_config(cls, config: TaggerConfig) -> "Tagger":
        """The Tagger a :class:`~zeroshot_tags.config.TaggerConfig` describes."""
        return cls(**{field.name: getattr(config, field.name) for field in dataclasses.fields(config)})

    def _vocabulary(self, vocabulary: VocabularySpec,
                    extra_vocabulary: VocabularySpec = None) -> tuple[Vocabulary, frozenset[str]]:
        """``vocabulary`` and ``extra_vocabulary`` loaded, with the custom hashtag file's
        entries added when the file was named or the vocabulary is the built-in one; and the
        hashtags of those custom entries."""
        loaded = load_vocabulary(vocabulary, extra_vocabulary)
        if self.hashtag_model is not None:
            loaded = with_model_hashtags(loaded, self.hashtag_model)
        named_file_or_builtin = self.config.custom_hashtags is not None or vocabulary is None
        custom = read_custom_hashtags(self.custom_file) if self.custom_file and named_file_or_builtin else None
        if custom is None:
            return loaded, frozenset()
        return loaded.extended(custom), frozenset(entry.hashtags[0] for entry in custom.entries)

    def with_vocabulary(self, vocabulary: VocabularySpec, *, extend: bool = False) -> "Tagger":
        """A Tagger sharing this one's backbone and settings, with ``vocabulary`` in place of
        (or, with ``extend=True``, added to) this one's; ``None`` is the built-in vocabulary
        with the custom hashtags, as in a new Tagger."""
        other = copy.copy(self)
        if extend:
            other.vocabulary = load_vocabulary(self.vocabulary, vocabulary)
        else:
            other.hashtag_model = _chosen_hashtag_model(self.config.hashtag_model, vocabulary)
            other.vocabulary, other.own_hashtags = other._vocabulary(vocabulary)
        other.config = dataclasses.replace(
            self.config, extra_vocabulary=None,
            vocabulary=_as_config_value(other.vocabulary if extend else vocabulary))
        other.space = other._open_space()
        other._adding = threading.Lock()
        return other

    zero_shot = True

    def custom_hashtags(self) -> list[str]:
        """The hashtags of the custom hashtag file (first of each entry), as saved now."""
        saved = read_custom_hashtags(self.custom_file) if self.custom_file else None
        return [entry.hashtags[0] for entry in saved.entries] if saved else []

    @property
    def min_side(self) -> Optional[int]:
        """The shorter side the backbone needs: larger photos are decoded at reduced size."""
        return getattr(self.backbone, "min_side", None)

    def _open_space(self) -> SemanticSpace:
        return open_space(self.settings, self.backbone.labels, self.vocabulary,
                          resolve_cache_dir(self.cache_dir))

    def add_hashtags(self, lines: Sequence[str]) -> list[VocabularyEntry]:
        """Add hashtags to the vocabulary now (the cached space is extended in memory) and to
        the custom hashtag file, so later Taggers suggest them too. Safe while other threads
        suggest or add: the new words are embedded outside any lock; only the file's update
        and the swap of ``self.space`` (one assignment, the extended copy of the current
        space, read once by each ranking) happen under this Tagger's lock.

        Args:
            lines: entries as in a vocabulary file: ``"#sunsetlover"``, ``"golden hour:
                #goldenhour"``; at most ``custom.MAX_ENTRIES_PER_ADD`` (100) of at most
                ``custom.MAX_ENTRY_CHARACTERS`` (200) characters.

        Raises:
            VocabularyError: too many or too long entries, a line with no word or hashtag
                (``": #"``), none given, or the semantic sources cannot express one.
            OSError: the custom hashtag file cannot be written.
        """
        entries = parse_custom_hashtags(lines)
        vectors = embed_into_space(self.settings, self.space.center, entries=entries)
        unknown = [entry.hashtags[0] for entry, vector in zip(entries, vectors) if not vector.any()]
        if unknown:
            raise VocabularyError(f"no vector for {', '.join(unknown)}: the semantic sources "
                                  "know none of its words")
        with self._adding:
            if self.custom_file is not None:
                save_custom_hashtags(entries, self.custom_file)
            self.vocabulary = self.vocabulary.extended(Vocabulary(tuple(entries)))
            self.own_hashtags = self.own_hashtags | {entry.hashtags[0] for entry in entries}
            self.space = self.space.extended(entries, vectors, self.settings.hubness)
        return entries

    def _suggest_images(self, photos: Sequence[LoadedPhoto], top: int,
                        rngs: Sequence[Optional[np.random.Generator]],
                        refinement: Refinement) -> list[list[Suggestion]]:
        images = [photo.image for photo in photos]
        if self.profile is None:
            queries, personal = self.query_vectors(images), [None] * len(images)
        else:
            features, queries = self.features_and_queries(images)
            personal = self.personal_scores(features)
        if refinement:
            queries = self.refined(queries, refinement)
        return [self.rank(query, top, rng, refinement.accepted, faces=photo.facts, personal=scores)
                for query, photo, scores, rng in zip(queries, photos, personal, rngs)]

    def _examine(self, image: Image.Image) -> int:
        """The faces in the photo (:meth:`count_faces`), counted while the network runs."""
        return self.count_faces([image])[0]

    def features_and_queries(self, images: Sequence) -> tuple[np.ndarray, np.ndarray]:
        """The backbone's pooled features and the ConSE queries of RGB PIL images, from one
        forward pass (two with ``flip``)."""
        features, probabilities = self.backbone.features_and_probabilities(images, self.flip)
        return features, self.queries(probabilities)

    def count_faces(self, images: Sequence) -> list[int]:
        """The faces found in each RGB PIL image; all 0 when people are not looked for or
        no hashtag model would use them. With ``people=None`` the detector is made on first
        use, and a missing extra is a warning."""
        if not (self.people and self.hashtag_model is not None):
            return [0] * len(images)
        with self._adding:
            if self._face_detector is None:
                try:
                    self._face_detector = FaceDetector()
                except MissingExtraError as error:  # only when people=None: people=True made it
                    logger.warning("%s; suggesting without looking for people", error)
                    self.people = False
                    return [0] * len(images)
        return self._face_detector.count_faces(images)

    def refined(self, queries: np.ndarray, refinement: Refinement) -> np.ndarray:
        """Queries pulled toward the accepted hashtags' vectors and the caption's vector."""
        space = self.space
        row_of = {tag: row for row, entry in enumerate(space.vocabulary.entries) for tag in entry.hashtags}
        known = [row_of[tag] for tag in refinement.accepted if tag in row_of]
        novel = [VocabularyEntry(tag.lstrip("#"), (tag,)) for tag in refinement.accepted if tag not in row_of]
        phrases = [refinement.caption] if refinement.caption else []
        embedded = (embed_into_space(self.settings, space.center, novel, phrases)
                    if novel or phrases else np.zeros((0, space.dimension), dtype=np.float32))
        accepted = np.vstack([space.vocabulary_vectors[known], embedded[:len(novel)]])
        caption = embedded[len(novel)] if phrases else None
        return refine_queries(queries, accepted, caption, refinement)

    def query_vectors(self, images: Sequence) -> np.ndarray:
        """ConSE query vectors (unit rows) for RGB PIL images."""
        return self.queries(self.backbone.predict_proba(images, self.flip))

    def queries(self, probabilities: np.ndarray) -> np.ndarray:
        """ConSE query vectors (unit rows) for the classifier's probabilities, one row each."""
        return conse_queries(probabilities, self.space.label_vectors, self.top_classes,
                             self.temperature)

    def rank(self, query: np.ndarray, top: int, rng: Optional[np.random.Generator] = None,
             exclude: Sequence[str] = (), faces: int = 0,
             personal: Optional[PersonalScores] = None) -> list[Suggestion]:
        """The best vocabulary entries for ``query`` (and a photo with ``faces`` faces), as
        suggestions, leaving out entries whose hashtag is in ``exclude``; with ``rng``,
        ``top`` drawn from the ``top * SAMPLING_POOL_FACTOR`` best (see
        :func:`zeroshot_tags.tagging.ranking.choose`). Without a hashtag model the best are
        the nearest; with one, the likeliest on a post (see :mod:`zeroshot_tags.posts.expansion`);
        with the profile's ``personal`` scores of the photo, blended with them (see
        :mod:`zeroshot_tags.tagging.blend`); without, followed by their related hashtags by
        ``related_weight`` (see :mod:`zeroshot_tags.tagging.related`). With either, the list
        is spread by ``spread_weight``, and with the profile by ``coverage_weight`` too (see
        :class:`~zeroshot_tags.tagging.ranking.Spread`)."""
        space = self.space
        entries = space.vocabulary.entries
        pool = top * SAMPLING_POOL_FACTOR if rng is not None else top
        if self.hashtag_model is None and personal is None:
            ids, scores = space.index.nearest(query, pool + len(exclude))
            hashtags = [entries[i].hashtags[0] for i in ids]
            return as_suggestions(entries, choose(ids, scores, hashtags, top, rng, exclude, pool=pool))
        scores, seeds = space.scores(query), None
        if self.hashtag_model is not None:
            expansion = self._hashtag_expansion(space)
            seeds = expansion.seeds(scores, self.seed_temperature, self.prior_weight,
                                    self.people_weight if faces else 0.0)
            scores = expansion.expanded(seeds, self.cooccurrence_weight)
        if personal is None:
            candidates = self._related_candidates(space)
            spread = Spread(self.spread_weight, candidates.following(expansion.following))
            return candidates.suggestions(entries, choose(
                np.arange(len(candidates.hashtags)), candidates.scores(scores, self.related_weight),
                candidates.hashtags, top, rng, exclude, pool=pool, spread=spread))
        blend = self._personal_blend(space, personal.hashtags)
        own = personal.scores
        if seeds is not None and self.own_cooccurrence_weight:
            own_seeds = blend.on_profile(seeds)  # the photo's seeds among the person's hashtags
            own = own + self.own_cooccurrence_weight * personal.profile.cooccurring(
                own_seeds / max(own_seeds.sum(), np.finfo(np.float32).tiny))
        scores = blend.scores(scores, own, self.personal_weight)
        spread = Spread(self.spread_weight, functools.partial(blend.following, personal.profile.follows),
                        self.coverage_weight * self.personal_weight, functools.partial(blend.shared, personal))
        return blend.suggestions(entries, choose(np.arange(len(scores)), scores, blend.hashtags, top, rng,
                                                 exclude, pool=pool, spread=spread))

    def personal_scores(self, features: np.ndarray) -> list[PersonalScores]:
        """The profile's scores of its hashtags for each photo's pooled features."""
        return PersonalScores.of_photos(self.profile, features, self.personal_weights, self.neighbours)

    def _related_candidates(self, space: SemanticSpace) -> RelatedCandidates:
        """``space``'s candidates, with the entries' related hashtags while ``related_weight``
        is above 0; made once per space and choice."""
        related = self.related_weight > 0
        made = self._related
        if made is None or made[0] is not space or made[1] != related:
            made = (space, related, RelatedCandidates.create(space.vocabulary.entries, related))
            self._related = made
        return made[2]

    def _personal_blend(self, space: SemanticSpace, hashtags: tuple[str, ...]) -> PersonalBlend:
        """A profile's ``hashtags`` among ``space``'s candidates, placed once per space and
        profile."""
        made = self._blend
        if made is None or made[0] is not space or made[1] is not hashtags:
            made = (space, hashtags, PersonalBlend.create(space.vocabulary.entries, hashtags))
            self._blend = made
        return made[2]

    def _hashtag_expansion(self, space: SemanticSpace) -> HashtagExpansion:
        """The hashtag model's terms for ``space``'s candidates, made once per space (an add
        swaps in a new space)."""
        made = self._expansion
        if made is None or made[0] is not space:
            candidates = [entry.hashtags[0] for entry in space.vocabulary.entries]
            made = (space, HashtagExpansion.create(self.hashtag_model, candidates, PEOPLE_HASHTAG,
                                                   own=self.own_hashtags))
            self._expansion = made
        return made[1]


def _chosen_hashtag_model(spec: Optional[str], vocabulary: VocabularySpec) -> Optional[HashtagModel]:
    """The hashtag model ``spec`` names; ``"auto"``: the shipped one with the built-in
    vocabulary (``vocabulary`` is ``None``), none with another."""
    if spec == DEFAULT_HASHTAG_MODEL:
        spec = HASHTAG_MODELS[0] if vocabulary is None else None
    return None if spec is None else load_hashtag_model(spec)


def _as_config_value(vocabulary: VocabularySpec) -> Union[None, str, tuple[str, ...]]:
    """A vocabulary argument as plain data: a path as a string, words as a tuple."""
    if vocabulary is None:
        return None
    if isinstance(vocabulary, Vocabulary):
        return tuple(entry.line for entry in vocabulary.entries)
    if isinstance(vocabulary, (str, os.PathLike)):
        return os.fspath(vocabulary)
    return tuple(vocabulary)


_default_tagger: Optional[Tagger] = None
_default_lock = threading.Lock()


def default_tagger() -> Tagger:
    """The shared Tagger with default settings, built on first use (thread-safe)."""
    global _default_tagger
    with _default_lock:
        if _default_tagger is None:
            _default_tagger = Tagger()
        return _default_tagger


def suggest(image: Union[ImageSource, Sequence[ImageSource]], top: int = DEFAULT_TOP,
            vocabulary: VocabularySpec = None, *, accepted: Sequence[str] = (),
            caption: Optional[str] = None, accept_weight: float = DEFAULT_ACCEPT_WEIGHT,
            caption_weight: float = DEFAULT_CAPTION_WEIGHT, sample: bool = False,
            seed: Optional[int] = None):
    """Suggest hashtags for a photo (or a list of photos) with the default Tagger.

    Example:
        >>> from zeroshot_tags import suggest
        >>> suggest("examples/coffee.jpg", top=3)  # doctest: +SKIP
        [Suggestion(hashtag='#espresso', word='espresso', score=0.721, related=()), ...]
        >>> suggest("beach.jpg", accepted=["#beach"], caption="sunset with friends")  # doctest: +SKIP

    See :meth:`Tagger.suggest` for the arguments; ``vocabulary`` replaces the built-in one.
    """
    tagger = default_tagger()
    if vocabulary is not None:
        tagger = tagger.with_vocabulary(vocabulary)
    return tagger.suggest(image, top, accepted=accepted, caption=caption,
                          accept_weight=accept_weight, caption_weight=caption_weight,
                          sample=sample, seed=seed)
