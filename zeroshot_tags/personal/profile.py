"""A person's profile: what their own posts teach about the hashtags they choose.

Learned from a posting history (see :mod:`zeroshot_tags.personal.history`) on the backbone's
pooled features (L2-normalised; cached, see :mod:`zeroshot_tags.vision.features`), it holds
three personal models over the hashtags the person used on at least ``PROFILE_MIN_POSTS``
photos: the k nearest photos' votes, ALS factors and a multi-label head. Their scores are
combined with the ``neighbour``, ``factor`` and ``head`` weights; a tagger blends the result
with its zero-shot scores (see :class:`zeroshot_tags.Tagger`).

Example:
    >>> profile = Profile.learn("my_posts.csv")  # doctest: +SKIP
    >>> profile.save("me.profile")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

import numpy as np
from scipy import sparse

from ..atomic import atomic_write
from ..config import (DEFAULT_BACKBONE, DEFAULT_FACTOR_WEIGHT, DEFAULT_HEAD_WEIGHT, DEFAULT_NEIGHBOUR_WEIGHT,
                      DEFAULT_PROFILE_NEIGHBOURS, PROFILE_MIN_POSTS)
from ..errors import ImageError, LabelledDataError, ModelError
from ..text import is_hashtag
from .factorisation import factor_scores, fit_factors
from .head import HeadEpoch, MultiLabelHead, train_head
from .history import PastPost, read_history
from .neighbours import PhotoNeighbours, neighbour_votes, unit_rows

FORMAT = 1
"""The version of the saved file's layout."""


@dataclass(frozen=True)
class PersonalWeights:
    """How much each personal model counts in a profile's scores."""

    neighbour: float = DEFAULT_NEIGHBOUR_WEIGHT
    factor: float = DEFAULT_FACTOR_WEIGHT
    head: float = DEFAULT_HEAD_WEIGHT


