"""The simple reader: wherever it answers, its data and positions are libyaml's; elsewhere it answers None."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SEED
from qtool import simple_yaml
from qtool.loader import LoadError, load_text, load_text_with_libyaml
from qtool.model import Question

ROOT = Path(__file__).resolve().parents[1]


def _same_as_libyaml(text: str) -> bool:
    """Whether the simple reader answered, asserting that its answer is libyaml's, types included."""
    try:
        simple = simple_yaml._parse(text.split("\n")) if text.endswith("\n") and not simple_yaml._awkward(text) else None
    except simple_yaml._Unsimple:
        simple = None
    assert simple == simple_yaml.read(text)  # read() adds nothing but the fallback: no other exception escapes
    if simple is None:
        return False
    reference = load_text_with_libyaml(text, "x.yaml")
    assert isinstance(reference, Question), f"the simple reader accepted what libyaml refuses: {reference}"
    data, values, keys = simple
    assert repr(data) == repr(reference.data)
    assert values == reference.values
    assert keys == reference.keys
    return True


def _yaml_files() -> list[Path]:
    files = [*FIXTURES.rglob("*.yaml"), *(ROOT / "questions").rglob("*.yaml")]
    return sorted(path for path in files if path.is_file())


def test_every_yaml_file_here_reads_the_same_or_goes_to_libyaml() -> None:
    read = 0
    for path in _yaml_files():
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        read += _same_as_libyaml(text)
    assert read >= 20  # the bank and most fixtures are in the subset


def test_the_seed_and_the_bank_are_read_by_the_simple_reader() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert _same_as_libyaml(text)
    loaded = load_text(text, "seed.yaml")
    assert isinstance(loaded, Question) and loaded.text == text
    for path in sorted((ROOT / "questions").rglob("*.yaml")):
        assert _same_as_libyaml(path.read_text(encoding="utf-8")), path


# Each of these is valid YAML outside the subset, or invalid YAML: libyaml must read it, to
# give its meaning or its error.
LEFT_TO_LIBYAML = {
    "folded": "a: >\n  b\n  c\n",
    "keep": "a: |+\n  b\n\n",
    "indentation indicator": "a: |2\n   b\n",
    "flow mapping": "a: {b: c}\n",
    "flow list": "a: [b, c]\n",
    "anchor": "a: &x b\nc: *x\n",
    "tag": "a: !!str 1\n",
    "multi-line plain": "a: b\n  c\n",
    "multi-line quoted": 'a: "b\n  c"\n',
    "escape": 'a: "b\\tc"\n',
    "two single quotes": "a: 'it''s'\n",
    "colon space in plain": "a: b: c\n",
    "colon at the end": "a: b:\n",
    "tab indentation": "a:\n\tb: c\n",
    "tab in plain": "a: b\tc\n",
    "duplicate key": "a: 1\na: 2\n",
    "empty value": "a:\nb: 1\n",
    "empty value at the end": "a: 1\nb:\n",
    "spaces alone": "a: 1\n  \nb: 2\n",
    "spaces alone in a block": "a: |\n  b\n   \n  c\n",
    "CRLF": "a: 1\r\nb: 2\r\n",
    "NEL": "a: b\x85c\n",
    "line separator": "a: b\u2028c\n",
    "BOM inside": "a: b\ufeffc\n",
    "control character": "a: b\x07c\n",
    "no final newline": "a: 1",
    "document start": "---\na: 1\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "root list": "- a\n- b\n",
    "root scalar": "just text\n",
    "nested list": "a:\n  - - b\n",
    "mapping in a list": "a:\n  - b: c\n",
    "block in a list": "a:\n  - |\n    b\n",
    "indented root": "  a: 1\n",
    "quoted key": '"a": 1\n',
    "text after a quote": 'a: "b" c\n',
    "empty block": "a: |\nb: 1\n",
    "block starting blank": "a: |\n\n  b\n",
    "block starting with a tab": "a: |\n  \tb\n",
    "two spaces after the dash": "a:\n  -  b\n",
    "dash alone": "a:\n  -\n",
    "deeper line after a scalar": "a: 1\n   b: 2\n",
    "alias key": "*a : 1\n",
    "comments only": "# nothing\n",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(LEFT_TO_LIBYAML))
def test_what_the_subset_leaves_out_goes_to_libyaml(name: str) -> None:
    text = LEFT_TO_LIBYAML[name]
    assert simple_yaml.read(text) is None
    assert load_text(text, "x.yaml") == load_text_with_libyaml(text, "x.yaml")


