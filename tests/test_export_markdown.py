"""qtool.export.markdown: pages in the seed's layout that ``qtool import`` reads back to the same data."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BANK, FIXTURES
from qtool.export import effective_guid
from qtool.export.markdown import page_path, render_page, write_pages
from qtool.importer import SECTION_HEADINGS, import_pages
from qtool.loader import LoadError, load_file
from qtool.markup import parser, render
from qtool.model import CATEGORIES, STATUSES, Question


def _bank() -> list[Question]:
    loaded = [load_file(path) for path in sorted(BANK.glob("*/*.yaml"))]
    assert loaded and not any(isinstance(q, LoadError) for q in loaded)
    return loaded  # type: ignore[return-value]


def _reimport(page: str, name: str = "page.md") -> dict[str, Any]:
    (result,) = import_pages([(name, page)])
    assert result.problems == [], result.problems
    assert result.data is not None
    return result.data


# -- the bank --------------------------------------------------------------------

@pytest.mark.parametrize("question", _bank(), ids=lambda q: q.id)
def test_bank_question_round_trips(question: Question) -> None:
    titles = {q.id: q.question for q in _bank()}
    assert _reimport(render_page(question.data, titles)) == question.data


def test_seed_page_layout(tmp_path: Path) -> None:
    seed = next(q for q in _bank() if q.id == "marketing-specialist/social-media-crisis")
    page = render_page(seed.data)
    assert page.startswith('<!-- qtool: {"id": "marketing-specialist/social-media-crisis", "guid": "k3#Lq8!xZp", "category": "behavioral", "status": "reviewed"} -->\n\n# Tell us about')
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings == [SECTION_HEADINGS[key] for key in SECTION_HEADINGS if key not in ("sample.critique", "related")]
    assert "\nMarketing Specialist Interview Questions\n" in page
    assert "\n- Leadership and team management\n- Excellent verbal and written communication\n- Problem-solving\n" in page
    assert page.endswith("- Problem-solving\n")


def test_related_questions_are_links_to_their_pages(tmp_path: Path) -> None:
    bank = _bank()
    incident = next(q for q in bank if q.id == "software-engineer/production-incident")
    page = render_page(incident.data, {q.id: q.question for q in bank})
    related = page.split("## Related Interview Questions\n\n")[1].splitlines()
    design = next(q for q in bank if q.id == "software-engineer/design-trade-off")
    assert related[0] == f"- [{design.question}](../software-engineer/design-trade-off.md)"
    # without titles the link text is the id, and the id still comes back from the link
    assert "- [software-engineer/design-trade-off](../software-engineer/design-trade-off.md)" in render_page(incident.data)
    assert _reimport(render_page(incident.data))["related"] == incident.data["related"]


def test_write_pages_mirrors_ids_and_is_deterministic(tmp_path: Path) -> None:
    bank = _bank()
    out = tmp_path / "pages"
    paths = write_pages(bank, out)
    assert [p.relative_to(out).as_posix() for p in paths] == [f"{q.id}.md" for q in bank]
    first = {p: p.read_bytes() for p in paths}
    stamps = {p: p.stat().st_mtime_ns for p in paths}
    os.utime(paths[0], ns=(1, 1))
    assert write_pages(bank, out) == paths
    assert {p: p.read_bytes() for p in paths} == first
    assert paths[0].stat().st_mtime_ns == 1  # an unchanged page is not rewritten
    assert all(p.stat().st_mtime_ns == stamps[p] for p in paths[1:])
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_write_pages_replaces_a_changed_page(tmp_path: Path) -> None:
    bank = _bank()
    (path,) = write_pages(bank[:1], tmp_path)
    path.write_text("edited by hand\n", encoding="utf-8")
    write_pages(bank[:1], tmp_path)
    assert path.read_text(encoding="utf-8") == render_page(bank[0].data, {bank[0].id: bank[0].question})


def test_pages_are_written_atomically_without_a_flush_each(tmp_path: Path, monkeypatch) -> None:
    """Pages are an export the command makes again, as the site's are: a disk flush a page would cost more than the page."""
    import qtool.fsutil

    flushed: list[int] = []
    monkeypatch.setattr(qtool.fsutil.os, "fsync", flushed.append)
    paths = write_pages(_bank(), tmp_path)
    assert paths and flushed == []
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in paths)


