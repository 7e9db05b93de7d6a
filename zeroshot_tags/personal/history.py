"""A person's posting history: their photos with the hashtags they chose.

Read from a CSV file ``file,tags`` (paths relative to the CSV's folder; tags separated by
spaces, ``#`` optional), a folder holding one such CSV, or an Instagram data export (JSON:
each post's photos with its caption's hashtags; see :mod:`zeroshot_tags.posts.instagram_export`).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import LabelledDataError, ModelError
from ..posts.hashtag_model import caption_hashtags
from ..posts.instagram_export import POSTS_FILES, export_posts
from ..text import hashtag_form, is_hashtag


@dataclass(frozen=True)
class PastPost:
    """One photo a person posted and the hashtags they gave it (``#tag`` forms, distinct)."""

    photo: Path
    hashtags: tuple[str, ...]


def read_history(path: os.PathLike) -> list[PastPost]:
    """The posts of a history (see the module): only photos with at least one hashtag.

    Raises:
        LabelledDataError: not a history, or one without a photo with hashtags.
    """
    path = Path(path)
    if path.is_dir() and not any(path.rglob(POSTS_FILES)):
        tables = sorted(path.glob("*.csv"))
        if len(tables) != 1:
            raise LabelledDataError(f"{path}: give a CSV of file,tags, a folder holding one, or an "
                                    f"Instagram data export ({len(tables)} CSV files here)")
        path = tables[0]
    if path.suffix.lower() == ".csv":
        posts = _read_table(path)
    else:
        try:
            posts = [PastPost(photo, _hashtags(caption_hashtags(post.caption)))
                     for post in export_posts(path) for photo in post.media]
        except ModelError as error:
            raise LabelledDataError(str(error)) from error
    posts = [post for post in posts if post.hashtags]
    if not posts:
        raise LabelledDataError(f"{path}: no photo with hashtags")
    return posts


def _read_table(path: Path) -> list[PastPost]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not {"file", "tags"} <= set(reader.fieldnames or ()):
                raise LabelledDataError(f"{path}: needs the columns file and tags")
            return [PastPost(path.parent / row["file"], _hashtags((row["tags"] or "").split()))
                    for row in reader if row["file"]]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LabelledDataError(f"{path}: cannot be read ({type(error).__name__}: {error})") from error


def _hashtags(tags) -> tuple[str, ...]:
    """Tags as distinct ``#tag`` forms, leaving out what is no hashtag."""
    return tuple(dict.fromkeys(tag for tag in map(hashtag_form, tags) if is_hashtag(tag)))
