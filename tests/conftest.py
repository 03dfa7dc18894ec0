"""Shared fixtures: the repository's paths, a copy of the bank in a temp folder, a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parent.parent
BANK = REPO / "questions"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = REPO / "questions" / "marketing-specialist" / "social-media-crisis.yaml"

#: Skips that are not a missing component: allowed under CI=true too.
ALLOWED_SKIPS = ("no ../shared/seed",)


def pytest_configure(config: pytest.Config) -> None:
    """Tests name their own git base and step summary: a CI run's (GITHUB_BASE_REF, ...) must not leak into them."""
    for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                 "GITHUB_STEP_SUMMARY"):
        os.environ.pop(name, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    """Under CI=true a skipped test (a missing anki, git, browser or feature) fails instead of passing green."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(allowed in reason for allowed in ALLOWED_SKIPS):
            report.outcome = "failed"
            report.longrepr = f"skipped under CI=true, where every real component must be present: {reason}"


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's bank (questions/ and schema/) as the working directory."""
    root = tmp_path / "bank"
    shutil.copytree(BANK, root / "questions")
    shutil.copytree(REPO / "schema", root / "schema")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def empty_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty bank folder (questions/ only) as the working directory."""
    root = tmp_path / "bank"
    (root / "questions").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the qtool CLI in-process; stdout and stderr are kept apart."""
    from qtool.cli import cli

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


def ctrl_c_as_in_a_terminal() -> None:
    """``preexec_fn`` for a child the test will Ctrl-C: SIGINT at its default, as in a terminal.

    A run started in the background by a non-interactive shell inherits SIGINT ignored, and
    Python then keeps ignoring it (as it should); the child of a Ctrl-C test must not inherit that.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