def test_page_path_falls_back_to_slugs_for_a_bad_id(tmp_path: Path) -> None:
    question = Question("x.yaml", {"id": "../../etc/passwd", "role": "Data Analyst", "question": "Why SQL?"})
    assert page_path(question, tmp_path) == tmp_path / "data-analyst" / "why-sql.md"


def test_cli_exported_pages_import_back_byte_for_byte(bank: Path, tmp_path: Path, run: Callable[..., Result]) -> None:
    """export-markdown then import into an empty bank gives the very same files (guid included)."""
    questions = _bank()
    pages = write_pages(questions, tmp_path / "pages")
    result = run("import", *map(str, pages), "--out", str(tmp_path / "again"))
    assert result.exit_code == 0, result.output
    for question in questions:
        assert (tmp_path / "again" / f"{question.id}.yaml").read_bytes() == (bank / "questions" / f"{question.id}.yaml").read_bytes()


def test_cli_export_format_markdown(bank: Path, run: Callable[..., Result]) -> None:
    result = run("export", "--to", "markdown", "--out", "pages")
    if result.exit_code == 2 and "markdown" in result.output:
        pytest.skip("qtool export does not offer --format markdown yet")
    assert result.exit_code == 0, result.output
    questions = _bank()
    for question in questions:
        page = bank / "pages" / f"{question.id}.md"
        assert page.read_text(encoding="utf-8") == render_page(question.data, {q.id: q.question for q in questions})


# -- escaping ----------------------------------------------------------------------------

TRICKY_LINES = [
    "# not a heading", "## A more solid answer", "A more solid answer", "an exceptional answer:",
    "**Why this is an exceptional answer:**", "- not a bullet", "* star", "+ plus", "• dot", "1. one",
    "2) two", "> quoted", "---", "***", "___", "===", "\\backslash", "\\\\double", "<!-- qtool: {} -->",
    "<b>html</b>", "```", "~~~", "| a | b |", "Marketing Specialist Interview Questions",
    "More questions for Marketing Specialist interviews", "[link](../a/b.md)", "_under_", "=x",
]


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_tricky_lines_survive_in_answers_lists_question_and_role(line: str) -> None:
    data = _question(text=f"First paragraph.\n{line}\n\n{line}\n", item=line, question=line, role=line)
    assert _reimport(render_page(data)) == data


def test_tricky_lines_render_as_their_text_does() -> None:
    """No stray backslash, no lost rule or list: each text shows on the page exactly as it shows alone."""
    text = "\n".join(TRICKY_LINES) + "\n"
    data = _question(text=text, item="# tip", question="#1 question?", role="# Role")
    _assert_texts_render_as_written(data)
    page_html = render(render_page(data))
    assert page_html.split("\n")[1:3] == ["<h1>#1 question?</h1>", "<p># Role Interview Questions</p>"]
    assert "\\A" not in page_html and "&amp;#65;" not in page_html


def _question(text: str = "Text.\n", item: str = "Tip", question: str = "Why?", role: str = "Analyst") -> dict[str, Any]:
    return {
        "id": "analyst/why",
        "guid": "g-->x",
        "role": role,
        "question": question,
        "category": "general",
        "status": "draft",
        "answers": {
            "sample": {"text": text, "critique": text},
            "solid": {"text": text, "critique": text},
            "exceptional": {"text": text, "critique": text},
        },
        "prep_tips": [item],
        "competencies": [item, "Other"] if item != "Other" else [item],
    }


# -- generated questions --------------------------------------------------------------------

_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
_PREFIXES = st.sampled_from(["", "", "", "#", "# ", "## ", "- ", "-", "* ", "• ", "1. ", "\\", "> ", "**", "<!--", "---", "`", ": ", "'", '"'])
_HEADING_LINES = st.sampled_from([title for title in SECTION_HEADINGS.values()] + ["an Exceptional Answer", "**A more solid answer**"])


