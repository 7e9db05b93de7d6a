"""Words and hashtags: split phrases, segment run-together hashtags, make hashtag forms."""

from __future__ import annotations

import functools
import re

_WORD_SEPARATORS = re.compile(r"[\s_\-/,]+")
_NOT_HASHTAG_CHARACTER = re.compile(r"[^\w]+")


def hashtag_form(phrase: str) -> str:
    """``"apple pie"`` -> ``"#applepie"``; a ``#tag`` keeps its letters, lower-cased."""
    return "#" + _NOT_HASHTAG_CHARACTER.sub("", phrase.lstrip("#").lower().replace("_", ""))


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
