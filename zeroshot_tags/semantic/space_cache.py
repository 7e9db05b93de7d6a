"""The space's files on disk: one cache directory per set of inputs, written whole, checked on load.

A directory holds ``labels.npy``, ``vocabulary.npy``, ``penalties.npy``, ``center.npy``,
``index.ann`` and ``manifest.json``. It is built in a temporary directory and renamed into
place, so a crash never leaves a half-built cache, by one process at a time (an inter-process
file lock beside it; a process that waited uses what the other built). On load, the manifest
is validated against its schema (:class:`SpaceManifest`) and compared with the current inputs
(sources' path, size and mtime, the settings, the vocabulary digest), and every file checked
against its SHA-256: a stale cache is rebuilt, a damaged one (whatever the damage) is reported
in one line and rebuilt. Later runs memory-map the files and load no model of words.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Iterator, Literal, Optional, Sequence, Union, get_args

import numpy as np
from filelock import FileLock
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, StringConstraints,
                      ValidationError, ValidationInfo, field_validator)

from ..atomic import staging_directory
from ..cache import CACHE_ENVIRONMENT_VARIABLE
from ..errors import CacheError
from ..vocabulary.labels import LabelSet
from ..vocabulary.vocab import Vocabulary
from .index import METRIC, VocabularyIndex

FORMAT_VERSION = 5
MANIFEST = "manifest.json"
DataFile = Literal["labels.npy", "vocabulary.npy", "penalties.npy", "center.npy", "index.ann"]
DATA_FILES: tuple[str, ...] = get_args(DataFile)

logger = logging.getLogger("zeroshot_tags")

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


@dataclass(frozen=True)
class SpaceArrays:
    """The arrays of a space, as its files hold them.

    Attributes:
        label_vectors: one row per label.
        kept: the indices of the vocabulary entries the space holds, increasing.
        vocabulary_vectors: one row per kept entry.
        penalties: one hubness penalty per kept entry.
        center: the point centering moved to the origin (zeros where nothing moved).
    """

    label_vectors: np.ndarray
    kept: Sequence[int]
    vocabulary_vectors: np.ndarray
    penalties: np.ndarray
    center: np.ndarray


class LabelsRecord(BaseModel):
    """The label set a space was built over."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: str
    count: NonNegativeInt


