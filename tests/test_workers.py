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
