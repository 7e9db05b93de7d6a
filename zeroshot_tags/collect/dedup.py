"""Duplicate photos by perceptual hashing: the same photo saved again, re-encoded or resized.

Each photo's average hash and perceptual (DCT) hash (the ``imagehash`` package) are compared
with those of every photo kept so far, in every class; two photos are duplicates when both
hashes differ in at most ``max_distance`` bits. Photos are taken training first, then
validation, then test, and within a split the larger first: a photo that repeats one taken
before it is removed. So a test photo that repeats a training photo leaves the test split
(no leak from train to test), and otherwise the largest copy stays.

A set is read as :func:`~zeroshot_tags.supervised.labelled.read_labelled` reads it: class
folders, or a CSV (``labels.csv``) of ``file,label[,split]``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Hashable, Optional

import imagehash
import numpy as np
from PIL import Image

from ..config import DEDUP_DECODE_SIDE, MAX_PIXELS, DedupSettings
from ..errors import ImageError
from ..images import ImageSource, load_image
from ..supervised.labelled import SPLITS, labelled_rows
from .records import DUPLICATE_FIELDS, DUPLICATES_CSV, SOURCE_FIELDS, SOURCES_CSV, read_rows, write_rows

_BITS_SET = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)


def image_hash(image: Image.Image, hash_size: int) -> np.ndarray:
    """The average and the perceptual hash of ``image``, packed into bytes side by side."""
    bits = [imagehash.average_hash(image, hash_size).hash, imagehash.phash(image, hash_size).hash]
    return np.packbits(np.concatenate([b.ravel() for b in bits]))


def photo_hash(source: ImageSource, hash_size: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """:func:`image_hash` of a photo decoded at reduced size.

    Raises:
        ImageError: the photo cannot be read.
    """
    return image_hash(load_image(source, max_pixels, min_side=DEDUP_DECODE_SIDE), hash_size)


class HashIndex:
    """The hashes of the photos kept so far, and which of them a new photo repeats."""

    def __init__(self, settings: DedupSettings = DedupSettings()) -> None:
        self.settings = settings
        self.keys: list[Hashable] = []
        self._hashes = np.zeros((64, 2 * settings.hash_size ** 2 // 8), dtype=np.uint8)

    def match(self, hashed: np.ndarray) -> Optional[tuple[Hashable, int]]:
        """The key of the nearest kept photo and its distance (the larger of the two hashes'
        differing bits), when it is a duplicate; else None."""
        if not self.keys:
            return None
        differing = _BITS_SET[self._hashes[:len(self.keys)] ^ hashed]
        distances = differing.reshape(len(self.keys), 2, -1).sum(axis=2, dtype=int).max(axis=1)
        nearest = int(distances.argmin())
        return (self.keys[nearest], int(distances[nearest])) if distances[nearest] <= self.settings.max_distance else None

    def add(self, hashed: np.ndarray, key: Hashable) -> None:
        """Keep a photo's hash under ``key``."""
        if len(self.keys) == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
        self._hashes[len(self.keys)] = hashed
        self.keys.append(key)


@dataclass(frozen=True)
class Duplicate:
    """A photo to remove: it repeats ``kept``, both hashes within ``distance`` bits."""

    path: Path
    label: str
    split: Optional[str]
    kept: Path
    distance: int


@dataclass(frozen=True)
class DedupReport:
    """The duplicates found in a photo set, how many photos were checked, the photos that
    could not be read, and the CSV that lists the set's photos (None for class folders)."""

    folder: Path
    removed: tuple[Duplicate, ...]
    checked: int
    unreadable: tuple[str, ...]
    labels_csv: Optional[Path]


def find_duplicates(data: os.PathLike, settings: DedupSettings = DedupSettings(),
                    max_pixels: int = MAX_PIXELS) -> DedupReport:
    """Find the duplicates in a photo set (class folders, its ``labels.csv`` or such a CSV
    file), within and across classes and splits; change nothing.

    Raises:
        LabelledDataError: ``data`` is neither a folder nor a CSV, or a CSV lacks columns.
    """
    folder, labels_csv, photos = _photos(Path(data))
    hashed, unreadable = [], []
    for order, (path, label, split) in enumerate(photos):
        try:
            photo, pixels = _hash_and_pixels(path, settings.hash_size, max_pixels)
            hashed.append((_SPLIT_RANK.get(split, 0), -pixels, order, path, label, split, photo))
        except ImageError as error:
            unreadable.append(str(error))
    index, removed = HashIndex(settings), []
    for *_, path, label, split, photo in sorted(hashed, key=lambda item: item[:3]):
        match = index.match(photo)
        if match is None:
            index.add(photo, path)
        else:
            removed.append(Duplicate(path, label, split, match[0], match[1]))
    return DedupReport(folder, tuple(removed), len(hashed), tuple(unreadable), labels_csv)


def remove_duplicates(report: DedupReport) -> Path:
    """Delete the duplicates ``report`` found: list them in the set's ``duplicates.csv`` (with
    their URLs from ``sources.csv``), drop their rows from its labels CSV and ``sources.csv``,
    then delete the files. Returns the path of ``duplicates.csv``."""
    folder = report.folder
    gone = {path.resolve() for path in (duplicate.path for duplicate in report.removed)}
    sources = read_rows(folder / SOURCES_CSV)
    urls = {(folder / row["file"]).resolve(): row["url"] for row in sources}
    listed = folder / DUPLICATES_CSV
    write_rows(listed, DUPLICATE_FIELDS, read_rows(listed) + [
        {"file": _relative(d.path, folder), "label": d.label, "split": d.split or "",
         "duplicate_of": _relative(d.kept, folder), "distance": d.distance, "url": urls.get(d.path.resolve(), "")}
        for d in report.removed])
    if report.labels_csv is not None:
        rows = read_rows(report.labels_csv)
        kept = [row for row in rows if (report.labels_csv.parent / row["file"]).resolve() not in gone]
        write_rows(report.labels_csv, tuple(rows[0]) if rows else ("file", "label"), kept)
    if sources:
        write_rows(folder / SOURCES_CSV, SOURCE_FIELDS, [row for row in sources
                                                         if (folder / row["file"]).resolve() not in gone])
    for path in gone:
        path.unlink(missing_ok=True)
    return listed


_SPLIT_RANK = {split: rank for rank, split in enumerate(SPLITS)}


def _photos(data: Path) -> tuple[Path, Optional[Path], list[tuple[Path, str, Optional[str]]]]:
    """The set's folder, its labels CSV (None for class folders) and its photos with label and split."""
    folder, labels_csv, rows = labelled_rows(data)
    return folder, labels_csv, [(folder / file, label, split) for file, label, split in rows]


def _hash_and_pixels(path: Path, hash_size: int, max_pixels: int) -> tuple[np.ndarray, int]:
    photo = photo_hash(path, hash_size, max_pixels)  # first: it refuses what is not a readable photo
    with Image.open(path) as image:
        return photo, image.width * image.height


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()
