"""Hashtags a user adds: kept in a vocabulary file (by default in the user's cache) that every
Tagger adds to its vocabulary, so they are suggested from then on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

from .atomic import atomic_write
from .cache import resolve_cache_dir
from .errors import VocabularyError
from .text import hashtag_form
from .vocab import Vocabulary, VocabularyEntry, parse_vocabulary

CUSTOM_HASHTAGS_FILE = "custom_hashtags.txt"


def custom_hashtags_file(cache_dir: Optional[os.PathLike] = None) -> Path:
    """The user's custom hashtag file: ``custom_hashtags.txt`` in the cache directory."""
    return resolve_cache_dir(cache_dir) / CUSTOM_HASHTAGS_FILE


def read_custom_hashtags(path: os.PathLike) -> Optional[Vocabulary]:
    """The entries of a custom hashtag file; None when it is missing or empty.

    Raises:
        VocabularyError: the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read custom hashtags ({exc})") from exc
    if not any(line.strip() for line in lines):
        return None
    return parse_vocabulary(lines, source=str(path))


def parse_custom_hashtags(lines: Sequence[str]) -> list[VocabularyEntry]:
    """Vocabulary entries from lines such as ``#sunsetlover`` or ``golden hour: #goldenhour``.

    Raises:
        VocabularyError: no line holds a word or hashtag.
    """
    return list(parse_vocabulary(lines, source="custom hashtags").entries)


def save_custom_hashtags(entries: Sequence[VocabularyEntry], path: os.PathLike) -> None:
    """Add ``entries`` to the file (an entry with the same first hashtag is replaced),
    rewriting it whole."""
    existing = read_custom_hashtags(path) or Vocabulary(())
    _write(existing.extended(Vocabulary(tuple(entries))), Path(path))


def remove_custom_hashtags(hashtags: Sequence[str], path: os.PathLike) -> list[str]:
    """Remove the entries whose first hashtag is one of ``hashtags``; return those removed."""
    existing = read_custom_hashtags(path) or Vocabulary(())
    wanted = {hashtag_form(tag) for tag in hashtags}
    removed = [e.hashtags[0] for e in existing.entries if e.hashtags[0] in wanted]
    if removed:
        _write(Vocabulary(tuple(e for e in existing.entries if e.hashtags[0] not in wanted)), Path(path))
    return removed


def _write(vocabulary: Vocabulary, path: Path) -> None:
    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{entry.word}: {' '.join(entry.hashtags)}\n" for entry in vocabulary.entries))
