"""The worker pool: forked processes that inherit one run's state, scoped to the call that shares it.

Work items cross to the workers pickled (paths, indexes); everything else they need (the
analyser, the rules, the bank's summaries) is shared by ``fork``: set with ``sharing(...)``
just before the pool starts and cleared when the call returns, so nothing outlives the run.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Fewer items than this are handled in this process: starting workers costs more than it saves.
PARALLEL_FROM = 400

_SHARED: Any = None


@contextlib.contextmanager
def sharing(state: Any) -> Iterator[None]:
    """Make ``state`` what ``shared()`` returns (in this process and in workers forked meanwhile), then forget it."""
    global _SHARED
    previous, _SHARED = _SHARED, state
    try:
        yield
    finally:
        _SHARED = previous


def shared() -> Any:
    """The state of the innermost ``sharing`` block (inherited by forked workers)."""
    return _SHARED


def worker_count(jobs: int | None = None) -> int:
    """How many workers to start: ``jobs`` if given, else one per core (at most 8)."""
    return jobs if jobs is not None else min(os.cpu_count() or 1, 8)


def can_fork() -> bool:
    return hasattr(os, "fork")


def parallel_map(func: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
                 progress: Callable[[int], None] | None = None, each: Callable[[R], None] | None = None) -> list[R]:
    """``[func(item) for item in items]``, in order, on all cores when there are enough items to pay for workers.

    ``progress`` is called with 1 as each item is done (for a progress bar); ``each`` with each
    result, in order, as soon as it and those before it are in (this process works on them
    while the workers go on).
    """
    workers = worker_count(jobs)
    if workers < 2 or len(items) < PARALLEL_FROM or not can_fork():
        if progress is None and each is None:
            return [func(item) for item in items]
        return [_taken(func(item), progress, each) for item in items]
    chunk = max(16, min(64, len(items) // (workers * 8)))  # small chunks: the workers finish together
    with worker_pool(workers) as pool:
        if progress is None and each is None:
            return pool.map(func, items, chunksize=chunk)
        return [_taken(result, progress, each) for result in pool.imap(func, items, chunksize=chunk)]


def _taken(result: R, progress: Callable[[int], None] | None, each: Callable[[R], None] | None) -> R:
    if progress is not None:
        progress(1)
    if each is not None:
        each(result)
    return result


def forked(func: Callable[[], R]) -> Callable[[], R] | None:
    """Start ``func()`` in a forked child, for a step this process need not wait for; what is returned waits for its result.

    The child inherits everything; only its result (plain values) crosses back, marshalled. If the
    child fails, ``func`` runs here when the result is asked for. None when no child can be
    started (one core, no ``fork``): the caller does the step its own way.
    """
    if (os.cpu_count() or 1) < 2 or not can_fork():
        return None
    try:
        reading, writing = os.pipe()
        child = os.fork()
    except OSError:
        return None
    if child == 0:  # never returns: the child sends its result down the pipe and leaves at once
        status = 1
        try:
            os.close(reading)
            value: Any = func()
            with os.fdopen(writing, "wb") as pipe:
                pipe.write(marshal.dumps(value))
            status = 0
        finally:
            os._exit(status)
    os.close(writing)

    def result() -> R:
        with os.fdopen(reading, "rb") as pipe:
            sent = pipe.read()
        _, status = os.waitpid(child, 0)
        if status == 0:
            try:
                return marshal.loads(sent)  # type: ignore[no-any-return]
            except (ValueError, EOFError, TypeError):
                pass
        return func()  # the child failed: this process does it

    return result


#: What a helper interpreter runs: take the import path, then a function and its argument, and send back the result.
_HELPER = ("import pickle, sys\n"
           "sys.path[:] = pickle.load(sys.stdin.buffer)\n"
           "func, arg = pickle.load(sys.stdin.buffer)\n"
           "pickle.dump(func(arg), sys.stdout.buffer, pickle.HIGHEST_PROTOCOL)\n")


@contextlib.contextmanager
def spawned(func: Callable[[T], R], arg: T) -> Iterator[Callable[[], R] | None]:
    """Start ``func(arg)`` in a fresh interpreter beside this process; yields what waits for its result.

    Unlike ``forked``, nothing of this process's memory is copied, so a big bank's process (which a
    fork would count twice in the process tree's memory) can share work too. ``func``, ``arg`` and
    the result cross pickled; the helper runs isolated (``-I``: nothing from the working folder or
    the environment is imported) with this process's import path. If it fails, ``func(arg)`` runs
    here when the result is asked for. Yields None when there is one core or no helper can start:
    the caller does it all itself. The helper is gone when the block ends.
    """
    if (os.cpu_count() or 1) < 2 or not sys.executable:
        yield None
        return
    import pickle
    import subprocess

    payload = pickle.dumps(sys.path) + pickle.dumps((func, arg), pickle.HIGHEST_PROTOCOL)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-I", "-c", _HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)

    try:
        helper = _without_sigint(start)
    except OSError:
        yield None
        return
    # Written from a thread: this process goes on with its own share while the helper starts and reads.
    feeding = threading.Thread(target=_feed, args=(helper.stdin, payload), daemon=True)
    feeding.start()

    def result() -> R:
        try:
            answer = helper.stdout.read() if helper.stdout is not None else b""
            if helper.wait() == 0:
                return pickle.loads(answer)  # type: ignore[no-any-return]
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            pass
        return func(arg)  # the helper failed: this process does it

    try:
        yield result
    finally:
        helper.kill()
        feeding.join()
        helper.wait()
        if helper.stdout is not None:
            helper.stdout.close()


def _feed(pipe: IO[bytes] | None, payload: bytes) -> None:
    """Write ``payload`` to a helper's standard input and close it; a helper gone meanwhile is not an error here."""
    if pipe is None:
        return
    try:
        pipe.write(payload)
    except OSError:
        pass
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def worker_pool(workers: int) -> Any:
    """A pool of fork()ed workers that leave Ctrl-C to the parent, which stops them without tracebacks."""
    import multiprocessing

    return _without_sigint(functools.partial(multiprocessing.get_context("fork").Pool, workers))


def _without_sigint(start: Callable[[], R]) -> R:
    """``start()``, with SIGINT blocked while it starts processes: they inherit it blocked from their first
    instruction and leave Ctrl-C to this process, and a Ctrl-C pressed meanwhile waits for it instead of being lost."""
    if threading.current_thread() is not threading.main_thread():
        return start()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