@dataclass(frozen=True)
class Profile:
    """A person's photos (unit feature rows), their hashtags and the models learned from them.

    Attributes:
        backbone: the backbone whose features these are (a tagger must use the same).
        hashtags: the person's hashtags the models score, ``#tag`` forms.
        features: (photos x dimension) unit rows.
        tags: (photos x hashtags) 0/1 matrix.
        photo_factors, hashtag_factors: the ALS factors.
        head: the multi-label head.
    """

    backbone: str
    hashtags: tuple[str, ...]
    features: np.ndarray
    tags: sparse.csr_matrix
    photo_factors: np.ndarray
    hashtag_factors: np.ndarray
    head: MultiLabelHead
    neighbours: PhotoNeighbours = field(init=False, repr=False, compare=False)
    follows: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "neighbours", PhotoNeighbours(self.features))
        together = (self.tags.T @ self.tags).toarray()
        object.__setattr__(self, "follows", (together / np.maximum(together.diagonal(), 1.0)[:, None]).astype(np.float32))

    def cooccurring(self, seeds: np.ndarray) -> np.ndarray:
        """Each of the person's hashtags' chance to be on their post with these seeds (a
        distribution over their hashtags): ``sum over seeds of P(seed) * P(hashtag | seed)``,
        as their own posts count it (``P(seed | seed)`` is 1). Computed in float32, the
        figures' own precision: float64 seeds would copy the whole matrix on every call."""
        return np.asarray(seeds, dtype=np.float32) @ self.follows

    @classmethod
    def learn(cls, history: Union[str, os.PathLike, Sequence[PastPost]], backbone: str = DEFAULT_BACKBONE,
              cache_dir: Optional[os.PathLike] = None, seed: int = 0,
              on_skipped: Optional[Callable[[ImageError], None]] = None,
              on_epoch: Optional[Callable[[HeadEpoch], None]] = None) -> "Profile":
        """Learn a profile from a history (a path :func:`read_history` reads, or its posts).
        Photos that cannot be read are left out, each passed to ``on_skipped``.

        Raises:
            LabelledDataError: not a history, or fewer than two readable photos with a
                hashtag used on ``PROFILE_MIN_POSTS`` of them.
        """
        from ..vision.backbones import load_backbone
        from ..vision.features import FeatureExtractor

        posts = read_history(history) if isinstance(history, (str, os.PathLike)) else list(history)
        extractor = FeatureExtractor(load_backbone(backbone, cache_dir=cache_dir), cache_dir)
        rows, errors = extractor.readable_features([post.photo for post in posts])
        for error in filter(None, errors):
            if on_skipped:
                on_skipped(error)
        read = [post for post, error in zip(posts, errors) if error is None]
        counts = Counter(tag for post in read for tag in post.hashtags)
        hashtags = tuple(sorted(tag for tag, count in counts.items() if count >= PROFILE_MIN_POSTS))
        if len(read) < 2 or not hashtags:
            raise LabelledDataError(f"{len(read)} readable photos and {len(hashtags)} hashtags used on "
                                    f"{PROFILE_MIN_POSTS} of them: too few to learn from")
        features = unit_rows(rows.numpy())
        tags = _tag_matrix([post.hashtags for post in read], hashtags)
        photo_factors, hashtag_factors = fit_factors(tags, seed=seed)
        head = train_head(features, tags.toarray(), seed, on_epoch)
        return cls(backbone, hashtags, features, tags, photo_factors, hashtag_factors, head)

    def nearest(self, features: np.ndarray, count: int = DEFAULT_PROFILE_NEIGHBOURS) -> sparse.csr_matrix:
        """(photos x the person's photos) weights of each new photo's ``count`` nearest own
        photos (see :meth:`PhotoNeighbours.weights`), from pooled features (any scale)."""
        return self.neighbours.weights(unit_rows(features), count)

    def scores(self, features: np.ndarray, weights: PersonalWeights = PersonalWeights(),
               near: Optional[sparse.csr_matrix] = None) -> np.ndarray:
        """(photos x hashtags) personal scores of new photos' pooled features (any scale):
        the weighted sum of the neighbours' votes, the ALS scores and the head's
        probabilities, each between 0 and about 1. ``near``: the photos' :meth:`nearest`
        (default: with its default count)."""
        unit = unit_rows(features)
        near = near if near is not None else self.nearest(features)
        total = np.zeros((len(unit), len(self.hashtags)), np.float32)
        if weights.neighbour:
            total += weights.neighbour * neighbour_votes(near, self.tags)
        if weights.factor:
            total += weights.factor * factor_scores(near, self.photo_factors, self.hashtag_factors)
        if weights.head:
            total += weights.head * self.head.probabilities(unit)
        return total

    def save(self, path: os.PathLike) -> None:
        """Write the profile as a compressed ``.npz`` (no pickle), atomically."""
        tags = self.tags.tocoo()
        with atomic_write(path, "wb") as stream:
            np.savez_compressed(stream, format=np.int64(FORMAT), backbone=np.array(self.backbone),
                                hashtags=np.array(self.hashtags), features=self.features,
                                tag_rows=tags.row.astype(np.int32), tag_columns=tags.col.astype(np.int32),
                                photo_factors=self.photo_factors, hashtag_factors=self.hashtag_factors,
                                head_weight=self.head.weight, head_bias=self.head.bias)

    @classmethod
    def load(cls, path: os.PathLike) -> "Profile":
        """Read a profile :meth:`save` wrote (no pickle is ever loaded).

        Raises:
            ModelError: the file is missing, damaged or not a profile.
        """
        try:
            with np.load(path, allow_pickle=False) as saved:
                if int(saved["format"]) != FORMAT:
                    raise ModelError(f"{path}: a profile of another format ({int(saved['format'])})")
                hashtags = tuple(str(tag) for tag in saved["hashtags"])
                features = saved["features"].astype(np.float32)
                tags = sparse.csr_matrix((np.ones(len(saved["tag_rows"]), np.float32),
                                          (saved["tag_rows"], saved["tag_columns"])),
                                         shape=(len(features), len(hashtags)))
                profile = cls(str(saved["backbone"]), hashtags, features, tags,
                              saved["photo_factors"].astype(np.float32), saved["hashtag_factors"].astype(np.float32),
                              MultiLabelHead(saved["head_weight"].astype(np.float32),
                                             saved["head_bias"].astype(np.float32)))
        except (OSError, EOFError, KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile) as error:
            raise ModelError(f"{path}: not a profile ({type(error).__name__}: {error})") from error
        shapes_agree = (profile.photo_factors.shape[0] == len(features) == profile.features.shape[0]
                        and profile.hashtag_factors.shape[0] == len(hashtags)
                        and profile.head.weight.shape == (len(hashtags), features.shape[1])
                        and profile.head.bias.shape == (len(hashtags),))
        if not shapes_agree or not all(map(is_hashtag, hashtags)):
            raise ModelError(f"{path}: a damaged profile")
        return profile


def _tag_matrix(tag_lists: Sequence[Sequence[str]], hashtags: Sequence[str]) -> sparse.csr_matrix:
    """The (posts x hashtags) 0/1 matrix of ``tag_lists`` over ``hashtags``."""
    column = {tag: k for k, tag in enumerate(hashtags)}
    pairs = [(row, column[tag]) for row, tags in enumerate(tag_lists) for tag in tags if tag in column]
    rows, columns = zip(*pairs) if pairs else ((), ())
    return sparse.csr_matrix((np.ones(len(pairs), np.float32), (rows, columns)),
                             shape=(len(tag_lists), len(hashtags)))
