"""``qtool export``: defaults, determinism, the error gate, drafts, --out, and where note times come from."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtool.commands.export import _progress
from qtool.export import guid_for
from qtool.export.times import file_times

FIXTURES = Path(__file__).parent / "fixtures" / "export"
#: Questions in this repository's bank (the ``bank`` fixture copies it).
BANK_SIZE = len(list((Path(__file__).resolve().parent.parent / "questions").rglob("*.yaml")))
OUTPUTS = ("exports/questions.json", "exports/questions.csv", "exports/questions.apkg")


def _outputs(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in OUTPUTS}


def _add(bank: Path, fixture: str, role: str = "marketing-specialist") -> Path:
    target = bank / "questions" / role / Path(fixture).name
    shutil.copy(FIXTURES / fixture, target)
    return target


def _copy_of_seed(bank: Path) -> Path:
    """A copy of the seed question with its own id and guid."""
    seed = (bank / "questions" / "marketing-specialist" / "social-media-crisis.yaml").read_text(encoding="utf-8")
    text = seed.replace("id: marketing-specialist/social-media-crisis", "id: marketing-specialist/seed-copy")
    text = text.replace('guid: "k3#Lq8!xZp"', 'guid: "seedcopy01"')
    target = bank / "questions" / "marketing-specialist" / "seed-copy.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def _make_draft(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("status: reviewed", "status: draft"), encoding="utf-8")


def test_all_writes_three_files_byte_identical_twice(bank: Path, run: Callable[..., Any]) -> None:
    first = run("export")
    assert first.exit_code == 0, first.output
    assert first.stdout == ""
    assert f"wrote exports/questions.apkg ({BANK_SIZE} questions)" in first.stderr
    before = _outputs(bank)
    assert run("export", "--to", "all").exit_code == 0
    assert _outputs(bank) == before
    assert sorted(p.name for p in (bank / "exports").iterdir()) == ["questions.apkg", "questions.csv", "questions.json"]


def test_refuses_a_bank_with_errors(bank: Path, run: Callable[..., Any]) -> None:
    _add(bank, "broken-schema.yaml")
    _add(bank, "broken-parse.yaml")
    result = run("export")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("questions/marketing-specialist/broken-schema.yaml:9:3: error: ") for line in lines)
    assert any(line.startswith("questions/marketing-specialist/broken-parse.yaml:") and line.endswith("[parse]") for line in lines)
    assert "refused: 2 files with errors" in result.stderr
    assert "Traceback" not in result.output
    assert not (bank / "exports").exists()


def test_force_skips_broken_files_and_names_them(bank: Path, run: Callable[..., Any]) -> None:
    _add(bank, "broken-schema.yaml")
    result = run("export", "--to", "json", "--force")
    assert result.exit_code == 0
    assert re.search(r"^qtool export: skipped questions/marketing-specialist/broken-schema.yaml \(\d+ errors?\)$", result.stderr, re.M)
    document = json.loads((bank / "exports" / "questions.json").read_text(encoding="utf-8"))
    assert document["count"] == BANK_SIZE
    assert "marketing-specialist/broken-schema" not in {q["id"] for q in document["questions"]}


def test_drafts_are_left_out_unless_asked_for(bank: Path, run: Callable[..., Any]) -> None:
    _make_draft(bank / "questions" / "product-manager" / "failed-feature.yaml")
    assert run("export", "--to", "json").exit_code == 0
    ids = [q["id"] for q in json.loads((bank / "exports" / "questions.json").read_text())["questions"]]
    assert "product-manager/failed-feature" not in ids and len(ids) == BANK_SIZE - 1
    assert run("export", "--to", "json", "--include-drafts").exit_code == 0
    document = json.loads((bank / "exports" / "questions.json").read_text())
    assert document["count"] == BANK_SIZE
    assert {q["id"]: q["status"] for q in document["questions"]}["product-manager/failed-feature"] == "draft"


def test_errors_in_left_out_drafts_do_not_block(bank: Path, run: Callable[..., Any]) -> None:
    broken = _add(bank, "broken-schema.yaml")
    _make_draft(broken)
    assert run("export", "--to", "json").exit_code == 0
    assert run("export", "--to", "json", "--include-drafts").exit_code == 1


def test_paths_select_files(bank: Path, run: Callable[..., Any]) -> None:
    assert run("export", "--to", "json", "questions/product-manager").exit_code == 0
    document = json.loads((bank / "exports" / "questions.json").read_text())
    assert document["count"] == 3 and {q["role"] for q in document["questions"]} == {"Product Manager"}


def test_out_file_folder_and_stdout(bank: Path, run: Callable[..., Any]) -> None:
    assert run("export", "--to", "csv", "--out", "elsewhere/bank.csv").exit_code == 0
    assert (bank / "elsewhere" / "bank.csv").read_text(encoding="utf-8").startswith("id,role,")
    assert run("export", "--out", "all-here").exit_code == 0
    assert sorted(p.name for p in (bank / "all-here").iterdir()) == ["questions.apkg", "questions.csv", "questions.json"]
    result = run("export", "--to", "json", "--out", "-")
    assert result.exit_code == 0 and json.loads(result.stdout)["count"] == BANK_SIZE
    assert not (bank / "exports").exists()


def test_stdout_needs_a_single_file_format(bank: Path, run: Callable[..., Any]) -> None:
    result = run("export", "--to", "all", "--out", "-")
    assert result.exit_code == 2 and "single file format" in result.stderr


def test_unwritable_target_is_one_line_exit_1(bank: Path, run: Callable[..., Any]) -> None:
    (bank / "blocker").write_text("a file, not a folder")
    result = run("export", "--to", "json", "--out", "blocker/q.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


def test_two_files_with_one_guid_are_refused(bank: Path, run: Callable[..., Any]) -> None:
    copy = _copy_of_seed(bank)
    copy.write_text(copy.read_text().replace('guid: "seedcopy01"', 'guid: "k3#Lq8!xZp"'))
    result = run("export", "--to", "anki")
    assert result.exit_code == 1  # the lint rules refuse it, else the Anki exporter does
    assert "k3#Lq8!xZp" in result.output and "Traceback" not in result.output
    assert not (bank / "exports" / "questions.apkg").exists()


def test_export_modules_do_not_import_genanki_or_markdown() -> None:
    code = (
        "import sys, qtool.cli, qtool.commands.export, qtool.export, qtool.export.json, qtool.export.csv, qtool.export.gate;"
        "print(sorted(m for m in ('genanki', 'anki', 'qtool.export.markdown', 'qtool.export.anki') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@given(st.text(max_size=30))
def test_guid_for_is_genankis(value: str) -> None:
    from genanki.util import guid_for as genanki_guid_for

    assert guid_for("qtool", value) == genanki_guid_for("qtool", value)


def test_progress_bar_only_on_a_terminal_for_large_banks(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with _progress(10_000, "anki") as update:
        assert update is None
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _progress(10, "anki") as update:
        assert update is None
    with _progress(10_000, "anki") as update:
        assert update is not None
        update(10_000)
    assert "anki" in terminal.getvalue()


# -- note times ------------------------------------------------------------------------------
def _git(root: Path, *args: str, when: int | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@example.com", *args], cwd=root, env=env, check=True, capture_output=True)


def test_times_come_from_git_for_clean_files_else_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "questions" / "a b").mkdir(parents=True)
    names = ["questions/a b/one.yaml", "questions/a b/two.yaml", "questions/a b/edited.yaml", "top.yaml"]
    for name in names:
        (repo / name).write_text("x\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one", when=1_600_000_000)
    (repo / "questions" / "a b" / "two.yaml").write_text("y\n")
    _git(repo, "commit", "-q", "-am", "two", when=1_600_000_500)
    (repo / "questions" / "a b" / "edited.yaml").write_text("edited, not committed\n")
    (repo / "questions" / "a b" / "new.yaml").write_text("untracked\n")
    for name in names + ["questions/a b/new.yaml"]:
        os.utime(repo / name, (1_700_000_000, 1_700_000_000))
    monkeypatch.chdir(repo)
    times = file_times([*names, "questions/a b/new.yaml"])
    assert times == {
        "questions/a b/one.yaml": 1_600_000_000,
        "questions/a b/two.yaml": 1_600_000_500,
        "questions/a b/edited.yaml": 1_700_000_000,
        "top.yaml": 1_600_000_000,
        "questions/a b/new.yaml": 1_700_000_000,
    }
    monkeypatch.chdir(repo / "questions")  # paths relative to a subfolder map the same way
    assert file_times(["a b/two.yaml"], ".") == {"a b/two.yaml": 1_600_000_500}


def test_times_outside_git_are_mtimes(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("x\n")
    os.utime(path, (1_234_567_890, 1_234_567_890))
    assert file_times([str(path)], tmp_path) == {str(path): 1_234_567_890}
    assert file_times([], tmp_path) == {}


def test_markdown_pages_and_bad_config(bank: Path, run: Callable[..., Any]) -> None:
    result = run("export", "--to", "markdown")
    assert result.exit_code == 0, result.output
    assert len(list((bank / "exports" / "pages").rglob("*.md"))) == BANK_SIZE
    assert f"wrote {BANK_SIZE} pages to exports/pages" in result.stderr
    (bank / ".qtool.toml").write_text("[rules]\nno-such-rule = true\n")
    result = run("export")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_packed_questions_give_back_the_same_questions_in_id_order() -> None:
    from conftest import BANK
    from qtool.export import PackedQuestions, question_paths, sort_questions
    from qtool.loader import load_file

    loaded = [load_file(path) for path in sorted(BANK.rglob("*.yaml"), reverse=True)]
    expected = sort_questions(loaded)
    for pack in (True, False):
        packed = PackedQuestions(loaded, pack=pack)
        assert packed.packed is pack and len(packed) == len(expected)
        assert [(q.path, q.data) for q in packed] == [(q.path, q.data) for q in expected]
        assert packed[-1].data == expected[-1].data and [q.id for q in packed[1:3]] == [q.id for q in expected[1:3]]
        assert question_paths(packed) == [q.path for q in expected]


def test_to_names_the_file_format_and_format_the_problems(bank: Path, run) -> None:
    """--format means the output format in every command; export's file formats take --to (old spelling still works)."""
    new = run("export", "--to", "json", "--out", "-")
    old = run("export", "--format", "json", "--out", "-")
    assert new.exit_code == old.exit_code == 0 and new.stdout == old.stdout
    assert new.stderr == "" and "use --to json" in old.stderr
    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    question.write_text(question.read_text().replace("category: technical", "category: interview"))
    refused = run("export", "--to", "json", "--format", "github", "--out", "-")
    assert refused.exit_code == 1 and refused.stdout.startswith("::error file=")
    assert run("export", "--to", "csv", "--format", "json").exit_code == 2


