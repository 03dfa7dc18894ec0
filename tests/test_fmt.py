"""qtool.fmt and ``qtool fmt``: canonical form, never a change of meaning, idempotent, safe writes."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BANK, FIXTURES
from qtool.fmt import MODELINE, FormatError, dump_question, format_text, same_data
from qtool.loader import LoadError, load_text
from qtool.model import KEY_ORDER

FMT = FIXTURES / "fmt"
CASES = sorted(path.name for path in (FMT / "messy").glob("*.yaml"))
BANK_FILES = sorted(BANK.rglob("*.yaml"))


def data_of(text: str) -> dict:
    loaded = load_text(text)
    assert not isinstance(loaded, LoadError), loaded
    return loaded.data


# -- the bank and the fixtures ------------------------------------------------------------


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: str(p.relative_to(BANK)))
def test_bank_files_are_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text
    assert dump_question(data_of(text)) == text  # no comments: the layout is a function of the data


@pytest.mark.parametrize("name", CASES)
def test_messy_files_become_canonical(name: str) -> None:
    messy = (FMT / "messy" / name).read_text(encoding="utf-8")
    expected = (FMT / "canonical" / name).read_text(encoding="utf-8")
    out = format_text(messy, name)
    assert out == expected
    assert same_data(data_of(out), data_of(messy))
    assert format_text(out, name) == out


@pytest.mark.parametrize("name", CASES)
def test_comments_are_kept(name: str) -> None:
    def comments(text: str) -> list[str]:
        # Good enough for these fixtures: a '#' after a space, outside double quotes, starts a comment.
        found = []
        for line in text.splitlines():
            match = re.search(r"(?:^|\s)(#[^\"]*)$", line)
            if match and "yaml-language-server" not in line:
                found.append(match.group(1).strip())
        return sorted(found)

    messy = (FMT / "messy" / name).read_text(encoding="utf-8")
    assert comments(format_text(messy)) == comments(messy)


def test_modeline_added_or_fixed_and_first() -> None:
    body = (FMT / "canonical" / "flow.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    for text in (body, "# yaml-language-server: $schema=elsewhere.json\n" + body, "# a note\n# yaml-language-server: $schema=x\n" + body):
        out = format_text(text)
        assert out.startswith(MODELINE + "\n")
        assert out.count("yaml-language-server") == 1


def test_crlf_and_bom_are_normalised() -> None:
    canonical = (FMT / "canonical" / "reordered.yaml").read_text(encoding="utf-8")
    assert format_text("\ufeff" + canonical.replace("\n", "\r\n")) == canonical


def test_file_that_does_not_load_raises_its_load_error() -> None:
    with pytest.raises(FormatError) as info:
        format_text("id: [unclosed\n", "questions/x/y.yaml")
    problem = info.value.problem
    assert (problem.path, problem.line, problem.code) == ("questions/x/y.yaml", 2, "parse")


# -- dump_question ----------------------------------------------------------------------------


def test_dump_question_orders_keys_and_styles_values() -> None:
    data = {
        "extra": "kept last",
        "provenance": {"prompt_version": "2", "drafted_at": "2026-11-25T10:00:00Z", "drafted_by": "m"},
        "answers": {
            "exceptional": {"critique": "c3\n", "text": "t3\n"},
            "sample": {"text": "t1"},
            "solid": {"critique": "c2\n", "text": "t2\n"},
        },
        "status": "draft",
        "question": "Why?",
        "id": "a/b",
        "guid": "Xy1",
        "prep_tips": ["yes", "Plain tip"],
        "competencies": ["x"],
        "role": "R",
        "category": "general",
    }
    out = dump_question(data)
    top = [line.split(":")[0] for line in out.splitlines() if re.match(r"[a-z_]+:", line)]
    assert top == [k for k in KEY_ORDER if k in data] + ["extra"]
    assert out.startswith(MODELINE + "\nid: a/b\nguid: \"Xy1\"\n")
    assert "  sample:\n    text: |-\n      t1\n  solid:\n    text: |\n      t2\n    critique: |\n      c2\n" in out
    assert '\nprep_tips:\n  - "yes"\n  - Plain tip\n' in out
    assert '  drafted_by: m\n  drafted_at: "2026-11-25T10:00:00Z"\n  prompt_version: "2"\n' in out
    assert out.endswith("extra: kept last\n")
    assert same_data(data_of(out), data)


@pytest.mark.parametrize(
    "value, written",
    [
        ("line one\nline two\n", "key: |\n  line one\n  line two\n"),
        ("no final break\nx", "key: |-\n  no final break\n  x\n"),
        ("  indented first\nline\n", "key: |2\n    indented first\n  line\n"),
        ("blank lines kept\n\n", 'key: "blank lines kept\\n\\n"\n'),
        ("trailing space \nline\n", 'key: "trailing space \\nline\\n"\n'),
        ("\tleading tab\n", 'key: "\\tleading tab\\n"\n'),
        ("inner\ttab\n", "key: |\n  inner\ttab\n"),
        ("cr\r\nlf\n", 'key: "cr\\r\\nlf\\n"\n'),
        ("nul \x00 and bell \x07", 'key: "nul \\0 and bell \\a"\n'),
        ("", 'key: ""\n'),
        ("yes", 'key: "yes"\n'),
        ("No", 'key: "No"\n'),
        ("12", 'key: "12"\n'),
        ("1_000", 'key: "1_000"\n'),
        ("2026-11-25", 'key: "2026-11-25"\n'),
        ("null", 'key: "null"\n'),
        ("k3#Lq8", 'key: "k3#Lq8"\n'),
        ("a: b", 'key: "a: b"\n'),
        ("- x", 'key: "- x"\n'),
        ("it's", "key: it's\n"),
        ("Übung macht den Meister 中文", "key: Übung macht den Meister 中文\n"),
        (12, "key: 12\n"),
        (1.5, "key: 1.5\n"),
        (True, "key: true\n"),
        (None, "key: null\n"),
        ([], "key: []\n"),
        ({}, "key: {}\n"),
    ],
)
def test_scalar_styles(value: object, written: str) -> None:
    out = dump_question({"key": value})
    assert out == f"{MODELINE}\n{written}"
    assert same_data(data_of(out), {"key": value})


def test_dump_question_refuses_what_yaml_data_cannot_hold() -> None:
    with pytest.raises(TypeError):
        dump_question(["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dump_question({"provenance": {"drafted_at": datetime.datetime(2026, 1, 1)}})
    with pytest.raises(TypeError):
        dump_question({1: "int key"})  # type: ignore[dict-item]


# -- properties ---------------------------------------------------------------------------------

_special = st.sampled_from(
    list(" \n\n\t\r#:-?'\"|>{}[],&*!%@`\\\x85\u2028\u2029\ufeff\x00\x7féü中😀")
    + ["yes", "no", "~", "null", "1", "0o7", "1_000", "2026-11-25", "1:20", "---", "...", "- a", "a: b", " #x", "Off", ".5", "1e3", "<<", "="]
)
_text = st.lists(st.one_of(st.characters(exclude_categories=("Cs",)), _special), max_size=40).map("".join)
_scalar = st.one_of(_text, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none())
_value = st.recursive(_scalar, lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(_text, kids, max_size=3)), max_leaves=8)
_tier = st.fixed_dictionaries({}, optional={"text": _text, "critique": _text, "note": _value})
questions = st.fixed_dictionaries(
    {},
    optional={
        "id": _text, "guid": _text, "role": _text, "question": _text, "category": _text, "status": _text,
        "answers": st.fixed_dictionaries({}, optional={"sample": _tier, "solid": _tier, "exceptional": _tier, "other": _value}),
        "prep_tips": st.lists(_text, max_size=4), "competencies": st.lists(_text, max_size=3), "related": st.lists(_text, max_size=2),
        "provenance": st.fixed_dictionaries({}, optional={"drafted_by": _text, "drafted_at": _text, "prompt_version": _text}),
        "unknown": _value,
    },
).flatmap(lambda d: st.permutations(list(d.items())).map(dict))

_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def as_json_yaml(data: dict, indent: int) -> str:
    """The data as JSON, which is YAML 1.2 (astral characters spelt \\U0001F600, as YAML wants)."""
    text = json.dumps(data, indent=indent or None)
    return _PAIR.sub(lambda m: "\\U%08x" % (0x10000 + ((int(m[1], 16) - 0xD800) << 10) + (int(m[2], 16) - 0xDC00)), text)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(questions, st.integers(0, 3))
def test_formatting_never_changes_meaning_and_is_idempotent(data: dict, indent: int) -> None:
    out = dump_question(data)
    assert same_data(data_of(out), data)
    assert format_text(out) == out
    # Any other layout of the same data formats to the same text.
    assert format_text(as_json_yaml(data, indent)) == out


_schema_tier = st.fixed_dictionaries({}, optional={"text": _text, "critique": _text})
schema_shaped = st.fixed_dictionaries(
    {},
    optional={
        "id": _text, "guid": _text, "role": _text, "question": _text, "category": _text, "status": _text,
        "answers": st.fixed_dictionaries({}, optional={"sample": _schema_tier, "solid": _schema_tier, "exceptional": _schema_tier}),
        "prep_tips": st.lists(_text, max_size=4), "competencies": st.lists(_text, max_size=3),
        "provenance": st.fixed_dictionaries({}, optional={"drafted_by": _text, "drafted_at": _text}),
    },
).flatmap(lambda d: st.permutations(list(d.items())).map(dict))


def ruamel_default_layout(data: dict) -> str:
    """The data as ruamel.yaml writes it by default: the author's key order, other quoting and indentation."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 1 << 20
    stream = io.StringIO()
    yaml.dump(data, stream)
    return "# yaml-language-server: $schema=elsewhere.json\n" + stream.getvalue()


