"""What every tagger does with photos: load them, tag them in batches, keep going past bad ones."""

from __future__ import annotations

import functools
import itertools
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np
from PIL import Image
from threadpoolctl import ThreadpoolController

from ..config import (DECODE_THREADS, DEFAULT_ACCEPT_WEIGHT, DEFAULT_CAPTION_WEIGHT, DEFAULT_TOP,
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


@dataclass(frozen=True)
class LoadedPhoto:
    """A decoded RGB photo and what its tagger's ``_examine`` found in it."""

    image: Image.Image
    facts: Any = None


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

        ``images`` is read one batch at a time, so a generator of any length starts at once;
        the next batch is decoded (or fetched) and examined on ``DECODE_THREADS`` threads
        while the network tags the current one, so at most two batches of photos are held. An
        image that cannot be read yields its error; the others still get suggestions.
        """
        check_top(top)
        refinement = Refinement.create(accepted, caption, accept_weight, caption_weight)
        sources = iter(images)
        with ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="zstags-decode") as decoders:
            def next_batch() -> list[tuple[ImageSource, Future]]:
                return [(source, decoders.submit(self._try_load, source))
                        for source in itertools.islice(sources, self.batch_size)]

            batch = next_batch()
            while batch:
                following = next_batch()  # decoded (or fetched) while this batch is tagged
                loaded = [(source, decoding.result()) for source, decoding in batch]
                good = [photo for _, photo in loaded if not isinstance(photo, ZeroShotTagsError)]
                rngs = [photo_rng(seed, photo.image) if sample else None for photo in good]
                with _native_pools().limit(limits=RANKING_BLAS_THREADS, user_api="blas"):
                    answers = iter(self._suggest_images(good, top, rngs, refinement) if good else [])
                for source, photo in loaded:
                    if isinstance(photo, ZeroShotTagsError):
                        yield ImageResult(describe(source), error=photo)
                    else:
                        yield ImageResult(describe(source), suggestions=next(answers))
                batch = following

    def _suggest_images(self, photos: Sequence[LoadedPhoto], top: int,
                        rngs: Sequence[Optional[np.random.Generator]],
                        refinement: Refinement) -> list[list[Suggestion]]:
        """Suggestions for each loaded photo, sampled with its generator in ``rngs`` when
        that is not None."""
        raise NotImplementedError

    def _examine(self, image: Image.Image) -> Any:
        """What the tagger reads from a decoded photo apart from its network (None here). It
        runs on the decoding threads, beside the network's pass on the previous batch."""
        return None

    def _try_load(self, source: ImageSource) -> Union[LoadedPhoto, ZeroShotTagsError]:
        try:
            image = load_image(source, self.max_pixels, self.min_side)
        except ZeroShotTagsError as error:
            return error
        return LoadedPhoto(image, self._examine(image))
