"""Writing files safely: a reader sees the old file or the new one, and nothing else is ever replaced.

The rules every qtool write follows:
- a regular file (or a new one) is replaced atomically: a temp file beside it, fsynced, renamed over it;
- a symlink is written through: its target is replaced atomically, the link stays a link;
- a device or FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is streamed to, never replaced;
- a folder is refused, naming the path the user gave;
- with ``expect``, a file that changed on disk since it was read is left alone (an author's save wins).

Temp files are named ``.NAME.PID.N.qtool-tmp``: a killed run's leftovers are recognised and removed
by ``remove_stale_temps``, and the name is easy to ignore in git.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from qtool.errors import QtoolError

TEMP_SUFFIX = ".qtool-tmp"
_TEMP_RE = re.compile(r"^\..+\.(\d+)\.\d+" + re.escape(TEMP_SUFFIX) + r"$")
_serial = itertools.count()


class ChangedOnDisk(QtoolError):
    """The file changed between reading and writing it: the write is abandoned, the file kept."""


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, keep_mode: bool = True, durable: bool = True,
                 expect: bytes | None = None) -> None:
    """Write ``data`` to ``path`` safely (see ``atomic_writer``)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, keep_mode=keep_mode, durable=durable, expect=expect) as handle:
        handle.write(payload)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, keep_mode: bool = True, durable: bool = True,
                  expect: bytes | None = None) -> Iterator[IO[bytes]]:
    """A binary file to write; on success it replaces ``path`` by the module's rules.

    On any error (Ctrl-C included) the temp file is removed and ``path`` is untouched. Keeps
    the existing file's permission bits; a new file gets the usual 0o666 & ~umask.
    ``durable=False`` skips the fsync, for files that may be lost (caches, which carry their
    own checksum) but must never be seen half-written. OSErrors name ``path`` as given.
    """
    given = os.fspath(path)
    target = Path(os.path.realpath(given)) if os.path.islink(given) else Path(given)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, given) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a folder, not a file", given)
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _named(given), open(target, "wb") as stream:  # a device or FIFO: stream to it
            yield stream
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None and keep_mode else _default_mode()
    with _named(given):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.{os.getpid()}.{next(_serial)}{TEMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            if expect is not None and _current(target) != expect:
                raise ChangedOnDisk(f"{given} changed on disk while qtool worked on it: left as it is now (run again)")
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def atomic_create(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path``, known not to exist, by the same temp-and-rename as ``atomic_write`` (no fsync).

    For generated files (a site's pages) in a folder the caller has just made or checked: no
    stat, no mkdir, no chmod (``os.open`` gives the usual 0o666 & ~umask), so a file costs an
    open, a write and a rename. The temp file is opened with O_EXCL and the rename replaces a
    name, never follows one: nothing is written through a symbolic link.
    """
    given = os.fspath(path)
    folder, name = os.path.split(given)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_serial)}{TEMP_SUFFIX}")
    with _named(given):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, given)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def remove_stale_temps(folder: str | os.PathLike[str]) -> int:
    """Remove temp files that runs killed mid-write left under ``folder`` (their process is gone); returns how many."""
    removed = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            match = _TEMP_RE.match(name)
            if match and not process_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (this one included): a temp file named after it may still be in use."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _current(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _named(given: str) -> Iterator[None]:
    """OSErrors raised inside name the path the user gave, never a temp file."""
    try:
        yield
    except OSError as exc:
        if exc.filename == given:
            raise
        raise OSError(exc.errno, exc.strerror, given) from None
