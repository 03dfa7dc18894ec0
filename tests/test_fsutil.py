"""Writes never replace what they were not asked to: devices and FIFOs are streamed to, symlinks written
through, questions never become export targets, an author's concurrent save wins, and stale temps go."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from qtool.fsutil import ChangedOnDisk, atomic_write, remove_stale_temps


def test_a_fifo_is_streamed_to_not_replaced(bank: Path, run) -> None:
    fifo = bank / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run("export", "--to", "json", "--out", str(fifo))
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert fifo.is_fifo() and json.loads(received[0])["count"] == len(list((bank / "questions").rglob("*.yaml")))


def test_a_symlink_is_written_through(bank: Path, run) -> None:
    target = bank / "real.json"
    target.write_text("old")
    (bank / "link.json").symlink_to(target)
    assert run("export", "--to", "json", "--out", "link.json").exit_code == 0
    assert (bank / "link.json").is_symlink() and json.loads(target.read_text())["count"] == len(list((bank / "questions").rglob("*.yaml")))


@pytest.mark.parametrize("out", ["questions/software-engineer/design-trade-off.yaml", "questions", "questions/new.json"])
def test_nothing_under_questions_is_an_export_target(bank: Path, run, out: str) -> None:
    before = {p: p.read_bytes() for p in (bank / "questions").rglob("*") if p.is_file()}
    result = run("export", "--to", "json", "--out", out)
    assert result.exit_code == 2 and "exports never write into the bank" in result.stderr
    assert {p: p.read_bytes() for p in (bank / "questions").rglob("*") if p.is_file()} == before


def test_a_folder_target_names_the_path_given(bank: Path, run) -> None:
    (bank / "folder").mkdir()
    result = run("export", "--to", "json", "--out", "folder")
    assert result.exit_code == 1 and result.stderr == "Error: folder: is a folder, not a file\n"
    assert not [p for p in bank.iterdir() if p.name.endswith(".qtool-tmp")]


def test_fmt_writes_through_a_symlinked_question(bank: Path, run) -> None:
    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    real = bank / "elsewhere.yaml"
    real.write_text(question.read_text().replace("id: ", "id:   ", 1))  # not canonical
    question.unlink()
    question.symlink_to(real)
    assert run("fmt", str(question)).exit_code == 0
    assert question.is_symlink() and real.read_text().count("id: software-engineer/") == 1


def test_an_authors_save_during_fmt_wins(bank: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    import qtool.commands.fmt

    question = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    question.write_text(question.read_text().replace("id: ", "id:   ", 1))
    real = qtool.commands.fmt.format_text

    def and_the_author_saves(text: str, name: str) -> str:
        out = real(text, name)
        question.write_text("# the author's edit\n" + text)  # saved while fmt was working
        return out

    monkeypatch.setattr(qtool.commands.fmt, "format_text", and_the_author_saves)
    result = run("fmt", str(question))
    assert result.exit_code == 1 and "changed on disk while qtool worked on it" in result.stdout + result.stderr
    assert question.read_text().startswith("# the author's edit\n")


def test_atomic_write_expect_guards_the_rename(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("mine")
    with pytest.raises(ChangedOnDisk):
        atomic_write(path, "new", expect=b"what I read")
    assert path.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_stale_temps_of_dead_runs_are_removed(bank: Path, run) -> None:
    folder = bank / "questions" / "software-engineer"
    dead = folder / ".design-trade-off.yaml.999999999.0.qtool-tmp"
    alive = folder / f".design-trade-off.yaml.{os.getppid()}.0.qtool-tmp"
    dead.write_text("half a question")
    alive.write_text("another run is writing this")
    assert run("fmt").exit_code == 0
    assert not dead.exists() and alive.exists()
    assert remove_stale_temps(bank / "questions") == 0