def with_comments(text: str, draw) -> str:
    """Add full-line comments above keys and items, end-of-line comments after one-line values,
    and comments after a literal block's ``|``, where they stay comments."""
    out = [text.split("\n")[0]]
    block_indent = None
    for number, line in enumerate(text.split("\n")[1:]):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None and (indent > block_indent or not line.strip()):
            out.append(line)
            continue
        block_indent = None
        if line and draw(st.booleans()):
            out.append(" " * draw(st.sampled_from([0, indent])) + f"# above {number}")
        parts = re.match(r" *(?:- |[a-z_]+: )(.*)$", line)
        value = parts.group(1) if parts else ""
        if re.fullmatch(r"\|[0-9]?-?", value):
            block_indent = indent
            out.append(line + (f"  # after bar {number}" if draw(st.booleans()) else ""))
        elif value and value[0] not in "\"'{[" and draw(st.booleans()):
            out.append(line + f"   # end of line {number}")
        else:
            out.append(line)
    return "\n".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schema_shaped, st.data())
def test_comments_survive_any_layout_and_formatting_is_idempotent(data: dict, draws) -> None:
    from hypothesis import assume

    from qtool.fmt import _comment_texts

    source = with_comments(ruamel_default_layout(data), draws.draw)
    loaded = load_text(source)
    assume(not isinstance(loaded, LoadError) and same_data(loaded.data, data))  # a comment landed inside a text
    out = format_text(source)
    assert same_data(data_of(out), data)
    assert _comment_texts(out) == _comment_texts(source)
    assert format_text(out) == out


