"""The semantic side of ConSE, built once and cached: label vectors, vocabulary vectors, index.

One cache directory per (sources and weights, label text, template, hubness reduction, label
set, vocabulary) holds ``labels.npy``, ``vocabulary.npy``, ``penalties.npy``, ``index.ann`` and
``manifest.json``. It is built in a temporary directory and renamed into place, so a crash
never leaves a half-built cache, by one process at a time (an inter-process file lock beside
it; a process that waited uses what the other built). On load, the manifest is validated
against its schema (:class:`SpaceManifest`) and checked against the current sources (path,
size, mtime), the settings and the vocabulary digest, and every file against its SHA-256: a
stale cache is rebuilt, a damaged one (whatever the damage) is reported in one line and
rebuilt. Later runs memory-map the files and load no model of words.
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
from typing import Annotated, Iterator, Literal, Optional, Sequence, Union, get_args

import numpy as np
from filelock import FileLock
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, StringConstraints,
                      ValidationError, ValidationInfo, field_validator)

from .atomic import staging_directory
from .cache import CACHE_ENVIRONMENT_VARIABLE
from .config import DEFAULT_HUBNESS, DEFAULT_SOURCES, DEFAULT_TEMPLATE, HUBNESS, LABEL_TEXTS
from .errors import CacheError, VocabularyError, ZeroShotTagsError
from .hubness import centered, csls_penalties
from .index import METRIC, VocabularyIndex
from .labels import LabelSet
from .sources import Source, default_label_text, open_embedder, parse_sources
from .vocab import Vocabulary, VocabularyEntry

FORMAT_VERSION = 4
MANIFEST = "manifest.json"
DataFile = Literal["labels.npy", "vocabulary.npy", "penalties.npy", "index.ann"]
DATA_FILES: tuple[str, ...] = get_args(DataFile)

logger = logging.getLogger("zeroshot_tags")

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


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
        """The inputs part, comparable with the expected manifest of :func:`open_space`."""
        return self.model_dump(exclude={"dimension", "kept", "files"})


@dataclass(frozen=True)
class SpaceSettings:
    """How the semantic space is made.

    Args:
        sources: the word vectors and sentence encoders combined (see :mod:`.sources`).
        weights: one per source, summing to one.
        label_text: what a class is embedded from: ``"synonyms"``, ``"names"``,
            ``"descriptions"``, or ``"auto"`` (each source's best: synonyms for word vectors,
            clean names for sentence encoders).
        template: the phrase a vocabulary word is set in for sentence encoders (``"{}"``).
        hubness: ``"csls"``, ``"center"`` or ``"none"`` (see :mod:`.hubness`).
    """

    sources: tuple[Source, ...]
    weights: tuple[float, ...]
    label_text: str = "auto"
    template: str = DEFAULT_TEMPLATE
    hubness: str = DEFAULT_HUBNESS

    @classmethod
    def create(cls, vectors: Union[str, Sequence[str]] = DEFAULT_SOURCES, *,
               limit: Optional[int] = None, label_text: str = "auto",
               template: str = DEFAULT_TEMPLATE, hubness: str = DEFAULT_HUBNESS) -> "SpaceSettings":
        """Settings from source specs (``"spec[@weight]"``), checking every choice."""
        if label_text != "auto" and label_text not in LABEL_TEXTS:
            raise ZeroShotTagsError(
                f"unknown label text {label_text!r}; choose auto, {', '.join(LABEL_TEXTS)}")
        if template.count("{}") != 1:
            raise ZeroShotTagsError(f"template {template!r} must hold '{{}}' exactly once")
        if hubness not in HUBNESS:
            raise ZeroShotTagsError(
                f"unknown hubness reduction {hubness!r}; choose one of {', '.join(HUBNESS)}")
        sources, weights = parse_sources(vectors, limit)
        return cls(sources, weights, label_text, template, hubness)

    def label_text_for(self, source: Source) -> str:
        return default_label_text(source) if self.label_text == "auto" else self.label_text


@dataclass(frozen=True)
class SemanticSpace:
    """Label vectors (zero rows for classes the space cannot name), the vocabulary entries
    the space can express with their vectors and hubness penalties, and their index."""

    label_vectors: np.ndarray
    vocabulary: Vocabulary
    vocabulary_vectors: np.ndarray
    penalties: np.ndarray
    index: VocabularyIndex

    @property
    def dimension(self) -> int:
        return self.label_vectors.shape[1]

    def extended(self, entries: Sequence[VocabularyEntry], vectors: np.ndarray,
                 hubness: str) -> "SemanticSpace":
        """This space with more vocabulary entries (their vectors in this space), indexed in
        memory; an entry whose first hashtag the space holds replaces it. The result is what a
        full rebuild would give: penalties depend on the label vectors only."""
        replaced = {entry.hashtags[0] for entry in entries}
        keep = [i for i, entry in enumerate(self.vocabulary.entries) if entry.hashtags[0] not in replaced]
        new_penalties = (csls_penalties(vectors, self.label_vectors) if hubness == "csls"
                         else np.zeros(len(entries), dtype=np.float32))
        all_vectors = np.vstack([self.vocabulary_vectors[keep], vectors]).astype(np.float32)
        penalties = np.concatenate([self.penalties[keep], new_penalties]).astype(np.float32)
        return SemanticSpace(self.label_vectors,
                             Vocabulary(tuple(self.vocabulary.entries[i] for i in keep) + tuple(entries)),
                             all_vectors, penalties, VocabularyIndex.build(all_vectors, None, penalties))


def open_space(settings: SpaceSettings, labels: LabelSet, vocabulary: Vocabulary,
               root: Path) -> SemanticSpace:
    """Load the cached space for these inputs, building it first when missing, stale or damaged.

    A valid cache is read without a lock (a read-only cache root serves it); a build holds an
    inter-process lock, and a process that waited for it uses the space the other built.

    Raises:
        CacheError: the space must be built and ``root`` cannot be written.
    """
    expected = _expected_manifest(settings, labels, vocabulary)
    directory = root / "spaces" / _cache_key(expected)
    try:
        return _load(directory, expected, vocabulary)
    except FileNotFoundError:
        pass
    except _Stale:
        logger.info("rebuilding stale cache %s", directory)
    except CacheError as exc:
        logger.warning("corrupt cache, rebuilding it: %s", exc)
    with _build_lock(directory):
        try:
            return _load(directory, expected, vocabulary)  # built by another process meanwhile
        except (FileNotFoundError, _Stale, CacheError):
            pass
        _build(directory, settings, labels, vocabulary, expected)
        return _load(directory, expected, vocabulary)


class _Stale(Exception):
    """The cache was built from other inputs."""


def _cache_key(manifest: dict) -> str:
    """One directory per set of inputs, whatever the sources' sizes and times (a changed
    file is rebuilt in place rather than beside the old one)."""
    identity = dict(manifest, sources=[
        {k: v for k, v in source.items() if k not in ("size", "mtime_ns")}
        for source in manifest["sources"]
    ])
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def _expected_manifest(settings: SpaceSettings, labels: LabelSet, vocabulary: Vocabulary) -> dict:
    return {
        "format": FORMAT_VERSION,
        "metric": METRIC,
        "sources": [
            dict(source.fingerprint(), weight=weight, label_text=settings.label_text_for(source))
            for source, weight in zip(settings.sources, settings.weights)
        ],
        "template": settings.template,
        "hubness": settings.hubness,
        "labels": {"name": labels.name, "count": len(labels)},
        "vocabulary_digest": vocabulary.digest,
    }


def _load(directory: Path, expected: dict, vocabulary: Vocabulary) -> SemanticSpace:
    """The space cached in ``directory``, its files memory-mapped.

    Raises:
        FileNotFoundError: it was never built (no cache folder, no manifest).
        _Stale: it was built from other inputs.
        CacheError: it is damaged: a manifest unreadable or not valid, a file missing,
            unreadable or not what the manifest says.
    """
    if not directory.parent.is_dir():  # no cache folder (or a file in its place): never built
        raise FileNotFoundError(errno.ENOENT, "no cache folder", os.fspath(directory.parent))
    manifest = _read_manifest(directory / MANIFEST, len(vocabulary.entries))
    if manifest.built_from() != expected:
        raise _Stale()
    try:
        for name in DATA_FILES:
            if _sha256(directory / name) != manifest.files[name]:
                raise CacheError(f"{directory / name}: contents do not match the manifest")
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r")
                  for name in ("labels", "vocabulary", "penalties")}
    except OSError as exc:
        raise CacheError(f"{exc.filename or directory}: unreadable ({exc.strerror})") from exc
    except ValueError as exc:
        raise CacheError(f"{directory}: unreadable vectors ({exc})") from exc
    dimension, kept = manifest.dimension, manifest.kept
    if (arrays["labels"].shape != (manifest.labels.count, dimension)
            or arrays["vocabulary"].shape != (len(kept), dimension)
            or arrays["penalties"].shape != (len(kept),)):
        raise CacheError(f"{directory}: arrays do not match the manifest")
    return SemanticSpace(
        label_vectors=arrays["labels"],
        vocabulary=Vocabulary(tuple(vocabulary.entries[i] for i in kept)),
        vocabulary_vectors=arrays["vocabulary"],
        penalties=arrays["penalties"],
        index=VocabularyIndex.load(directory / "index.ann", dimension, len(kept)),
    )


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


def _build(directory: Path, settings: SpaceSettings, labels: LabelSet, vocabulary: Vocabulary,
           manifest: dict) -> None:
    """Embed, index and write the space in a staging directory beside ``directory``, then move
    it to ``directory`` in place of whatever is there (a stale cache, a file). Call it holding
    :func:`_build_lock`.

    Raises:
        VocabularyError: no vocabulary entry has a vector.
        CacheError: the cache folder cannot be written.
    """
    label_vectors, vocabulary_vectors = _embed(settings, labels, vocabulary)
    kept = np.flatnonzero(np.any(vocabulary_vectors != 0, axis=1))
    if len(kept) == 0:
        raise VocabularyError("no word of the vocabulary is known to the vectors "
                              + ", ".join(repr(s.spec) for s in settings.sources))
    if len(kept) < len(vocabulary.entries):
        dropped = [vocabulary.entries[i].word for i in sorted(set(range(len(vocabulary.entries))) - set(kept))]
        logger.warning("%d vocabulary entries have no word vector and are left out: %s",
                       len(dropped), ", ".join(dropped[:10]))
    vocabulary_vectors = vocabulary_vectors[kept]
    penalties = (csls_penalties(vocabulary_vectors, label_vectors) if settings.hubness == "csls"
                 else np.zeros(len(kept), dtype=np.float32))
    staging: Optional[Path] = None
    try:
        staging = staging_directory(directory)
        np.save(staging / "labels.npy", label_vectors)
        np.save(staging / "vocabulary.npy", vocabulary_vectors)
        np.save(staging / "penalties.npy", penalties)
        VocabularyIndex.build(vocabulary_vectors, staging / "index.ann", penalties)
        complete = SpaceManifest.model_validate(
            dict(manifest, dimension=label_vectors.shape[1], kept=kept.tolist(),
                 files={name: _sha256(staging / name) for name in DATA_FILES}),
            context={"vocabulary_size": len(vocabulary.entries)})
        (staging / MANIFEST).write_text(complete.model_dump_json(indent=1))
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


def _embed(settings: SpaceSettings, labels: LabelSet,
           vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Label and vocabulary vectors of every source (see :func:`_embed_per_source`)."""
    return _embed_per_source(settings, labels, vocabulary.entries, (), with_labels=True)


