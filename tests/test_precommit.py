"""The pre-commit hooks, run for real: git repositories in temp folders, hooks installed from a
copy of this checkout with pre-commit itself, environments built from the package registry.

Slow by nature (the first hook environment is a pip install of qtool and its dependencies),
so the environments are built once per session in one PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, SEED

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SEED_REL = "questions/marketing-specialist/social-media-crisis.yaml"
#: A question that passes every check, and where it goes in the bank.
GOOD = FIXTURES / "fmt" / "hooks" / "good-question.yaml"
GOOD_REL = "questions/software-engineer/flaky-test.yaml"


def run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command; stdout and stderr together, as an author would see them."""
    done = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}")
    return done


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One PRE_COMMIT_HOME for the session; git identity; this venv's tools first on PATH."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    out = dict(os.environ)
    out.update(
        PRE_COMMIT_HOME=str(home),
        PRE_COMMIT_COLOR="never",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        GIT_AUTHOR_NAME="Test Author", GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Author", GIT_COMMITTER_EMAIL="author@example.com",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
    )
    out.pop("GITHUB_ACTIONS", None)  # plain problem lines, as on an author's machine
    return out


def _in_virtualenv(root: Path, name: str) -> bool:
    """Whether ``name`` lies inside a virtual environment (a folder holding pyvenv.cfg) under ``root``."""
    parts = Path(name).parts
    return any((root.joinpath(*parts[:depth]) / "pyvenv.cfg").is_file() for depth in range(1, len(parts)))


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding this checkout's working tree (uncommitted changes included)."""
    root = tmp_path_factory.mktemp("qtool-hooks")
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, env).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if _in_virtualenv(REPO, name):  # e.g. a `python3 -m venv v` made inside a clone
            continue
        if source.is_file():  # deleted but not yet staged files are skipped
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "--no-verify", "-m", "copy of the working tree"], root, env)
    sha = run(["git", "rev-parse", "HEAD"], root, env).stdout.strip()
    return root, sha


@pytest.fixture
def bank_repo(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> Path:
    """A bank in its own git repository: the seed question, committed, and qtool's hooks installed."""
    root = tmp_path / "bank"
    (root / "questions" / "marketing-specialist").mkdir(parents=True)
    shutil.copyfile(SEED, root / SEED_REL)
    path, sha = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: qtool-fmt\n      - id: qtool-check\n",
        encoding="utf-8",
    )
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "--no-verify", "-m", "a bank"], root, env)
    run([sys.executable, "-m", "pre_commit", "install"], root, env)
    return root


def commit(root: Path, env: dict[str, str], *paths: str) -> subprocess.CompletedProcess[str]:
    run(["git", "add", *paths], root, env)
    return run(["git", "commit", "-m", "change"], root, env, check=False)


def head_message(root: Path, env: dict[str, str]) -> str:
    return run(["git", "log", "-1", "--format=%s"], root, env).stdout.strip()


def delete_solid_critique(root: Path) -> str:
    """Delete answers.solid.critique from the seed in ``root``; returns the problem line the
    contract asks for: at the mapping that lacks the key (the ``solid:`` key), exactly as
    ``qtool check`` prints it for that file."""
    seed = root / SEED_REL
    without, removed = re.subn(r"    critique: \|\n      The solid answer [^\n]*\n", "", seed.read_text(encoding="utf-8"))
    assert removed == 1
    seed.write_text(without, encoding="utf-8")
    line = without.splitlines().index("  solid:") + 1
    contract = re.compile(rf"{re.escape(SEED_REL)}:{line}:3: error: .*critique.* \[[a-z-]+\]")
    check = subprocess.run([sys.executable, "-m", "qtool", "check", SEED_REL], cwd=root, capture_output=True, text=True)
    lines = [text for text in check.stdout.splitlines() if contract.fullmatch(text)]
    assert len(lines) == 1, check.stdout
    return lines[0]


def test_commit_missing_a_critique_is_refused_with_the_contract_line(bank_repo: Path, env: dict[str, str]) -> None:
    expected = delete_solid_critique(bank_repo)

    done = commit(bank_repo, env, SEED_REL)

    assert done.returncode != 0, done.stdout
    assert expected in done.stdout.splitlines(), done.stdout
    assert head_message(bank_repo, env) == "a bank"  # nothing was committed


def test_fresh_clone_of_this_repository_refuses_the_seed_without_a_critique(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> None:
    """The issue's acceptance test: clone, `pre-commit install`, delete a critique, commit."""
    path, _ = hook_repo
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(path), str(clone)], tmp_path, env)
    run([sys.executable, "-m", "pre_commit", "install"], clone, env)
    expected = delete_solid_critique(clone)

    done = commit(clone, env, SEED_REL)

    assert done.returncode != 0, done.stdout
    assert expected in done.stdout.splitlines(), done.stdout
    assert head_message(clone, env) == "copy of the working tree"


