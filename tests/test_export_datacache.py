"""qtool.export.datacache: an export of an unchanged bank unpacks its parsed data instead of parsing the YAML again."""

from __future__ import annotations

import marshal
import zlib
from pathlib import Path
from typing import Any

import pytest

from helpers_site import make_bank
from qtool.loader import load_file


def _select(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[str]]:
    """The data an export gets for every file of the bank, and the files it parsed to get it."""
    from qtool.commands._common import checked_through_cache
    from qtool.config import load_config
    from qtool.export import gate
    from qtool.files import question_files

    parsed: list[str] = []
    real = gate._load

    def counting(path: str, max_bytes: int) -> Any:
        parsed.append(path)
        return real(path, max_bytes)

    monkeypatch.chdir(root)
    monkeypatch.setattr(gate, "_load", counting)
    selection = gate.select(question_files([], root), load_config(root), checked_through_cache)
    monkeypatch.setattr(gate, "_load", real)
    return {q.path: q.data for q in selection.questions}, parsed


def _parsed(root: Path, paths: Any) -> dict[str, Any]:
    return {path: load_file(root / path).data for path in paths}  # type: ignore[union-attr]


def test_an_unchanged_bank_is_not_parsed_again_and_an_edited_file_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_bank(tmp_path / "bank")
    first, parsed = _select(root, monkeypatch)
    assert len(first) > 10 and sorted(parsed) == sorted(first)
    assert (root / ".qtool-cache" / "export.bin").is_file()

    again, parsed = _select(root, monkeypatch)
    assert parsed == []
    assert again == first == _parsed(root, first)

    edited = sorted(first)[3]
    text = (root / edited).read_text(encoding="utf-8")
    (root / edited).write_text(text.replace("\nprep_tips:\n", "\nprep_tips:\n  - Read the brief twice before you answer.\n", 1),
                               encoding="utf-8")
    third, parsed = _select(root, monkeypatch)
    assert parsed == [edited]
    assert "Read the brief twice before you answer." in third[edited]["prep_tips"]
    assert third == _parsed(root, first)


def test_a_damaged_or_forged_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_bank(tmp_path / "bank")
    first, _ = _select(root, monkeypatch)
    cache = root / ".qtool-cache" / "export.bin"
    raw = cache.read_bytes()
    head, body = raw[:32], raw[32:]
    document = marshal.loads(zlib.decompress(body))
    victim = sorted(document["files"])[0]
    signature, data = document["files"][victim]
    document["files"][victim] = (signature, {**data, "question": "Forged?"})
    cache.write_bytes(head + zlib.compress(marshal.dumps(document)))  # valid zlib and marshal, the old checksum
    forged, parsed = _select(root, monkeypatch)
    assert sorted(parsed) == sorted(first) and forged == first

    cache.write_bytes(raw[:-7])  # cut short
    cut, parsed = _select(root, monkeypatch)
    assert sorted(parsed) == sorted(first) and cut == first
    fixed = cache.read_bytes()
    assert zlib.crc32(fixed[32:]).to_bytes(4, "little") == fixed[:4]  # rewritten whole, with its checksum


def test_an_export_of_a_few_files_keeps_the_others_and_a_deleted_file_is_dropped(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from qtool.commands._common import checked_through_cache
    from qtool.config import load_config
    from qtool.export import gate
    from qtool.export.datacache import NAME

    root = make_bank(tmp_path / "bank")
    first, _ = _select(root, monkeypatch)
    some = sorted(first)[:2]
    gate.select(some, load_config(root), checked_through_cache)  # qtool export PATH PATH
    again, parsed = _select(root, monkeypatch)
    assert parsed == [] and again == first

    gone = sorted(first)[-1]
    (root / gone).unlink()
    gate.select(some, load_config(root), checked_through_cache)
    document = marshal.loads(zlib.decompress((root / ".qtool-cache" / NAME).read_bytes()[32:]))
    assert sorted(document["files"]) == sorted(set(first) - {gone})
