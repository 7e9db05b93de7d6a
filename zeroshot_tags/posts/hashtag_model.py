"""A hashtag model learned from the hashtag lists of real posts (text, never photos): how
many posts use each hashtag (its prior) and how many use two together (co-occurrence).

Example:
    >>> model = HashtagModel.learn([["#dog", "#cute"], ["#dog", "#puppy"], ["#cute"]], min_count=1)
    >>> model.hashtags
    ('#cute', '#dog', '#puppy')
"""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from importlib import resources
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Union

import numpy as np
from scipy import sparse

from ..atomic import atomic_write
from ..config import HASHTAG_MODELS, MIN_HASHTAG_POSTS
from ..errors import ModelError
from ..text import hashtag_form, is_hashtag
from ..vocabulary.vocab import Vocabulary, parse_line

FORMAT = 1
"""The version of the saved file's layout."""
HASHTAG_IN_TEXT = re.compile(r"#[^\W_][\w]*")
"""A hashtag in a caption: ``#``, a letter or digit, then letters, digits (and underscores,
which :func:`~zeroshot_tags.text.hashtag_form` drops)."""


@dataclass(frozen=True)
class HashtagModel:
    """Hashtag counts over ``posts`` posts and their co-occurrence counts.

    Attributes:
        hashtags: ``#tag`` forms, sorted.
        counts: how many posts use each hashtag.
        together: a symmetric sparse matrix: how many posts use both hashtags (zero diagonal).
        posts: how many posts the model was learned from.
    """

    hashtags: tuple[str, ...]
    counts: np.ndarray
    together: sparse.csr_matrix
    posts: int

    @classmethod
    def learn(cls, posts: Iterable[Iterable[str]], min_count: int = MIN_HASHTAG_POSTS) -> "HashtagModel":
        """Count the hashtags of ``posts`` (each an iterable of hashtags, ``#`` optional),
        keeping those used by at least ``min_count`` posts.

        Raises:
            ModelError: no hashtag is used often enough.
        """
        tag_sets = [sorted({hashtag_form(tag) for tag in post} - {"#"}) for post in posts]
        counts = Counter(tag for tags in tag_sets for tag in tags)
        hashtags = tuple(sorted(tag for tag, count in counts.items() if count >= min_count and is_hashtag(tag)))
        if not hashtags:
            raise ModelError(f"no hashtag is used by {min_count} posts or more: give more posts")
        column = {tag: k for k, tag in enumerate(hashtags)}
        pairs = Counter(pair for tags in tag_sets
                        for pair in combinations([column[t] for t in tags if t in column], 2))
        rows, columns = (np.array(side, dtype=np.int32) for side in zip(*pairs)) if pairs else ([], [])
        values = np.fromiter(pairs.values(), dtype=np.float32, count=len(pairs))
        upper = sparse.coo_matrix((values, (rows, columns)), shape=(len(hashtags),) * 2)
        return cls(hashtags, np.array([counts[t] for t in hashtags], dtype=np.int64),
                   (upper + upper.T).tocsr(), len(tag_sets))

    def log_prior(self) -> np.ndarray:
        """``log P(hashtag)``: the log share of posts that use each hashtag."""
        return np.log(self.counts / self.posts)

    def conditional(self) -> sparse.csr_matrix:
        """``P(column | row)``: the share of the posts using the row's hashtag that also use
        the column's."""
        return (sparse.diags(1.0 / self.counts) @ self.together).tocsr().astype(np.float32)

    def save(self, path: os.PathLike) -> None:
        """Write the model (counts only, no post) as a compressed ``.npz``, atomically."""
        together = self.together.tocoo()
        with atomic_write(path, "wb") as stream:
            np.savez_compressed(stream, format=np.int64(FORMAT), hashtags=np.array(self.hashtags),
                                counts=self.counts, posts=np.int64(self.posts),
                                rows=together.row.astype(np.int32), columns=together.col.astype(np.int32),
                                together=together.data.astype(np.float32))

    @classmethod
    def load(cls, path: os.PathLike) -> "HashtagModel":
        """Read a model :meth:`save` wrote (no pickle is ever loaded).

        Raises:
            ModelError: the file is missing, damaged or not a hashtag model.
        """
        try:
            with np.load(path, allow_pickle=False) as saved:
                if int(saved["format"]) != FORMAT:
                    raise ModelError(f"{path}: a hashtag model of another format ({int(saved['format'])})")
                hashtags = tuple(str(tag) for tag in saved["hashtags"])
                shape = (len(hashtags),) * 2
                together = sparse.csr_matrix((saved["together"], (saved["rows"], saved["columns"])), shape=shape)
                model = cls(hashtags, saved["counts"].astype(np.int64), together, int(saved["posts"]))
        except (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as error:
            raise ModelError(f"{path}: not a hashtag model ({type(error).__name__}: {error})") from error
        if len(model.counts) != len(hashtags) or not all(map(is_hashtag, hashtags)) or model.posts < 1:
            raise ModelError(f"{path}: a damaged hashtag model")
        return model


def caption_hashtags(caption: str) -> list[str]:
    """The hashtags written in a caption (``#word``)."""
    return HASHTAG_IN_TEXT.findall(caption)


def line_hashtags(line: str) -> list[str]:
    """A post's hashtags from one line of a posts file: its caption's hashtags, or, in a line
    without ``#``, the words separated by spaces (the HARRISON lists' form)."""
    return caption_hashtags(line) if "#" in line else line.split()


def load_hashtag_model(spec: Union[str, os.PathLike]) -> HashtagModel:
    """A shipped model by name (see ``config.HASHTAG_MODELS``) or a model file.

    Raises:
        ModelError: the file is missing or not a hashtag model.
    """
    if os.fspath(spec) in HASHTAG_MODELS:
        with resources.as_file(resources.files(__package__) / f"{os.fspath(spec)}.npz") as path:
            return HashtagModel.load(path)
    return HashtagModel.load(spec)


def with_model_hashtags(vocabulary: Vocabulary, model: HashtagModel) -> Vocabulary:
    """``vocabulary`` plus an entry for each of the model's hashtags it has none for."""
    present = {tag for entry in vocabulary.entries for tag in entry.hashtags}
    added = tuple(parse_line(tag) for tag in model.hashtags if tag not in present)
    return Vocabulary(vocabulary.entries + added)
