"""Writing files safely: a reader sees the old file or the new one, and nothing else is ever replaced.

The rules every qtool write follows:
- a regular file (or a new one) is replaced atomically: a temp file beside it, fsynced, renamed over it;
- a symlink is written through: its target is replaced atomically, the link stays a link;
- a device or FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is streamed to, never replaced;
- a folder is refused, naming the path the user gave;
- with ``expect``, a file that changed on disk since it was read is left alone (an author's save wins);
- many files at once (``stage`` then ``commit``, or ``write_all``): every temp file is written, one ``sync``
  makes them all durable, and only then does each replace its file, so a crash leaves each file old or new, never empty.

Temp files are named ``.NAME.PID.N.qtool-tmp``: a killed run's leftovers are recognised and removed
by ``remove_stale_temps``, and the name is easy to ignore in git.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qtool.errors import QtoolError
from qtool.files import digest

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
    target, st = _target(given)
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _named(given), open(target, "wb") as stream:  # a device or FIFO: stream to it
            yield stream
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None and keep_mode else _default_mode()
    with _named(given):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_name(target)
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
    tmp = _temp_name(Path(given))
    with _named(given):
        _new_temp(tmp, data)
        try:
            os.replace(tmp, given)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


@dataclass(frozen=True)
class Staged:
    """A file written beside its target by ``stage``, waiting for ``commit`` to put it in place."""

    given: str
    target: str
    temp: str
    #: ``files.digest`` of the bytes the target must still hold when it is replaced (None: no check).
    expect: str | None = None


def stage(path: str | os.PathLike[str], data: str | bytes, *, expect: str | None = None, owner: int | None = None) -> Staged:
    """Write ``data`` to a temp file beside ``path``'s target, not yet synced nor in place (see ``commit``).

    Follows ``atomic_writer``'s rules for regular files and symlinks (anything else is refused).
    ``owner`` is the process that will commit it, when that is not this one (a worker stages for
    its parent): the temp file is named after it, so ``remove_stale_temps`` spares it while it lives.
    """
    given = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target, st = _target(given)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OSError(22, "not a regular file", given)
    mode = stat.S_IMODE(st.st_mode) if st is not None else _default_mode()
    tmp = _temp_name(target, owner)
    with _named(given):
        _new_temp(tmp, payload, mode)
    return Staged(given, str(target), str(tmp), expect)


def _new_temp(tmp: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Create the temp file ``tmp`` exclusively (never through a link) holding ``data``; removed again on any error.

    ``mode`` None leaves the usual 0o666 & ~umask; otherwise the file gets exactly ``mode``.
    """
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                 0o666 if mode is None else 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def stage_all(items: Iterable[tuple[str, str | bytes, str | None]]) -> list[Staged | OSError]:
    """``stage`` each (path, data, expect), several at a time: creating a file waits on the disk, not the CPU.

    Returns the Staged file, or the OSError that left that file as it was, for each item in order.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(item: tuple[str, str | bytes, str | None]) -> Staged | OSError:
        try:
            return stage(item[0], item[1], expect=item[2])
        except OSError as exc:
            return exc

    pending = list(items)
    if len(pending) < 64:
        return [one(item) for item in pending]
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="qtool-stage") as pool:
        return list(pool.map(one, pending))


def commit(staged: Iterable[Staged]) -> list[Exception | None]:
    """Sync once, then put each staged file in place: None for each replaced, the error for each left as it was.

    One ``os.sync`` makes every temp file durable before any rename, so a crash at any moment
    leaves each file with its old text or its new one (a file per fsync costs a disk flush each).
    A target whose bytes no longer match ``expect`` is left alone (``ChangedOnDisk``). On any
    interruption the temp files not yet in place are removed.
    """
    from concurrent.futures import ThreadPoolExecutor

    pending = list(staged)
    out: list[Exception | None] = []
    try:
        if pending:
            os.sync()
        if len(pending) < 64:
            out.extend(_replace(item) for item in pending)
        else:  # a rename waits on the disk, not the CPU: several at once, as a folder's are serialised
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="qtool-commit") as pool:
                out.extend(pool.map(_replace, pending))
    finally:
        for item in pending[len(out):]:
            with contextlib.suppress(OSError):
                os.unlink(item.temp)
    return out


def write_all(items: Iterable[tuple[str, str | bytes, str | None]]) -> list[Exception | None]:
    """``stage_all`` then ``commit``: write many files with one sync; None for each replaced, else why it was left as it was."""
    made = stage_all(items)
    committed = iter(commit(item for item in made if isinstance(item, Staged)))
    return [next(committed) if isinstance(item, Staged) else item for item in made]


def discard(staged: Iterable[Staged]) -> None:
    """Remove staged temp files that will not be committed."""
    for item in staged:
        with contextlib.suppress(OSError):
            os.unlink(item.temp)


def _replace(item: Staged) -> Exception | None:
    try:
        if item.expect is not None:
            current = _current(Path(item.target))
            if current is None or digest(current) != item.expect:
                raise ChangedOnDisk(f"{item.given} changed on disk while qtool worked on it: left as it is now (run again)")
        try:
            os.replace(item.temp, item.target)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, item.given) from None
    except (OSError, ChangedOnDisk) as exc:
        with contextlib.suppress(OSError):
            os.unlink(item.temp)
        return exc
    return None


def remove_stale_temps(folder: str | os.PathLike[str], owner: int | None = None) -> int:
    """Remove temp files that runs killed mid-write left under ``folder`` (their process is gone), and those
    named after ``owner`` (a run cleaning up after its own interruption); returns how many."""
    removed = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            match = _TEMP_RE.match(name)
            if match and (int(match.group(1)) == owner or not process_alive(int(match.group(1)))):
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


def _target(given: str) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``given`` replaces (a symlink's target) and its stat (None: new); a folder is refused."""
    target = Path(os.path.realpath(given)) if os.path.islink(given) else Path(given)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, given) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a folder, not a file", given)
    return target, st


def _temp_name(target: Path, owner: int | None = None) -> Path:
    """``.NAME.PID.N.qtool-tmp`` beside ``target`` (``remove_stale_temps`` spares it while process PID, this one or
    ``owner``, lives; a worker's counter may repeat its parent's, but NAME differs for each file of a run)."""
    return target.parent / f".{target.name}.{owner or os.getpid()}.{next(_serial)}{TEMP_SUFFIX}"


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