# -- the command ----------------------------------------------------------------------------------


def put(bank: Path, name: str, source: Path | bytes) -> Path:
    target = bank / "questions" / "tester" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        target.write_bytes(source)
    else:
        shutil.copyfile(source, target)
    return target


def test_fmt_on_the_bank_changes_nothing(bank: Path, run) -> None:
    before = {p: p.read_bytes() for p in (bank / "questions").rglob("*.yaml")}
    result = run("fmt", "--check")
    assert result.exit_code == 0, result.output
    assert run("fmt").exit_code == 0
    assert {p: p.read_bytes() for p in before} == before


def test_fmt_rewrites_atomically_and_keeps_the_mode(empty_bank: Path, run) -> None:
    target = put(empty_bank, "delivered-project.yaml", FMT / "messy" / "reordered.yaml")
    os.chmod(target, 0o640)
    result = run("fmt")
    assert result.exit_code == 0, result.output
    assert f"reformatted {os.path.join('questions', 'tester', 'delivered-project.yaml')}" in result.stderr
    assert target.read_text(encoding="utf-8") == (FMT / "canonical" / "reordered.yaml").read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left behind
    assert run("fmt", "--check").exit_code == 0


def test_many_files_are_made_durable_by_one_sync_before_any_is_replaced(empty_bank: Path, run, monkeypatch) -> None:
    """A flush of the disk per file made writing cost more than formatting: every new text is written beside
    its file, one sync makes them all durable, and only then is each renamed over its file."""
    import qtool.fsutil

    messy = [put(empty_bank, f"m{i}.yaml", FMT / "messy" / "reordered.yaml") for i in range(70)]
    calls: list[str] = []
    real_replace = qtool.fsutil.os.replace
    monkeypatch.setattr(qtool.fsutil.os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(qtool.fsutil.os, "fsync", lambda fd: calls.append("fsync"))
    monkeypatch.setattr(qtool.fsutil.os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b))
    result = run("fmt")
    assert result.exit_code == 0, result.output
    assert calls == ["sync"] + ["replace"] * len(messy)
    canonical = (FMT / "canonical" / "reordered.yaml").read_bytes()
    assert all(p.read_bytes() == canonical for p in messy)
    assert sorted(p.name for p in messy[0].parent.iterdir()) == sorted(p.name for p in messy)  # no temp file left


