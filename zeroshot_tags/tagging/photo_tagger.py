"""What every tagger does with photos: load them, tag them in batches, keep going past bad ones."""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np
from PIL import Image
from threadpoolctl import ThreadpoolController

from ..config import (DEFAULT_ACCEPT_WEIGHT, DEFAULT_CAPTION_WEIGHT, DEFAULT_TOP, LANES,
                      RANKING_BLAS_THREADS)
from ..errors import ZeroShotTagsError
from ..images import ImageSource, describe, load_image
from .ranking import check_top, photo_rng
from .refinement import Refinement
from .suggestion import ImageResult, Suggestion


@functools.lru_cache(maxsize=None)
def _native_pools() -> ThreadpoolController:
    """The native thread pools loaded in this process (found once: finding them takes about a
    millisecond)."""
    return ThreadpoolController()


class _RankingBlasLimit:
    """``RANKING_BLAS_THREADS`` BLAS threads while any tagger tags photos. BLAS's threads are
    set for the whole process, so the first to start sets them and the last one done gives
    back what was there before. Set and given back around each batch instead, OpenBLAS woke
    its threads, spinning, each time: the batch path ran 8% slower."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tagging = 0
        self._limiter: Any = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._tagging == 0:
                self._limiter = _native_pools().limit(limits=RANKING_BLAS_THREADS, user_api="blas")
            self._tagging += 1
        try:
            yield
        finally:
            with self._lock:
                self._tagging -= 1
                if self._tagging == 0:
                    self._limiter.restore_original_limits()


_ranking_blas_limit = _RankingBlasLimit()


def _found(facts: Any) -> Future:
    """A future already holding ``facts``."""
    future: Future = Future()
    future.set_result(facts)
    return future


@dataclass(frozen=True)
class LoadedPhoto:
    """A decoded RGB photo and what its tagger's ``_examine`` finds in it, perhaps still on
    another thread: reading ``facts`` waits for it."""

    image: Image.Image
    examined: Future

    @property
    def facts(self) -> Any:
        return self.examined.result()


class PhotoTagger:
    """Base of the taggers: subclasses set ``batch_size`` and ``max_pixels`` and turn a batch
    of loaded photos into suggestions in ``_suggest_images``; ``min_side``, the shorter side
    their network needs, lets photos be decoded at reduced size (None: full size);
    ``_examine`` reads what they need from a photo apart from the network."""

    batch_size: int
    max_pixels: int
    min_side: Optional[int] = None
    zero_shot: bool = False
    """Whether it ranks an open vocabulary: then captions refine it and the user's own
    hashtags join it."""

    def custom_hashtags(self) -> list[str]:
        """The user's own hashtags this tagger suggests from (first hashtag of each entry)."""
        return []

    def suggest(self, image: Union[ImageSource, Sequence[ImageSource]], top: int = DEFAULT_TOP, *,
                accepted: Sequence[str] = (), caption: Optional[str] = None,
                accept_weight: float = DEFAULT_ACCEPT_WEIGHT,
                caption_weight: float = DEFAULT_CAPTION_WEIGHT,
                sample: bool = False, seed: Optional[int] = None):
        """Hashtags for one image (a list of :class:`Suggestion`, best first), or for a list
        of images (a list of such lists, computed in batches).

        Args:
            image: a path, http(s) URL, bytes, PIL image, or a list of these.
            top: how many hashtags per image.
            accepted: hashtags the user already chose: they pull the suggestions toward
                themselves (zero-shot taggers) and are not suggested again.
            caption: the post's text; its meaning joins the photo's (zero-shot taggers).
            accept_weight, caption_weight: how strongly each pulls (0 ignores it).
            sample: draw the hashtags at random, favouring higher scores (see the
                tagger's ``rank``), instead of taking the best ones.
            seed: seed of that draw, for repeatable samples.

        Raises:
            ImageError: an image cannot be read (for a list: the first such image).
        """
        options = dict(accepted=accepted, caption=caption, accept_weight=accept_weight,
                       caption_weight=caption_weight, sample=sample, seed=seed)
        if isinstance(image, (list, tuple)):
            results = list(self.suggest_many(image, top, **options))
            for result in results:
                if result.error is not None:
                    raise result.error
            return [result.suggestions for result in results]
        return self.suggest([image], top, **options)[0]

    def suggest_many(self, images: Iterable[ImageSource], top: int = DEFAULT_TOP, *,
                     accepted: Sequence[str] = (), caption: Optional[str] = None,
                     accept_weight: float = DEFAULT_ACCEPT_WEIGHT,
                     caption_weight: float = DEFAULT_CAPTION_WEIGHT,
                     sample: bool = False, seed: Optional[int] = None) -> Iterator[ImageResult]:
        """Tag images in batches, yielding one :class:`ImageResult` per image, in order
        (arguments as for :meth:`suggest`).

        ``images`` is read a batch at a time, so a generator of any length starts at once.
        ``LANES`` threads each take a batch through decoding (or fetching), the network and
        ranking, so one decodes while another's network runs; at most ``LANES`` batches are
        read ahead of the one being yielded. Images that make one batch are tagged on the
        calling thread, their ``_examine`` running on a second one beside the network. An
        image that cannot be read yields its error; the others still get suggestions.
        """
        check_top(top)
        tag = functools.partial(self._tag_batch, top=top, sample=sample, seed=seed,
                                refinement=Refinement.create(accepted, caption, accept_weight, caption_weight))
        sources = iter(images)
        batches = iter(lambda: list(itertools.islice(sources, self.batch_size)), [])
        ahead = list(itertools.islice(batches, LANES))
        if len(ahead) == 1:
            with _ranking_blas_limit(), ThreadPoolExecutor(1, thread_name_prefix="zstags-beside") as beside:
                yield from tag(ahead[0], beside=beside)
            return
        with _ranking_blas_limit(), ThreadPoolExecutor(LANES, thread_name_prefix="zstags-lane") as lanes:
            pending = collections.deque(lanes.submit(tag, batch) for batch in ahead)
            while pending:
                done = pending.popleft().result()
                pending.extend(lanes.submit(tag, batch) for batch in itertools.islice(batches, 1))
                yield from done

    def _tag_batch(self, sources: Sequence[ImageSource], top: int, refinement: Refinement,
                   sample: bool, seed: Optional[int], beside: Optional[Executor] = None) -> list[ImageResult]:
        """The results of one batch of sources, each photo examined on ``beside`` while the
        network runs (when given) or else as it is loaded."""
        loaded = [self._try_load(source, beside) for source in sources]
        good = [photo for photo in loaded if not isinstance(photo, ZeroShotTagsError)]
        rngs = [photo_rng(seed, photo.image) if sample else None for photo in good]
        answers = iter(self._suggest_images(good, top, rngs, refinement) if good else [])
        return [ImageResult(describe(source), error=photo) if isinstance(photo, ZeroShotTagsError)
                else ImageResult(describe(source), suggestions=next(answers))
                for source, photo in zip(sources, loaded)]

    def _suggest_images(self, photos: Sequence[LoadedPhoto], top: int,
                        rngs: Sequence[Optional[np.random.Generator]],
                        refinement: Refinement) -> list[list[Suggestion]]:
        """Suggestions for each loaded photo, sampled with its generator in ``rngs`` when
        that is not None."""
        raise NotImplementedError

    def _examine(self, image: Image.Image) -> Any:
        """What the tagger reads from a decoded photo apart from its network (None here). It
        runs on the thread that loads the photo, or beside the network's pass on its batch."""
        return None

    def _try_load(self, source: ImageSource,
                  beside: Optional[Executor] = None) -> Union[LoadedPhoto, ZeroShotTagsError]:
        try:
            image = load_image(source, self.max_pixels, self.min_side)
        except ZeroShotTagsError as error:
            return error
        return LoadedPhoto(image, beside.submit(self._examine, image) if beside else _found(self._examine(image)))