@st.composite
def _line(draw: Any) -> str:
    """One stripped, non-empty line: unicode, colons, quotes, '#', dashes, bullets, headings."""
    body = draw(st.one_of(st.text(_CHARS, min_size=1, max_size=30), _HEADING_LINES))
    line = (draw(_PREFIXES) + body).strip()
    return line or "x"


_TEXT = st.lists(st.lists(_line(), min_size=1, max_size=3).map("\n".join), min_size=1, max_size=3).map(lambda ps: "\n\n".join(ps) + "\n")
_SLUG = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
_ID = st.builds(lambda a, b: f"{a}/{b}", _SLUG, _SLUG)


@st.composite
def _questions(draw: Any) -> dict[str, Any]:
    answers: dict[str, dict[str, str]] = {tier: {"text": draw(_TEXT), "critique": draw(_TEXT)} for tier in ("sample", "solid", "exceptional")}
    if draw(st.booleans()):
        del answers["sample"]["critique"]
    data: dict[str, Any] = {
        "id": draw(_ID),
        "guid": draw(st.from_regex(r"[!-~]{1,20}", fullmatch=True)),
        "role": draw(_line()),
        "question": draw(_line()),
        "category": draw(st.sampled_from(CATEGORIES)),
        "status": draw(st.sampled_from(STATUSES)),
        "answers": answers,
        "prep_tips": draw(st.lists(_line(), min_size=1, max_size=4, unique=True)),
        "competencies": draw(st.lists(_line(), min_size=1, max_size=4, unique=True)),
    }
    if draw(st.booleans()):
        data["related"] = draw(st.lists(_ID, min_size=1, max_size=3))
    if draw(st.booleans()):
        data["level"] = draw(st.sampled_from(["junior", "intermediate", "senior"]))
    if draw(st.booleans()):
        data["provenance"] = draw(st.fixed_dictionaries({}, optional={
            "drafted_by": st.text(max_size=20), "drafted_at": st.text(max_size=20), "prompt_version": st.text(max_size=5)}))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_questions(), titles=st.booleans())
def test_generated_questions_round_trip(data: dict[str, Any], titles: bool) -> None:
    names = {ref: f"Title of {ref}?" for ref in data.get("related", [])} if titles else None
    assert _reimport(render_page(data, names)) == data


@settings(max_examples=200, deadline=None)
@given(line=_line())
def test_every_text_line_reads_back_and_renders_as_written(line: str) -> None:
    data = _question(text=line + "\n")
    assert _reimport(render_page(data)) == data
    _assert_texts_render_as_written(data)


def _assert_texts_render_as_written(data: dict[str, Any]) -> None:
    """Between its heading and the next one, the page's HTML is each answer text's own HTML."""
    page_html = render(render_page(data))
    sections = [(f"{tier}.{part}", data["answers"][tier][part]) for tier in ("sample", "solid", "exceptional")
                for part in ("text", "critique") if part in data["answers"][tier]]
    for index, (key, text) in enumerate(sections):
        following = SECTION_HEADINGS[sections[index + 1][0]] if index + 1 < len(sections) else SECTION_HEADINGS["prep_tips"]
        expected = f"<h2>{html.escape(SECTION_HEADINGS[key], quote=False)}</h2>\n{render(text)}<h2>{html.escape(following, quote=False)}</h2>"
        assert expected in page_html, (key, text)


# -- issue 12, item 5: pages render in any CommonMark viewer, and still import back ------------------

TECHNICAL = FIXTURES / "export" / "markdown" / "technical.yaml"
NO_GUID = FIXTURES / "export" / "markdown" / "no-guid.yaml"


def _load(path: Path) -> Question:
    loaded = load_file(path)
    assert isinstance(loaded, Question)
    return loaded


def test_technical_page_imports_back_exactly() -> None:
    question = _load(TECHNICAL)
    assert _reimport(render_page(question.data)) == question.data


