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
    "suggest": "tagging.tagger",
    "Tagger": "tagging.tagger",
    "TrainedTagger": "tagging.trained_tagger",
    "FineTunedClassifier": "supervised.trained",
    "Profile": "personal.profile",
    "Suggestion": "tagging.suggestion",
    "ImageResult": "tagging.suggestion",
    "default_tagger": "tagging.tagger",
    "BACKBONES": "vision.backbones",
    "Backbone": "vision.backbones",
    "TaggerConfig": "config",
    "TrainingConfig": "config",
    "Vocabulary": "vocabulary.vocab",
    "VocabularyEntry": "vocabulary.vocab",
    "load_vocabulary": "vocabulary.vocab",
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
    "MissingExtraError": "errors",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from .config import TaggerConfig, TrainingConfig
    from .errors import (AssetMissingError, CacheError, ImageError, LabelledDataError,
                         MissingExtraError, ModelError, SettingError, TooManyEntriesError,
                         VectorsError, VocabularyError, ZeroShotTagsError)
    from .personal.profile import Profile
    from .supervised.trained import FineTunedClassifier
    from .tagging.suggestion import ImageResult, Suggestion
    from .tagging.tagger import Tagger, default_tagger, suggest
    from .tagging.trained_tagger import TrainedTagger
    from .vision.backbones import BACKBONES, Backbone
    from .vocabulary.vocab import Vocabulary, VocabularyEntry, load_vocabulary


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'zeroshot_tags' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
