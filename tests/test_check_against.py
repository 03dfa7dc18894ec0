"""``qtool check --against REF`` and the guid-stable rule, in real git repositories in temp folders.

Each test builds a bank on ``main`` (a copy of this repository's questions), branches off to
``feature``, makes the change a contributor would make, commits it, and runs the CLI there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BANK, REPO

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PM = "questions/product-manager"
FAILED = f"{PM}/failed-feature.yaml"
WHAT_NOT = f"{PM}/what-not-to-build.yaml"
MOVED = f"{PM}/feature-that-failed.yaml"
GUID_RE = re.compile(r'^guid: "([^"]*)"\n', re.M)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("GIT_AUTHOR_NAME", "T"), ("GIT_AUTHOR_EMAIL", "t@example.com"), ("GIT_COMMITTER_NAME", "T"),
                        ("GIT_COMMITTER_EMAIL", "t@example.com"), ("GIT_CONFIG_GLOBAL", "/dev/null"), ("GIT_CONFIG_NOSYSTEM", "1")):
        monkeypatch.setenv(name, value)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This repository's bank committed on main, with ``feature`` checked out; the working directory."""
    root = tmp_path / "bank"
    shutil.copytree(BANK, root / "questions")
    shutil.copytree(REPO / "schema", root / "schema")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def guid_of(root: Path, name: str) -> str:
    found = GUID_RE.search((root / name).read_text(encoding="utf-8"))
    assert found, name
    return found.group(1)


def set_guid(root: Path, name: str, guid: str | None) -> None:
    """Replace the file's guid line (None: delete it)."""
    path = root / name
    text, count = GUID_RE.subn("" if guid is None else f'guid: "{guid}"\n', path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


def line_of(root: Path, name: str, prefix: str) -> int:
    return next(i for i, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1) if line.startswith(prefix))


def guid_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.endswith("[guid-stable]")]


def test_unchanged_bank_passes_the_whole_check(repo: Path, run) -> None:
    path = repo / WHAT_NOT
    path.write_text(path.read_text(encoding="utf-8").replace("status: reviewed", "status: reviewed  # re-read"), encoding="utf-8")
    commit(repo)

    result = run("check", "--against", "main")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_changed_guid_is_an_error_at_the_guid_key(repo: Path, run) -> None:
    old = guid_of(repo, FAILED)
    set_guid(repo, FAILED, "Zz9Yy8Xx7W")
    commit(repo)

    result = run("check", "--against", "main", "--select", "guid-stable")

    assert result.exit_code == 1
    [line] = guid_lines(result.stdout)
    assert line.startswith(f"{FAILED}:{line_of(repo, FAILED, 'guid:')}:1: error: guid changed from '{old}' at main (")
    assert f'put back `guid: "{old}"`' in line
    assert run("check", "--select", "guid-stable").exit_code == 0  # silent without a base


def test_removed_guid_line_is_reported_at_the_id(repo: Path, run) -> None:
    set_guid(repo, FAILED, None)
    commit(repo)

    [line] = guid_lines(run("check", "--against", "main", "--select", "guid-stable").stdout)

    assert line.startswith(f"{FAILED}:{line_of(repo, FAILED, 'id:')}:1: error: guid changed")
    assert line.endswith("(reported at the id: the file has no guid key) [guid-stable]")


def test_deleted_file_is_a_warning_and_an_error_under_strict(repo: Path, run) -> None:
    guid = guid_of(repo, FAILED)
    guid_line = line_of(repo, FAILED, "guid:")
    git(repo, "rm", "-q", FAILED)
    commit(repo)

    plain = run("check", "--against", "main", "--select", "guid-stable")
    strict = run("check", "--against", "main", "--select", "guid-stable", "--strict")

    assert plain.exit_code == 0
    [line] = guid_lines(plain.stdout)
    assert line.startswith(f"{FAILED}:{guid_line}:1: warning: deleted since main (")
    assert f"'{guid}' to retired-guids" in line
    assert strict.exit_code == 1
    assert guid_lines(strict.stdout) == [line.replace(": warning: ", ": error: ", 1)]
    count = len(list((repo / "questions").rglob("*.yaml")))
    assert plain.stderr == f"1 warning in 1 of {count + 1} files\n"  # the files checked, and the deleted one


def test_retired_guid_may_go(repo: Path, run) -> None:
    guid = guid_of(repo, FAILED)
    git(repo, "rm", "-q", FAILED)
    (repo / "pyproject.toml").write_text(f'[tool.qtool.rules.guid-stable]\nretired-guids = ["{guid}"]\n', encoding="utf-8")
    commit(repo)

    result = run("check", "--against", "main", "--select", "guid-stable", "--strict")

    assert result.exit_code == 0, result.output
    assert guid_lines(result.stdout) == []


def rename(root: Path, old: str, new: str) -> None:
    git(root, "mv", old, new)
    path = root / new
    path.write_text(path.read_text(encoding="utf-8").replace(f"id: {old[10:-5]}\n", f"id: {new[10:-5]}\n"), encoding="utf-8")