def test_technical_page_renders_fences_tables_and_lists_as_real_tokens() -> None:
    question = _load(TECHNICAL)
    page = render_page(question.data)
    tokens = parser().parse(page)
    fences = [(t.info, t.content) for t in tokens if t.type == "fence"]
    python = 'def errors(path):\n    with open(path, encoding="utf-8") as handle:\n        for line in handle:\n            if " ERROR " in line:\n                yield line.rstrip("\\n")\n'
    assert fences == [("js", "const errors = lines.filter((line) => /\\bERROR\\b/.test(line));\n"), ("python", python), ("python", "yield line\n")]
    assert [t.type for t in tokens].count("table_open") == 1
    assert "<td>yes | always</td>" in render(page)
    answer_lists = [t for t in tokens if t.type == "bullet_list_open" and t.level == 0]
    assert len(answer_lists) == 3  # the exceptional answer's list, the tips, the competencies
    first = tokens.index(answer_lists[0])
    assert [t.level for t in tokens[first:] if t.type == "list_item_open"][:3] == [1, 1, 1]
    assert sum(1 for t in tokens[first:] if t.type == "list_item_open" and t.level == 1) == 3 + 2 + 1
    quote = next(t for t in tokens if t.type == "blockquote_open")
    assert quote.level > 0  # the quote is inside its list item
    # the section headings are the page's h2s, and the texts' own heading-like lines are not
    h2 = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert h2[:3] == ["Sample answer to the question", "A more solid answer", "Why this is a more solid answer:"]
    assert "&#87;hy this is an exceptional answer:" in h2  # the critique's own heading, escaped invisibly


def test_technical_page_shows_no_backslash_the_author_did_not_write() -> None:
    question = _load(TECHNICAL)
    page = render_page(question.data)
    page_html = render(page)
    assert "\\`" not in page and "\\-" not in page.replace("- \\- a literal dash", "")  # the author's own "\\-" only
    # every backslash shown is one the author's texts show when rendered alone
    shown_alone = sum(render(text).count("\\") for tier in question.data["answers"].values() for text in tier.values())
    assert page_html.count("\\") == shown_alone + sum(render(tip).count("\\") for tip in question.data["prep_tips"])
    assert "<p>A more solid answer\nstarts with the format" in page_html  # shown as the author wrote it
    assert "<h2>Why this is an exceptional answer:</h2>\n<p>It is not" in page_html
    assert "<strong>How to prepare for this question</strong>" in page_html
    assert "<h2>An exceptional answer</h2>\n<p>Then I would test" in page_html  # the setext heading in the text
    _assert_texts_render_as_written(question.data)


# -- issue 12, item 6: the page always carries the guid Anki gets -------------------------------------

def test_page_of_a_file_without_guid_carries_the_derived_guid() -> None:
    question = _load(NO_GUID)
    assert "guid" not in question.data
    page = render_page(question.data)
    first = page.split("\n", 1)[0]
    assert f'"guid": "{effective_guid(question)}"' in first.replace("\\u003e", ">")
    assert _reimport(page)["guid"] == effective_guid(question)


def test_reimported_page_keeps_the_note_of_the_real_anki_deck(bank: Path, tmp_path: Path, run: Callable[..., Result]) -> None:
    """The guid genanki writes into the deck for a file without one is the guid the re-imported file holds."""
    import sqlite3
    import zipfile

    target = bank / "questions" / "software-engineer" / "no-guid.yaml"
    target.write_bytes(NO_GUID.read_bytes().replace(b"../../../../schema", b"../../schema"))
    assert run("export", "--to", "anki", "--out", str(tmp_path / "deck.apkg")).exit_code == 0
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        (tmp_path / "col.anki2").write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "col.anki2") as db:
        deck_guids = {row[0] for row in db.execute("SELECT guid FROM notes")}
    assert run("export", "--to", "markdown", "--out", str(tmp_path / "pages")).exit_code == 0
    page = tmp_path / "pages" / "software-engineer" / "no-guid.md"
    target.unlink()
    assert run("import", str(page)).exit_code == 0
    reimported = load_file(target)
    assert isinstance(reimported, Question) and reimported.guid in deck_guids
    assert reimported.guid == effective_guid(_load(NO_GUID))


# -- any Markdown text survives a page and renders as written -------------------------------------------

