"""Where derived data lives: the user cache directory, overridable by ``ZEROSHOT_TAGS_CACHE``.

Its ``assets`` folder may also hold weights and vectors (:mod:`zeroshot_tags.assets`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

CACHE_ENVIRONMENT_VARIABLE = "ZEROSHOT_TAGS_CACHE"


def resolve_cache_dir(override: Optional[os.PathLike] = None) -> Path:
    """The cache root: ``override``, else ``$ZEROSHOT_TAGS_CACHE``, else the user cache dir."""
    if override is not None:
        return Path(override)
    if os.environ.get(CACHE_ENVIRONMENT_VARIABLE):
        return Path(os.environ[CACHE_ENVIRONMENT_VARIABLE])
    import platformdirs

    return Path(platformdirs.user_cache_dir("zeroshot-tags"))
