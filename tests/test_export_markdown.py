"""qtool.export.markdown: pages in the seed's layout that ``qtool import`` reads back to the same data."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qtool.export.markdown import page_path, render_page, write_pages
from qtool.importer import SECTION_HEADINGS, heading_of, import_pages
from qtool.loader import LoadError, load_file
from qtool.model import CATEGORIES, STATUSES, Question

from conftest import BANK


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


def test_escaped_lines_stay_text_when_rendered_as_markdown() -> None:
    markdown = pytest.importorskip("markdown")
    text = "\n".join(TRICKY_LINES) + "\n"
    data = _question(text=text, item="# tip", question="#1 question?", role="# Role")
    html = markdown.markdown(render_page(data))
    assert html.count("<h1>") == 1 and "#1 question?" in html
    assert html.count("<h2>") == 8
    assert "<blockquote>" not in html and "<hr" not in html and "<pre>" not in html and "<table>" not in html


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
def test_every_rendered_text_line_reads_back_as_text(line: str) -> None:
    rendered = render_page(_question(text=line + "\n"))
    body = rendered.split("## Sample answer to the question\n\n")[1].split("\n")[0]
    assert heading_of(body) is None
    assert not re.match(r"^[-*+>#<=_`~|]", body)  # "•" needs no escape: Markdown reads it as text
