"""Hashtags a user adds: kept in a vocabulary file (by default in the user's cache) that every
Tagger adds to its vocabulary, so they are suggested from then on.

What one add may hold is capped (``MAX_ENTRIES_PER_ADD`` entries of ``MAX_ENTRY_CHARACTERS``
each), so an add is under a second of work however it arrives (library, command, web API).
The file is changed by one process at a time (an inter-process lock beside it) and rewritten
whole or not at all, so concurrent adds all land and a reader never sees half a file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence

from filelock import FileLock

from ..atomic import atomic_write
from ..cache import resolve_cache_dir
from ..errors import TooManyEntriesError, VocabularyError
from ..text import hashtag_form
from .vocab import Vocabulary, VocabularyEntry, parse_entries, parse_vocabulary

CUSTOM_HASHTAGS_FILE = "custom_hashtags.txt"
MAX_ENTRIES_PER_ADD = 100
"""Entries one add may hold: 100 are embedded and indexed in about 0.1 s on two CPU cores
(10,000 took 27 s), and any list typed or pasted by hand fits (a post carries at most 30
hashtags); larger lists belong in a vocabulary file (``--extra-vocab``)."""
MAX_ENTRY_CHARACTERS = 200
"""Characters one entry may have: room for a phrase and a dozen hashtags, well inside the
sentence encoder's 256-token window, so nothing a user typed is silently cut off."""
LOCK_TIMEOUT_SECONDS = 60
"""How long an add or remove waits for another process's change of the file."""


def custom_hashtags_file(cache_dir: Optional[os.PathLike] = None) -> Path:
    """The user's custom hashtag file: ``custom_hashtags.txt`` in the cache directory."""
    return resolve_cache_dir(cache_dir) / CUSTOM_HASHTAGS_FILE


def read_custom_hashtags(path: os.PathLike) -> Optional[Vocabulary]:
    """The entries of a custom hashtag file; None when it is missing or holds none. A bad line
    (a hand edit) is reported and skipped.

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
    entries = parse_entries(lines, source=str(path))
    return Vocabulary(entries) if entries else None


def parse_custom_hashtags(lines: Sequence[str]) -> list[VocabularyEntry]:
    """Vocabulary entries from lines such as ``#sunsetlover`` or ``golden hour: #goldenhour``.

    Raises:
        VocabularyError: more than ``MAX_ENTRIES_PER_ADD`` lines, one longer than
            ``MAX_ENTRY_CHARACTERS``, a line with no word or hashtag (``: #``), or no entry.
    """
    _check_count(len(lines))
    too_long = next((line for line in lines if len(line) > MAX_ENTRY_CHARACTERS), None)
    if too_long is not None:
        raise VocabularyError(f"{too_long[:30]!r}... is {len(too_long):,} characters long: an entry "
                              f"may have at most {MAX_ENTRY_CHARACTERS}")
    return list(parse_vocabulary(lines, source="custom hashtags", strict=True).entries)


def save_custom_hashtags(entries: Sequence[VocabularyEntry], path: os.PathLike) -> None:
    """Add ``entries`` to the file (an entry with the same first hashtag is replaced), under
    the file's lock; the file's bad lines, reported as it is read, are left out.

    Raises:
        VocabularyError: more than ``MAX_ENTRIES_PER_ADD`` entries, or the file cannot be read.
        OSError: the file cannot be written, or another process held its lock too long.
    """
    _check_count(len(entries))
    path = Path(path)
    with _locked(path):
        existing = read_custom_hashtags(path) or Vocabulary(())
        _write(existing.extended(Vocabulary(tuple(entries))), path)


def remove_custom_hashtags(hashtags: Sequence[str], path: os.PathLike) -> list[str]:
    """Remove the entries whose first hashtag is one of ``hashtags``; return those removed.

    Raises:
        VocabularyError: the file cannot be read.
        OSError: the file cannot be written, or another process held its lock too long.
    """
    path = Path(path)
    wanted = {hashtag_form(tag) for tag in hashtags}
    with _locked(path):
        existing = read_custom_hashtags(path) or Vocabulary(())
        removed = [e.hashtags[0] for e in existing.entries if e.hashtags[0] in wanted]
        if removed:
            _write(Vocabulary(tuple(e for e in existing.entries if e.hashtags[0] not in wanted)), path)
    return removed


def _check_count(count: int) -> None:
    if count > MAX_ENTRIES_PER_ADD:
        raise TooManyEntriesError(f"{count:,} entries at once: add at most {MAX_ENTRIES_PER_ADD} at a time "
                              "(a longer list belongs in a vocabulary file)")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the inter-process lock (``<file>.lock`` beside it) of a change of ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(f"{path.name}.lock"), timeout=LOCK_TIMEOUT_SECONDS):
        yield


def _write(vocabulary: Vocabulary, path: Path) -> None:
    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{entry.line}\n" for entry in vocabulary.entries))