_WORDS = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd", "Po", "Sm", "Zs")), min_size=1, max_size=12).filter(str.strip)
_SCRIPTS = st.sampled_from(["缓存击穿", "テスト", "데이터", "Привет мир", "مرحبا", "Ελληνικά", "naïve café", "x"])
_INLINE = st.one_of(_WORDS, _SCRIPTS, st.sampled_from([
    "`code`", "**bold**", "_em_", "\\A", "\\\\", "\\-", "C:\\Users\\me", "&#65;", "&#065;", "&amp;", "List<String>",
    "[link](https://example.com)", "<https://example.com>", "a | b", "x  ", "#", "1.", "\\`",
]))
_HEADINGISH = st.sampled_from([*SECTION_HEADINGS.values(), "**A more solid answer**", "## An exceptional answer", "an EXCEPTIONAL answer:",
                               "&#65; more solid answer", "&#065; more solid answer", "# Related Interview Questions #", "Sample answer"])


@st.composite
def _paragraph_line(draw: Any) -> str:
    prefix = draw(st.sampled_from(["", "", "", "- ", "* ", "1. ", "> ", "# ", "### ", "    ", "  ", "\\", "| ", "---", "==="]))
    words = draw(st.lists(st.one_of(_INLINE, _HEADINGISH), min_size=1, max_size=4))
    return (prefix + " ".join(words)).rstrip("\n") or "x"


_CODE_LINE = st.one_of(st.sampled_from([
    "---", "=======", "<<<<<<< HEAD", ">>>>>>> main", "    return x", "\tindented with a tab", "## A more solid answer",
    "An exceptional answer", "- item", "  - name: web", "```", "~~~", "", "  ", "\\d+", "<script>alert(1)</script>",
]), _WORDS)


@st.composite
def _fence(draw: Any) -> str:
    mark = draw(st.sampled_from(["```", "~~~", "````"]))
    info = draw(st.sampled_from(["", "python", "yaml", "js", "jsx", "sql", "sh", "text"]))
    body = [line for line in draw(st.lists(_CODE_LINE, max_size=6)) if not line.lstrip().startswith(mark[0] * 3)]
    closed = draw(st.booleans()) or draw(st.booleans())
    return "\n".join([mark + info, *body] + ([mark] if closed else []))


@st.composite
def _table(draw: Any) -> str:
    cells = draw(st.lists(st.one_of(_WORDS, st.sampled_from(["`a|b`", "a \\| b", "**x**", "1"])), min_size=2, max_size=2))
    return f"| {cells[0]} | h |\n|---|:-:|\n| {cells[1]} | 2 |"


@st.composite
def _list(draw: Any) -> str:
    items = []
    for _ in range(draw(st.integers(1, 3))):
        item = "- " + draw(_paragraph_line()).lstrip()
        extra = draw(st.sampled_from(["", "\n  continued line", "\n  > a quote under the item", "\n\n      indented code", "\n  ```sh\n  ls -la\n  ```"]))
        items.append(item + extra)
    return "\n".join(items)


_BLOCK = st.one_of(_paragraph_line(), _paragraph_line(), _HEADINGISH, _fence(), _table(), _list(),
                   st.builds(lambda line: f"> {line}\n> second", _paragraph_line()),
                   st.builds(lambda line: f"{line}\n---", _WORDS), st.just("***"), st.just("    indented = code"))


@st.composite
def _markdown(draw: Any) -> str:
    """A Markdown text as a file holds it: blocks in any order, first and last line not blank, a final newline."""
    blocks = draw(st.lists(_BLOCK, min_size=1, max_size=5))
    separators = draw(st.lists(st.sampled_from(["\n", "\n\n", "\n\n\n"]), min_size=len(blocks), max_size=len(blocks)))
    text = "".join(block + sep for block, sep in zip(blocks, separators))
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines) + "\n" if lines else "x\n"


@st.composite
def _item(draw: Any) -> str:
    """A list item's text: a first line starting with a non-space, then any Markdown lines."""
    first = draw(_paragraph_line()).lstrip() or "x"
    rest = draw(st.one_of(st.just(""), _markdown().map(lambda t: "\n" + t.rstrip("\n"))))
    return first + rest


