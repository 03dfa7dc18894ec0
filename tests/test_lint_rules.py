"""Each per-file lint rule on small fixture files: the (line, column, rule) of every problem it reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from qtool.config import Config, ConfigError
from qtool.lint.rules import RULES
from qtool.model import Severity
from qtool.pipeline import check_files

LINT = FIXTURES / "lint"
BASE = "base.yaml"

#: rule -> [(fixture under fixtures/lint/rules/<rule>/ (or base.yaml), [(line, column)] it must report)].
CASES: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {
    "required-sections": [
        (BASE, []),
        ("distinct-items.yaml", []),
        ("missing-prep-tips.yaml", [(1, 1)]),
        ("missing-competencies.yaml", [(1, 1)]),
        ("empty-list.yaml", [(15, 12)]),
        ("null-section.yaml", [(17, 14)]),
        ("not-a-list.yaml", [(15, 12)]),
        ("blank-item.yaml", [(19, 5)]),
        ("empty-item.yaml", [(19, 5)]),
        ("duplicate-item.yaml", [(18, 5)]),
    ],
    "answer-tiers": [
        (BASE, []),
        ("sample-critique-ok.yaml", []),
        ("empty-critique.yaml", [(11, 15)]),
        ("empty-block-critique.yaml", [(11, 15)]),
        ("blank-critique.yaml", [(14, 15)]),
        ("null-text.yaml", [(8, 10)]),
        ("missing-critique.yaml", [(9, 3)]),
        ("missing-tier.yaml", [(6, 1)]),
        ("missing-answers.yaml", [(1, 1)]),
        ("sample-critique-blank.yaml", [(9, 15)]),
    ],
    "placeholder": [
        (BASE, []),
        ("ok.yaml", []),
        ("todo-in-block.yaml", [(12, 38)]),
        ("markers.yaml", [(2, 14), (14, 15)]),
        ("lorem-ipsum.yaml", [(8, 11)]),
        ("angle.yaml", [(16, 14)]),
        ("bracket.yaml", [(8, 14)]),
        ("number.yaml", [(13, 192)]),
        ("ellipsis.yaml", [(11, 15)]),
        ("comment.yaml", [(1, 3)]),
        ("skeleton.yaml", [(8, 12), (18, 6)]),
        # Code, raw HTML, autolinks and link destinations are not prose (issue 12, item 2).
        ("generics-in-code-spans.yaml", []),
        ("raw-html-tag.yaml", []),
        ("jsx-fence.yaml", []),
        ("shell-fence.yaml", []),
        ("autolink-and-link.yaml", []),
        ("python-stubs.yaml", []),
        ("prose-beside-code.yaml", [(11, 29), (15, 12)]),
    ],
    "question-form": [
        (BASE, []),
        ("ok-question-mark.yaml", []),
        ("ok-imperative.yaml", []),
        ("statement.yaml", [(3, 11)]),
        ("question-mark-inside.yaml", [(3, 11)]),
        ("ok-fullwidth-question-mark.yaml", []),
        ("ok-greek-question-mark.yaml", []),
        ("ok-arabic-question-mark.yaml", []),
        ("chinese-imperative.yaml", [(3, 11)]),
    ],
    "stray-whitespace": [
        (BASE, []),
        ("trailing-space.yaml", [(3, 11)]),
        ("block-question.yaml", [(3, 11)]),
        ("two-lines.yaml", [(3, 11)]),
        ("item-spaces.yaml", [(2, 7), (18, 5)]),
    ],
    "tiers-rise": [
        (BASE, []),
        ("solid-shorter.yaml", [(10, 11)]),
        ("exceptional-equal.yaml", [(13, 11)]),
        ("chinese.yaml", []),
    ],
    "markdown-render": [
        (BASE, []),
        ("ok.yaml", []),
        ("unclosed.yaml", [(13, 7)]),
        ("unknown-language.yaml", [(13, 7)]),
    ],
    "draft-status": [
        (BASE, []),
        ("draft.yaml", [(5, 9)]),
    ],
}


def fixture(rule: str, name: str) -> str:
    return str(LINT / name) if name == BASE else str(LINT / "rules" / rule / name)


def found(files: list[str], rule: str, root: Path = Path("/nonexistent"), rules: dict | None = None, **kwargs) -> list[tuple[int, int, str]]:
    config = Config(root=root, rules=rules or {})
    checked = check_files(files, config, select=[rule], **kwargs)
    return sorted((p.line, p.column, p.code) for p in checked.problems if p.code == rule)


@pytest.mark.parametrize(("rule", "name", "expected"),
                         [(rule, name, expected) for rule, cases in CASES.items() for name, expected in cases],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_rule_reports_exactly_these_positions(rule: str, name: str, expected: list[tuple[int, int]]) -> None:
    assert found([fixture(rule, name)], rule) == [(line, column, rule) for line, column in expected]


def test_every_per_file_rule_has_firing_and_quiet_cases() -> None:
    tested = {rule for rule, cases in CASES.items() if any(e for _, e in cases) and any(not e for _, e in cases)}
    per_file = {name for name, rule in RULES.items() if not rule.bank_wide}
    # answer-length and competency-vocabulary need options or a vocabulary: tested below;
    # unused-suppression in test_lint_suppress.py.
    assert per_file - tested == {"answer-length", "competency-vocabulary", "unused-suppression"}


def test_rules_that_explain_schema_errors_replace_the_schema_line() -> None:
    config = Config(root=Path("/nonexistent"))
    path = fixture("answer-tiers", "empty-critique.yaml")
    checked = check_files([path], config, select=["answer-tiers"])
    assert [(p.line, p.column, p.code) for p in checked.problems] == [(11, 15, "answer-tiers")]
    assert path in checked.broken
    # Without the rule, the schema's own line is still there.
    checked = check_files([path], config, select=["draft-status"])
    assert [(p.line, p.column, p.code) for p in checked.problems] == [(11, 15, "schema")]


def test_schema_errors_the_rule_does_not_explain_are_kept() -> None:
    checked = check_files([fixture("required-sections", "missing-competencies.yaml")], Config(root=Path("/nonexistent")),
                          select=["required-sections"])
    assert [(p.line, p.code) for p in checked.problems] == [(1, "required-sections")]
    assert "competencies" in checked.problems[0].message and "evaluat" in checked.problems[0].message


def test_rules_run_on_a_file_that_fails_the_schema(tmp_path: Path) -> None:
    """One schema error does not hide the file's other problems; rules read what is there, without crashing."""
    path = fixture("answer-tiers", "missing-answers.yaml")
    assert found([path], "tiers-rise") == []
    assert found([path], "answer-length") == []
    text = Path(fixture("question-form", "statement.yaml")).read_text()
    assert "category: behavioral" in text
    broken = tmp_path / "statement.yaml"
    broken.write_text(text.replace("category: behavioral", "category: interview"))
    checked = check_files([str(broken)], Config(root=Path("/nonexistent")), select=["question-form"])
    assert sorted(p.code for p in checked.problems) == ["question-form", "schema"]


