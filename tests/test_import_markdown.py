"""qtool.importer on Markdown pages (qtool.mdpage) and the site's long layout: code, quotes and list items arrive as written."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import FIXTURES
from qtool.importer import import_pages, parse_page
from qtool.loader import LoadError, load_file
from qtool.markup import parser

HERE = FIXTURES / "import"
PAGES = sorted((HERE / "markdown").glob("*.md"))
LONG = HERE / "long-layout" / "software-engineer-process-vs-thread.txt"


def _import(path: Path, text: str | None = None, **flags: Any) -> tuple[dict[str, Any] | None, list[Any]]:
    (result,) = import_pages([(str(path), text if text is not None else path.read_bytes())], **flags)
    return result.data, result.problems


def _expected(path: Path) -> dict[str, Any]:
    loaded = load_file(path.with_name(path.stem + ".expected.yaml"))
    assert not isinstance(loaded, LoadError)
    return loaded.data


def _without_guid(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "guid"}


def _texts(data: dict[str, Any]) -> list[str]:
    return [part for tier in data["answers"].values() for part in tier.values()] + data["prep_tips"]


def _code(markdown: str) -> list[tuple[str, str, str]]:
    """Every code block markdown-it finds, at any depth: (kind, info, content)."""
    return [(t.type, t.info, t.content) for t in parser().parse(markdown) if t.type in ("fence", "code_block")]


# -- issue 12, item 1: import kept code, quotes and list items as written ---------------------------

@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_technical_page_imports_to_its_expected_data(page: Path) -> None:
    data, problems = _import(page)
    assert problems == []
    assert data is not None and _without_guid(data) == _expected(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_code_block_of_the_page_arrives_byte_for_byte(page: Path) -> None:
    """markdown-it's own view: the code blocks of the page are exactly the code blocks of the imported texts."""
    data, _ = _import(page)
    assert data is not None
    imported = [block for text in _texts(data) for block in _code(text)]
    assert imported == _code(page.read_text(encoding="utf-8"))
    assert imported  # every fixture holds code


def test_python_keeps_its_indentation_and_compiles() -> None:
    data, _ = _import(HERE / "markdown" / "software-engineer-merge-conflict.md")
    assert data is not None
    (python,) = [content for _, info, content in _code(data["answers"]["exceptional"]["text"]) if info == "python"]
    assert "\n        return max(config.retries, 5)\n" in python
    namespace: dict[str, Any] = {}
    exec(compile(python, "answer", "exec"), namespace)  # indentation lost would be a SyntaxError
    assert namespace["retries"](type("C", (), {"backoff": True, "retries": 3})) == 5


def test_git_conflict_keeps_its_separator_line() -> None:
    data, _ = _import(HERE / "markdown" / "software-engineer-merge-conflict.md")
    assert data is not None
    (conflict,) = [content for _, info, content in _code(data["answers"]["solid"]["text"]) if info == "text"]
    assert conflict.splitlines() == ["<<<<<<< HEAD", "retries = 3", "=======", "retries = 5", ">>>>>>> feature/backoff"]
    assert data["prep_tips"][1].endswith("between `|||||||` and `=======`.")