def test_rename_with_an_explicit_guid_keeps_the_note(repo: Path, run) -> None:
    rename(repo, FAILED, MOVED)
    commit(repo)

    result = run("check", "--against", "main", "--select", "guid-stable", "--strict")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # id-path too: the id follows the new path


def test_rename_without_a_guid_is_an_error_whose_fix_works(repo: Path, run) -> None:
    import genanki

    set_guid(repo, FAILED, None)
    commit(repo, "no guid on main")
    git(repo, "branch", "-f", "main", "HEAD")
    rename(repo, FAILED, MOVED)
    commit(repo)

    result = run("check", "--against", "main", "--select", "guid-stable")

    assert result.exit_code == 1
    [line] = guid_lines(result.stdout)
    derived = genanki.guid_for("qtool", "product-manager/failed-feature")  # what the Anki export gave the old note
    assert line.startswith(f"{MOVED}:{line_of(repo, MOVED, 'id:')}:1: error: renamed from {FAILED}, which had no guid")
    assert f'add `guid: "{derived}"` to this file' in line
    # The fix the message gives, applied as written:
    path = repo / MOVED
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("id: product-manager/feature-that-failed\n",
                                 f'id: product-manager/feature-that-failed\nguid: "{derived}"\n'), encoding="utf-8")
    commit(repo)
    assert run("check", "--against", "main", "--select", "guid-stable", "--strict").exit_code == 0


def test_swapped_guids_are_errors_on_both_files(repo: Path, run) -> None:
    first, second = guid_of(repo, FAILED), guid_of(repo, WHAT_NOT)
    set_guid(repo, FAILED, second)
    set_guid(repo, WHAT_NOT, first)
    commit(repo)

    result = run("check", "--against", "main", "--select", "guid-stable")

    assert result.exit_code == 1
    lines = guid_lines(result.stdout)
    assert [line.split(":")[0] for line in lines] == [FAILED, WHAT_NOT]
    assert f"guid '{second}' belonged to 'product-manager/what-not-to-build' at main" in lines[0]
    assert f"guid '{first}' belonged to 'product-manager/failed-feature' at main" in lines[1]


def test_changed_only_reports_changed_files_while_bank_rules_read_everything(repo: Path, run) -> None:
    # On main: what-not-to-build.yaml carries a problem nobody touches on the branch.
    path = repo / WHAT_NOT
    git(repo, "checkout", "-q", "main")
    path.write_text(path.read_text(encoding="utf-8").replace("status: reviewed", "status: draft"), encoding="utf-8")
    commit(repo, "a draft on main")
    git(repo, "checkout", "-q", "-b", "topic")
    # On the branch: a new file asking the same question as an unchanged file.
    copy = f"{PM}/copy.yaml"
    text = (repo / FAILED).read_text(encoding="utf-8").replace("id: product-manager/failed-feature", "id: product-manager/copy")
    (repo / copy).write_text(GUID_RE.sub('guid: "Cc0Pp1Yy2Z"\n', text), encoding="utf-8")  # untracked: new since the base too

    everything = run("check", "--against", "main")
    changed = run("check", "--against", "main", "--changed-only")

    assert {line.split(":")[0] for line in everything.stdout.splitlines()} >= {copy, FAILED, WHAT_NOT}
    assert {line.split(":")[0] for line in changed.stdout.splitlines()} == {copy}
    assert re.search(rf"^{re.escape(copy)}:\d+:\d+: error: .*{re.escape(FAILED)}.* \[duplicate-question\]$", changed.stdout, re.M)
    assert changed.exit_code == 1


def test_changed_only_needs_a_base(repo: Path, run) -> None:
    result = run("check", "--changed-only")

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --changed-only needs a base")


def test_base_ref_from_the_ci_environment_tries_origin(tmp_path: Path, repo: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    set_guid(repo, FAILED, "Zz9Yy8Xx7W")
    commit(repo)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(repo), str(clone))
    assert "main" not in git(clone, "branch", "--list").split()  # only origin/main, as in a CI checkout
    git(clone, "branch", "main", "HEAD")  # a stale local main (a reused runner): CI's branch name means origin/main
    monkeypatch.chdir(clone)
    monkeypatch.setenv("GITHUB_BASE_REF", "main")

    result = run("check", "--select", "guid-stable")

    assert result.exit_code == 1
    [line] = guid_lines(result.stdout)
    assert "guid changed from" in line and "at origin/main (" in line
    assert run("check", "--select", "guid-stable", "--against", "").exit_code == 0  # '' turns the default off


