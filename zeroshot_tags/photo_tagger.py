"""What every tagger does with photos: load them, tag them in batches, keep going past bad ones."""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from .errors import ZeroShotTagsError
from .images import ImageSource, describe, load_image
from .suggestion import ImageResult, Suggestion


class PhotoTagger:
    """Base of the taggers: subclasses set ``batch_size`` and ``max_pixels`` and turn a batch
    of RGB images into suggestions in ``_suggest_images``."""

    batch_size: int
    max_pixels: int

    def suggest(self, image: Union[ImageSource, Sequence[ImageSource]], top: int = 5, *,
                sample: bool = False, seed: Optional[int] = None):
        """Hashtags for one image (a list of :class:`Suggestion`, best first), or for a list
        of images (a list of such lists, computed in batches).

        Args:
            image: a path, http(s) URL, bytes, PIL image, or a list of these.
            top: how many hashtags per image.
            sample: draw the hashtags at random, favouring higher scores (see the
                tagger's ``rank``), instead of taking the best ones.
            seed: seed of that draw, for repeatable samples.

        Raises:
            ImageError: an image cannot be read (for a list: the first such image).
        """
        if isinstance(image, (list, tuple)):
            results = list(self.suggest_many(image, top, sample=sample, seed=seed))
            for result in results:
                if result.error is not None:
                    raise result.error
            return [result.suggestions for result in results]
        return self.suggest([image], top, sample=sample, seed=seed)[0]

    def suggest_many(self, images: Iterable[ImageSource], top: int = 5, *,
                     sample: bool = False, seed: Optional[int] = None) -> Iterator[ImageResult]:
        """Tag images in batches, yielding one :class:`ImageResult` per image, in order.

        An image that cannot be read yields its error; the others still get suggestions.
        """
        if top < 1:
            raise ZeroShotTagsError("top must be at least 1")
        rng = np.random.default_rng(seed)
        pending = list(images)
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start:start + self.batch_size]
            loaded = [self._try_load(source) for source in chunk]
            good = [image for image in loaded if not isinstance(image, ZeroShotTagsError)]
            answers = iter(self._suggest_images(good, top, rng if sample else None) if good else [])
            for source, image in zip(chunk, loaded):
                if isinstance(image, ZeroShotTagsError):
                    yield ImageResult(describe(source), error=image)
                else:
                    yield ImageResult(describe(source), suggestions=next(answers))

    def _suggest_images(self, images: Sequence, top: int,
                        rng: Optional[np.random.Generator]) -> list[list[Suggestion]]:
        """Suggestions for each loaded image, sampled with ``rng`` when it is given."""
        raise NotImplementedError

    def _try_load(self, source: ImageSource):
        try:
            return load_image(source, self.max_pixels)
        except ZeroShotTagsError as error:
            return error
