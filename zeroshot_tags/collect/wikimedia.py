"""Wikimedia Commons' search (the MediaWiki API): files of the File namespace with their licence.

``action=query&generator=search&gsrnamespace=6&prop=imageinfo&iiprop=url|mime|size|extmetadata``
answers ``{continue: {gsroffset, continue}, query: {pages: {id: {title, index, imageinfo: [{url,
thumburl, descriptionurl, mime, extmetadata: {Artist, LicenseShortName, LicenseUrl, ObjectName,
...: {value}}}]}}}}``; ``continue`` is merged into the next request for the next page.
"""

from __future__ import annotations

from typing import Optional

from ..config import CollectSettings
from ..errors import SourceError
from .candidate import Candidate, SearchPage, plain_text

NAME = "wikimedia"
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


def search_params(word: str, settings: CollectSettings, cursor: Optional[dict]) -> dict:
    """The query parameters of the search for ``word`` among bitmap files (its first page when
    ``cursor`` is None), with thumbnails as wide as the settings say."""
    return {"action": "query", "format": "json", "generator": "search", "gsrsearch": f"{word} filetype:bitmap",
            "gsrnamespace": 6, "gsrlimit": settings.page_size, "prop": "imageinfo",
            "iiprop": "url|mime|size|extmetadata", "iiurlwidth": settings.thumb_width, **(cursor or {})}


def parse_page(body: dict) -> SearchPage:
    """The photos of one answer in search order (other media left out) and the next page, if any.

    Raises:
        SourceError: the API answered with an error.
    """
    if "error" in body:
        raise SourceError(f"Wikimedia Commons: {body['error'].get('code')}: {body['error'].get('info')}")
    pages = sorted(body.get("query", {}).get("pages", {}).values(), key=lambda page: page.get("index", 0))
    candidates = tuple(_candidate(page["title"], page["imageinfo"][0]) for page in pages
                       if page.get("imageinfo") and page["imageinfo"][0].get("mime") in PHOTO_TYPES)
    return SearchPage(candidates, body.get("continue"))


def _candidate(title: str, info: dict) -> Candidate:
    meta = {name: field.get("value") for name, field in info.get("extmetadata", {}).items()}
    name = title.removeprefix("File:").rsplit(".", 1)[0]
    return Candidate(url=info.get("thumburl") or info["url"], title=plain_text(meta.get("ObjectName") or name),
                     creator=plain_text(meta.get("Artist")), licence=plain_text(meta.get("LicenseShortName")),
                     licence_url=meta.get("LicenseUrl") or "", source=NAME,
                     landing_url=info.get("descriptionurl") or "")
