"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, keep_mode: bool = True, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see ``atomic_writer``)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, keep_mode=keep_mode, durable=durable) as handle:
        handle.write(payload)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, keep_mode: bool = True, durable: bool = True) -> Iterator[IO[bytes]]:
    """A binary file to write; on success it is fsynced and ``os.replace``d over ``path``.

    The data goes to a temp file in the same folder, so a reader sees the old file or the new
    one, never half of either; on any error (Ctrl-C included) the temp file is removed and
    ``path`` is untouched. Keeps the existing file's permission bits; a new file gets the
    usual 0o666 & ~umask. ``durable=False`` skips the fsync, for files that may be lost
    (caches, which carry their own checksum) but must never be seen half-written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode) if keep_mode else None
    except FileNotFoundError:
        mode = None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
