"""qtool.importer and ``qtool import``: the seed page, tolerated layouts, malformed pages, ids, related titles."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import BANK, FIXTURES, SEED
from qtool.importer import Page, import_pages, normalize_title, page_id, parse_page
from qtool.loader import LoadError, load_file, load_text
from qtool.model import Question, Severity

HERE = FIXTURES / "import"
#: A copy of ../shared/seed/marketing-specialist-social-media-crisis.txt, the real page the bank started from.
SEED_PAGE = HERE / "good" / "marketing-specialist-social-media-crisis.txt"
SHARED_SEED = BANK.parent.parent / "shared" / "seed" / SEED_PAGE.name
GUID = re.compile(r"^[!-~]{1,64}$")


def _bank() -> list[Question]:
    loaded = [load_file(path) for path in sorted(BANK.glob("*/*.yaml"))]
    assert not any(isinstance(q, LoadError) for q in loaded)
    return loaded  # type: ignore[return-value]


def _seed_data() -> dict:
    seed = load_file(SEED)
    assert not isinstance(seed, LoadError)
    return seed.data


def _without_guid(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "guid"}


def _import_one(text: bytes | str, name: str = "page.txt", **flags) -> tuple[dict | None, list]:
    (result,) = import_pages([(name, text)], **flags)
    return result.data, result.problems


# -- the seed page -------------------------------------------------------------

def test_seed_page_imports_to_the_bank_file_exactly() -> None:
    data, problems = _import_one(SEED_PAGE.read_bytes(), str(SEED_PAGE), role="Marketing Specialist", status="reviewed", bank=_bank())
    assert problems == []
    assert data is not None
    expected = _seed_data()
    assert data == expected  # the question it replaces keeps its guid (the learners' Anki history)
    assert list(data) == list(expected)  # the contract's key order


def test_a_page_new_to_the_bank_gets_a_fresh_guid() -> None:
    data, problems = _import_one(SEED_PAGE.read_bytes(), str(SEED_PAGE), role="Marketing Specialist", status="reviewed", bank=[])
    assert problems == [] and data is not None
    expected = _seed_data()
    assert _without_guid(data) == _without_guid(expected)
    assert GUID.match(data["guid"]) and data["guid"] != expected["guid"]


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="no ../shared/seed next to this repository")
def test_seed_fixture_is_the_shared_seed_page() -> None:
    assert SEED_PAGE.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_page_every_sentence_lands_in_its_key() -> None:
    data, _ = _import_one(SEED_PAGE.read_bytes(), SEED_PAGE.name)
    assert data is not None
    page = SEED_PAGE.read_text(encoding="utf-8").splitlines()
    assert data["question"] == page[0]
    assert data["answers"]["sample"]["text"] == page[3] + "\n"
    assert data["answers"]["solid"]["critique"] == page[7] + "\n"
    assert data["answers"]["exceptional"]["critique"] == page[11] + "\n"
    assert data["prep_tips"][0] == page[13][2:]
    assert data["competencies"] == [line[2:] for line in page[19:22]]


def test_seed_defaults_are_draft_behavioral_and_role_from_the_page() -> None:
    data, problems = _import_one(SEED_PAGE.read_bytes(), SEED_PAGE.name)
    assert problems == [] and data is not None
    assert (data["status"], data["category"], data["role"]) == ("draft", "behavioral", "Marketing Specialist")
    assert data["id"] == "marketing-specialist/social-media-crisis"
    assert "related" not in data  # "More questions for ... interviews" is not a question


def test_two_imports_get_different_fresh_guids() -> None:
    first, _ = _import_one(SEED_PAGE.read_bytes(), SEED_PAGE.name)
    second, _ = _import_one(SEED_PAGE.read_bytes(), SEED_PAGE.name)
    assert first and second and first["guid"] != second["guid"]


def test_cli_dry_run_prints_the_bank_file(bank: Path, run: Callable[..., Result]) -> None:
    refused = run("import", str(SEED_PAGE), "--role", "Marketing Specialist", "--dry-run")
    real = run("import", str(SEED_PAGE), "--role", "Marketing Specialist")
    assert refused.exit_code == real.exit_code == 1 and refused.stdout == ""  # what the real run would do
    assert "would refuse to overwrite it without --force" in refused.stderr
    result = run("import", str(SEED_PAGE), "--role", "Marketing Specialist", "--status", "reviewed", "--dry-run", "--force")
    assert result.exit_code == 0, result.stderr
    expected = (bank / "questions/marketing-specialist/social-media-crisis.yaml").read_text(encoding="utf-8")
    printed = re.sub(r'^guid: ".*"$', 'guid: "k3#Lq8!xZp"', result.stdout, count=1, flags=re.MULTILINE)
    assert printed == expected
    assert "would write questions/marketing-specialist/social-media-crisis.yaml" in result.stderr


def test_cli_writes_a_canonical_valid_file(empty_bank: Path, run: Callable[..., Result]) -> None:
    from qtool.fmt import format_text

    shutil.copytree(BANK.parent / "schema", empty_bank / "schema")
    result = run("import", str(SEED_PAGE), "--role", "Marketing Specialist")
    assert result.exit_code == 0, result.output
    target = empty_bank / "questions/marketing-specialist/social-media-crisis.yaml"
    text = target.read_text(encoding="utf-8")
    assert format_text(text, str(target)) == text
    assert run("validate").exit_code == 0
    assert load_text(text).data["status"] == "draft"  # type: ignore[union-attr]


def test_cli_refuses_to_overwrite_without_force(bank: Path, run: Callable[..., Result]) -> None:
    target = bank / "questions/marketing-specialist/social-media-crisis.yaml"
    before = target.read_bytes()
    result = run("import", str(SEED_PAGE), "--role", "Marketing Specialist")
    assert result.exit_code == 1
    assert re.search(r"^\S+:1:1: error: questions/marketing-specialist/social-media-crisis.yaml already exists: .* --force \[import\]$", result.stdout, re.MULTILINE)
    assert target.read_bytes() == before
    result = run("import", str(SEED_PAGE), "--role", "Marketing Specialist", "--status", "reviewed", "--force")
    assert result.exit_code == 0
    assert _without_guid(load_file(target).data) == _without_guid(_seed_data())  # type: ignore[union-attr]


def test_cli_dry_run_writes_nothing(empty_bank: Path, run: Callable[..., Result]) -> None:
    result = run("import", str(SEED_PAGE), "--dry-run", "--out", "elsewhere")
    assert result.exit_code == 0
    assert result.stdout.startswith("# yaml-language-server: $schema=")
    assert not (empty_bank / "elsewhere").exists()
    assert list((empty_bank / "questions").iterdir()) == []


# -- what real pages do ----------------------------------------------------------

def _crlf_bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


HEADINGS = re.compile(r"^(Sample answer|A more solid|Why this|An exceptional|How to prepare|What interviewers|Related Interview)", re.MULTILINE)

VARIANTS: dict[str, Callable[[str], str | bytes]] = {
    "crlf and bom": _crlf_bom,
    "old mac line endings": lambda t: t.replace("\n", "\r"),
    "extra blank lines": lambda t: "\n\n" + t.replace("\n", "\n\n\n") + "\n\n",
    "markdown ## headings": lambda t: HEADINGS.sub(r"## \1", t),
    "bold headings": lambda t: re.sub(r"^((?:Sample answer|A more solid|Why this|An exceptional|How to prepare|What interviewers|Related Interview).*)$", r"**\1**", t, flags=re.MULTILINE),
    "upper-case headings": lambda t: re.sub(r"^((?:Sample answer|A more solid|Why this|An exceptional|How to prepare|What interviewers).*)$", lambda m: m.group(1).upper(), t, flags=re.MULTILINE),
    "star bullets": lambda t: t.replace("\n- ", "\n* "),
    "dot bullets": lambda t: t.replace("\n- ", "\n• "),
    "no bullets": lambda t: t.replace("\n- ", "\n"),
    "no related block": lambda t: t.split("Related Interview Questions")[0],
    "markdown title and role": lambda t: "# " + t.replace("\nMarketing Specialist Interview Questions", "\n\n**Marketing Specialist Interview Questions**", 1),
    "role line first": lambda t: "Marketing Specialist Interview Questions\n" + t.replace("\nMarketing Specialist Interview Questions", "", 1),
    "sections shuffled": lambda t: _swap_tips_and_competencies(t),
    "trailing spaces and indents": lambda t: "\n".join("  " + line + " \t" for line in t.split("\n")),
    "indented, no bullets": lambda t: "\n".join("    " + line for line in t.replace("\n- ", "\n").split("\n")),
    "related as a site link": lambda t: t.replace("More questions for Marketing Specialist interviews",
                                                  "[More questions for Marketing Specialist interviews](https://example.com/marketing-specialist)"),
}


def _swap_tips_and_competencies(text: str) -> str:
    head, rest = text.split("How to prepare for this question\n")
    tips, rest = rest.split("What interviewers are evaluating\n")
    comps, related = rest.split("Related Interview Questions\n")
    return f"{head}What interviewers are evaluating\n{comps}How to prepare for this question\n{tips}Related Interview Questions\n{related}"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_tolerated_variants_of_the_seed_give_the_same_data(variant: str) -> None:
    page = VARIANTS[variant](SEED_PAGE.read_text(encoding="utf-8"))
    assert page != SEED_PAGE.read_text(encoding="utf-8")
    data, problems = _import_one(page, SEED_PAGE.name, role="Marketing Specialist", status="reviewed")
    assert problems == []
    assert data is not None and _without_guid(data) == _without_guid(_seed_data())


def test_markdown_page_with_wrapped_bullets_and_rules() -> None:
    expected = load_file(HERE / "good/markdown-style.expected.yaml")
    assert not isinstance(expected, LoadError)
    page = HERE / "good/markdown-style.md"
    data, problems = _import_one(page.read_bytes(), str(page))
    assert problems == []
    assert data is not None and _without_guid(data) == expected.data


# -- malformed pages ---------------------------------------------------------------

#: fixture -> the (line, column) of each error and a word its message must contain.
BAD = {
    "missing-tier.txt": [(1, 1, "answers.exceptional.critique"), (1, 1, "answers.exceptional.text")],
    "two-exceptional.txt": [(13, 1, "second"), (15, 1, "second")],
    "empty.txt": [(1, 1, "empty page")],
    "blank-lines-only.txt": [(1, 1, "empty page")],
    "binary.png": [(1, 1, "binary")],
    "latin1.txt": [(1, 35, "UTF-8")],
    "no-role.txt": [(1, 1, "role line")],
    "no-question.txt": [(2, 1, "no question")],
    "extra-preamble.txt": [(3, 1, "unexpected text")],
    "empty-section.txt": [(9, 1, "empty")],
    "no-tips.txt": [(13, 1, "lists nothing")],
    "no-headings.txt": [(1, 1, "no section headings")],
}


def test_every_bad_fixture_is_in_the_table() -> None:
    assert sorted(path.name for path in (HERE / "bad").iterdir()) == sorted(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_page_is_reported_and_gives_no_data(name: str) -> None:
    path = HERE / "bad" / name
    data, problems = _import_one(path.read_bytes(), str(path))
    assert data is None
    assert all(p.severity is Severity.ERROR and p.code == "import" and p.path == str(path) for p in problems)
    got = sorted((p.line, p.column) for p in problems)
    assert got == sorted((line, column) for line, column, _ in BAD[name])
    for problem, (_, _, word) in zip(sorted(problems, key=lambda p: (p.line, p.column, p.message)), sorted(BAD[name])):
        assert word in problem.message


def test_cli_bad_pages_write_nothing_and_the_good_ones_go_on(empty_bank: Path, run: Callable[..., Result]) -> None:
    bad = [str(HERE / "bad" / name) for name in ("two-exceptional.txt", "binary.png", "empty.txt", "missing-tier.txt")]
    result = run("import", *bad, str(SEED_PAGE), "does-not-exist.txt")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if not line.startswith("questions/")]
    assert all(re.match(r"^\S+:\d+:\d+: error: .+ \[import\]$", line) for line in lines)
    # What was written is checked as `qtool check` would: an imported page starts as a draft.
    assert "questions/marketing-specialist/social-media-crisis.yaml:" in result.stdout and "[draft-status]" in result.stdout
    assert {line.split(":")[0] for line in lines} == set(bad) | {"does-not-exist.txt"}
    assert "does-not-exist.txt:1:1: error: no such file [import]" in lines
    written = sorted(p.relative_to(empty_bank).as_posix() for p in empty_bank.rglob("*.yaml"))
    assert written == ["questions/marketing-specialist/social-media-crisis.yaml"]
    assert "Traceback" not in result.output


def test_cli_directory_argument_is_an_error_not_a_traceback(empty_bank: Path, run: Callable[..., Result]) -> None:
    result = run("import", str(HERE))
    assert result.exit_code == 1
    assert "is a directory" in result.stdout


def test_cli_usage_errors_exit_2(empty_bank: Path, run: Callable[..., Result]) -> None:
    assert run("import").exit_code == 2
    assert run("import", str(SEED_PAGE), "--category", "trivia").exit_code == 2
    assert run("import", str(SEED_PAGE), "--status", "final").exit_code == 2


# -- related titles ------------------------------------------------------------------

def test_related_titles_match_the_bank_and_unknown_ones_are_warnings() -> None:
    page = HERE / "good/related-titles.txt"
    data, problems = _import_one(page.read_bytes(), str(page), bank=_bank())
    assert data is not None
    assert data["related"] == ["marketing-specialist/campaign-roi"]
    assert [(p.line, p.column, p.severity) for p in problems] == [(19, 3, Severity.WARNING)]
    assert "plan a product launch on Mars" in problems[0].message


def test_related_titles_resolve_against_pages_of_the_same_run() -> None:
    page = (HERE / "good/related-titles.txt").read_text(encoding="utf-8")
    mars = SEED_PAGE.read_text(encoding="utf-8").replace(
        "Tell us about a time when you had to manage a crisis on social media. How did you handle it?",
        "How would you plan a product launch on Mars?")
    results = import_pages([("a.txt", page), ("mars.txt", mars)], status="draft", bank=_bank())
    assert [r.problems for r in results] == [[], []]
    assert results[0].data["related"] == ["marketing-specialist/campaign-roi", "marketing-specialist/how-would-you-plan-a-product-launch-on-mars"]  # type: ignore[index]


def test_cli_related_warning_still_writes_the_file(empty_bank: Path, run: Callable[..., Result]) -> None:
    result = run("import", str(HERE / "good/related-titles.txt"))
    assert result.exit_code == 0
    assert ":19:3: warning: related question not found in the bank" in result.stdout
    assert (empty_bank / "questions/marketing-specialist/how-would-you-respond-to-a-scathing-review-of-our-product.yaml").is_file()


def test_two_pages_with_one_id_the_second_is_refused() -> None:
    seed = SEED_PAGE.read_bytes()
    results = import_pages([("one/marketing-specialist-x.txt", seed), ("two/marketing-specialist-x.txt", seed)])
    assert results[0].data is not None and results[1].data is None
    assert "same id 'marketing-specialist/x' as one/marketing-specialist-x.txt" in results[1].problems[0].message


# -- ids and slugs -----------------------------------------------------------------------

def _page(path: str, meta: str = "") -> Page:
    text = meta + SEED_PAGE.read_text(encoding="utf-8")
    page = parse_page(text, path)
    assert isinstance(page, Page)
    return page


@pytest.mark.parametrize(("path", "meta", "role", "given", "expected"), [
    ("pages/marketing-specialist-social-media-crisis.txt", "", "Marketing Specialist", False, "marketing-specialist/social-media-crisis"),
    ("exports/pages/marketing-specialist/social-media-crisis.md", "", "Marketing Specialist", False, "marketing-specialist/social-media-crisis"),
    ("page17.txt", "", "Marketing Specialist", False, "marketing-specialist/tell-us-about-a-time-when-you-had-to-manage-a-crisis-on"),
    ("marketing-specialist-social-media-crisis.txt", "", "Brand Manager", True, "brand-manager/tell-us-about-a-time-when-you-had-to-manage-a-crisis-on"),
    ("page.md", '<!-- qtool: {"id": "marketing-specialist/crisis"} -->\n', "Marketing Specialist", False, "marketing-specialist/crisis"),
    ("page.md", '<!-- qtool: {"id": "marketing-specialist/crisis"} -->\n', "Brand Manager", True, "brand-manager/crisis"),
    ("面试.txt", "", "面试官", False, "mian-shi-guan/"),
])
def test_page_id(path: str, meta: str, role: str, given: bool, expected: str) -> None:
    ident = page_id(_page(path, meta), role, role_given=given)
    assert ident.startswith(expected) if expected.endswith(("-", "/")) else ident == expected


def test_page_comment_supplies_guid_category_status_unless_flags_say_otherwise() -> None:
    meta = '<!-- qtool: {"id": "marketing-specialist/crisis", "guid": "abc>def", "category": "situational", "status": "reviewed"} -->\n'
    data, problems = _import_one(meta + SEED_PAGE.read_text(encoding="utf-8"))
    assert problems == [] and data is not None
    assert (data["id"], data["guid"], data["category"], data["status"]) == ("marketing-specialist/crisis", "abc>def", "situational", "reviewed")
    data, _ = _import_one(meta + SEED_PAGE.read_text(encoding="utf-8"), category="general", status="draft")
    assert data is not None and (data["category"], data["status"]) == ("general", "draft")


def test_a_guid_taken_by_another_bank_question_is_replaced_with_a_warning() -> None:
    meta = '<!-- qtool: {"id": "marketing-specialist/crisis", "guid": "k3#Lq8!xZp"} -->\n'
    data, problems = _import_one(meta + SEED_PAGE.read_text(encoding="utf-8"), bank=_bank())
    assert data is not None and data["guid"] != "k3#Lq8!xZp"
    assert [(p.severity, "marketing-specialist/social-media-crisis" in p.message) for p in problems] == [(Severity.WARNING, True)]


def test_bad_page_comment_and_schema_violations_are_errors_at_their_lines() -> None:
    data, problems = _import_one("<!-- qtool: {not json} -->\n" + SEED_PAGE.read_text(encoding="utf-8"))
    assert data is None and [(p.line, p.code) for p in problems] == [(1, "import")]
    twice = SEED_PAGE.read_text(encoding="utf-8").replace("- Problem-solving", "- Problem-solving\n- Problem-solving")
    data, problems = _import_one(twice)
    assert data is None and [(p.line, p.column, p.code) for p in problems] == [(23, 3, "schema")]
    data, problems = _import_one('<!-- qtool: {"category": "trivia"} -->\n' + SEED_PAGE.read_text(encoding="utf-8"))
    assert data is None and [p.code for p in problems] == ["schema"]


def test_normalize_title_ignores_case_punctuation_and_spacing() -> None:
    assert normalize_title("How do you MEASURE the return-on-investment?") == normalize_title("how do you measure the return on investment")
    assert normalize_title("Ａ ＢＣ") == "a bc"


def test_import_checks_what_it_wrote(empty_bank: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    """A page with a TBD imports, and the check that follows says so: no 'no problems' before `check` finds one."""
    page = tmp_path / "page.txt"
    page.write_text(SEED_PAGE.read_text(encoding="utf-8").replace("A few years ago", "TBD A few years ago", 1))
    result = run("import", str(page), "--role", "Marketing Specialist", "--status", "reviewed")
    assert result.exit_code == 1
    assert "[placeholder]" in result.stdout
    dry = run("import", str(page), "--role", "Marketing Specialist", "--status", "reviewed", "--dry-run", "--force")
    assert dry.exit_code == result.exit_code and "[placeholder]" in dry.stderr


def test_force_of_an_unchanged_page_keeps_the_status(bank: Path, run: Callable[..., Result]) -> None:
    target = bank / "questions/marketing-specialist/social-media-crisis.yaml"
    assert "status: reviewed" in target.read_text()
    assert run("import", str(SEED_PAGE), "--role", "Marketing Specialist", "--force").exit_code == 0
    assert "status: reviewed" in target.read_text()  # the texts did not change: still reviewed
    edited = bank / SEED_PAGE.name  # the same file name: the same question id
    edited.write_text(SEED_PAGE.read_text(encoding="utf-8").replace("A few years ago", "Some years ago", 1))
    run("import", str(edited), "--role", "Marketing Specialist", "--force")
    assert "status: draft" in target.read_text()  # changed texts need a person's review again
