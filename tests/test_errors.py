"""One error model: every command turns a bad configuration into one line and exit status 2, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import FIXTURES

from qtool.cli import cli

#: Every command, with arguments that would otherwise let it run far enough to read the configuration.
COMMANDS = {
    "check": [],
    "validate": [],
    "lint": [],
    "rules": [],
    "fmt": ["--check"],
    "export": ["--to", "json", "--out", "-"],
    "stats": [],
    "draft": [],
    "new": ["--role", "Data Analyst", "--question", "What is a join?", "--category", "technical", "--no-llm"],
    "import": [str(FIXTURES / "errors" / "page.txt"), "--dry-run"],
}


#: Commands that never read a bank's configuration (init writes one).
NO_CONFIGURATION = {"init"}


def test_every_command_is_listed() -> None:
    from qtool.cli import COMMANDS as REGISTERED

    assert set(COMMANDS) | NO_CONFIGURATION == set(REGISTERED)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("body", ["anything = 42", "exclude = 3", "[rules.no-such-rule]", "[llm]\ntimeout = -1"])
def test_bad_configuration_is_exit_2_in_every_command(bank: Path, run, command: str, body: str) -> None:
    (bank / "pyproject.toml").write_text(f"[tool.qtool]\n{body}\n".replace("[rules.", "[tool.qtool.rules.").replace("[llm]", "[tool.qtool.llm]"))
    questions = sorted((bank / "questions").rglob("*"))
    result = run(command, *COMMANDS[command], env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert re.fullmatch(r"pyproject\.toml:[2-3]:\d+: error: .* \[config\]\n", result.stderr), result.stderr
    assert sorted((bank / "questions").rglob("*")) == questions  # nothing written


def test_a_mistyped_command_gets_a_suggestion(run) -> None:
    result = CliRunner().invoke(cli, ["chek"])
    assert result.exit_code == 2 and "No such command 'chek'. Did you mean 'check'?" in result.output


def test_version_has_a_short_flag() -> None:
    from qtool import __version__

    assert CliRunner().invoke(cli, ["-V"]).output == f"qtool, version {__version__}\n"


@pytest.mark.parametrize("command", sorted(set(COMMANDS) | NO_CONFIGURATION))
def test_one_line_help_has_one_home(command: str) -> None:
    """`qtool --help` and `qtool CMD --help` show the same line: the command table's."""
    from qtool.cli import COMMANDS as TABLE

    summary = TABLE[command][1]
    listing = CliRunner().invoke(cli, ["--help"], terminal_width=400).output
    assert any(line.split(None, 1) == [command, summary] for line in listing.splitlines())
    own = CliRunner().invoke(cli, [command, "--help"], terminal_width=400).output
    assert own.splitlines()[2].strip() == summary


def test_drafts_are_counted_not_silently_dropped(bank: Path, run) -> None:
    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    question.write_text(question.read_text().replace("status: reviewed", "status: draft"))
    checked = run("check")
    assert "1 question at status: draft, waiting for a person to review" in checked.stderr
    exported = run("export", "--to", "json", "--out", "-")
    assert exported.exit_code == 0 and "qtool export: 1 draft left out (pass --include-drafts)" in exported.stderr


def test_a_closed_pipe_ends_quietly(bank: Path) -> None:
    """`qtool export --out - | head -1`: no traceback, no 'Exception ignored' noise."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "qtool", "export", "--to", "json", "--out", "-"], cwd=bank,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # what head does after its first line
    _, err = process.communicate(timeout=120)
    assert err == b"", err


@pytest.mark.parametrize("command", sorted(set(COMMANDS) | NO_CONFIGURATION))
def test_every_command_takes_the_output_options(command: str) -> None:
    text = CliRunner().invoke(cli, [command, "--help"], terminal_width=200).output
    assert "--color [auto|always|never]" in text and "--quiet" in text and "--verbose" in text


def test_colour_only_when_asked_or_on_a_terminal(bank: Path, run, monkeypatch) -> None:
    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    question.write_text(question.read_text().replace("status: reviewed", "status: draft"))
    plain = run("check")
    assert "\x1b[" not in plain.stdout and plain.stdout.count("[draft-status]") == 1
    coloured = run("check", "--color", "always")
    assert "\x1b[33m\x1b[1mwarning:\x1b[0m" in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("check", "--color", "auto").stdout


def test_quiet_prints_problems_only_and_verbose_names_the_bank(bank: Path, run) -> None:
    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    question.write_text(question.read_text().replace("status: reviewed", "status: draft"))
    quiet = run("check", "-q")
    assert quiet.stderr == "" and "[draft-status]" in quiet.stdout
    assert run("export", "--to", "json", "-q").stderr == ""
    verbose = run("check", "-v")
    assert f"bank: {bank.resolve()} (configuration: none, the defaults)" in verbose.stderr


def test_an_unwritable_bank_is_one_line_not_a_traceback(empty_bank: Path, run) -> None:
    (empty_bank / "questions" / "data-analyst").write_text("a file where the role's folder should be")
    result = run("new", "--role", "Data Analyst", "--question", "What is a join?", "--category", "technical", "--no-llm")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_full_standard_output_is_one_line_not_a_traceback(bank: Path) -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "qtool", "check", "--format", "json"], cwd=bank, stdout=full,
                              stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1
    assert done.stderr == "Error: cannot write to standard output: No space left on device\n", done.stderr


@pytest.mark.parametrize(("code", "status", "err"), [("None", 0, ""), ("3", 3, ""), ("'no bank here'", 1, "no bank here\n")])
def test_the_command_leaves_with_its_status_and_all_its_output(code: str, status: int, err: str) -> None:
    """``leave`` ends the process without the interpreter's teardown: what was printed but not yet flushed still
    arrives, and the status is the one a SystemExit with that code gives."""
    import subprocess
    import sys

    script = f"import sys\nfrom qtool.errors import leave\nsys.stdout.write('unflushed')\nleave({code})\nprint('never')\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (status, "unflushed", err)


def test_the_qtool_command_leaves_with_the_check_status(bank: Path) -> None:
    """The console script (``qtool.cli:run``) ends with check's status and its whole report."""
    import subprocess
    import sys

    target = next((bank / "questions").rglob("*.yaml"))
    target.write_text(target.read_text().replace("\nquestion:", "\nquestion: ", 1).replace("\ncategory: ", "\ncategory: wrong-", 1))
    result = subprocess.run([sys.executable, "-m", "qtool", "check"], cwd=bank, capture_output=True, text=True)
    assert result.returncode == 1 and "[schema]" in result.stdout and result.stdout.endswith("\n")
    assert subprocess.run([sys.executable, "-m", "qtool", "--version"], capture_output=True, text=True).returncode == 0
