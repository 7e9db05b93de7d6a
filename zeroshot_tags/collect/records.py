"""The CSV records beside a collected photo set: where each photo came from, and what was removed.

``sources.csv`` has a row for every collected photo (its file, relative to the set's folder,
label, URL, title, creator, licence, licence URL, source and landing page): the attribution
that reusing the photo requires. ``duplicates.csv`` has a row for every duplicate left out (a
download never saved has no file). A later ``zstags collect`` reads both, so it never
downloads a URL twice.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..atomic import atomic_write

SOURCES_CSV = "sources.csv"
DUPLICATES_CSV = "duplicates.csv"
SOURCE_FIELDS = ("file", "label", "url", "title", "creator", "licence", "licence_url", "source", "landing_url")
DUPLICATE_FIELDS = ("file", "label", "split", "duplicate_of", "distance", "url")


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV record (none when it does not exist)."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, fields: tuple[str, ...], rows: list[dict]) -> None:
    """Write ``rows`` (dicts with at least ``fields``) as a CSV with those columns, whole or not at all."""
    with atomic_write(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
