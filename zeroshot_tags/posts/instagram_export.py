"""The captions of an Instagram data export ("Download your information", JSON format).

An export holds ``posts_1.json`` (``posts_2.json``, ... for many posts) under
``your_instagram_activity/content/`` (older exports: ``content/``): a list of posts, each with
its ``media`` (``uri``, ``creation_timestamp``, ``title``). A post's caption is its ``title``,
or, for a single photo, its medium's ``title``. Instagram writes the text's UTF-8 bytes as
Latin-1 characters (``"caf\\u00c3\\u00a9"`` for "café"), which :func:`repaired` undoes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ModelError

POSTS_FILES = "posts_*.json"


def export_captions(path: os.PathLike) -> list[str]:
    """The captions of the posts of an export folder, or of one of its ``posts_N.json`` files.

    Raises:
        ModelError: no posts file, or one that is not an export's list of posts.
    """
    path = Path(path)
    files = sorted(path.rglob(POSTS_FILES)) if path.is_dir() else [path]
    if not files:
        raise ModelError(f"{path}: no {POSTS_FILES} in this folder: give an Instagram data export (JSON)")
    return [caption for file in files for caption in _captions(file)]


def repaired(text: str) -> str:
    """``text`` with Instagram's Latin-1 reading of its UTF-8 bytes undone (unchanged when it
    is not such text)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _captions(file: Path) -> list[str]:
    try:
        posts = json.loads(file.read_text(encoding="utf-8"))
        return [repaired(_caption(post)) for post in posts]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as error:
        raise ModelError(f"{file}: not an Instagram export's posts file ({type(error).__name__})") from error


def _caption(post: dict) -> str:
    media = post.get("media") or []
    return post.get("title") or (media[0].get("title", "") if len(media) == 1 else "")
