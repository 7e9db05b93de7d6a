"""Openverse's image search (API v1, ``GET /v1/images/``): CC-licensed photos with attribution.

Anonymous clients get pages of at most 20 results, 20 requests a minute and 200 a day; the
answer is ``{result_count, page_count, page_size, page, results: [{url, title, creator,
license, license_version, license_url, foreign_landing_url, ...}]}``.
"""

from __future__ import annotations

from typing import Optional

from ..config import CollectSettings
from .candidate import Candidate, SearchPage, plain_text

NAME = "openverse"
LICENCE_NAMES = {"cc0": "CC0", "pdm": "Public Domain Mark"}


def search_params(word: str, settings: CollectSettings, cursor: Optional[dict]) -> dict:
    """The query parameters of the search for ``word`` (its first page when ``cursor`` is None)."""
    return {"q": word, "page_size": settings.page_size, "page": 1, **(cursor or {})}


def parse_page(body: dict) -> SearchPage:
    """The candidates of one answer (those with an image URL) and the next page, if any."""
    candidates = tuple(Candidate(
        url=result["url"], title=plain_text(result.get("title")), creator=plain_text(result.get("creator")),
        licence=licence_name(result.get("license"), result.get("license_version")),
        licence_url=result.get("license_url") or "", source=NAME,
        landing_url=result.get("foreign_landing_url") or "",
    ) for result in body["results"] if result.get("url"))
    page = int(body.get("page") or 1)
    more = page < int(body.get("page_count") or 0)
    return SearchPage(candidates, {"page": str(page + 1)} if more else None)


def licence_name(code: Optional[str], version: Optional[str]) -> str:
    """Openverse's licence code and version as people write them: ``by-sa``, ``2.0`` -> ``CC BY-SA 2.0``."""
    if not code:
        return ""
    name = LICENCE_NAMES.get(code.lower(), f"CC {code.upper()}")
    return f"{name} {version}" if version else name
