"""Whether a path names a readable regular file, told before anything reads it: opening a
FIFO blocks until a writer comes, so only a regular file is ever opened (non-blocking) to try."""

from __future__ import annotations

import errno
import os
import stat
from typing import Optional

FILE_KINDS = {stat.S_IFDIR: "is a directory", stat.S_IFIFO: "not a regular file (a FIFO)",
              stat.S_IFSOCK: "not a regular file (a socket)",
              stat.S_IFCHR: "not a regular file (a character device)",
              stat.S_IFBLK: "not a regular file (a block device)"}


def file_problem(path: os.PathLike, missing: str = "no such file") -> Optional[str]:
    """Why ``path`` cannot be read as a regular file ("permission denied", "symbolic link
    loop", "not a regular file (a FIFO)", ``missing``...), or None when it can."""
    try:
        mode = os.stat(path).st_mode  # follows symbolic links; opens nothing
        if stat.S_ISREG(mode):
            os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as error:
        return os_error_reason(path, error, missing)
    except ValueError:  # a NUL byte in the name
        return missing
    if stat.S_ISREG(mode):
        return None
    return FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")


def os_error_reason(path: os.PathLike, error: OSError, missing: str = "no such file") -> str:
    """A few words for ``error``, raised on ``path``."""
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return "broken symbolic link" if os.path.islink(path) else missing
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (error.strerror or type(error).__name__).lower()
