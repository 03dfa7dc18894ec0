"""The worker helpers: a step done by a forked child gives the same result as done here, whatever happens to the child."""

from __future__ import annotations

import os

import pytest

from qtool import workers


def test_a_forked_step_gives_the_child_s_result() -> None:
    here = os.getpid()
    result = workers.forked(lambda: [os.getpid(), ("plain", 1.5, b"x")])()
    assert result[0] != here and result[1] == ("plain", 1.5, b"x")


def test_a_forked_step_whose_child_fails_is_done_here() -> None:
    here = os.getpid()

    def step() -> int:
        if os.getpid() != here:
            raise RuntimeError("the child fails")
        return 7

    assert workers.forked(step)() == 7


def test_no_step_is_started_when_no_child_can_be_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """None, so that the caller does the step its own way (the stat split then stats every file here)."""
    def refused() -> int:
        raise OSError("no more processes")

    monkeypatch.setattr(os, "fork", refused)
    assert workers.forked(os.getpid) is None
    monkeypatch.undo()  # fork works again, but there is one core
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert workers.forked(os.getpid) is None


def _pid_and_next(number: int) -> tuple[int, int]:
    return os.getpid(), number + 1


def _fails_elsewhere(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("the helper fails")
    return "done here"


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper is started from two cores: these tests run on a machine with one too."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_a_spawned_step_gives_the_helper_s_result_and_the_helper_is_gone_after() -> None:
    with workers.spawned(_pid_and_next, 41) as helper:
        assert helper is not None
        pid, value = helper()
    assert pid != os.getpid() and value == 42
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.usefixtures("two_cores")
def test_a_spawned_step_whose_helper_fails_is_done_here() -> None:
    with workers.spawned(_fails_elsewhere, os.getpid()) as helper:
        assert helper is not None
        assert helper() == "done here"


@pytest.mark.usefixtures("two_cores")
def test_a_helper_imports_nothing_from_the_working_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bank's folder is not trusted: a ``pickle.py`` there must not run in the helper (it runs isolated, ``-I``)."""
    marker = tmp_path / "ran"
    (tmp_path / "pickle.py").write_text(f"open({str(marker)!r}, 'w').close()\nfrom pickle import *\n")
    monkeypatch.chdir(tmp_path)
    with workers.spawned(_pid_and_next, 1) as helper:
        assert helper is not None
        pid, value = helper()
    assert pid != os.getpid() and value == 2 and not marker.exists()


def test_no_helper_is_started_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    with workers.spawned(_pid_and_next, 1) as helper:
        assert helper is None


def _children() -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as handle:
                found.update(int(pid) for pid in handle.read().split())
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return found


@pytest.mark.usefixtures("two_cores")
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process's children from /proc (Linux)")
def test_a_helper_is_stopped_when_its_block_ends_early() -> None:
    """Ctrl-C while this process scores its own share: the helper (a minute's sleep here) does not outlive the block."""
    import time

    before = _children()
    with pytest.raises(KeyboardInterrupt):
        with workers.spawned(time.sleep, 60) as helper:
            assert helper is not None and _children() - before
            raise KeyboardInterrupt
    assert _children() == before


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """parallel_map starts two workers, on a machine with one core too."""
    monkeypatch.setattr(workers, "worker_count", lambda jobs=None: 2)


ITEMS = list(range(workers.PARALLEL_FROM + 150))


def _item_and_pid(item: int) -> tuple[int, int]:
    return item, os.getpid()


@pytest.mark.usefixtures("two_workers")
def test_a_map_runs_on_forked_workers_and_this_process_keeps_one_thread() -> None:
    """The results come in order from other processes, and no thread of this process waits on them (Pool kept three)."""
    import threading

    threads: list[int] = []
    pids = workers.parallel_map(_item_and_pid, ITEMS, each=lambda _: threads.append(threading.active_count()))
    assert [item for item, _ in pids] == ITEMS
    assert os.getpid() not in {pid for _, pid in pids} and len({pid for _, pid in pids}) == 2
    assert set(threads) == {1}


@pytest.mark.usefixtures("two_workers")
def test_a_worker_that_dies_has_its_spans_done_here() -> None:
    """A worker killed on one item (out of memory, say): every result still comes, in order, the lost ones from this process."""
    here = os.getpid()

    def doubled(item: int) -> tuple[int, bool]:
        if item == 100 and os.getpid() != here:
            os._exit(3)
        return item * 2, os.getpid() == here

    results = workers.parallel_map(doubled, ITEMS)
    assert [value for value, _ in results] == [item * 2 for item in ITEMS]
    assert results[100] == (200, True)


@pytest.mark.usefixtures("two_workers")
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process's children from /proc (Linux)")
def test_an_exception_in_a_worker_is_raised_here_and_no_worker_is_left() -> None:
    before = _children()

    def checked(item: int) -> int:
        if item == 300:
            raise ValueError(f"item {item} is bad")
        return item

    with pytest.raises(ValueError, match="item 300 is bad"):
        workers.parallel_map(checked, ITEMS)
    assert _children() == before


@pytest.mark.usefixtures("two_workers")
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process's children from /proc (Linux)")
def test_ctrl_c_while_results_are_handled_leaves_no_worker() -> None:
    import time

    before = _children()
    seen: list[int] = []

    def handle(result: int) -> None:
        seen.append(result)
        if len(seen) == 5:
            assert _children() - before  # the workers are at work
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        workers.parallel_map(lambda item: time.sleep(0.001) or item, ITEMS, each=handle)
    assert _children() == before and seen == ITEMS[:5]


@pytest.mark.usefixtures("two_workers")
def test_a_map_whose_workers_cannot_be_forked_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """No process left to fork (EAGAIN): the map is done in this process instead of failing the run."""
    import errno

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert workers.parallel_map(_item_and_pid, ITEMS) == [(item, os.getpid()) for item in ITEMS]


def _first(item: int) -> tuple[tuple[int, str], tuple[int, int]]:
    return (item, "first"), (item, os.getpid())


def _whole(item: int) -> tuple[int, str]:
    return item, "whole"


def _joined(result: tuple[int, str], rest: tuple[int, int, int]) -> tuple[int, str]:
    item, first_pid, rest_pid = rest
    assert item == result[0] and first_pid == rest_pid != os.getpid()  # the rest ran in the worker that kept the state
    return item, "joined"


def _later(rest, last: int = 200) -> workers.Later:
    return workers.Later(_first, rest, _joined, last)


@pytest.mark.usefixtures("two_workers")
def test_the_workers_finish_the_last_items_while_meanwhile_runs() -> None:
    """``meanwhile`` sees the put-off items' first results, and their rests arrive while it runs (it waits for every one)."""
    import select

    reading, writing = os.pipe()

    def rest(state: tuple[int, int]) -> tuple[int, int, int]:
        os.write(writing, b".")
        return (*state, os.getpid())

    seen: list[list[tuple[int, str]]] = []

    def meanwhile(results: list[tuple[int, str]]) -> None:
        seen.append(list(results))
        owed = sum(kind == "first" for _, kind in results)
        while owed:
            assert select.select([reading], [], [], 120)[0], "the rests did not come while meanwhile ran"
            owed -= len(os.read(reading, owed))

    try:
        results = workers.parallel_map(_whole, ITEMS, meanwhile=meanwhile, later=_later(rest))
    finally:
        os.close(reading)
        os.close(writing)
    [before] = seen
    put_off = [item for item, kind in before if kind == "first"]
    assert 0 < len(put_off) <= 200 and put_off == ITEMS[-len(put_off):]
    assert before[: -len(put_off)] == [(item, "whole") for item in ITEMS[: -len(put_off)]]
    assert results == [(item, "whole") for item in ITEMS[: -len(put_off)]] + [(item, "joined") for item in put_off]


def _rest(state: tuple[int, int]) -> tuple[int, int, int]:
    return (*state, os.getpid())


@pytest.mark.usefixtures("two_workers")
def test_without_meanwhile_nothing_is_put_off() -> None:
    assert workers.parallel_map(_whole, ITEMS, later=_later(_rest)) == [(item, "whole") for item in ITEMS]


@pytest.mark.usefixtures("two_workers")
def test_a_worker_that_dies_before_its_rests_has_its_put_off_items_done_again_here() -> None:
    def rest(state: tuple[int, int]) -> tuple[int, int, int]:
        if state[0] == ITEMS[-1]:
            os._exit(3)
        return _rest(state)

    results = workers.parallel_map(_whole, ITEMS, meanwhile=lambda _: None, later=_later(rest))
    assert [item for item, _ in results] == ITEMS
    assert results[-1] == (ITEMS[-1], "whole")  # done again here, whole
    assert {kind for _, kind in results[:-200]} == {"whole"} and "joined" in {kind for _, kind in results}


@pytest.mark.usefixtures("two_workers")
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process's children from /proc (Linux)")
def test_an_exception_in_a_rest_is_raised_here_and_no_worker_is_left() -> None:
    before = _children()

    def rest(state: tuple[int, int]) -> tuple[int, int, int]:
        if state[0] == ITEMS[-3]:
            raise ValueError("the rest failed")
        return _rest(state)

    with pytest.raises(ValueError, match="the rest failed"):
        workers.parallel_map(_whole, ITEMS, meanwhile=lambda _: None, later=_later(rest))
    assert _children() == before


def test_one_process_calls_meanwhile_with_the_whole_results() -> None:
    seen: list[list[tuple[int, str]]] = []
    results = workers.parallel_map(_whole, ITEMS, jobs=1, meanwhile=seen.append, later=_later(_rest))
    assert seen == [results] and results == [(item, "whole") for item in ITEMS]
