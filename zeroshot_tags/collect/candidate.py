"""What every image source's search gives: candidate photos with their attribution, a page at a time."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Candidate:
    """A photo a search found: where to download it, and what its reuse must credit."""

    url: str
    title: str
    creator: str
    licence: str
    licence_url: str
    source: str
    landing_url: str


@dataclass(frozen=True)
class SearchPage:
    """One page of search results and the query parameters of the next page (None: the last)."""

    candidates: tuple[Candidate, ...]
    next: Optional[dict]


def plain_text(markup: object) -> str:
    """``markup`` (an API's HTML snippet, or None) as one line of plain text."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", str(markup or "")))
    return " ".join(text.split())