def test_good_question_commits(bank_repo: Path, env: dict[str, str]) -> None:
    (bank_repo / GOOD_REL).parent.mkdir(parents=True)
    shutil.copyfile(GOOD, bank_repo / GOOD_REL)

    done = commit(bank_repo, env, GOOD_REL)

    assert done.returncode == 0, done.stdout
    assert re.search(r"qtool fmt \(canonical form\)\.+Passed", done.stdout), done.stdout
    assert re.search(r"qtool check \(validate \+ lint\)\.+Passed", done.stdout), done.stdout
    assert head_message(bank_repo, env) == "change"


def test_badly_formatted_file_is_rewritten_by_qtool_fmt(bank_repo: Path, env: dict[str, str]) -> None:
    new = GOOD_REL
    canonical = GOOD.read_text(encoding="utf-8")
    lines = canonical.splitlines(keepends=True)
    # Drop the modeline, move `status:` to the end, put list items flush with their key.
    status = next(line for line in lines if line.startswith("status:"))
    messy = "".join(line.replace("  - ", "- ", 1) for line in lines[1:] if line is not status) + status
    assert messy != canonical
    (bank_repo / new).parent.mkdir(parents=True)
    (bank_repo / new).write_text(messy, encoding="utf-8")

    first = commit(bank_repo, env, new)

    assert first.returncode != 0
    assert re.search(r"qtool fmt \(canonical form\)\.+Failed", first.stdout), first.stdout
    assert "files were modified by this hook" in first.stdout
    assert f"reformatted {new}" in first.stdout
    assert (bank_repo / new).read_text(encoding="utf-8") == canonical
    assert head_message(bank_repo, env) == "a bank"

    second = commit(bank_repo, env, new)  # the author stages the rewrite and commits again

    assert second.returncode == 0, second.stdout
    assert head_message(bank_repo, env) == "change"


def test_change_to_one_file_reports_a_bank_wide_duplicate_with_an_unchanged_file(bank_repo: Path, env: dict[str, str]) -> None:
    """Needs the lint engine (`qtool check`'s bank rules): duplicate-question across files."""
    seed_text = (bank_repo / SEED_REL).read_text(encoding="utf-8")
    copy = "questions/marketing-specialist/crisis-response.yaml"
    text = seed_text.replace("id: marketing-specialist/social-media-crisis", "id: marketing-specialist/crisis-response")
    text = re.sub(r'guid: "[^"]*"', 'guid: "Zz9Yy8Xx7W"', text)
    (bank_repo / copy).write_text(text, encoding="utf-8")

    done = commit(bank_repo, env, copy)

    assert done.returncode != 0, done.stdout
    question_line = text.splitlines().index(next(line for line in text.splitlines() if line.startswith("question:"))) + 1
    pattern = rf"^{re.escape(copy)}:{question_line}:\d+: error: .*{re.escape(SEED_REL)}.* \[duplicate-question\]$"
    assert re.search(pattern, done.stdout, re.M), done.stdout
    assert run(["git", "status", "--porcelain", SEED_REL], bank_repo, env).stdout == ""  # the seed was not touched


def test_this_repositorys_own_config_passes_on_a_copy(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> None:
    path, _ = hook_repo
    copy = tmp_path / "qtool"
    run(["git", "clone", "-q", str(path), str(copy)], tmp_path, env)

    done = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], copy, env, check=False)

    assert done.returncode == 0, done.stdout
    for hook in ("qtool fmt", "qtool check", "ruff", "mypy", "trim trailing whitespace", "check yaml", "check json", "valid JSON Schemas"):
        assert re.search(rf"{re.escape(hook)}.*\.+Passed", done.stdout), (hook, done.stdout)


def test_guid_change_passes_a_plain_commit_and_fails_pre_commit_from_ref(bank_repo: Path, env: dict[str, str]) -> None:
    """guid-stable is silent without a base; `pre-commit run --from-ref/--to-ref` hands qtool check the base."""
    run(["git", "checkout", "-q", "-b", "topic"], bank_repo, env)
    seed = bank_repo / SEED_REL
    text = seed.read_text(encoding="utf-8")
    old = re.search(r'^guid: "([^"]*)"$', text, re.M).group(1)
    seed.write_text(text.replace(f'guid: "{old}"', 'guid: "Zz9Yy8Xx7W"'), encoding="utf-8")

    plain = commit(bank_repo, env, SEED_REL)
    ranged = run([sys.executable, "-m", "pre_commit", "run", "--from-ref", "main", "--to-ref", "HEAD"], bank_repo, env, check=False)

    assert plain.returncode == 0, plain.stdout
    assert head_message(bank_repo, env) == "change"
    assert ranged.returncode != 0
    assert re.search(r"qtool check \(validate \+ lint\)\.+Failed", ranged.stdout), ranged.stdout
    line = text.splitlines().index(f'guid: "{old}"') + 1
    assert re.search(rf"^{re.escape(SEED_REL)}:{line}:1: error: guid changed from '{re.escape(old)}' at \S+ \(\w+\) "
                     r"to 'Zz9Yy8Xx7W'.* \[guid-stable\]$", ranged.stdout, re.M), ranged.stdout
