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
import pickle
import selectors
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Fewer items than this are handled in this process: starting workers costs more than it saves.
PARALLEL_FROM = 400
#: The span number that tells a worker no span is left: it goes on with the rest of the items it put off.
_REST = 0xFFFFFFFF
#: How much a worker lowers its priority for that rest: it must not take a core from this process's work meanwhile.
REST_NICENESS = 10


class Later(NamedTuple):
    """How ``parallel_map`` may put off part of the work on the last ``last`` items until after ``meanwhile`` starts.

    For those items a worker returns ``first(item)``'s result at once and keeps its state; once it
    has no span left, it runs ``rest(state)`` on each (at a lower priority), and this process puts
    each result together with ``join(result, rest)``. ``func(item)`` must equal that join.
    """

    first: Callable[[Any], tuple[Any, Any]]
    rest: Callable[[Any], Any]
    join: Callable[[Any, Any], Any]
    last: int


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
                 progress: Callable[[int], None] | None = None, each: Callable[[R], None] | None = None, *,
                 meanwhile: Callable[[list[R]], None] | None = None, later: Later | None = None) -> list[R]:
    """``[func(item) for item in items]``, in order, on all cores when there are enough items to pay for workers.

    ``progress`` is called with 1 as each item is done (for a progress bar); ``each`` with each
    result, in order, as soon as it and those before it are in (this process works on them
    while the workers go on). An exception ``func`` raises in a worker is raised here.
    ``meanwhile`` is called with the results once all are in; with ``later``, the workers finish the
    last items' work (see ``Later``) while it runs, and the results it was given are then completed.
    ``each`` and ``meanwhile`` see those items' first results only.
    """
    workers = worker_count(jobs)
    if workers < 2 or len(items) < PARALLEL_FROM or not can_fork():
        if progress is None and each is None:
            out = [func(item) for item in items]
        else:
            out = [_taken(func(item), progress, each) for item in items]
        if meanwhile is not None:
            meanwhile(out)
        return out
    chunk = max(16, min(64, len(items) // (workers * 8)))  # small chunks: the workers finish together
    spans = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    # The spans from this one on are put off in part (none without ``meanwhile`` to fill the wait).
    put_off = len(spans)
    if later is not None and meanwhile is not None and later.last > 0:
        put_off = next((number for number, (start, _) in enumerate(spans) if start >= len(items) - later.last), len(spans))
    out = []
    with _Crew[T, R](func, items, spans, min(workers, len(spans)), later, put_off) as crew:
        for results in crew.in_order():
            if progress is not None or each is not None:
                for result in results:
                    _taken(result, progress, each)
            out += results
        if meanwhile is not None:
            meanwhile(out)
        if later is not None:
            for number, whole, values in crew.rests():
                start, end = spans[number]
                out[start:end] = values if whole else [later.join(out[i], rest) for i, rest in zip(range(start, end), values)]
    return out


def _taken(result: R, progress: Callable[[int], None] | None, each: Callable[[R], None] | None) -> R:
    if progress is not None:
        progress(1)
    if each is not None:
        each(result)
    return result


class _Crew(Generic[T, R]):
    """Forked workers that map ``func`` over the spans of ``items`` this process sends them, one span number at a time.

    One thread does it all: this process waits on the workers' result pipes, hands each worker
    its next span as it sends one back (each holds two, so none waits), and puts the results in
    order. (``multiprocessing.Pool`` keeps three threads, one of which wakes at every result
    waiting to be read: 0.2 s of CPU in a 10,000-file scan, taken from the workers on two cores.)
    Span numbers and results cross the pipes; everything else is inherited by ``fork``. A worker
    that dies has its spans done here; the workers are gone when the block ends, however it ends.
    With ``later``, the spans from ``put_off`` on are done in part, and ``rests`` gathers the rest
    each worker sends once told that no span is left.
    """

    def __init__(self, func: Callable[[T], R], items: Sequence[T], spans: list[tuple[int, int]], workers: int,
                 later: Later | None, put_off: int) -> None:
        self.func, self.items, self.spans, self.count = func, items, spans, workers
        #: The spans from ``put_off`` on are done in part with ``later`` (see ``Later``; none when it is None).
        self.later, self.put_off = later, put_off if later is not None else len(spans)
        #: Each worker as its result pipe -> (pid, task pipe, the span numbers it holds, in order).
        self.workers: dict[int, tuple[int, int, deque[int]]] = {}
        #: Each worker (by result pipe) -> the spans it put off in part and owes the rest of, once told ``_REST``.
        self.owed: dict[int, list[int]] = {}

    def __enter__(self) -> _Crew[T, R]:
        try:
            _without_sigint(self._start)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _start(self) -> None:
        for _ in range(self.count):
            tasks, results = os.pipe(), os.pipe()
            theirs = [fd for results_fd, (_, task_fd, _) in self.workers.items() for fd in (results_fd, task_fd)]
            try:
                pid = os.fork()
            except OSError:  # no more processes (EAGAIN, ENOMEM): the workers started share the spans, or this process does them all
                for fd in (*tasks, *results):
                    os.close(fd)
                return
            if pid == 0:  # never returns: serves span numbers until its task pipe closes, then leaves at once
                status = 1
                try:
                    for fd in (tasks[1], results[0], *theirs):
                        os.close(fd)
                    _serve(self.func, self.items, self.spans, tasks[0], results[1], self.later, self.put_off)
                    status = 0
                finally:
                    os._exit(status)
            os.close(tasks[0])
            os.close(results[1])
            self.workers[results[0]] = (pid, tasks[1], deque())

    def in_order(self) -> Iterator[list[R]]:
        """Each span's results, in the spans' order, as soon as they and those before them are in."""
        ready: dict[int, list[R]] = {}
        sent = handed = 0
        with selectors.DefaultSelector() as selector:
            for results_fd, (_, task_fd, held) in self.workers.items():
                selector.register(results_fd, selectors.EVENT_READ)
                for _ in range(2):
                    sent = self._send(task_fd, held, sent)
            while handed < len(self.spans):
                while handed in ready:
                    yield ready.pop(handed)
                    handed += 1
                if handed == len(self.spans):
                    break
                if not self.workers:  # every worker died: the rest is done here
                    for number in range(sent, len(self.spans)):
                        ready[number] = self._here(number)
                    sent = len(self.spans)
                    continue
                for key, _ in selector.select():
                    results_fd = key.fd
                    pid, task_fd, held = self.workers[results_fd]
                    message = _read_message(results_fd)
                    if message is None:  # the worker died: its spans are done here
                        selector.unregister(results_fd)
                        self._drop(results_fd)
                        for number in held:
                            ready[number] = self._here(number)
                        continue
                    ok, value = pickle.loads(message)
                    if not ok:
                        raise value
                    number = held.popleft()
                    ready[number] = value
                    if number >= self.put_off:
                        self.owed.setdefault(results_fd, []).append(number)
                    sent = self._send(task_fd, held, sent)
                    if not held and sent == len(self.spans):
                        selector.unregister(results_fd)  # what it sends next is the rest of the spans it put off
                        if results_fd in self.owed:
                            self._tell_rest(task_fd)

    def _send(self, task_fd: int, held: deque[int], sent: int) -> int:
        """Hand the next span number (if any is left) to the worker with ``task_fd``; the number of spans sent so far."""
        if sent < len(self.spans):
            try:
                os.write(task_fd, sent.to_bytes(4, "little"))
            except BrokenPipeError:  # the worker is gone: its result pipe says so next
                return sent
            held.append(sent)
            sent += 1
        return sent

    def _tell_rest(self, task_fd: int) -> None:
        with contextlib.suppress(BrokenPipeError):  # a worker gone: ``rests`` finds its result pipe closed
            os.write(task_fd, _REST.to_bytes(4, "little"))

    def rests(self) -> Iterator[tuple[int, bool, list[Any]]]:
        """For each span put off in part: its number, whether its values are whole results (a worker died:
        the span was done again here), and the values (``later.rest``'s, or whole results)."""
        for results_fd, numbers in list(self.owed.items()):
            message = _read_message(results_fd) if results_fd in self.workers else None
            if message is None:  # the worker died: its spans are done again here
                del self.owed[results_fd]
                if results_fd in self.workers:
                    self._drop(results_fd)
                for number in numbers:
                    yield number, True, self._here(number)
                continue
            del self.owed[results_fd]
            ok, value = pickle.loads(message)
            if not ok:
                raise value
            for number, values in value:
                yield number, False, values

    def _here(self, number: int) -> list[R]:
        start, end = self.spans[number]
        return [self.func(item) for item in self.items[start:end]]

    def _drop(self, results_fd: int) -> None:
        pid, task_fd, _ = self.workers.pop(results_fd)
        for fd in (task_fd, results_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def _stop(self) -> None:
        """Close every task pipe (a worker then leaves), kill the workers still busy, and reap them."""
        for results_fd, (pid, _, held) in list(self.workers.items()):
            if held or results_fd in self.owed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._drop(results_fd)


def _serve(func: Callable[[T], R], items: Sequence[T], spans: list[tuple[int, int]], tasks: int, results: int,
           later: Later | None = None, put_off: int = 0) -> None:
    """A worker's loop: map ``func`` over each span whose number arrives on ``tasks``, and send back the results pickled.

    From span ``put_off`` on, it sends ``later.first``'s results and keeps their states; told ``_REST``,
    it sends ``later.rest`` of each state, as (span number, values) in one message.
    """
    kept: list[tuple[int, list[Any]]] = []
    with os.fdopen(tasks, "rb") as inbox:
        while len(head := inbox.read(4)) == 4:
            number = int.from_bytes(head, "little")
            try:
                if number == _REST and later is not None:
                    with contextlib.suppress(OSError):
                        os.nice(REST_NICENESS)
                    value: Any = [(span, [later.rest(state) for state in states]) for span, states in kept]
                    kept = []
                elif number >= put_off and later is not None:
                    start, end = spans[number]
                    firsts = [later.first(item) for item in items[start:end]]
                    kept.append((number, [state for _, state in firsts]))
                    value = [result for result, _ in firsts]
                else:
                    start, end = spans[number]
                    value = [func(item) for item in items[start:end]]
                message = pickle.dumps((True, value), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - raised again in the parent, as Pool does
                message = _failure(exc)
            _write_all(results, len(message).to_bytes(8, "little"))
            _write_all(results, message)


def _failure(exc: Exception) -> bytes:
    """``exc`` pickled as a worker's answer; an exception that does not pickle crosses as a RuntimeError naming it."""
    try:
        return pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001
        return pickle.dumps((False, RuntimeError(f"a worker failed: {exc!r}")), pickle.HIGHEST_PROTOCOL)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fd: int) -> bytearray | None:
    """One length-prefixed message from ``fd``, read without reading past it; None at the end of the pipe."""
    head = _read_exactly(fd, 8)
    return None if head is None else _read_exactly(fd, int.from_bytes(head, "little"))


def _read_exactly(fd: int, size: int) -> bytearray | None:
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        read = os.readv(fd, [view[got:]])
        if read == 0:
            return None
        got += read
    return data


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
