"""Optional dependencies, installed by the package's extras: a missing one is a clear error
that names the extra to install."""

from __future__ import annotations

from .errors import MissingExtraError

EXTRA_PURPOSES = {
    "web": "the web app (zstags serve)",
    "evaluation": "the comparison (zstags evaluate: the SVM on visual words and the pictures)",
    "people": "finding people in photos (the face detector)",
    "ray": "tagging on Ray Data (--engine ray)",
}
"""Each extra of ``pip install 'zeroshot-tags[EXTRA]'`` and what it is for."""


def missing_extra(extra: str, error: ImportError) -> MissingExtraError:
    """The error to raise, ``from error``, when an import of ``extra``'s packages failed."""
    return MissingExtraError(f"{EXTRA_PURPOSES[extra]} needs {error.name or 'a package'} "
                             f"(pip install 'zeroshot-tags[{extra}]')")
