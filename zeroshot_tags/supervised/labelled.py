"""Labelled photo collections for supervised training: a folder of class folders or a labels.csv.

``DATA/<label>/*.jpg`` gives every photo its folder's name as label; ``DATA/labels.csv`` (or
any CSV file named directly) with columns ``file,label[,split]`` (``file`` relative to the
CSV's folder) gives labels and, optionally, splits (``train``, ``val``, ``test``). Without splits, photos are split 80:20 into train and
test, stratified by label, with a seed.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from ..atomic import atomic_write
from ..errors import LabelledDataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class LabelledPhotos:
    """Photo paths with their labels and splits, in one order."""

    paths: tuple[Path, ...]
    labels: tuple[str, ...]
    splits: tuple[str, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        """The sorted label names: class ``i`` of a trained model is ``classes[i]``."""
        return tuple(sorted(set(self.labels)))

    def split(self, name: str) -> "LabelledPhotos":
        """Only the photos of split ``name``."""
        return self.subset(i for i, split in enumerate(self.splits) if split == name)

    def subset(self, indices: Iterable[int]) -> "LabelledPhotos":
        """The photos at ``indices``, in that order."""
        keep = list(indices)
        return LabelledPhotos(tuple(self.paths[i] for i in keep), tuple(self.labels[i] for i in keep),
                              tuple(self.splits[i] for i in keep))

    def __add__(self, other: "LabelledPhotos") -> "LabelledPhotos":
        return LabelledPhotos(self.paths + other.paths, self.labels + other.labels,
                              self.splits + other.splits)

    def __len__(self) -> int:
        return len(self.paths)


def read_labelled(data: Path, seed: int = 0) -> LabelledPhotos:
    """Read a labelled folder, its ``labels.csv`` or a CSV file; split 80:20 when it gives
    no splits.

    Raises:
        LabelledDataError: no photos, a single class, or an unknown split name.
    """
    data, _, rows = labelled_rows(data)
    if not rows:
        raise LabelledDataError(f"{data}: no labelled photos (class folders or labels.csv)")
    paths = tuple(data / file for file, _, _ in rows)
    labels = tuple(label for _, label, _ in rows)
    if len(set(labels)) < 2:
        raise LabelledDataError(f"{data}: training needs at least two classes")
    given = [split for _, _, split in rows]
    if all(split is None for split in given):
        test = stratified_holdout(labels, 0.2, seed)
        splits = tuple("test" if i in test else "train" for i in range(len(rows)))
    else:
        unknown = {s for s in given if s not in SPLITS}
        if unknown:
            raise LabelledDataError(f"{data}: unknown split {sorted(map(str, unknown))[0]!r}; "
                                    f"use {', '.join(SPLITS)}")
        splits = tuple(given)
    return LabelledPhotos(paths, labels, splits)


def labelled_rows(data: os.PathLike) -> tuple[Path, Optional[Path], list[tuple[str, str, Optional[str]]]]:
    """A labelled set as given: its folder, its CSV (None for class folders) and its rows
    (file relative to the folder, label, split or None).

    Raises:
        LabelledDataError: ``data`` is neither a folder nor a CSV file, or the CSV lacks columns.
    """
    data = Path(data)
    if data.is_file() and data.suffix.lower() == ".csv":
        return data.parent, data, _read_csv(data)
    if not data.is_dir():
        raise LabelledDataError(f"{data}: not a folder or a .csv file")
    labels_csv = data / "labels.csv"
    return (data, labels_csv, _read_csv(labels_csv)) if labels_csv.is_file() else (data, None, _read_folders(data))


def write_labelled(photos: LabelledPhotos, path: os.PathLike) -> None:
    """Write ``photos`` as a ``file,label,split`` CSV that :func:`read_labelled` reads back,
    each file relative to the CSV's folder; written whole or not at all."""
    path = Path(path)
    with atomic_write(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["file", "label", "split"])
        for photo, label, split in zip(photos.paths, photos.labels, photos.splits):
            writer.writerow([os.path.relpath(Path(photo).resolve(), path.parent.resolve()), label, split])


def stratified_holdout(labels: tuple[str, ...], fraction: float, seed: int) -> set[int]:
    """Indices of a ``fraction`` of each label's items (at least one where a label has two or
    more), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for label in sorted(set(labels)):
        members = [i for i, other in enumerate(labels) if other == label]
        count = max(1, round(len(members) * fraction)) if len(members) > 1 else 0
        chosen.update(int(i) for i in rng.choice(members, size=count, replace=False))
    return chosen


def _read_csv(path: Path) -> list[tuple[str, str, Optional[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "label"} - set(reader.fieldnames or ())
        if missing:
            raise LabelledDataError(f"{path}: needs the columns file,label[,split]")
        return [(row["file"], row["label"], row.get("split") or None) for row in reader]


def _read_folders(data: Path) -> list[tuple[str, str, None]]:
    return [(str(photo.relative_to(data)), folder.name, None)
            for folder in sorted(p for p in data.iterdir() if p.is_dir())
            for photo in sorted(folder.rglob("*"))
            if photo.is_file() and photo.suffix.lower() in IMAGE_SUFFIXES]