def test_a_file_saved_while_fmt_worked_keeps_the_author_s_text(empty_bank: Path, run, monkeypatch) -> None:
    import qtool.commands.fmt

    saved, other = (put(empty_bank, name, FMT / "messy" / "reordered.yaml") for name in ("saved.yaml", "other.yaml"))
    real_commit = qtool.commands.fmt.commit

    def commit(staged):
        saved.write_text(saved.read_text(encoding="utf-8") + "# the author's edit\n", encoding="utf-8")
        return real_commit(staged)

    monkeypatch.setattr(qtool.commands.fmt, "commit", commit)
    result = run("fmt")
    assert result.exit_code == 1
    assert "saved.yaml:1:1: error: " in result.stdout and "changed on disk while qtool worked on it" in result.stdout
    assert saved.read_text(encoding="utf-8").endswith("# the author's edit\n")
    assert other.read_bytes() == (FMT / "canonical" / "reordered.yaml").read_bytes()
    assert sorted(p.name for p in saved.parent.iterdir()) == ["other.yaml", "saved.yaml"]


def test_workers_write_the_new_texts_under_the_name_of_the_run_that_puts_them_in_place(empty_bank: Path, run,
                                                                                      monkeypatch) -> None:
    """The workers are gone when the files are put in place: their temp files are named after this run, so another
    run's clean-up of killed runs' leftovers spares them, and every file is written."""
    import subprocess
    import sys

    import qtool.commands.fmt
    import qtool.workers

    monkeypatch.setattr(qtool.workers, "worker_count", lambda jobs=None: 2)
    messy = [put(empty_bank, f"m{i:03}.yaml", FMT / "messy" / "reordered.yaml") for i in range(qtool.workers.PARALLEL_FROM)]
    real_commit = qtool.commands.fmt.commit
    seen: list[list[str]] = []

    def commit(staged):
        staged = list(staged)
        seen.append([os.path.basename(item.temp) for item in staged])
        other = subprocess.run([sys.executable, "-c", "from qtool.fsutil import remove_stale_temps; "
                                "print(remove_stale_temps('questions'))"], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "0"
        return real_commit(staged)

    monkeypatch.setattr(qtool.commands.fmt, "commit", commit)
    result = run("fmt")
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and len(seen[0]) == len(messy)
    assert all(f".{os.getpid()}." in name for name in seen[0])
    canonical = (FMT / "canonical" / "reordered.yaml").read_bytes()
    assert all(p.read_bytes() == canonical for p in messy)


def test_a_bank_large_enough_for_workers_is_formatted_as_file_by_file(empty_bank: Path, run) -> None:
    """Past the size where formatting runs on all cores: the same files change, in the same order, and a broken
    file is still reported."""
    messy = {put(empty_bank, f"m{i:03}.yaml", FMT / "messy" / "reordered.yaml") for i in range(0, 450, 7)}
    for i in range(450):
        if not (empty_bank / "questions" / "tester" / f"m{i:03}.yaml").exists():
            put(empty_bank, f"m{i:03}.yaml", FMT / "canonical" / "reordered.yaml")
    broken = put(empty_bank, "zz-broken.yaml", FMT / "canonical" / "reordered.yaml")
    broken.write_bytes(b"answers: [unclosed\n")
    result = run("fmt")
    assert result.exit_code == 1
    reformatted = [line.split()[-1] for line in result.stderr.splitlines() if line.startswith("reformatted ")]
    assert reformatted == sorted(os.path.join("questions", "tester", p.name) for p in messy)
    assert "zz-broken.yaml:" in result.stdout + result.stderr
    canonical = (FMT / "canonical" / "reordered.yaml").read_bytes()
    assert all(p.read_bytes() == canonical for p in messy)


def test_check_lists_files_and_changes_nothing(empty_bank: Path, run) -> None:
    messy = put(empty_bank, "a.yaml", FMT / "messy" / "indented.yaml")
    put(empty_bank, "b.yaml", FMT / "canonical" / "indented.yaml")
    before = messy.read_bytes()
    result = run("fmt", "--check")
    assert result.exit_code == 1
    assert "would reformat questions/tester/a.yaml" in result.stderr
    assert "b.yaml" not in result.stderr.replace("1 file already canonical", "")
    assert "1 file would be reformatted, 1 file already canonical" in result.stderr
    assert messy.read_bytes() == before


def test_diff_shows_the_change_and_changes_nothing(empty_bank: Path, run) -> None:
    messy = put(empty_bank, "a.yaml", FMT / "messy" / "indented.yaml")
    before = messy.read_bytes()
    result = run("fmt", "--diff", "questions/tester/a.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("--- questions/tester/a.yaml\n+++ questions/tester/a.yaml\n")
    assert "\n-# yaml-language-server: $schema=../schema/question.schema.json\n+" + MODELINE + "\n" in result.stdout
    assert "\n--   Testing\n--   Communication\n+  - Testing\n+  - Communication\n" in result.stdout
    assert messy.read_bytes() == before


def test_broken_file_is_reported_and_left_untouched(empty_bank: Path, run) -> None:
    broken_bytes = b"id: tester/broken\nanswers: [unclosed\n  \x00"
    broken = put(empty_bank, "broken.yaml", broken_bytes)
    messy = put(empty_bank, "messy.yaml", FMT / "messy" / "flow.yaml")
    result = run("fmt")
    assert result.exit_code == 1
    assert re.search(r"^questions/tester/broken\.yaml:\d+:\d+: error: .* \[parse\]$", result.stdout, re.M), result.stdout
    assert broken.read_bytes() == broken_bytes
    assert messy.read_text(encoding="utf-8") == (FMT / "canonical" / "flow.yaml").read_text(encoding="utf-8")


def test_missing_path_is_an_error(empty_bank: Path, run) -> None:
    result = run("fmt", "questions/nope.yaml")
    assert result.exit_code == 1
    assert "questions/nope.yaml:1:1: error: no such file [parse]" in result.stdout


def test_bom_and_crlf_count_as_changes(empty_bank: Path, run) -> None:
    canonical = (FMT / "canonical" / "reordered.yaml").read_bytes()
    target = put(empty_bank, "crlf.yaml", b"\xef\xbb\xbf" + canonical.replace(b"\n", b"\r\n"))
    assert run("fmt", "--check").exit_code == 1
    assert run("fmt").exit_code == 0
    assert target.read_bytes() == canonical


def test_a_comment_fmt_cannot_place_leaves_the_file_untouched(empty_bank: Path, run) -> None:
    # ruamel.yaml drops a comment inside a flow mapping: fmt refuses rather than lose it.
    text = (FMT / "canonical" / "flow.yaml").read_text(encoding="utf-8")
    text += "provenance: {drafted_by: me,  # the main one\n  drafted_at: today}\n"
    target = put(empty_bank, "flow.yaml", text.encode("utf-8"))
    result = run("fmt")
    assert result.exit_code == 1
    assert "questions/tester/flow.yaml:1:1: error: cannot keep the comment '# the main one' in place" in result.stdout
    assert target.read_text(encoding="utf-8") == text


# -- the safety net -------------------------------------------------------------------------

@pytest.mark.parametrize(("bug", "message"), [
    (lambda text: text.replace("category: behavioral", "category: situational"), "the result would change the data"),
    (lambda text: text.replace("role:", "role: [", 1), "the result would not load"),
])
def test_an_emitter_bug_is_caught_and_the_file_left_as_it_was(empty_bank: Path, run, monkeypatch, bug, message) -> None:
    """fmt loads what it would write and compares: a broken emitter changes no file."""
    import qtool.fmt

    target = empty_bank / "questions" / "fixture" / "reordered.yaml"
    target.parent.mkdir()
    shutil.copy(FIXTURES / "fmt" / "messy" / "reordered.yaml", target)
    before = target.read_bytes()
    real, real_fast = qtool.fmt._emit, qtool.fmt.fast_emit
    monkeypatch.setattr(qtool.fmt, "_emit", lambda tree: bug(real(tree)))  # inject the fault below the net,
    monkeypatch.setattr(qtool.fmt, "fast_emit", lambda data: bug(real_fast(data) or ""))  # in both writers
    result = run("fmt", str(target))
    assert result.exit_code == 1 and message in result.stdout + result.stderr
    assert target.read_bytes() == before


def test_check_says_line_endings_instead_of_a_whole_file_diff(empty_bank: Path, run) -> None:
    canonical = (FMT / "canonical" / "reordered.yaml").read_text(encoding="utf-8")
    target = empty_bank / "questions" / "x" / "crlf.yaml"
    target.parent.mkdir()
    target.write_bytes(canonical.replace("\n", "\r\n").encode())
    result = run("fmt", "--diff", str(target))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"would reformat {target} (line endings: CRLF to LF)" in result.stderr


_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=40) | st.sampled_from(
    ["plain words", "a: colon", "# hash", "yes", "no", "1e3", "k3#Lq8!xZp", "line\n", "two\nlines\n", "no end\nnewline",
     "  indented\n", "\nleading newline\n", "tab\tinside\n", "blank\n\nline\n", "trailing space \n", "ünïcödé\n", "\u2028"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={
    "id": _SCALARS, "guid": _SCALARS, "role": _SCALARS, "question": _SCALARS, "status": _SCALARS,
    "answers": st.fixed_dictionaries({}, optional={tier: st.fixed_dictionaries({}, optional={"text": _SCALARS, "critique": _SCALARS})
                                                   for tier in ("sample", "solid", "exceptional")}),
    "prep_tips": st.lists(_SCALARS, max_size=3), "competencies": st.lists(_SCALARS, max_size=3),
    "provenance": st.dictionaries(st.sampled_from(["drafted_by", "drafted_at", "x"]), _SCALARS, max_size=3),
    "extra": _SCALARS, "y": _SCALARS,
}))
def test_the_fast_writer_writes_what_ruamel_writes(data: dict) -> None:
    """Comment-free files skip ruamel.yaml; where the fast writer answers, it answers ruamel's bytes."""
    import qtool.fmt

    fast = qtool.fmt.fast_emit(data)
    if fast is not None:
        assert fast == qtool.fmt._emit(qtool.fmt._canonical(data, None, ""))


def test_the_fast_writer_takes_the_bank() -> None:
    import qtool.fmt

    for path in BANK.rglob("*.yaml"):
        loaded = load_text(path.read_text(encoding="utf-8"), str(path))
        assert not isinstance(loaded, LoadError)
        assert qtool.fmt.fast_emit(loaded.data) == path.read_text(encoding="utf-8"), path