def test_two_document_manifest_stays_two_documents() -> None:
    data, _ = _import(HERE / "markdown" / "devops-engineer-two-manifests.md")
    assert data is not None
    text = data["answers"]["solid"]["text"]
    (manifest,) = [content for _, info, content in _code(text) if info == "yaml"]
    documents = list(YAML(typ="safe").load_all(manifest))
    assert [doc["kind"] for doc in documents] == ["Deployment", "Service"]
    assert documents[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert ("code_block", "", "kubectl apply -f web.yaml\n") in _code(text)  # the indented block too
    assert data["category"] == "technical"  # from the page's qtool comment


def test_list_item_keeps_its_indented_continuation_and_quote() -> None:
    data, _ = _import(HERE / "markdown" / "software-engineer-merge-conflict.md")
    assert data is not None
    text = data["answers"]["exceptional"]["text"]
    assert "3. Ask the other author when the intent is unclear,\n   and note the decision in the commit message:\n   > Merge feature/backoff" in text
    tokens = parser().parse(text)
    quote = next(t for t in tokens if t.type == "blockquote_open")
    assert quote.level > 0  # inside the list item, as on the page
    items = [t for t in tokens if t.type == "list_item_open" and t.level == 1]
    assert len(items) == 3 and tokens[-1].type == "paragraph_close"  # "Then I run the tests" is after the list


def test_table_and_chinese_text_arrive_as_written() -> None:
    data, _ = _import(HERE / "markdown" / "data-analyst-running-total.md")
    assert data is not None
    assert any(t.type == "table_open" for t in parser().parse(data["answers"]["solid"]["text"]))
    zh = HERE / "markdown" / "software-engineer-cache-chinese.md"
    data, problems = _import(zh)
    assert problems == [] and data is not None
    assert data["question"] == "你会如何为一个读多写少的服务设计缓存？"
    assert "  > TTL = 300 秒 ± 30 秒\n" in data["answers"]["exceptional"]["text"]


def test_a_line_that_reads_as_a_heading_inside_code_is_code() -> None:
    page = (HERE / "markdown" / "front-end-developer-controlled-input.md").read_text(encoding="utf-8")
    page = page.replace("function NameField() {\n", "function NameField() {\n## A more solid answer\nAn exceptional answer\n")
    data, problems = _import(Path("page.md"), page)
    assert problems == [] and data is not None
    assert "## A more solid answer\nAn exceptional answer\n" in data["answers"]["solid"]["text"]


def test_headings_are_block_tokens_bold_and_underlined_headings_too() -> None:
    page = (HERE / "markdown" / "data-analyst-running-total.md").read_text(encoding="utf-8")
    page = page.replace("## Why this is a more solid answer:\n", "**Why this is a more solid answer:**\n")
    page = page.replace("## An exceptional answer\n", "An exceptional answer\n---\n")
    data, problems = _import(Path("data-analyst-running-total.md"), page)
    assert problems == [] and data is not None
    assert _without_guid(data) == _expected(HERE / "markdown" / "data-analyst-running-total.md")


def test_a_block_outside_the_list_of_a_list_section_is_an_error_at_its_line(empty_bank: Path, run: Callable[..., Result]) -> None:
    page = (HERE / "markdown" / "front-end-developer-controlled-input.md").read_text(encoding="utf-8")
    page = page.replace("- Build a form", "```js\nuseState()\n```\n\n- Build a form")
    (empty_bank / "page.md").write_text(page, encoding="utf-8")
    line = page.splitlines().index("```js") + 1
    result = run("import", "page.md")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"page.md:{line}:1: error: the 'How to prepare for this question' section holds a fence outside its list: put it inside a list item [import]"
    assert not list((empty_bank / "questions").rglob("*.yaml"))


def test_plain_text_pages_keep_the_reader_by_words() -> None:
    """The seed's layout (no blank lines, headings as plain lines) is not Markdown, whatever the file's name."""
    seed = HERE / "good" / "marketing-specialist-social-media-crisis.txt"
    as_txt, _ = _import(seed)
    as_md, problems = _import(Path("marketing-specialist-social-media-crisis.md"), seed.read_text(encoding="utf-8"))
    assert problems == [] and as_md is not None and as_txt is not None
    assert _without_guid(as_md) == _without_guid(as_txt)


# -- issue 12, item 7: the site's long layout -------------------------------------------------------

def test_long_layout_imports_with_its_level() -> None:
    data, problems = _import(LONG)
    assert problems == []
    assert data is not None and _without_guid(data) == _expected(LONG)
    assert list(data)[:8] == ["id", "guid", "role", "question", "category", "status", "level", "answers"]


@pytest.mark.parametrize(("line", "level"), [("INTERMEDIATE LEVEL", "intermediate"), ("Senior level", "senior"), ("junior level:", "junior")])
def test_long_layout_level_lines(line: str, level: str) -> None:
    data, problems = _import(LONG, LONG.read_text(encoding="utf-8").replace("JUNIOR LEVEL", line))
    assert problems == [] and data is not None and data["level"] == level


def test_long_layout_as_markdown_gives_the_same_data() -> None:
    text = LONG.read_text(encoding="utf-8")
    markdown = re.sub(r"^(Sample answer|A more solid|Why this|An exceptional|How to prepare|What interviewers|Related Interview)",
                      r"\n## \1", text, flags=re.MULTILINE).replace("\n- ", "\n\n- ")
    data, problems = _import(Path(LONG.stem + ".md"), markdown)
    assert problems == [] and data is not None
    assert _without_guid(data) == _without_guid(_import(LONG)[0])  # type: ignore[arg-type]


def test_two_different_level_lines_are_an_error_at_the_second(empty_bank: Path, run: Callable[..., Result]) -> None:
    (empty_bank / "page.txt").write_text(LONG.read_text(encoding="utf-8").replace(
        "Software Engineer Interview Questions\nWhat is", "Software Engineer Interview Questions\nSENIOR LEVEL\nWhat is"), encoding="utf-8")
    result = run("import", "page.txt")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["page.txt:5:1: error: a second level line (the first is at line 2): a page has one level [import]"]


def test_long_layout_level_is_valid_and_checks(empty_bank: Path, run: Callable[..., Result]) -> None:
    import shutil

    from conftest import REPO

    shutil.copytree(REPO / "schema", empty_bank / "schema")
    assert run("import", str(LONG)).exit_code == 0
    target = empty_bank / "questions" / "software-engineer" / "process-vs-thread.yaml"
    assert "\nstatus: draft\nlevel: junior\nanswers:\n" in target.read_text(encoding="utf-8")
    assert run("fmt", "--check", str(target)).exit_code == 0  # fmt's order puts level after status too
    result = run("validate")
    assert result.exit_code == 0, result.output
    target.write_text(target.read_text(encoding="utf-8").replace("level: junior", "level: principal"), encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 1 and ":8:8: error:" in result.stdout and "[schema]" in result.stdout


# -- issue 12, item 8: --dry-run of several pages is one YAML stream ---------------------------------

def test_dry_run_of_several_pages_is_a_multi_document_stream(empty_bank: Path, run: Callable[..., Result]) -> None:
    pages = [str(p) for p in PAGES] + [str(LONG)]
    result = run("import", *pages, "--dry-run")
    assert result.exit_code == 0, result.output
    documents = list(YAML(typ="safe").load_all(io.StringIO(result.stdout)))
    assert len(documents) == len(pages)
    assert not list((empty_bank / "questions").rglob("*.yaml"))
    assert run("import", *pages).exit_code == 0
    written = {path.relative_to(empty_bank / "questions").with_suffix("").as_posix(): path for path in (empty_bank / "questions").rglob("*.yaml")}
    assert sorted(doc["id"] for doc in documents) == sorted(written)
    for doc in documents:
        on_disk = YAML(typ="safe").load(written[doc["id"]].read_text(encoding="utf-8"))
        assert _without_guid(doc) == _without_guid(on_disk)


def test_parse_page_gives_the_positions_of_markdown_sections() -> None:
    page = parse_page((HERE / "markdown" / "software-engineer-merge-conflict.md").read_bytes(), "p.md")
    assert not isinstance(page, list)
    assert page.headings["solid.text"] == (9, 1)
    assert (page.texts["solid.text"].line, page.texts["solid.text"].column) == (11, 1)
    assert (page.lists["prep_tips"][1].line, page.lists["prep_tips"][1].column) == (60, 3)


def test_a_chinese_question_gets_a_readable_slug() -> None:
    """A page whose file name says nothing gets its slug from the question, transliterated (files.slug)."""
    data, problems = _import(Path("page.md"), (HERE / "markdown" / "software-engineer-cache-chinese.md").read_text(encoding="utf-8"))
    assert problems == [] and data is not None
    assert data["id"] == "software-engineer/ni-hui-ru-he-wei-yi-ge-du-duo-xie-shao-de-fu-wu-she-ji-huan"


def test_bold_headings_with_code_only_inside_a_list_item_are_still_markdown() -> None:
    """No '##' heading and no top-level fence: the fence and quote under a list item make the page Markdown."""
    page = (HERE / "markdown" / "software-engineer-merge-conflict.md").read_text(encoding="utf-8")
    page = re.sub(r"^## (.*)$", r"**\1**", page, flags=re.MULTILINE)
    head, rest = page.split("**A more solid answer**\n", 1)
    solid, rest = rest.split("**Why this is a more solid answer:**\n", 1)
    page = head + "**A more solid answer**\n\nI read both sides before choosing.\n\n**Why this is a more solid answer:**\n" + rest
    data, problems = _import(Path("software-engineer-merge-conflict.md"), page)
    assert problems == [] and data is not None
    expected = _expected(HERE / "markdown" / "software-engineer-merge-conflict.md")
    assert data["answers"]["exceptional"] == expected["answers"]["exceptional"]
    assert data["prep_tips"] == expected["prep_tips"]


def test_repeats_are_dropped_only_in_the_long_layout() -> None:
    """A question that reads like its role line is still the question on an ordinary page."""
    page = LONG.read_text(encoding="utf-8").split("Sample answer to the question", 1)[1]
    data, problems = _import(LONG, "Software Engineer Interview Questions?\nSoftware Engineer Interview Questions\nSample answer to the question" + page)
    assert problems == [] and data is not None
    assert (data["question"], data["role"]) == ("Software Engineer Interview Questions?", "Software Engineer")


def test_list_items_after_a_tab_or_wide_marker_lose_only_the_marker() -> None:
    page = (HERE / "markdown" / "front-end-developer-controlled-input.md").read_text(encoding="utf-8")
    page = page.replace("- Build a form with `useState` and with `useReducer`.", "-\tBuild a form\n\twith a tab.\n*   Four spaces\n10. Ten")
    data, problems = _import(Path("front-end-developer-controlled-input.md"), page)
    assert problems == [] and data is not None
    assert data["prep_tips"] == ["Build a form\nwith a tab.", "Four spaces", "Ten"]


@pytest.mark.parametrize(("edit", "where", "word"), [
    (lambda p: p.replace("## Why this is an exceptional answer:\n", "## An exceptional answer\n"), "second", "second 'An exceptional answer' section"),
    (lambda p: p.replace("It shows the code, and says who owns the value.\n", ""), "## Why this is a more solid answer:", "is empty"),
])
def test_malformed_markdown_page_is_an_error_at_its_heading(edit: Callable[[str], str], where: str, word: str) -> None:
    page = edit((HERE / "markdown" / "front-end-developer-controlled-input.md").read_text(encoding="utf-8"))
    lines = page.splitlines()
    line = [n for n, text in enumerate(lines, 1) if text == "## An exceptional answer"][1] if where == "second" else lines.index(where) + 1
    data, problems = _import(Path("front-end-developer-controlled-input.md"), page)
    assert data is None
    expected = [(line, 1, "import")] + ([(1, 1, "import")] if where == "second" else [])  # and the critique is missing
    assert sorted((p.line, p.column, p.code) for p in problems) == sorted(expected)
    assert any(word in p.message for p in problems if p.line == line)


def test_level_travels_through_json_and_csv_exports(bank: Path, run: Callable[..., Result]) -> None:
    """The long layout's level reaches the JSON export (valid against export.schema.json) and the CSV's last column."""
    import csv
    import json

    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from conftest import REPO

    question_schema = Resource.from_contents(json.loads((REPO / "schema" / "question.schema.json").read_text(encoding="utf-8")))
    registry = Registry().with_resources([("question.schema.json", question_schema)])
    validator = Draft202012Validator(json.loads((REPO / "schema" / "export.schema.json").read_text(encoding="utf-8")), registry=registry)
    assert run("import", str(LONG), "--status", "reviewed").exit_code == 0
    assert run("export", "--to", "json").exit_code == 0
    document = json.loads((bank / "exports" / "questions.json").read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(document))
    levels = {q["id"]: q.get("level") for q in document["questions"]}
    assert levels["software-engineer/process-vs-thread"] == "junior"
    assert list(document["questions"][0]).count("level") == 0  # absent when the file has none
    assert run("export", "--to", "csv").exit_code == 0
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO((bank / "exports" / "questions.csv").read_text(encoding="utf-8"), newline=""))}
    assert rows["software-engineer/process-vs-thread"]["level"] == "junior" and rows["marketing-specialist/campaign-roi"]["level"] == ""


