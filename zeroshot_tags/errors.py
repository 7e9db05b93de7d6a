"""Errors a user can cause; each message says what went wrong and what to do."""


class ZeroShotTagsError(Exception):
    """Base class of every error this package raises on purpose."""


class ImageError(ZeroShotTagsError):
    """An image could not be read: missing, not an image, truncated, too large, unreachable."""


class VocabularyError(ZeroShotTagsError):
    """A hashtag vocabulary is empty, unreadable or has no word the vectors know."""


class TooManyEntriesError(VocabularyError):
    """More hashtag entries at once than one add may hold."""


class VectorsError(ZeroShotTagsError):
    """Word vectors could not be loaded or do not fit (wrong dimension, bad file)."""


class AssetMissingError(ZeroShotTagsError):
    """Model weights or vectors are not on this machine and could not be downloaded."""


class CacheError(ZeroShotTagsError):
    """A cache file is corrupt or does not match its manifest, or the cache cannot be written."""


class SettingError(ZeroShotTagsError, ValueError):
    """An argument or setting is out of its range or not one of its choices."""


class LabelledDataError(ZeroShotTagsError):
    """A labelled photo set cannot be used: not found, empty, one class, a bad CSV or split."""


class MissingExtraError(ZeroShotTagsError):
    """An optional dependency is not installed: the message names the extra that installs it."""


class ModelError(ZeroShotTagsError):
    """A model cannot be used: a damaged or foreign checkpoint, a network without the layer needed."""


class SourceError(ZeroShotTagsError):
    """An image source's search failed: unreachable, rate limited for too long, or an answer
    that is not what its API documents."""