class SpaceManifest(BaseModel):
    """The schema of a cached space's ``manifest.json``: what the space was built from
    (compared with the current inputs on load) and what its files hold. Types are strict
    (no ``"4"`` for 4, no ``true`` for 1) and no other key is allowed.

    Validate with ``context={"vocabulary_size": n}``: every kept index must name one of the
    ``n`` vocabulary entries.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    format: int
    metric: str
    sources: list[dict[str, Union[str, int, float, None]]]
    template: str
    hubness: str
    labels: LabelsRecord
    vocabulary_digest: Sha256Hex
    dimension: PositiveInt
    kept: list[NonNegativeInt] = Field(min_length=1)
    files: dict[DataFile, Sha256Hex]

    @field_validator("kept")
    @classmethod
    def _rows_of_the_vocabulary(cls, kept: list[int], info: ValidationInfo) -> list[int]:
        """Kept indices are strictly increasing and fall in the vocabulary."""
        if any(earlier >= later for earlier, later in zip(kept, kept[1:])):
            raise ValueError("indices are not strictly increasing")
        size = info.context["vocabulary_size"]
        if kept[-1] >= size:
            raise ValueError(f"index {kept[-1]} is out of range for a vocabulary of {size}")
        return kept

    @field_validator("files")
    @classmethod
    def _every_data_file(cls, files: dict[str, str]) -> dict[str, str]:
        """Each data file has its digest."""
        missing = [name for name in DATA_FILES if name not in files]
        if missing:
            raise ValueError(f"no digest of {', '.join(missing)}")
        return files

    def built_from(self) -> dict:
        """The inputs part, comparable with :func:`space_inputs`."""
        return self.model_dump(exclude={"dimension", "kept", "files"})


def space_inputs(sources: Sequence[dict], template: str, hubness: str, labels: LabelSet,
                 vocabulary: Vocabulary) -> dict:
    """What a space is built from, as its manifest records it.

    Args:
        sources: one fingerprint per source, with its weight and label text.
        template: the phrase vocabulary words are set in.
        hubness: the hubness reduction.
        labels: the label set.
        vocabulary: the vocabulary.
    """
    return {
        "format": FORMAT_VERSION,
        "metric": METRIC,
        "sources": list(sources),
        "template": template,
        "hubness": hubness,
        "labels": {"name": labels.name, "count": len(labels)},
        "vocabulary_digest": vocabulary.digest,
    }


def load_or_build(root: Path, inputs: dict, vocabulary_size: int,
                  build: Callable[[], SpaceArrays]) -> tuple[SpaceArrays, VocabularyIndex]:
    """The cached space for ``inputs`` under ``root``, its files memory-mapped; written from
    ``build()`` first when missing, stale or damaged.

    A valid cache is read without a lock (a read-only cache root serves it); a build holds an
    inter-process lock, and a process that waited for it uses the space the other built.

    Args:
        root: the cache root.
        inputs: what the space is built from (see :func:`space_inputs`).
        vocabulary_size: how many entries the vocabulary has.
        build: computes the space's arrays; called under the lock.

    Raises:
        CacheError: the space must be built and ``root`` cannot be written.
    """
    directory = root / "spaces" / _cache_key(inputs)
    try:
        return _load(directory, inputs, vocabulary_size)
    except FileNotFoundError:
        pass
    except _Stale:
        logger.info("rebuilding stale cache %s", directory)
    except CacheError as exc:
        logger.warning("corrupt cache, rebuilding it: %s", exc)
    with _build_lock(directory):
        try:
            return _load(directory, inputs, vocabulary_size)  # built by another process meanwhile
        except (FileNotFoundError, _Stale, CacheError):
            pass
        _write(directory, build(), inputs, vocabulary_size)
        return _load(directory, inputs, vocabulary_size)


class _Stale(Exception):
    """The cache was built from other inputs."""


def _cache_key(inputs: dict) -> str:
    """One directory per set of inputs, whatever the sources' sizes and times (a changed
    file is rebuilt in place rather than beside the old one)."""
    identity = dict(inputs, sources=[
        {k: v for k, v in source.items() if k not in ("size", "mtime_ns")}
        for source in inputs["sources"]
    ])
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def _load(directory: Path, inputs: dict, vocabulary_size: int) -> tuple[SpaceArrays, VocabularyIndex]:
    """The space cached in ``directory``, its files memory-mapped.

    Raises:
        FileNotFoundError: it was never built (no cache folder, no manifest).
        _Stale: it was built from other inputs.
        CacheError: it is damaged: a manifest unreadable or not valid, a file missing,
            unreadable or not what the manifest says.
    """
    if not directory.parent.is_dir():  # no cache folder (or a file in its place): never built
        raise FileNotFoundError(errno.ENOENT, "no cache folder", os.fspath(directory.parent))
    manifest = _read_manifest(directory / MANIFEST, vocabulary_size)
    if manifest.built_from() != inputs:
        raise _Stale()
    try:
        for name in DATA_FILES:
            if _sha256(directory / name) != manifest.files[name]:
                raise CacheError(f"{directory / name}: contents do not match the manifest")
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r")
                  for name in ("labels", "vocabulary", "penalties", "center")}
    except OSError as exc:
        raise CacheError(f"{exc.filename or directory}: unreadable ({exc.strerror})") from exc
    except ValueError as exc:
        raise CacheError(f"{directory}: unreadable vectors ({exc})") from exc
    dimension, kept = manifest.dimension, manifest.kept
    if (arrays["labels"].shape != (manifest.labels.count, dimension)
            or arrays["vocabulary"].shape != (len(kept), dimension)
            or arrays["penalties"].shape != (len(kept),)
            or arrays["center"].shape != (dimension,)):
        raise CacheError(f"{directory}: arrays do not match the manifest")
    return (SpaceArrays(arrays["labels"], kept, arrays["vocabulary"], arrays["penalties"], arrays["center"]),
            VocabularyIndex.load(directory / "index.ann", dimension, len(kept)))


def _read_manifest(path: Path, vocabulary_size: int) -> SpaceManifest:
    """The manifest at ``path``, validated.

    Raises:
        FileNotFoundError: there is none.
        CacheError: it cannot be read (a directory, no permission) or breaks the schema.
    """
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CacheError(f"{path}: unreadable manifest ({exc.strerror})") from exc
    try:
        return SpaceManifest.model_validate_json(text, context={"vocabulary_size": vocabulary_size})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise CacheError(f"{path}: invalid manifest ({where + ': ' if where else ''}{first['msg']})") from exc


@contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """Hold the inter-process lock (``<directory>.lock`` beside it) under which ``directory``
    is built.

    Raises:
        CacheError: the lock cannot be created: the cache root cannot be written.
    """
    lock = FileLock(directory.parent / f"{directory.name}.lock")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as exc:
        raise _unwritable(directory.parent, exc) from exc
    try:
        yield
    finally:
        lock.release()


def _unwritable(folder: Path, exc: OSError) -> CacheError:
    """The one-line error for a cache folder the OS refuses to write."""
    reason = f"{exc.filename}: {exc.strerror}" if exc.filename else (exc.strerror or str(exc))
    return CacheError(f"cannot write the cache in {folder} ({reason}); "
                      f"set {CACHE_ENVIRONMENT_VARIABLE} to a writable directory")


def _write(directory: Path, arrays: SpaceArrays, inputs: dict, vocabulary_size: int) -> None:
    """Index and write the space in a staging directory beside ``directory``, then move it to
    ``directory`` in place of whatever is there (a stale cache, a file). Call it holding
    :func:`_build_lock`.

    Raises:
        CacheError: the cache folder cannot be written.
    """
    staging: Optional[Path] = None
    try:
        staging = staging_directory(directory)
        np.save(staging / "labels.npy", arrays.label_vectors)
        np.save(staging / "vocabulary.npy", arrays.vocabulary_vectors)
        np.save(staging / "penalties.npy", arrays.penalties)
        np.save(staging / "center.npy", arrays.center)
        VocabularyIndex.build(arrays.vocabulary_vectors, staging / "index.ann", arrays.penalties)
        manifest = SpaceManifest.model_validate(
            dict(inputs, dimension=arrays.label_vectors.shape[1], kept=list(arrays.kept),
                 files={name: _sha256(staging / name) for name in DATA_FILES}),
            context={"vocabulary_size": vocabulary_size})
        (staging / MANIFEST).write_text(manifest.model_dump_json(indent=1))
        _remove(directory)
        os.replace(staging, directory)
    except OSError as exc:
        raise _unwritable(directory.parent, exc) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _remove(path: Path) -> None:
    """Delete whatever is at ``path``: a directory tree, a file, a link, or nothing."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