def embed_into_space(settings: SpaceSettings, labels: LabelSet,
                     entries: Sequence[VocabularyEntry] = (), phrases: Sequence[str] = ()) -> np.ndarray:
    """Vectors, in the space ``settings`` makes over ``labels``, of vocabulary entries (as the
    space embeds its vocabulary) followed by free text such as a caption (as it embeds class
    names); zero rows for what the sources cannot express. Loads the sources' models."""
    return _embed_per_source(settings, labels, entries, phrases, with_labels=False)[1]


def _embed_per_source(settings: SpaceSettings, labels: LabelSet, entries: Sequence[VocabularyEntry],
                      phrases: Sequence[str], with_labels: bool) -> tuple[Optional[np.ndarray], np.ndarray]:
    """Label vectors (when asked) and the vectors of ``entries`` then ``phrases``, from every
    source, each scaled by the square root of its weight and set side by side, so dot products
    are weighted sums of per-source cosines. Labels are embedded only when asked or needed
    for centering."""
    label_parts, item_parts = [], []
    for source, weight in zip(settings.sources, settings.weights):
        embedder = open_embedder(source)
        items = np.vstack([embedder.embed_entries(entries, settings.template),
                           embedder.embed_phrases([[phrase] for phrase in phrases])])
        source_labels = None
        if with_labels or settings.hubness == "center":
            source_labels = embedder.embed_phrases(labels.texts(settings.label_text_for(source)))
        if settings.hubness == "center":
            source_labels, items = centered(source_labels, items)
        if with_labels:
            label_parts.append(np.sqrt(weight) * source_labels)
        item_parts.append(np.sqrt(weight) * items)
    label_vectors = np.concatenate(label_parts, axis=1).astype(np.float32) if with_labels else None
    return label_vectors, np.concatenate(item_parts, axis=1).astype(np.float32)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
