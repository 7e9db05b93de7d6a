"""The semantic side of ConSE, built once and cached: label vectors, vocabulary vectors, index.

One cache directory per (vectors source, label set, vocabulary) holds ``labels.npy``,
``vocabulary.npy``, ``index.ann`` and ``manifest.json``. It is built in a temporary directory
and renamed into place, so a crash never leaves a half-built cache. On load, the manifest is
checked against the current source (path, size, mtime), the vocabulary digest, the dimension
and metric, and every file against its SHA-256: a stale cache is rebuilt, a corrupt one is
reported in one line and rebuilt. Later runs memory-map the files and never read the full
vectors file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedding import embed_labels, embed_vocabulary
from .errors import CacheError, VectorsError, VocabularyError
from .index import METRIC, CosineIndex
from .labels import LabelSet
from .vectors import VectorsSource, load_keyed_vectors
from .vocab import Vocabulary

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
DATA_FILES = ("labels.npy", "vocabulary.npy", "index.ann")

logger = logging.getLogger("zeroshot_tags")


@dataclass(frozen=True)
class SemanticSpace:
    """Unit label vectors (zero rows for classes the space cannot name) and a vocabulary index.

    ``vocabulary`` holds only the entries the space can express, in index order.
    """

    label_vectors: np.ndarray
    vocabulary: Vocabulary
    vocabulary_vectors: np.ndarray
    index: CosineIndex

    @property
    def dimension(self) -> int:
        return self.label_vectors.shape[1]


def open_space(source: VectorsSource, labels: LabelSet, vocabulary: Vocabulary,
               root: Path) -> SemanticSpace:
    """Load the cached space for these inputs, building it first when missing or stale."""
    expected = _expected_manifest(source, labels, vocabulary)
    directory = root / "spaces" / _cache_key(expected)
    try:
        return _load(directory, expected, vocabulary)
    except FileNotFoundError:
        pass
    except _Stale:
        logger.info("rebuilding stale cache %s", directory)
    except CacheError as exc:
        logger.warning("corrupt cache, rebuilding it: %s", exc)
    _build(directory, source, labels, vocabulary, expected)
    return _load(directory, expected, vocabulary)


class _Stale(Exception):
    """The cache was built from other inputs."""


def _cache_key(manifest: dict) -> str:
    """One directory per (vectors file or name, limit, label set, vocabulary)."""
    source = manifest["source"]
    identity = json.dumps([source["path"] or source["spec"], source["limit"],
                           manifest["labels"]["name"], manifest["vocabulary_digest"]])
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


def _expected_manifest(source: VectorsSource, labels: LabelSet, vocabulary: Vocabulary) -> dict:
    return {
        "format": FORMAT_VERSION,
        "metric": METRIC,
        "source": source.fingerprint(),
        "labels": {"name": labels.name, "count": len(labels)},
        "vocabulary_digest": vocabulary.digest,
    }


def _load(directory: Path, expected: dict, vocabulary: Vocabulary) -> SemanticSpace:
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CacheError(f"{manifest_path}: unreadable manifest") from exc
    if not isinstance(manifest, dict) or "files" not in manifest:
        raise CacheError(f"{manifest_path}: manifest lacks its file list")
    if any(manifest.get(key) != value for key, value in expected.items()):
        raise _Stale()
    for name in DATA_FILES:
        if _sha256(directory / name) != manifest["files"].get(name):
            raise CacheError(f"{directory / name}: contents do not match the manifest")
    try:
        label_vectors = np.load(directory / "labels.npy", mmap_mode="r")
        vocabulary_vectors = np.load(directory / "vocabulary.npy", mmap_mode="r")
    except ValueError as exc:
        raise CacheError(f"{directory}: unreadable vectors ({exc})") from exc
    dimension = manifest.get("dimension")
    if label_vectors.shape[1:] != (dimension,) or vocabulary_vectors.shape[1:] != (dimension,):
        raise CacheError(f"{directory}: vectors are not of dimension {dimension}")
    kept = manifest["kept"]
    return SemanticSpace(
        label_vectors=label_vectors,
        vocabulary=Vocabulary(tuple(vocabulary.entries[i] for i in kept)),
        vocabulary_vectors=vocabulary_vectors,
        index=CosineIndex.load(directory / "index.ann", dimension, len(kept)),
    )


def _build(directory: Path, source: VectorsSource, labels: LabelSet, vocabulary: Vocabulary,
           manifest: dict) -> None:
    vectors = _keyed_vectors(source)
    kept, vocabulary_vectors = embed_vocabulary(vectors, vocabulary)
    if not kept:
        raise VocabularyError(
            f"no word of the vocabulary is known to the vectors {source.spec!r}"
        )
    kept_positions = set(kept)
    dropped = [e.word for i, e in enumerate(vocabulary.entries) if i not in kept_positions]
    if dropped:
        logger.warning("%d vocabulary entries have no word vector and are left out: %s",
                       len(dropped), ", ".join(dropped[:10]))
    label_vectors = embed_labels(vectors, labels)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        np.save(staging / "labels.npy", label_vectors)
        np.save(staging / "vocabulary.npy", vocabulary_vectors)
        CosineIndex.build(vocabulary_vectors, staging / "index.ann")
        files = {name: _sha256(staging / name) for name in DATA_FILES}
        complete = dict(manifest, dimension=vectors.vector_size, kept=kept, files=files)
        (staging / MANIFEST).write_text(json.dumps(complete, indent=1))
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(staging, directory)
    except OSError:
        if not (directory / MANIFEST).exists():  # not a concurrent build that won the race
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@functools.lru_cache(maxsize=2)
def _keyed_vectors(source: VectorsSource):
    vectors = load_keyed_vectors(source)
    if vectors.vector_size < 2 or len(vectors) == 0:
        raise VectorsError(f"{source.spec}: holds no usable word vectors")
    return vectors


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