@st.composite
def _markdown_questions(draw: Any) -> dict[str, Any]:
    data = draw(_questions())
    for tier in data["answers"].values():
        for part in tier:
            tier[part] = draw(_markdown())
    data["prep_tips"] = draw(st.lists(_item(), min_size=1, max_size=3, unique=True))
    data["competencies"] = draw(st.lists(_item(), min_size=1, max_size=3, unique=True))
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=_markdown_questions())
def test_any_markdown_survives_a_page_byte_for_byte(data: dict[str, Any]) -> None:
    assert _reimport(render_page(data)) == data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=_markdown_questions())
def test_any_markdown_text_renders_on_the_page_as_it_renders_alone(data: dict[str, Any]) -> None:
    _assert_texts_render_as_written(data)


@pytest.mark.parametrize("text", ["```python\ndef f():\n    return 1\n", "Intro.\n\n- item\n- ~~~\n", "> ```sh\n> ls\n", "1. one\n2. ```\n   code\n"])
def test_a_fence_left_open_cannot_swallow_the_next_section(text: str) -> None:
    data = _question(text=text)
    page = render_page(data)
    assert _reimport(page) == data
    _assert_texts_render_as_written(data)
    assert page.split("\n", 1)[0].count("answers.") == (6 if text.startswith("```") else 0)  # closed_fences lists the texts


def test_cli_technical_question_export_then_import_gives_the_same_file(bank: Path, tmp_path: Path, run: Callable[..., Result]) -> None:
    target = bank / "questions" / "software-engineer" / "parse-log-lines.yaml"
    lines = TECHNICAL.read_text(encoding="utf-8").replace("../../../../schema", "../../schema").splitlines(keepends=True)
    target.write_text("".join(line for line in lines if not line.startswith("# Issue 12") and not line.startswith("# (fences")), encoding="utf-8")
    assert run("fmt", str(target)).exit_code == 0
    assert run("export", "--to", "markdown", "--out", str(tmp_path / "pages")).exit_code == 0
    page = tmp_path / "pages" / "software-engineer" / "parse-log-lines.md"
    result = run("import", str(page), "--out", str(tmp_path / "again"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "software-engineer" / "parse-log-lines.yaml").read_bytes() == target.read_bytes()


@pytest.mark.parametrize(("question", "html_title"), [
    ("`git rebase` or `git merge`: which do you use?", "<h1><code>git rebase</code> or <code>git merge</code>: which do you use?</h1>"),
    ("- What is a `List<String>`?", "<h1>- What is a <code>List&lt;String&gt;</code>?</h1>"),
    ("Is C# better than C #", "<h1>Is C# better than C #</h1>"),
    ("**Why** does it fail?", "<h1><strong>Why</strong> does it fail?</h1>"),
    ("A more solid answer", "<h1>A more solid answer</h1>"),
])
def test_the_title_renders_as_the_question_and_reads_back(question: str, html_title: str) -> None:
    data = _question(question=question)
    page = render_page(data)
    assert render(page).split("\n")[1] == html_title
    assert _reimport(page) == data


def test_pages_of_deleted_questions_are_removed_and_writes_counted(bank: Path, run) -> None:
    """A page qtool wrote for a question no longer in the bank goes; a person's own page stays; counts are true."""
    first = run("export", "--to", "markdown")
    total = len(list((bank / "questions").rglob("*.yaml")))
    assert first.exit_code == 0 and f"wrote {total} pages" in first.stderr
    again = run("export", "--to", "markdown")
    assert f"wrote 0 pages to exports/pages ({total} unchanged)" in again.stderr
    pages = bank / "exports" / "pages"
    (pages / "software-engineer" / "notes.md").write_text("# my own notes\n")
    (bank / "questions" / "software-engineer" / "design-trade-off.yaml").unlink()
    third = run("export", "--to", "markdown", "--force")  # questions that linked to it now fail related-ids
    assert "removed 1 page of questions no longer in the bank" in third.stderr
    assert not (pages / "software-engineer" / "design-trade-off.md").exists()
    assert (pages / "software-engineer" / "notes.md").read_text() == "# my own notes\n"
