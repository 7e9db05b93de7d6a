"""Hashtag vocabularies: concept words mapped to the hashtags people use for them.

A vocabulary file has one entry per line: a word or phrase, optionally followed by a colon
and its hashtags, best first (``beach: #beach #beachlife #sandy``). A line with only a word
stands for its hashtag form (``apple pie`` -> ``#applepie``); a line with only a ``#tag``
stands for itself. Blank lines and ``[section]`` headings are ignored.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence, Union

from .errors import VocabularyError
from .text import hashtag_form

BUILTIN_VOCABULARY_FILE = "hashtags.txt"


@dataclass(frozen=True)
class VocabularyEntry:
    """One candidate: the ``word`` that is embedded and its ``hashtags``, best first."""

    word: str
    hashtags: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """An ordered set of candidates with a digest that identifies its content."""

    entries: tuple[VocabularyEntry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def digest(self) -> str:
        text = "\n".join(f"{e.word}\t{' '.join(e.hashtags)}" for e in self.entries)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def extended(self, other: "Vocabulary") -> "Vocabulary":
        """This vocabulary plus ``other``; an entry of ``other`` replaces one with its hashtag."""
        replaced = {entry.hashtags[0] for entry in other.entries}
        kept = tuple(entry for entry in self.entries if entry.hashtags[0] not in replaced)
        return Vocabulary(kept + other.entries)


VocabularySpec = Union[None, str, os.PathLike, Sequence[str], Vocabulary]


def builtin_vocabulary() -> Vocabulary:
    """The curated vocabulary shipped in the package (``vocab/hashtags.txt``)."""
    text = _builtin_vocabulary_file().read_text("utf-8")
    return parse_vocabulary(text.splitlines(), source="built-in vocabulary")


def _builtin_vocabulary_file():
    """Installed, ``vocab/`` is the package ``zeroshot_tags.builtin_vocab``; in a source
    checkout it is the folder beside ``zeroshot_tags/``."""
    try:
        return resources.files("zeroshot_tags.builtin_vocab") / BUILTIN_VOCABULARY_FILE
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / "vocab" / BUILTIN_VOCABULARY_FILE


def load_vocabulary(spec: VocabularySpec, extra: VocabularySpec = None) -> Vocabulary:
    """Turn ``None`` (built-in), a file path, a list of words/#tags, or a Vocabulary into one;
    the entries of ``extra`` (same forms), when given, are added to it.

    Raises:
        VocabularyError: the file is missing or unreadable, or holds no entry.
    """
    if extra is not None:
        return load_vocabulary(spec).extended(load_vocabulary(extra))
    if spec is None:
        return builtin_vocabulary()
    if isinstance(spec, Vocabulary):
        vocabulary = spec
    elif isinstance(spec, (str, os.PathLike)):
        vocabulary = parse_vocabulary(_read_lines(Path(spec)), source=os.fspath(spec))
    else:
        vocabulary = parse_vocabulary(list(spec), source="vocabulary list")
    if not vocabulary.entries:
        raise VocabularyError("the vocabulary is empty: give at least one word or #hashtag")
    return vocabulary


def parse_vocabulary(lines: Iterable[str], source: str) -> Vocabulary:
    """Parse vocabulary lines (the format in this module's docstring).

    Entries are keyed by their first hashtag: a later line with the same one replaces it.
    """
    entries: dict[str, VocabularyEntry] = {}
    for line in lines:
        entry = _parse_line(line)
        if entry is not None:
            entries[entry.hashtags[0]] = entry
    if not entries:
        raise VocabularyError(f"{source}: the vocabulary is empty: give at least one word or #hashtag")
    return Vocabulary(tuple(entries.values()))


def _parse_line(line: str):
    line = line.strip()
    if not line or (line.startswith("[") and line.endswith("]")):
        return None
    word_part, _, tag_part = line.partition(":") if ":" in line else ("", "", line)
    tokens = tag_part.split()
    hashtags = [hashtag_form(t) for t in tokens if t.startswith("#") and len(t) > 1]
    words = [t for t in tokens if not t.startswith("#")]
    word = (word_part.strip() or " ".join(words)).lower()
    if not word:
        word = hashtags[0].lstrip("#")
    if not hashtags:
        hashtags = [hashtag_form(word)]
    return VocabularyEntry(word=word, hashtags=tuple(dict.fromkeys(hashtags)))


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise VocabularyError(f"{path}: vocabulary file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read vocabulary ({exc})") from exc
