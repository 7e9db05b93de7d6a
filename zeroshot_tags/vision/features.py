"""Pooled backbone features of photos (the inputs of the final layer), cached on disk.

One forward pass per photo serves head-only training, data cleaning and, through the final
layer, the ImageNet probabilities. The cache keys a photo by its bytes, the backbone and the
mirroring, so a copied or renamed photo is found again and an edited one is not; each file is
written under a temporary name and renamed, and one that is not a whole ``.npy`` row of the
right shape (truncated, garbage, a directory) is computed again and replaced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from PIL import Image

from ..atomic import atomic_write
from ..cache import resolve_cache_dir
from ..errors import ImageError
from ..images import load_image
from .backbones import Backbone, head_probabilities
from .networks import final_layer


class FeatureExtractor:
    """Computes, caches and reuses a backbone's pooled features of photo files.

    Args:
        backbone: the network (one backbone, not an ensemble).
        cache_dir: the cache root (default: ``$ZEROSHOT_TAGS_CACHE`` or the user cache dir);
            ``False`` keeps nothing on disk.
        batch_size: photos per forward pass.

    Example:
        >>> extractor = FeatureExtractor(load_backbone())  # doctest: +SKIP
        >>> extractor.features(["a.jpg", "b.jpg"]).shape  # doctest: +SKIP
        torch.Size([2, 1280])
    """

    def __init__(self, backbone: Backbone, cache_dir=None, batch_size: int = 32) -> None:
        self.backbone = backbone
        self.layer = final_layer(backbone.model)[1]
        self.batch_size = batch_size
        self.folder = (None if cache_dir is False
                       else resolve_cache_dir(cache_dir) / "features" / backbone.name)

    def features(self, paths: Sequence[os.PathLike], mirrored: bool = False) -> torch.Tensor:
        """One row of features per photo; with ``mirrored``, of each photo's mirror image.

        Raises:
            ImageError: a photo cannot be read.
        """
        rows, errors = self.readable_features(paths, mirrored)
        first = next((error for error in errors if error is not None), None)
        if first is not None:
            raise first
        return rows

    def readable_features(self, paths: Sequence[os.PathLike],
                          mirrored: bool = False) -> tuple[torch.Tensor, list[Optional[ImageError]]]:
        """The rows of the photos that can be read, in order, and for each photo the error
        that stopped reading it (``None`` for those read)."""
        keys = [self._key(Path(path), mirrored) for path in paths]
        rows: list[Optional[np.ndarray]] = [self._read(key) for key in keys]
        errors: list[Optional[ImageError]] = [None] * len(paths)
        missing = [i for i, row in enumerate(rows) if row is None]
        for start in range(0, len(missing), self.batch_size):
            opened = []
            for i in missing[start:start + self.batch_size]:
                try:
                    opened.append((i, open_photo(paths[i], mirrored)))
                except ImageError as error:
                    errors[i] = error
            if opened:
                for (i, _), row in zip(opened, self._compute([image for _, image in opened])):
                    rows[i] = row
                    self._write(keys[i], row)
        read = [row for row in rows if row is not None]
        if not read:
            return torch.empty(0, self.layer.in_features), errors
        return torch.from_numpy(np.stack(read)), errors

    def probabilities(self, features: torch.Tensor) -> np.ndarray:
        """The backbone's ImageNet probabilities from its features (softmax of the final layer)."""
        return head_probabilities(self.layer, features.to(self.backbone.device))

    def _compute(self, images: list[Image.Image]) -> np.ndarray:
        return self.backbone.features_and_probabilities(images)[0]

    def _key(self, path: Path, mirrored: bool) -> Optional[str]:
        if self.folder is None:
            return None
        try:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None  # reported by load_image when the photo is opened
        return f"{content}-{'mirrored' if mirrored else 'plain'}"

    def _read(self, key: Optional[str]) -> Optional[np.ndarray]:
        """The cached row, or None when it is missing or damaged."""
        if key is None:
            return None
        try:
            with open(self.folder / f"{key}.npy", "rb") as stream:
                row = np.lib.format.read_array(stream, allow_pickle=False)
        except (OSError, ValueError):  # missing, a directory, truncated, not .npy
            return None
        return row if row.shape == (self.layer.in_features,) and row.dtype == np.float32 else None

    def _write(self, key: Optional[str], row: np.ndarray) -> None:
        """Cache a row, replacing a damaged entry (a directory included)."""
        if key is None:
            return
        path = self.folder / f"{key}.npy"
        try:
            if path.is_dir():
                shutil.rmtree(path)
            with atomic_write(path) as stream:
                np.save(stream, row.astype(np.float32))
        except OSError:
            pass  # a read-only cache only costs recomputation


def open_photo(path: os.PathLike, mirrored: bool = False) -> Image.Image:
    """The photo at ``path`` as an upright RGB image, mirrored left to right if asked."""
    image = load_image(path)
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirrored else image