def test_messages_say_what_to_do() -> None:
    config = Config(root=Path("/nonexistent"))
    tips = check_files([fixture("required-sections", "missing-prep-tips.yaml")], config, select=["required-sections"]).problems
    assert len(tips) == 1 and "prepare for this question" in tips[0].message
    critique = check_files([fixture("answer-tiers", "empty-critique.yaml")], config, select=["answer-tiers"]).problems
    assert "why the solid answer is better" in critique[0].message
    skeleton = check_files([fixture("placeholder", "skeleton.yaml")], config, select=["placeholder"]).problems
    assert all("qtool new" in p.message for p in skeleton)


def test_placeholder_flags_every_skeleton_text_qtool_new_writes(tmp_path: Path) -> None:
    from qtool.skeleton import SKELETON_MARKER, SKELETON_TEXTS

    text = (LINT / BASE).read_text()
    for value in ("I wrote a unit test that failed on a rounding error.", "Pick one bug you found and practise telling its story."):
        assert value in text
    text = text.replace("I wrote a unit test that failed on a rounding error.", json.dumps(SKELETON_TEXTS["answers.sample.text"]))
    text = text.replace("Pick one bug you found and practise telling its story.", json.dumps(SKELETON_TEXTS["prep_tips[0]"]))
    path = tmp_path / "skeleton.yaml"
    path.write_text(text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if SKELETON_MARKER in line]
    assert [line for line, _, _ in found([str(path)], "placeholder")] == lines == [8, 16]


def test_placeholder_extra_patterns_option() -> None:
    rules = {"placeholder": {"extra-patterns": [r"\bpractise\b"]}}
    assert found([str(LINT / BASE)], "placeholder", rules=rules) == [(16, 32, "placeholder")]