def _load_in(path: str, max_bytes: int) -> Any:
    """``qtool.export.gate._load`` that also says which process loaded the file (module level: workers unpickle it)."""
    from qtool.export.gate import _LOAD

    loaded = _LOAD(path, max_bytes)
    loaded.data["loaded by"] = os.getpid()
    return loaded


def test_a_bank_is_loaded_by_workers_into_the_questions_one_process_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past workers.PARALLEL_FROM files, exports load the bank by one worker a core: the same data, in export order."""
    import gc

    from conftest import REPO
    from qtool.commands._common import checked_through_cache
    from qtool.config import load_config
    from qtool.export import gate
    from qtool.files import question_files
    from qtool.loader import load_file
    from qtool.workers import PARALLEL_FROM

    root = tmp_path / "gen"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_corpus.py"), str(PARALLEL_FROM + 20), str(root)], check=True,
                   capture_output=True)
    monkeypatch.chdir(root)
    monkeypatch.setattr("qtool.workers.worker_count", lambda jobs=None: 2)
    monkeypatch.setattr(gate, "_LOAD", gate._load, raising=False)
    monkeypatch.setattr(gate, "_load", _load_in)
    files = question_files([], root)
    selection = gate.select(files, load_config(root), checked_through_cache)
    assert gc.isenabled()
    loaded = list(selection.questions)
    assert len(loaded) == len(files) == PARALLEL_FROM + 20
    assert {q.data.pop("loaded by") for q in loaded} - {os.getpid()}, "no worker loaded a file"
    alone = sorted((load_file(path) for path in files), key=lambda q: q.data["id"])  # type: ignore[union-attr]
    assert [(q.path, q.data) for q in loaded] == [(q.path, q.data) for q in alone]  # type: ignore[union-attr]
