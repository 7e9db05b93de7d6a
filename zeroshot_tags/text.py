"""Words and hashtags: split phrases, segment run-together hashtags, make hashtag forms."""

from __future__ import annotations

import functools
import re
import unicodedata

_WORD_SEPARATORS = re.compile(r"[\s_\-/,]+")

HASHTAG_RULE = "'#' then letters or digits of any script"


def hashtag_form(phrase: str) -> str:
    """``"apple pie"`` -> ``"#applepie"``; a ``#tag`` keeps its letters, digits and their
    combining marks (Devanagari or Thai vowel signs), lower-cased and composed (``e`` and a
    combining accent become ``é``). Spaces, punctuation, emoji and underscores are dropped: a
    phrase without letters or digits gives ``"#"``, which :func:`is_hashtag` refuses."""
    kept, keeping = [], False
    for character in unicodedata.normalize("NFC", phrase.lstrip("#").lower()):
        kind = unicodedata.category(character)[0]
        keeping = kind in "LN" or (kind == "M" and keeping)  # a mark only on a kept character
        if keeping:
            kept.append(character)
    return "#" + "".join(kept)


def class_phrase(name: str) -> str:
    """A class (or folder) name read as words: ``"apple_pie"`` -> ``"apple pie"``."""
    return name.replace("_", " ")


def is_hashtag(tag: str) -> bool:
    """Whether ``tag`` is a hashtag as :func:`hashtag_form` writes one: ``#``, a letter or
    digit, then letters, digits and combining marks (``HASHTAG_RULE``, the one rule)."""
    return (len(tag) > 1 and tag[0] == "#" and unicodedata.category(tag[1])[0] in "LN"
            and all(unicodedata.category(character)[0] in "LNM" for character in tag[2:]))


def split_words(phrase: str) -> list[str]:
    """Split on spaces, underscores, hyphens, slashes and commas; drop a leading ``#``."""
    return [word for word in _WORD_SEPARATORS.split(phrase.lstrip("#")) if word]


def segment(word: str) -> list[str]:
    """Split a run-together word into English words: ``foodphotography`` -> food, photography."""
    return list(_segmenter()(word))


@functools.lru_cache(maxsize=1)
def _segmenter():
    import wordsegment

    wordsegment.load()
    return wordsegment.segment