def test_question_form_imperatives_option() -> None:
    path = fixture("question-form", "statement.yaml")
    assert found([path], "question-form", rules={"question-form": {"imperatives": ["the"]}}) == []


def test_question_form_extra_imperatives_in_other_languages() -> None:
    # Chinese is written without spaces: an imperative matches the question's first characters.
    path = fixture("question-form", "chinese-imperative.yaml")
    assert found([path], "question-form", rules={"question-form": {"extra-imperatives": ["请讲"]}}) == []
    assert found([path], "question-form", rules={"question-form": {"extra-imperatives": ["描述"]}}) == [(3, 11, "question-form")]
    # The English defaults still apply beside the extra words.
    statement = fixture("question-form", "ok-imperative.yaml")
    assert found([statement], "question-form", rules={"question-form": {"extra-imperatives": ["beschreiben"]}}) == []


@pytest.mark.parametrize(("text", "words"), [
    ("Tell us about a bug.", 5),
    ("I — we — shipped it", 6),  # as split() counts it: a dash between spaces is a word
    ("请讲一次经历", 6),
    ("我用 Python 写了测试。", 7),
    ("テストを書きました", 9),
    ("테스트를 작성했습니다", 10),
    ("性能优化，缓存！", 6),
    ("", 0),
])
def test_word_count_counts_cjk_characters_as_words(text: str, words: int) -> None:
    from qtool.lint.rule import word_count

    assert word_count(text) == words


@given(st.text(alphabet=st.sampled_from("ab.\x00\x7f \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"), max_size=40))
def test_word_count_of_ascii_text_is_what_split_counts(text: str) -> None:
    """The ASCII fast path counts words without splitting; every whitespace str.split knows must separate."""
    from qtool.lint.rule import word_count

    assert word_count(text) == len(text.split())


#: Texts each kind of placeholder matches, its words at the very start and end of the text too.
PLACEHOLDER_SAMPLES = {
    "skeleton": ["TODO(qtool): write it", "text: TODO(qtool):"],
    "marker": ["TODO", "TBD", "FIXME", "XXX", "a TODO.", "D TBD D", "XXXX TODO", "DTODO TODO", "x: FIXME"],
    "lorem": ["Lorem ipsum", "lorem\n ipsum dolor", "text: Lorem  ipsum."],
    "angle": ["<company name>", "at <X>"],
    "bracket": ["[insert name]", "[Your company]", "[xx]"],
    "number": ["X%", "by XX%.", "cut XXXX% of it"],
    "ellipsis": ["text: ...", "  - ...", "a:\t\u2026 \nb", "  ...\t"],
}


@pytest.mark.parametrize(("kind", "text"), [(kind, text) for kind, texts in PLACEHOLDER_SAMPLES.items() for text in texts])
def test_the_placeholder_hints_pass_every_kind_of_placeholder(kind: str, text: str) -> None:
    """Each kind's sample is a match of that kind, and the quick substring tests let it through to the regex."""
    from qtool.lint.rules.placeholder import KINDS, PATTERN, _has_hint

    assert set(PLACEHOLDER_SAMPLES) == set(KINDS)
    assert any(match.lastgroup == kind for match in PATTERN.finditer(text))
    assert _has_hint(text)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["TODO", "TBD", "FIXME", "XXX", "X%", "D", "X", "TO", "O", "T", "B", "%", "FIX", "ME",
                                 "Lorem", "ipsum", "lorem", " ", "\n", "  ", ":", "- ", ".", "...", "\u2026", "<", ">",
                                 "[", "]", "insert", "name", "a", "\t"]),
                max_size=12).map("".join))
@example("text: Lorem ipsum dolor")
@example("text: I fixed it. TBD")
@example("label: ...")
def test_the_placeholder_hints_pass_every_text_the_pattern_matches(text: str) -> None:
    """The quick substring tests only spare the regex: a text it would match must pass them."""
    from qtool.lint.rules.placeholder import PATTERN, _has_hint

    if PATTERN.search(text):
        assert _has_hint(text)


def test_answer_length_counts_a_chinese_answer_by_characters() -> None:
    # Each Chinese answer has 61 to 131 characters and no spaces: read as one word each, all were "too short".
    assert found([fixture("answer-length", "chinese.yaml")], "answer-length") == []


