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
        with open(f"/proc/{os.getpid()}/task/{task}/children") as handle:
            found.update(int(pid) for pid in handle.read().split())
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