@pytest.mark.parametrize("single_branch", [True, False], ids=["base-ref-missing", "merge-base-missing"])
def test_shallow_clone_is_a_one_line_error_with_the_fix(tmp_path: Path, repo: Path, run, monkeypatch: pytest.MonkeyPatch,
                                                        single_branch: bool) -> None:
    for name in ("a", "b"):  # history between the base and the branch tip, which a depth-1 clone lacks
        set_guid(repo, FAILED, f"Zz9Yy8Xx7{name}")
        commit(repo)
    clone = tmp_path / "shallow"
    extra = [] if single_branch else ["--no-single-branch"]
    git(tmp_path, "clone", "-q", "--depth", "1", *extra, "--branch", "feature", f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    monkeypatch.chdir(clone)

    result = run("check", "--against", "main")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: --against main: ")
    assert "shallow clone" in result.stderr and "`fetch-depth: 0`" in result.stderr


def test_outside_git_is_a_one_line_error(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(BANK, tmp_path / "plain" / "questions")
    monkeypatch.chdir(tmp_path / "plain")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))

    result = run("check", "--against", "main")

    assert result.exit_code == 2
    assert result.stderr == "Error: --against main: not inside a git repository (run qtool from the bank's git checkout)\n"


def test_bank_in_a_subfolder_of_its_repository(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    top = tmp_path / "mono"
    shutil.copytree(BANK, top / "content" / "questions")
    (top / "README").write_text("x\n", encoding="utf-8")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "base")
    monkeypatch.chdir(top / "content")
    old = guid_of(top / "content", FAILED)
    set_guid(top / "content", FAILED, "Zz9Yy8Xx7W")  # not even committed: the working tree is what is checked

    [line] = guid_lines(run("check", "--against", "main", "--select", "guid-stable").stdout)

    assert line.startswith(f"{FAILED}:3:1: error: guid changed from '{old}'")


def test_cached_results_follow_the_base(repo: Path, run) -> None:
    """Per-file results are shared with plain checks; bank-wide and whole-run results are tied to the base commit."""
    set_guid(repo, FAILED, "Zz9Yy8Xx7W")
    commit(repo)

    assert run("check", "--against", "main").exit_code == 1
    assert run("check").exit_code == 0
    assert run("check", "--against", "main").exit_code == 1
    git(repo, "branch", "-f", "main", "HEAD")  # the change is now part of the base
    assert run("check", "--against", "main").exit_code == 0
    assert list((repo / ".qtool-cache").glob("run-*.bin"))  # the cache was in use


def test_a_suppression_of_guid_stable_is_judged_only_against_a_base(repo: Path, run) -> None:
    path = repo / FAILED
    path.write_text(GUID_RE.sub('guid: "Zz9Yy8Xx7W"  # qtool: disable=guid-stable\n', path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    commit(repo)

    assert run("check", "--against", "main").stdout == ""  # suppressed
    assert run("check").stdout == ""  # without a base the rule does not run, so its suppression is not "unused"
    git(repo, "branch", "-f", "main", "HEAD")
    unused = run("check", "--against", "main").stdout
    assert unused.startswith(f"{FAILED}:3:") and unused.rstrip().endswith("[unused-suppression]")


def test_run_from_a_folder_inside_the_bank(repo: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bank's root is found upward: git runs there, and paths are shown relative to where qtool runs."""
    import json

    set_guid(repo, FAILED, "Zz9Yy8Xx7W")
    git(repo, "rm", "-q", WHAT_NOT)
    commit(repo)
    monkeypatch.chdir(repo / PM)

    lines = guid_lines(run("check", "--against", "main", "--select", "guid-stable", "--changed-only").stdout)
    sarif = json.loads(run("check", "--against", "main", "--select", "guid-stable", "--format", "sarif").stdout)

    found = sorted(((repo / PM / line.split(":")[0]).resolve(), line.split(": ")[1]) for line in lines)
    assert found == [((repo / FAILED).resolve(), "error"), ((repo / WHAT_NOT).resolve(), "warning")]
    assert all(line.split(":")[1:3] == ["3", "1"] for line in lines)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert uris == [FAILED, WHAT_NOT]


def test_runs_with_and_without_a_base_do_not_redo_each_others_bank_rules(repo: Path, run,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """check, check --against main, check: the third run patches the first one's report (an answer edited in
    between changes no summary), and takes its bank-wide results from the cache."""
    import qtool.lint.rules.near_duplicate as near

    assert run("check").exit_code == 0
    assert run("check", "--against", "main").exit_code == 0
    answer = repo / FAILED
    lines = answer.read_text(encoding="utf-8").split("\n")
    first = lines.index("    text: |") + 1
    lines[first] += " Also this."  # an answer's words change, no line moves: no summary changes
    answer.write_text("\n".join(lines), encoding="utf-8")
    given: list[object] = []
    update = near._Index.update
    monkeypatch.setattr(near._Index, "update", lambda self, *a, **k: given.append(a[1]) or update(self, *a, **k))
    import qtool.pipeline

    opened: list[str] = []
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin"))
    result = run("check")
    assert result.exit_code == 0, result.output
    assert given == []
    assert opened == []  # the plain run's own report was kept beside the --against one, and patched
