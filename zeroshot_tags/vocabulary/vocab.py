"""Hashtag vocabularies: concept words mapped to the hashtags people use for them.

A vocabulary file has one entry per line: a word or phrase, optionally followed by a colon
and its hashtags, best first (``beach: #beach #beachlife #sandy``). A line with only a word
stands for its hashtag form (``apple pie`` -> ``#applepie``); a line with only a ``#tag``
stands for itself. Blank lines and ``[section]`` headings are ignored. A line with neither a
word nor a hashtag, or with a ``#`` that has no letter or digit after it (``#``, ``: #``, ``##``,
``!!``), is an error where a user types entries, and is reported and skipped in a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from ..errors import VocabularyError
from ..text import HASHTAG_RULE, hashtag_form, is_hashtag

BUILTIN_VOCABULARY_FILE = "hashtags.txt"
QUOTED_CHARACTERS = 60
"""A bad line is quoted in its error up to this many characters."""

logger = logging.getLogger("zeroshot_tags")


@dataclass(frozen=True)
class VocabularyEntry:
    """One candidate: the ``word`` that is embedded and its ``hashtags``, best first."""

    word: str
    hashtags: tuple[str, ...]

    @property
    def line(self) -> str:
        """The entry as a vocabulary file line: ``word: #tag #othertag``."""
        return f"{self.word}: {' '.join(self.hashtags)}"


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
        return Path(__file__).resolve().parents[2] / "vocab" / BUILTIN_VOCABULARY_FILE


def load_vocabulary(spec: VocabularySpec, extra: VocabularySpec = None) -> Vocabulary:
    """Turn ``None`` (built-in), a file path, a list of words/#tags, or a Vocabulary into one;
    the entries of ``extra`` (same forms), when given, are added to it.

    Raises:
        VocabularyError: the file is missing or unreadable, or holds no entry; a list holds
            a bad entry (a file's bad lines are reported and skipped).
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
        vocabulary = parse_vocabulary(list(spec), source="vocabulary list", strict=True)
    if not vocabulary.entries:
        raise VocabularyError("the vocabulary is empty: give at least one word or #hashtag")
    return vocabulary


def parse_vocabulary(lines: Iterable[str], source: str, *, strict: bool = False) -> Vocabulary:
    """Parse vocabulary lines (the format in this module's docstring); see :func:`parse_entries`.

    Raises:
        VocabularyError: no line holds an entry, or ``strict`` and a line is bad.
    """
    entries = parse_entries(lines, source, strict=strict)
    if not entries:
        raise VocabularyError(f"{source}: the vocabulary is empty: give at least one word or #hashtag")
    return Vocabulary(entries)


def parse_entries(lines: Iterable[str], source: str, *,
                  strict: bool = False) -> tuple[VocabularyEntry, ...]:
    """The entries of vocabulary lines, keyed by their first hashtag: a later line with the
    same one replaces it.

    A bad line (see :func:`parse_line`) raises with ``strict``, for entries a user types;
    otherwise, for a file, it is logged once as ``source:number: ...; line skipped`` and the
    other lines are read.

    Raises:
        VocabularyError: ``strict`` and a line is bad.
    """
    entries: dict[str, VocabularyEntry] = {}
    for number, line in enumerate(lines, start=1):
        try:
            entry = parse_line(line)
        except VocabularyError as error:
            if strict:
                raise
            logger.warning("%s:%d: %s; line skipped", source, number, error)
            continue
        if entry is not None:
            entries[entry.hashtags[0]] = entry
    return tuple(entries.values())


def parse_line(line: str) -> Optional[VocabularyEntry]:
    """One vocabulary line as an entry; None for a blank line or a ``[section]`` heading. The
    word's spaces (line breaks included) are collapsed, so an entry is always one line.

    Raises:
        VocabularyError: the line has a ``#`` without a letter or digit after it, a word
            without any, or neither a word nor a hashtag.
    """
    line = line.strip()
    if not line or (line.startswith("[") and line.endswith("]")):
        return None
    word_part, _, tag_part = line.partition(":") if ":" in line else ("", "", line)
    tokens = tag_part.split()
    tags = [token for token in tokens if token.startswith("#")]
    hashtags = [hashtag_form(tag) for tag in tags]
    bad = next((tag for tag, form in zip(tags, hashtags) if not is_hashtag(form)), None)
    if bad is not None:
        raise VocabularyError(f"{_quoted(line)}: {_quoted(bad)} is not a hashtag ({HASHTAG_RULE})")
    words = word_part.split() or [token for token in tokens if not token.startswith("#")]
    word = " ".join(words).lower()
    if not word and not hashtags:
        raise VocabularyError(f"{_quoted(line)}: no word or hashtag: give 'words', '#tag' "
                              "or 'words: #tag'")
    if word and not is_hashtag(hashtag_form(word)):
        raise VocabularyError(f"{_quoted(line)}: the word {_quoted(word)} has no letter or digit")
    return VocabularyEntry(word=word or hashtags[0][1:],
                           hashtags=tuple(dict.fromkeys(hashtags or [hashtag_form(word)])))


def _quoted(text: str) -> str:
    """``text`` in quotes, shortened to ``QUOTED_CHARACTERS``."""
    return repr(text if len(text) <= QUOTED_CHARACTERS else text[:QUOTED_CHARACTERS] + "...")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise VocabularyError(f"{path}: vocabulary file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read vocabulary ({exc})") from exc