@pytest.mark.parametrize(("options", "expected"), [
    ({}, [(8, 11), (10, 11), (11, 15), (13, 11), (14, 15)]),
    ({"min-words": 5, "critique-min-words": 5}, []),
    ({"min-words": 1, "max-words": 15, "critique-min-words": 1}, [(10, 11), (13, 11)]),
    ({"min-words": 12, "max-words": 700, "critique-min-words": 1, "critique-max-words": 9}, [(8, 11), (11, 15)]),
])
def test_answer_length_bounds(options: dict, expected: list[tuple[int, int]]) -> None:
    # base.yaml: sample 11 words, solid 20, solid critique 13, exceptional 36, its critique 9.
    got = found([str(LINT / BASE)], "answer-length", rules={"answer-length": options})
    assert got == [(line, column, "answer-length") for line, column in expected]


def test_draft_is_an_error_under_strict() -> None:
    config = Config(root=Path("/nonexistent"))
    path = fixture("draft-status", "draft.yaml")
    [plain] = check_files([path], config, select=["draft-status"]).problems
    [strict] = check_files([path], config, select=["draft-status"], strict=True).problems
    assert (plain.severity, strict.severity) == (Severity.WARNING, Severity.ERROR)


@pytest.fixture
def vocabulary_root(tmp_path: Path) -> Path:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "competencies.yaml").write_text("competencies:\n  - Problem-solving\n  - Technical expertise\n")
    return tmp_path


def test_competency_vocabulary(vocabulary_root: Path) -> None:
    rule = "competency-vocabulary"
    assert found([str(LINT / BASE)], rule, root=vocabulary_root) == []
    path = fixture(rule, "unknown.yaml")
    assert found([path], rule, root=vocabulary_root) == [(18, 5, rule), (19, 5, rule)]
    config = Config(root=vocabulary_root)
    messages = [p.message for p in check_files([path], config, select=[rule]).problems]
    assert "did you mean 'Problem-solving'?" in messages[0]
    assert "did you mean" not in messages[1]


def test_competency_vocabulary_without_a_vocabulary_file_checks_nothing(tmp_path: Path) -> None:
    assert found([fixture("competency-vocabulary", "unknown.yaml")], "competency-vocabulary", root=tmp_path) == []


def test_competency_vocabulary_named_but_missing_or_malformed_is_a_config_error(vocabulary_root: Path) -> None:
    path = str(LINT / BASE)
    with pytest.raises(ConfigError, match="does not exist"):
        check_files([path], Config(root=vocabulary_root, rules={"competency-vocabulary": {"vocabulary": "nope.yaml"}}))
    (vocabulary_root / "schema" / "competencies.yaml").write_text("- just a list\n")
    with pytest.raises(ConfigError, match="competency vocabulary"):
        check_files([path], Config(root=vocabulary_root))


def test_the_bank_vocabulary_covers_the_bank(tmp_path: Path) -> None:
    from conftest import BANK, REPO

    shutil.copytree(REPO / "schema", tmp_path / "schema")
    files = sorted(str(p) for p in BANK.rglob("*.yaml"))
    assert found(files, "competency-vocabulary", root=tmp_path) == []


def test_rules_never_raise_on_any_shape_of_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files of any shape: every rule that runs on files failing the schema must cope, never raise."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["text", "critique", "sample", "solid", "exceptional", "x"]), inner, max_size=3), max_leaves=8)
    keys = st.sampled_from(["id", "guid", "role", "question", "category", "status", "answers", "prep_tips", "competencies", "related", "provenance", "x"])
    folder = tmp_path_factory.mktemp("shapes")

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(keys, values, min_size=1, max_size=8))
    def check(data: dict) -> None:
        path = folder / "shape.yaml"
        path.write_text(json.dumps(data))
        checked = check_files([str(path)], Config(root=folder))
        assert all(p.line >= 1 and p.column >= 1 for p in checked.problems)

    check()


_ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={key: _ANY for key in (
    "id", "guid", "role", "question", "category", "status", "answers", "prep_tips", "competencies", "related", "provenance")}))
def test_every_rule_reads_any_file_without_crashing(data: dict) -> None:
    """Rules run on files that fail the schema, so each must tolerate any shape of data."""
    from qtool.lint.config import active_rules
    from qtool.lint.engine import analyse

    config = Config(root=Path("/nonexistent"))
    settings_ = active_rules(config)
    prepared = {name: s.rule.prepare(dict(s.options), config.root) for name, s in settings_.items()}
    analyse(settings_, prepared, "questions/a/b.yaml", json.dumps(data).encode())