_PAGE_LINES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=30),
    st.sampled_from(["", "---", "===", "```", "```python", "~~~", "    code", "> quote", "- item", "  continued", "1. one",
                     "| a | b |", "|---|---|", "JUNIOR LEVEL", "/X/ Interview Questions", "X Interview Questions", "Why?",
                     '<!-- qtool: {"id": "x/y", "closed_fences": ["answers.solid.text"]} -->', "<!-- qtool: {bad -->",
                     "&#65; more solid answer", "\\A more solid answer", "**How to prepare for this question**"]),
    st.sampled_from([f"{mark}{title}" for title in ("Sample answer to the question", "A more solid answer", "Why this is a more solid answer:",
                                                    "An exceptional answer", "Why this is an exceptional answer:", "How to prepare for this question",
                                                    "What interviewers are evaluating", "Related Interview Questions") for mark in ("", "## ", "# ")]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_PAGE_LINES, max_size=40))
def test_any_page_gives_a_page_or_problems_never_a_traceback(lines: list[str]) -> None:
    """Whatever a page holds, import answers with data or with problem lines at real positions."""
    text = "\n".join(lines)
    (result,) = import_pages([("page.md", text)])
    count = len(text.split("\n"))
    assert all(1 <= p.line <= max(count, 1) and p.column >= 1 and p.code in ("import", "schema") for p in result.problems)
    assert (result.data is None) == any(p.severity.value == "error" for p in result.problems)


def test_a_closed_fences_note_never_drops_a_line_that_is_not_a_fence() -> None:
    """An exported page edited by hand: the comment still lists the text, but its last line is now prose."""
    from qtool.export.markdown import render_page

    data = _expected(HERE / "markdown" / "front-end-developer-controlled-input.md")
    data["guid"] = "g"
    data["answers"]["sample"]["text"] = "```sh\nnpm test\n"
    page = render_page(data)
    assert '"closed_fences": ["answers.sample.text"]' in page
    edited = page.replace("npm test\n```\n", "npm test\n```\n\nThen I read the output.\n")
    result, problems = _import(Path("page.md"), edited)
    assert problems == [] and result is not None
    assert result["answers"]["sample"]["text"] == "```sh\nnpm test\n```\n\nThen I read the output.\n"
