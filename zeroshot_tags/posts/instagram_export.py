"""The posts of an Instagram data export ("Download your information", JSON format).

An export holds ``posts_1.json`` (``posts_2.json``, ... for many posts) under
``your_instagram_activity/content/`` (older exports: ``content/``): a list of posts, each with
its ``media`` (``uri``, relative to the export's root folder, ``creation_timestamp``,
``title``). A post's caption is its ``title``, or, for a single photo, its medium's ``title``.
Instagram writes the text's UTF-8 bytes as Latin-1 characters (``"caf\\u00c3\\u00a9"`` for
"café"), which :func:`repaired` undoes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

POSTS_FILES = "posts_*.json"
MEDIA_FOLDER = "media"
"""The export's folder of photos and videos; the posts' ``uri`` start with it."""


@dataclass(frozen=True)
class ExportPost:
    """One post of an export: its caption (text repaired) and its media files' paths."""

    caption: str
    media: tuple[Path, ...]


def export_posts(path: os.PathLike) -> list[ExportPost]:
    """The posts of an export folder, or of one of its ``posts_N.json`` files (media paths are
    resolved against the export's root: the nearest folder above holding ``media/``).

    Raises:
        ModelError: no posts file, or one that is not an export's list of posts.
    """
    path = Path(path)
    files = sorted(path.rglob(POSTS_FILES)) if path.is_dir() else [path]
    if not files:
        raise ModelError(f"{path}: no {POSTS_FILES} in this folder: give an Instagram data export (JSON)")
    return [post for file in files for post in _posts(file)]


def export_captions(path: os.PathLike) -> list[str]:
    """The captions of the posts of an export (see :func:`export_posts`)."""
    return [post.caption for post in export_posts(path)]


def repaired(text: str) -> str:
    """``text`` with Instagram's Latin-1 reading of its UTF-8 bytes undone (unchanged when it
    is not such text)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _posts(file: Path) -> list[ExportPost]:
    root = next((folder for folder in file.parents if (folder / MEDIA_FOLDER).is_dir()), file.parent)
    try:
        posts = json.loads(file.read_text(encoding="utf-8"))
        return [ExportPost(repaired(_caption(post)), _media(root, post)) for post in posts]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as error:
        raise ModelError(f"{file}: not an Instagram export's posts file ({type(error).__name__})") from error


def _media(root: Path, post: dict) -> tuple[Path, ...]:
    """The paths of a post's media, leaving out a ``uri`` that would lead outside the export."""
    paths = (root / medium["uri"] for medium in post.get("media") or [] if medium.get("uri"))
    return tuple(path for path in paths if path.resolve().is_relative_to(root.resolve()))


def _caption(post: dict) -> str:
    media = post.get("media") or []
    return post.get("title") or (media[0].get("title", "") if len(media) == 1 else "")
