"""Files written whole or not at all: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_write(path: os.PathLike, mode: str = "wb", **open_arguments) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success rename it to ``path``,
    readable as any new file (the umask applies).

    If the block raises, ``path`` is left as it was and the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, mode, **open_arguments) as stream:
            yield stream
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def staging_directory(target: os.PathLike) -> Path:
    """A new empty directory beside ``target`` to fill and then rename to ``target``, with the
    permissions of any new directory (the umask applies)."""
    target = Path(target)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    os.chmod(staging, 0o777 & ~_umask())
    return staging


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