READ_SIMPLY = {
    "plain kinds": "a: null\nb: true\nc: 0x1F\nd: 0o17\ne: 1e3\nf: .inf\ng: yes\nh: 2026-01-01\ni: ~\nj: -.5\n",
    "quoted": "a: \"1\"\nb: 'true'\nc: \"\"\nd: ' x '\n",
    "comments": "# top\na: b  # after\nc: |  # after a header\n  text\n  # a heading, not a comment\nd:\n# between\n  - x # gone\n",
    "compact list": "a:\n- x\n- y\nb: 1\n",
    "blank lines in a block": "a: |-\n  x\n\n\n  y\n\n\nb: 1\n",
    "deeper lines in a block": "a: |\n    x\n      code\n    y\nb: 2\n",
    "tabs inside a block": "a: |\n  x\n  \tcode\n",
    "hash without space": "a: C# and F#\nb: x#y\n",
    "unicode": "a: é ж 😀\u00a0x\nb: |\n  \u00a0indented by a no-break space\n",
    "empty collections": "a: []\nb: {}\n",
    "deep": "a:\n  b:\n    c:\n      - 1\n    d: |\n      x\n  e: 2\nf: 3\n",
}


@pytest.mark.parametrize("name", sorted(READ_SIMPLY))
def test_the_subset_reads_as_libyaml_does(name: str) -> None:
    assert _same_as_libyaml(READ_SIMPLY[name])


# -- generated documents ---------------------------------------------------------------------

_CHARS = list("ab :#-'\"|>&*!%@`?,[]{}\t\\01.eE+~xo") + ["é", "ж", "\u00a0", "😀", "\u2028", "\x85", "\r", "\ufeff"]
_WORDS = ["null", "true", "False", "~", "0x1F", "0o17", "1e3", ".inf", "-.5", "12", "yes", "on", "2026-01-01",
          "", " lead", "trail ", "a: b", "a #b", "C#", "- x", "'q'", '"d"', "|", ">", "...", "---"]
_PROSE = st.lists(st.sampled_from([*"abcdefgh  .,;()é😀-'\"", "C#", "x: y", " #"]), min_size=1, max_size=12).map("".join)
_SCALAR = st.one_of(st.sampled_from(_WORDS), _PROSE, _PROSE, st.text(alphabet=st.sampled_from(_CHARS), max_size=12))
_KEYS = st.sampled_from(["id", "role", "question", "answers", "text", "critique", "prep_tips", "a", "b_c", "x-y", "_k",
                         "id", "role", "question", "answers", "text", "critique", "prep_tips", "a", "b_c", "x-y", "_k",
                         "a b", "-k", "k:", "1", "é"])


@st.composite
def _scalar_text(draw: st.DrawFn, indent: int) -> str:
    """A scalar written after ``key:`` (with its leading space) in a random style, lines included."""
    value = draw(_SCALAR)
    style = draw(st.sampled_from(["plain", "double", "single", "literal", "strip", "comment"]))
    if style == "double":
        return f' "{value}"'
    if style == "single":
        return f" '{value}'"
    if style == "comment":
        return f" {value} # note"
    if style in ("literal", "strip"):
        pad = " " * (indent + draw(st.integers(1, 3)))
        lines = draw(st.lists(_SCALAR, min_size=1, max_size=4))
        body = "\n".join(pad + line if line and draw(st.booleans()) else line for line in lines)
        return (" |" if style == "literal" else " |-") + "\n" + body
    return f" {value}"


@st.composite
def _document(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> str:
    lines = []
    for key in draw(st.lists(_KEYS, min_size=1, max_size=4)):
        pad = " " * indent
        kind = draw(st.sampled_from(["scalar", "scalar", "list", "mapping" if depth < 2 else "scalar", "blank", "comment"]))
        if kind == "blank":
            lines.append("")
        if kind == "comment":
            lines.append(" " * draw(st.integers(0, 3)) + "# c")
        if kind in ("scalar", "blank", "comment"):
            lines.append(f"{pad}{key}:{draw(_scalar_text(indent))}")
        elif kind == "list":
            step = draw(st.sampled_from([0, 2, 2, 4]))
            lines.append(f"{pad}{key}:")
            for _ in range(draw(st.integers(1, 3))):
                item = draw(_scalar_text(indent + step)).lstrip(" ")
                lines.append(f"{pad}{' ' * step}- {item}")
        else:
            lines.append(f"{pad}{key}:")
            lines.append(draw(_document(indent + draw(st.integers(1, 3)), depth + 1)).rstrip("\n"))
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document())
def test_a_generated_document_reads_as_libyaml_reads_it(text: str) -> None:
    _same_as_libyaml(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_file_of_the_bank_edited_anywhere_reads_as_libyaml_reads_it(data: st.DataObject) -> None:
    text = SEED.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "indent", "dedent"]))
        if edit == "insert":
            text = text[:at] + data.draw(st.sampled_from([*_CHARS, "\n", "  ", ": ", " #", "- "])) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 3)):]
        else:
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + "  " + text[start:] if edit == "indent" else text[:start] + text[start:].removeprefix(" ")
    _same_as_libyaml(text)


def test_what_libyaml_refuses_is_never_read_simply() -> None:
    for path in sorted((FIXTURES / "load").glob("*.yaml")):
        text = path.read_bytes().decode("utf-8", "replace")
        if isinstance(load_text_with_libyaml(text, path.name), LoadError):
            assert simple_yaml.read(text) is None, path.name
