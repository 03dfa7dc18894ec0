"""The loader: positions for every value, and every kind of bad input as a LoadError value."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SEED
from qtool.loader import DEFAULT_MAX_BYTES, LoadError, load_bytes, load_file, load_text
from qtool.model import Question

LOAD = FIXTURES / "load"


def _line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_seed_loads_with_a_position_for_every_path() -> None:
    q = load_file(SEED)
    assert isinstance(q, Question)
    text = SEED.read_text(encoding="utf-8")
    assert q.id == "marketing-specialist/social-media-crisis"
    assert q.values["id"] == (_line_of(text, "id: "), 5)
    critique = _line_of(text[text.index("  solid:"):], "    critique:") + text[: text.index("  solid:")].count("\n")
    assert q.keys["answers.solid.critique"] == (critique, 5)
    assert q.values["answers.solid.critique"] == (critique, 15)
    assert q.values["prep_tips[2]"] == (_line_of(text, f"  - {q.prep_tips[2]}"), 5)
    assert q.values["competencies[0]"] == (_line_of(text, f"  - {q.competencies[0]}"), 5)
    assert len(q.prep_tips) == 5 and len(q.competencies) == 3
    assert q.answer("exceptional").critique.startswith("The exceptional answer provides")


@pytest.mark.parametrize(
    ("name", "line", "column", "words"),
    [
        ("invalid-utf8.yaml", 2, 10, "not valid UTF-8"),
        ("utf16.yaml", 1, 1, "UTF-16"),
        ("empty.yaml", 1, 1, "empty"),
        ("comments-only.yaml", 1, 1, "empty"),
        ("two-documents.yaml", 20, 1, "more than one YAML document"),
        ("root-list.yaml", 1, 1, "root must be a mapping"),
        ("root-scalar.yaml", 1, 1, "root must be a mapping"),
        ("duplicate-key.yaml", 6, 1, "duplicate key 'role' (first defined at line 3)"),
        ("tab-indent.yaml", 9, 1, "tab character"),
        ("anchors.yaml", 9, 11, "anchors and aliases"),
        ("billion-laughs.yaml", 1, 4, "anchors and aliases"),
        ("python-tag.yaml", 3, 7, "tag '!!python/object:os.system' is not allowed"),
        ("syntax-error.yaml", 4, 15, "invalid YAML"),
    ],
)
def test_load_errors_are_values_with_positions(name: str, line: int, column: int, words: str) -> None:
    result = load_file(LOAD / name)
    assert isinstance(result, LoadError), result
    assert (result.line, result.column) == (line, column)
    assert words in result.message
    problem = result.problem()
    assert problem.code == "parse" and problem.severity.value == "error"


def test_bom_is_accepted() -> None:
    q = load_file(LOAD / "bom.yaml")
    assert isinstance(q, Question)
    assert q.id == "tester/minimal" and q.values["id"] == (2, 5)


def test_yaml11_words_and_dates_stay_strings() -> None:
    q = load_file(LOAD / "yaml11-surprises.yaml")
    assert isinstance(q, Question)
    assert q.data["role"] == "yes"
    assert q.data["competencies"] == ["no", "on", "2026-11-25", "12:30"]


def test_core_schema_scalars() -> None:
    q = load_text("a: true\nb: null\nc: 0x1f\nd: 1.5e3\ne: ~\nf: '1'\ng: !!str 12\nh: .inf\n")
    assert isinstance(q, Question)
    assert q.data == {"a": True, "b": None, "c": 31, "d": 1500.0, "e": None, "f": "1", "g": "12", "h": float("inf")}


def test_billion_laughs_fails_fast_and_small() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = load_file(LOAD / "billion-laughs.yaml")
    assert isinstance(result, LoadError)
    assert (result.line, result.column) == (1, 4)  # refused at the first anchor, before any alias is expanded
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 10_000  # KiB


def test_size_limit_default_and_configurable(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("id: x\nrole: " + "a" * DEFAULT_MAX_BYTES + "\n")
    result = load_file(big)
    assert isinstance(result, LoadError) and "1 MiB limit" in result.message
    small = tmp_path / "small.yaml"
    small.write_text("id: x\nrole: " + "a" * 3000 + "\n")
    assert isinstance(load_file(small), Question)
    limited = load_file(small, max_bytes=2048)
    assert isinstance(limited, LoadError) and "2 KiB limit" in limited.message


def test_missing_path_and_directory(tmp_path: Path) -> None:
    missing = load_file(tmp_path / "nope.yaml")
    assert isinstance(missing, LoadError) and missing.message == "no such file"
    folder = load_file(tmp_path)
    assert isinstance(folder, LoadError) and "directory" in folder.message


def test_unreadable_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: x\n")
    secret.chmod(0)
    if os.geteuid() == 0:  # root reads anything: drop to an unprivileged effective uid for the read
        os.seteuid(65534)
        try:
            result = load_file(secret)
        finally:
            os.seteuid(0)
    else:
        result = load_file(secret)
    assert isinstance(result, LoadError) and "permission denied" in result.message


def test_deep_nesting_is_refused() -> None:
    result = load_text("a: " + "[" * 200 + "]" * 200 + "\n")
    assert isinstance(result, LoadError) and "nested" in result.message


def test_tabs_inside_block_scalars_are_text() -> None:
    q = load_text("a: |\n  line\n  \tindented with a tab\n")
    assert isinstance(q, Question) and q.data["a"] == "line\n\tindented with a tab\n"
    at_end = load_text("a: |-\n  line\n  \ttab on the last line, no final newline")
    assert isinstance(at_end, Question) and at_end.data["a"] == "line\n\ttab on the last line, no final newline"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = load_bytes(data, "fuzz.yaml")
    assert isinstance(result, (Question, LoadError))
    if isinstance(result, LoadError):
        assert result.line >= 1 and result.column >= 1 and result.message


_yaml_chars = st.sampled_from(list("ab:-?[]{}&*!|>'\"#%@`,\n\t ") + ["\u00e9", "\u2028", "\ufeff", "\x00", "---", "...", "  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(_yaml_chars, max_size=60).map("".join))
def test_arbitrary_yaml_never_raises(text: str) -> None:
    result = load_text(text, "fuzz.yaml")
    assert isinstance(result, (Question, LoadError))


@pytest.mark.parametrize(("text", "data"), [
    ('a: "x\n\ty"\n', {"a": "x y"}),                 # a quoted scalar's continuation line
    ("a: {b: 1,\n\tc: 2}\n", {"a": {"b": 1, "c": 2}}),  # separation inside a flow mapping
    ("a: [1,\n\t2]\n", {"a": [1, 2]}),                # and inside a flow sequence
    ("a: |\n  x\n  \ty\n", {"a": "x\n\ty\n"}),        # text inside a block scalar
])
def test_tabs_that_are_not_indentation_are_valid_yaml(text: str, data: dict) -> None:
    loaded = load_text(text, "f.yaml")
    assert not isinstance(loaded, LoadError), loaded
    assert loaded.data == data


@pytest.mark.parametrize(("text", "where"), [("a:\n\tb: 1\n", (2, 1)), ("a:\n  b: x\n\t  y\n", (3, 1)), ("a:\n  - x\n \t- y\n", (3, 2))])
def test_tab_indentation_is_refused_at_the_tab(text: str, where: tuple[int, int]) -> None:
    loaded = load_text(text, "f.yaml")
    assert isinstance(loaded, LoadError)
    assert (loaded.line, loaded.column, loaded.message) == (*where, "tab character used for indentation: indent with spaces")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_are_text_and_positions_stay_true(separator: str) -> None:
    """YAML 1.2 (and every editor) does not break lines at U+2028, U+2029 or U+0085; libyaml would."""
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("role: Marketing", f"role: Mar{separator}keting", 1)
    answer_line = next(line for line in text.splitlines() if line.startswith("      ") and len(line) > 20)
    text = text.replace(answer_line, answer_line + f" one{separator}two", 1)
    loaded = load_text(text, "q.yaml")
    assert isinstance(loaded, Question), loaded
    assert loaded.data["role"].startswith(f"Mar{separator}keting")
    assert f"one{separator}two" in loaded.data["answers"]["sample"]["text"] + loaded.data["answers"]["solid"]["text"] + \
        loaded.data["answers"]["exceptional"]["text"] + loaded.data["answers"]["solid"].get("critique", "")
    assert loaded.text == text
    lines = text.split("\n")
    assert loaded.pos("category") == (next(n for n, line in enumerate(lines, 1) if line.startswith("category:")), 11)


@pytest.mark.parametrize(("data", "hint"), [
    ("id: café\n".encode("utf-16"), "it looks like UTF-16"),
    ("id: café\n".encode("utf-16-le"), "it looks like UTF-16 without a BOM"),
    ("id: café\n".encode("utf-16-be"), "it looks like UTF-16 without a BOM"),
    ("id: café\n".encode("cp1252"), "it looks like Windows-1252 or Latin-1"),
])
def test_encodings_other_than_utf8_get_a_hint(data: bytes, hint: str) -> None:
    loaded = load_bytes(data, "q.yaml")
    assert isinstance(loaded, LoadError) and hint in loaded.message and "save it as UTF-8" in loaded.message


@pytest.mark.parametrize(("text", "where", "words"), [
    ("a:\n  b: 1\n c: 2\n", (3, 2), "bad indentation"),
    ("role: x\nquestion: y\n  extra: z\n", (3, 8), "put the text in quotes"),
])
def test_yaml_mistakes_are_said_as_what_to_fix(text: str, where: tuple[int, int], words: str) -> None:
    loaded = load_text(text, "q.yaml")
    assert isinstance(loaded, LoadError) and (loaded.line, loaded.column) == where and words in loaded.message


def test_an_invisible_character_that_breaks_the_yaml_is_named() -> None:
    loaded = load_text("id: x\nrole: y\n\ufeffquestion: z\n", "q.yaml")
    assert isinstance(loaded, LoadError) and loaded.line == 3
    assert "line 3 holds an invisible U+FEFF ZERO WIDTH NO-BREAK SPACE at column 1: delete it" in loaded.message
