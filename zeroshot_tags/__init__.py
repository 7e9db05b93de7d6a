"""zeroshot-tags: suggest Instagram-style hashtags for photos by zero-shot learning (ConSE).

Example:
    >>> from zeroshot_tags import suggest
    >>> [s.hashtag for s in suggest("photo.jpg", top=5)]  # doctest: +SKIP

The public names are imported on first use, so importing the package (and the ``zstags``
command's ``--help``) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "suggest": "tagger",
    "Tagger": "tagger",
    "TrainedTagger": "trained_tagger",
    "FineTunedClassifier": "trained",
    "Suggestion": "suggestion",
    "ImageResult": "suggestion",
    "default_tagger": "tagger",
    "BACKBONES": "backbones",
    "Backbone": "backbones",
    "TaggerConfig": "config",
    "TrainingConfig": "config",
    "Vocabulary": "vocab",
    "VocabularyEntry": "vocab",
    "load_vocabulary": "vocab",
    "ZeroShotTagsError": "errors",
    "ImageError": "errors",
    "VocabularyError": "errors",
    "TooManyEntriesError": "errors",
    "VectorsError": "errors",
    "AssetMissingError": "errors",
    "CacheError": "errors",
    "SettingError": "errors",
    "LabelledDataError": "errors",
    "ModelError": "errors",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from .backbones import BACKBONES, Backbone
    from .config import TaggerConfig, TrainingConfig
    from .errors import (AssetMissingError, CacheError, ImageError, LabelledDataError, ModelError,
                         SettingError, TooManyEntriesError, VectorsError, VocabularyError,
                         ZeroShotTagsError)
    from .suggestion import ImageResult, Suggestion
    from .tagger import Tagger, default_tagger, suggest
    from .trained import FineTunedClassifier
    from .trained_tagger import TrainedTagger
    from .vocab import Vocabulary, VocabularyEntry, load_vocabulary


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'zeroshot_tags' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
