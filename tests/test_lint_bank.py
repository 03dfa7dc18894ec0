"""Bank-wide rules on a small bank in a temp folder: related ids, duplicates, near-duplicates, guids, ids."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BANK, FIXTURES
from qtool.config import Config
from qtool.lint.rule import dumped
from qtool.lint.rules.near_duplicate import near_duplicates
from qtool.loader import load_file
from qtool.model import Question
from qtool.pipeline import check_files

LINT = FIXTURES / "lint"
BANK_RULES = ["related-ids", "duplicate-question", "near-duplicate", "guid-unique", "id-unique"]

BUG_HUNT = "questions/analyst/bug-hunt.yaml"
DASHBOARD = "questions/analyst/dashboard.yaml"
WRONG_ID = "questions/analyst/wrong-id.yaml"
COPY = "questions/tester/bug-story-copy.yaml"
BUG_STORY = "questions/tester/bug-story.yaml"
RELEASE = "questions/tester/release-pressure.yaml"

#: Everything the whole fixture bank reports (answer-length aside: its answers are short on purpose).
EXPECTED = sorted([
    (BUG_HUNT, 4, 11, "near-duplicate"),  # ... to bug-story
    (BUG_HUNT, 4, 11, "near-duplicate"),  # ... and to its copy
    (DASHBOARD, 4, 11, "duplicate-question"),  # same question as wrong-id.yaml
    (WRONG_ID, 1, 5, "id-path"),  # broken, yet a wrong id hides none of its clashes:
    (WRONG_ID, 1, 5, "id-unique"),  # ... it claims bug-story's id
    (WRONG_ID, 4, 11, "duplicate-question"),  # ... and asks dashboard's question
    (COPY, 4, 11, "duplicate-question"),
    (COPY, 4, 11, "near-duplicate"),
    (BUG_STORY, 1, 5, "id-unique"),  # wrong-id.yaml claims its id
    (BUG_STORY, 2, 7, "guid-unique"),
    (BUG_STORY, 4, 11, "duplicate-question"),
    (BUG_STORY, 4, 11, "near-duplicate"),
    (RELEASE, 2, 7, "guid-unique"),
    (RELEASE, 21, 5, "related-ids"),  # itself
    (RELEASE, 22, 5, "related-ids"),  # no such id
    (RELEASE, 24, 5, "related-ids"),  # listed twice
    (RELEASE, 25, 5, "related-ids"),  # typo, with a did-you-mean
])


@pytest.fixture
def small_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "bank"
    shutil.copytree(LINT / "bank", root)
    monkeypatch.chdir(root)
    return root


def problems(files: list[str], root: Path, **kwargs) -> list[tuple[str, int, int, str]]:
    checked = check_files(files, Config(root=root), ignore=["answer-length"], **kwargs)
    return sorted((Path(p.path).as_posix(), p.line, p.column, p.code) for p in checked.problems)


def bank_files() -> list[str]:
    return sorted(str(p) for p in Path("questions").rglob("*.yaml"))


def test_whole_bank(small_bank: Path) -> None:
    assert problems(bank_files(), small_bank) == EXPECTED


def test_only_the_given_files_are_reported_but_the_whole_bank_is_read(small_bank: Path) -> None:
    assert problems([RELEASE], small_bank) == [e for e in EXPECTED if e[0] == RELEASE]
    assert problems([BUG_HUNT, BUG_STORY], small_bank) == [e for e in EXPECTED if e[0] in (BUG_HUNT, BUG_STORY)]


def test_given_paths_may_be_spelled_differently_from_the_walk(small_bank: Path) -> None:
    absolute = str(small_bank / RELEASE)
    got = problems([absolute], small_bank)
    assert [(line, column, code) for _, line, column, code in got] == [e[1:] for e in EXPECTED if e[0] == RELEASE]


def test_each_file_is_loaded_once(small_bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qtool.loader
    import qtool.pipeline

    calls: Counter[str] = Counter()
    real = qtool.loader.read_file

    def counting(path, *args):
        calls[Path(path).resolve().as_posix()] += 1
        return real(path, *args)

    monkeypatch.setattr(qtool.pipeline, "read_file", counting)
    problems([RELEASE, BUG_STORY], small_bank)
    assert len(calls) == 6 and set(calls.values()) == {1}


def test_messages_name_the_other_file_and_the_score(small_bank: Path) -> None:
    checked = check_files(bank_files(), Config(root=small_bank), select=BANK_RULES)
    by_key = {(Path(p.path).as_posix(), p.code): p.message for p in checked.problems}
    assert BUG_STORY in by_key[(RELEASE, "guid-unique")]
    assert WRONG_ID in by_key[(BUG_STORY, "id-unique")]
    assert COPY in by_key[(BUG_STORY, "duplicate-question")]
    near = [p.message for p in checked.problems if p.code == "near-duplicate" and p.path.endswith("bug-story.yaml")]
    assert near and "% similar to " + BUG_HUNT in near[0]
    typo = [p.message for p in checked.problems if p.code == "related-ids" and p.line == 25]
    assert "did you mean 'tester/bug-story'?" in typo[0]


def test_disabled_bank_rules_do_not_read_the_bank(small_bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qtool.loader
    import qtool.pipeline

    read: list[str] = []
    real = qtool.loader.read_file

    def recording(path, *args):
        read.append(Path(path).as_posix())
        return real(path, *args)

    monkeypatch.setattr(qtool.pipeline, "read_file", recording)  # the one place the scan reads a file
    checked = check_files([RELEASE], Config(root=small_bank), ignore=BANK_RULES + ["answer-length"])
    assert checked.problems == [] and read == [RELEASE]
    check_files([RELEASE], Config(root=small_bank), select=["guid-unique"])
    assert len(read) == 1 + 6, "with a bank-wide rule on, the rest of the bank is read"


def test_duplicate_scope_role_compares_within_a_role_only(small_bank: Path) -> None:
    rules = {"duplicate-question": {"scope": "role"}, "near-duplicate": {"scope": "role"}}
    checked = check_files(bank_files(), Config(root=small_bank, rules=rules), select=["duplicate-question", "near-duplicate"])
    got = sorted((Path(p.path).as_posix(), p.code) for p in checked.problems if p.code != "id-path")
    # bug-hunt is in another role than bug-story; dashboard's twin (wrong-id) says it is a tester by its id.
    assert got == [(COPY, "duplicate-question"), (BUG_STORY, "duplicate-question")]


def test_excluded_files_are_not_part_of_the_bank(small_bank: Path) -> None:
    config = Config(root=small_bank, exclude=["analyst/*"])
    checked = check_files([BUG_STORY], config, select=BANK_RULES)
    assert sorted((p.line, p.code) for p in checked.problems) == [(2, "guid-unique"), (4, "duplicate-question")]


# -- near-duplicate calibration --------------------------------------------------------

def _calibration() -> tuple[list[str], list[list[str]]]:
    data = load_file(LINT / "near-duplicates.yaml")
    assert isinstance(data, Question)
    return data.data["distinct"], data.data["reworded"]


def _questions(texts: list[str]) -> list[Question]:
    return [Question(f"q{i}.yaml", {"id": f"calibration/q{i}", "question": text}) for i, text in enumerate(texts)]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_words_of_ascii_text_are_what_the_regex_finds(text: str) -> None:
    """The ASCII fast path splits where the regex does: letters and digits make words, anything else separates."""
    import re

    from qtool.lint.rules._bank import words

    assert words.__wrapped__(text) == tuple(re.findall(r"[^\W_]+", text.casefold()))


def test_real_bank_and_shared_frames_are_not_near_duplicates() -> None:
    distinct, reworded = _calibration()
    real = [load_file(p) for p in sorted(BANK.rglob("*.yaml"))]
    texts = list(dict.fromkeys(distinct + [q.question for q in real]))
    qs = _questions(texts)
    assert near_duplicates(qs, 75, False, {q.path for q in qs}) == []


def test_rewordings_are_caught_with_a_score() -> None:
    distinct, reworded = _calibration()
    texts = list(dict.fromkeys(distinct + [b for _, b in reworded]))
    qs = _questions(texts)
    found = near_duplicates(qs, 75, False, {q.path for q in qs})
    text = {q.path: q.question for q in qs}
    pairs = {frozenset((text[m.path], text[m.other])): m.score for m in found}
    assert set(pairs) == {frozenset(pair) for pair in reworded}
    assert all(75 <= score < 100 for score in pairs.values())


def test_threshold_option_moves_the_line() -> None:
    distinct, reworded = _calibration()
    qs = _questions(list(dict.fromkeys(distinct + [b for _, b in reworded])))
    everything = {q.path for q in qs}
    assert len(near_duplicates(qs, 95, False, everything)) < len(near_duplicates(qs, 75, False, everything))


def test_near_duplicates_compare_blocks_not_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 questions on one frame: the pairs scored stay far below the 4.5 million of all pairs."""
    import random

    import rapidfuzz.fuzz

    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(7)) for _ in range(3000)]
    texts = [f"Tell us about a time when you had to {rng.choice(vocab)} the {rng.choice(vocab)} {rng.choice(vocab)}. How did you handle it?"
             for _ in range(3000)]
    texts.append(texts[0].replace("Tell us", "Tell me").replace("handle it", "deal with it"))
    qs = _questions(texts)
    scored = 0
    real_ratio = rapidfuzz.fuzz.ratio

    def counting(a, b, **kwargs):
        nonlocal scored
        scored += 1
        return real_ratio(a, b, **kwargs)

    monkeypatch.setattr(rapidfuzz.fuzz, "ratio", counting)
    found = near_duplicates(qs, 75, False, {q.path for q in qs})
    assert {(m.path, m.other) for m in found} == {(qs[0].path, qs[-1].path), (qs[-1].path, qs[0].path)}
    assert 0 < scored < 3000 * 20


# -- the near-duplicate index kept between runs ---------------------------------------
_WORDS = ["budget", "launch", "vendor", "outage", "hire", "audit", "roadmap", "migration", "survey", "refund"]
_FRAMES = ["Tell us about a time when you had to manage a {a} {b}.", "How would you handle a {a} {b} with the team?",
           "Describe a {a} you ran for a {b}.", "What did you learn from a {a} {b} that went wrong?"]
_texts = st.builds(lambda frame, a, b, tail: frame.format(a=a, b=b) + tail, st.sampled_from(_FRAMES),
                   st.sampled_from(_WORDS), st.sampled_from(_WORDS), st.sampled_from(["", " Why?", " And then?", " Budget?"]))
_SLOTS = 24


def _state(index) -> tuple:
    """An index by paths, not slots: its counts, blocks and scored pairs."""
    from qtool.lint.rules.near_duplicate import _ints

    paths = index.paths
    blocks = {block: sorted(paths[m] for m in _ints(index.blocks, block)) for block in index.blocks}
    pairs = sorted(tuple(sorted((paths[a], paths[b]))) + (w,) for found in index.pairs.values() for a, b, w in found)
    return {f: n for f, n in index.count.items() if n}, blocks, pairs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.lists(st.one_of(st.none(), _texts), min_size=_SLOTS, max_size=_SLOTS),
       edits=st.lists(st.tuples(st.integers(0, _SLOTS - 1), st.one_of(st.none(), _texts), st.integers(0, 2)),
                      min_size=1, max_size=10),
       by_role=st.booleans(), max_block=st.sampled_from([3, 5, 256]))
def test_the_kept_index_answers_as_a_cold_run(start: list[str | None], edits: list[tuple[int, str | None, int]],
                                              by_role: bool, max_block: int) -> None:
    """After any sequence of edits, additions and deletions, the index kept between runs equals a cold run's.

    Small blocks (``max_block``) make counts cross the blocking range often, as a big bank's do.
    The memo goes through marshal each time, as it does through the check cache.
    """
    import marshal

    import qtool.lint.rules.near_duplicate as nd

    def question(slot: int, text: str, role: int) -> Question:
        return Question(f"q{slot}.yaml", {"id": f"r{role}/q{slot}", "question": text})

    bank = {slot: question(slot, text, slot % 3) for slot, text in enumerate(start) if text is not None}
    memo: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nd, "MAX_BLOCK", max_block)
        nd.near_duplicates(list(bank.values()), 75, by_role, set(), memo, None)
        for slot, text, role in edits:
            if text is None:
                bank.pop(slot, None)
            else:
                bank[slot] = question(slot, text, role)
            everything = {q.path for q in bank.values()}
            kept = nd._Index.resume(marshal.loads(marshal.dumps(memo)), 75, by_role)
            assert kept is not None
            kept.update({q.path: q for q in bank.values()}, {f"q{slot}.yaml"}, keep_all=True, report_on=everything)
            found = kept.matches(everything)
            memo = kept.dump()
            cold = nd._Index(75, by_role)
            cold.update({q.path: q for q in bank.values()}, None, keep_all=True, report_on=everything)
            assert found == cold.matches(everything)
            assert _state(kept) == _state(cold)


@settings(max_examples=300, deadline=None)
@given(start=st.lists(st.sampled_from(["", "q1.yaml", "q1", "a", "é", "q10.yaml"]), max_size=8),
       steps=st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["", "q1.yaml", "x", "é€", "q1"]), st.booleans()),
                      max_size=8))
def test_a_packed_column_reads_changes_and_packs_as_a_list(start: list[str], steps: list[tuple[int, str, bool]]) -> None:
    """A ``Texts`` column loaded from the cache, changed, appended to and packed again reads as the list it stands for."""
    from qtool.lint.rules._columns import Texts, packed

    rows = list(start)
    column = Texts.unpacked(packed(rows))
    for at, value, again in steps:
        if at < len(rows):
            column[at] = rows[at] = value
        else:
            column.append(value)
            rows.append(value)
        if again:
            column = Texts.unpacked(packed(column))
        assert [column[row] for row in range(len(column))] == rows
        for probe in ("q1.yaml", "q1", "é€", "zz"):
            found = column.find(probe)
            assert (found >= 0) == (probe in rows) and (found < 0 or rows[found] == probe)
    assert Texts.unpacked(packed(column)).pack() == packed(rows)


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
                                st.booleans()), max_size=12))
def test_a_clash_table_answers_as_a_dict(steps: list[tuple[int, str | None, bool]]) -> None:
    """The table a clash rule keeps (loaded, edited, deleted from, kept again) holds what a dict of the same facts does."""
    import marshal

    from qtool.lint.rules._bank import Values

    facts: dict[str, tuple[str, int, int]] = {}
    table = Values()
    for number, value, again in steps:
        path = f"q{number}.yaml"
        fact = None if value is None else (value, number + 1, 3)
        assert table.put(path, fact) == facts.get(path)
        if fact is None:
            facts.pop(path, None)
        else:
            facts[path] = fact
        if again:
            loaded = Values.unpacked(marshal.loads(marshal.dumps(table.packed())))
            assert loaded is not None
            table = loaded
        assert len(table) == len(facts) and all(table.get(path) == fact for path, fact in facts.items())
        assert sorted(table.holding({"a", "b"})) == sorted(p for p, f in facts.items() if f[0] in ("a", "b"))
        many = {"a", *(f"x{n}" for n in range(20))}  # past the few values searched for one by one
        assert sorted(table.holding(many)) == sorted(p for p, f in facts.items() if f[0] == "a")
        assert {v: sorted(g) for v, g in table.groups({"b"}).items()} == \
            ({"b": sorted((p, f[1], f[2]) for p, f in facts.items() if f[0] == "b")} if "b" in [f[0] for f in facts.values()] else {})
        groups = {v: sorted(g) for v, g in table.groups(None).items()}
        assert groups == {v: sorted((p, f[1], f[2]) for p, f in facts.items() if f[0] == v) for v in {f[0] for f in facts.values()}}


def test_a_role_with_a_line_break_blocks_apart_from_its_look_alike() -> None:
    """With scope "role", block names hold the role: one with a line break (or a backslash) cannot pass for another role."""
    import marshal

    import qtool.lint.rules.near_duplicate as nd

    texts = ["How do you plan a zebra budget with finance?", "How would you plan a zebra budget with finance?"]
    roles = ["a\nb", "a\\nb", "a\\\\nb"]  # a line break; a backslash and n; two backslashes and n
    qs = [Question(f"q{2 * r + t}.yaml", {"role": role, "question": text})
          for r, role in enumerate(roles) for t, text in enumerate(texts)]
    everything = {q.path for q in qs}
    cold = nd._Index(75, True)
    cold.update({q.path: q for q in qs}, None, keep_all=True, report_on=everything)
    found = cold.matches(everything)
    assert {(m.path, m.other) for m in found} == {(f"q{a}.yaml", f"q{a ^ 1}.yaml") for a in range(6)}
    kept = nd._Index.resume(marshal.loads(marshal.dumps(cold.dump())), 75, True)
    assert kept is not None
    qs[0] = Question("q0.yaml", {"role": roles[0], "question": "Who signs off the zebra budget?"})  # its blocks are left
    kept.update({q.path: q for q in qs}, {"q0.yaml"}, keep_all=True, report_on=everything)
    again = nd._Index(75, True)
    again.update({q.path: q for q in qs}, None, keep_all=True, report_on=everything)
    assert kept.matches(everything) == again.matches(everything) and len(again.matches(everything)) == 4
    assert {block: sorted(kept.paths[m] for m in nd._ints(kept.blocks, block)) for block in kept.blocks} == \
        {block: sorted(again.paths[m] for m in nd._ints(again.blocks, block)) for block in again.blocks}


def test_a_big_bank_found_beside_a_child_is_found_as_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From PARALLEL_FROM questions, near-duplicate runs in a forked child beside the other rules: same problems, same indexes."""
    import subprocess
    import sys

    from conftest import REPO
    from qtool.lint import engine
    from qtool.lint.config import active_rules

    root = tmp_path / "gen"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_corpus.py"), str(engine.PARALLEL_FROM + 20), str(root)],
                   check=True, capture_output=True)
    monkeypatch.chdir(root)
    copy = root / "questions" / "copy.yaml"  # the same id, guid and question as another file: every clash rule speaks
    copy.write_bytes(next((root / "questions").rglob("*.yaml")).read_bytes())
    config = Config(root=root)
    monkeypatch.setattr("qtool.workers.worker_count", lambda jobs=None: 2)
    summaries = list(check_files(None, config, select=BANK_RULES).summaries.values())
    settings = active_rules(config, BANK_RULES, ())
    prepared = {name: s.rule.prepare(dict(s.options), root) for name, s in settings.items()}
    bank_wide = [s for s in settings.values() if not s.rule.idle(prepared[s.rule.name])]
    targets = {q.path for q in summaries}

    def found() -> tuple[list, dict]:
        memos: dict = {}
        problems = engine.bank_problems(bank_wide, summaries, prepared, targets, memos, None)
        return sorted(problems), memos

    ran = tmp_path / "ran"  # the process each call of the other rules ran in (a forked child writes here too)
    rows = engine._bank_rules_rows

    def recorded(indexes: list[int]) -> list:
        with ran.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return rows(indexes)

    monkeypatch.setattr(engine, "_bank_rules_rows", recorded)
    beside, kept_beside = found()
    assert ran.read_text().split() != [str(os.getpid())] and len(ran.read_text().split()) == 1  # once, in a child
    monkeypatch.setattr(engine, "forked", None)  # one process from here on: no child may start
    monkeypatch.setattr(engine, "PARALLEL_BANK_UPTO", 0)
    alone, kept_alone = found()
    assert {p.code for p in alone} >= {"near-duplicate", "duplicate-question", "id-unique", "guid-unique"}
    assert beside == alone
    assert kept_beside == kept_alone and "near-duplicate" in kept_alone


# -- bank-wide problems after an edit, judged only where it touches -------------------------
_IDS = ["r/a", "r/b", "r/ab", "s/a"]
_listed = st.lists(st.sampled_from(_IDS + ["r/abc", "s/x"]), max_size=2)
_file = st.one_of(st.none(), st.builds(
    lambda own, guid, text, related: {"id": own, "guid": guid, "question": text, "related": related},
    st.sampled_from(_IDS), st.sampled_from(["g1", "g2", "g3"]), _texts, _listed))
_FILES = 5


_edits = st.lists(st.tuples(st.integers(0, _FILES - 1), _file), min_size=1, max_size=2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.lists(_file, min_size=_FILES, max_size=_FILES), earlier=_edits, edit=_edits, recorded=st.booleans())
def test_problems_after_an_edit_are_a_cold_runs(start: list[dict | None], earlier: list[tuple[int, dict | None]],
                                                edit: list[tuple[int, dict | None]], recorded: bool) -> None:
    """Indexes kept at one state (A), problems found after a few more edits (R), an edit since (N): the engine
    judges only the files that edit touches and answers as a cold run at N, as ``_rejudged`` uses it. Without
    the summaries at R of files edited twice (``recorded``), it judges every file."""
    import marshal

    from qtool.lint.config import active_rules
    from qtool.lint.engine import bank_problems, bank_problems_after

    settings_ = active_rules(Config(root=Path(".")), BANK_RULES)
    bank_wide = list(settings_.values())
    prepared = {name: dict(s.options) for name, s in settings_.items()}

    def bank(state: list[dict | None]) -> dict[str, Question]:
        return {f"q{i}.yaml": Question(f"q{i}.yaml", data) for i, data in enumerate(state) if data is not None}

    def edited(state: list[dict | None], edits: list[tuple[int, dict | None]]) -> list[dict | None]:
        state = list(state)
        for index, data in edits:
            state[index] = data
        return state

    def cold(questions: dict[str, Question]) -> list:
        return sorted(bank_problems(bank_wide, list(questions.values()), prepared, set(questions)))

    a, r = bank(start), bank(edited(start, earlier))
    n = bank(edited(edited(start, earlier), edit))
    memos: dict = {}
    bank_problems(bank_wide, list(a.values()), prepared, set(a), memos, None)
    memos = marshal.loads(marshal.dumps(memos))

    def differ(x: dict[str, Question], y: dict[str, Question]) -> set[str]:
        return {path for path in x.keys() | y.keys() if (x.get(path) and x[path].data) != (y.get(path) and y[path].data)}

    moved, since, before = differ(r, n), differ(a, n), differ(a, r)
    behind = (since - moved) | (moved & before)
    summaries = [n[path] for path in since | moved if path in n]
    unknown = bool(moved & before) and not recorded
    after = bank_problems_after(bank_wide, summaries, prepared, set(n), memos, [r[path] for path in behind if path in r],
                                behind, moved, None if unknown else cold(r))
    assert sorted(after) == cold(n)


def test_kept_scores_follow_words_that_become_common_or_rare() -> None:
    """A pair's score depends on which of its words are rare in the bank: other files' edits, or the bank's size,
    can turn two near-duplicates into distinct questions and back. The scores kept between runs follow."""
    import marshal

    import qtool.lint.rules.near_duplicate as nd

    pair = ["How would you handle a budget vendor with the finance team?",
            "How would you handle a budget outage with the finance team?"]
    fillers = [f"Zx{i} qw{i} er{i} ty{i} ui{i} op{i}?" for i in range(23)]
    users = [f"Finance budget handle qq{i} ww{i} ee{i}?" for i in range(2)]  # the pair's shared words, used twice more

    def bank(texts: list[str]) -> dict[str, Question]:
        return {f"q{i}.yaml": Question(f"q{i}.yaml", {"id": f"r/q{i}", "question": text}) for i, text in enumerate(texts)}

    def paired(found: list) -> float | None:
        return next((m.score for m in found if (m.path, m.other) == ("q0.yaml", "q1.yaml")), None)

    rest = fillers[:22] + users + fillers[22:]
    steps = [pair + fillers[:22], pair + fillers[:22] + users, pair + rest, [pair[0], pair[1].replace("team?", "team today?")] + rest]
    memo: dict = {}
    previous: dict[str, Question] = {}
    scores = []
    for texts in steps:
        questions = bank(texts)
        everything = set(questions)
        changed = {path for path, q in questions.items() if path not in previous or previous[path] != q} if previous else None
        found = nd.near_duplicates(list(questions.values()), 75, False, everything, memo, changed)
        memo = marshal.loads(marshal.dumps(memo))
        assert found == nd.near_duplicates(list(questions.values()), 75, False, everything)
        scores.append(paired(found))
        previous = questions
    # Rare shared words make the pair alike; common ones (4 uses of 25 files) leave only "vendor" and "outage";
    # with 27 files, 4 uses are rare again; then one of the pair is reworded and scores anew.
    assert scores[0] is not None and scores[1] is None and scores[2] is not None
    assert scores[3] is not None and scores[3] != scores[2]


def test_an_edit_elsewhere_rejudges_the_pairs_whose_rare_words_it_changes() -> None:
    """Near-duplicate judges again only the files an edit touches, and that includes a pair neither of whose files
    changed: another file's edit, or the bank's size, makes their shared words common or rare."""
    import marshal

    import qtool.lint.rules.near_duplicate as nd

    pair = ["How would you handle a budget vendor with the finance team?",
            "How would you handle a budget outage with the finance team?"]
    fillers = [f"Zx{i} qw{i} er{i} ty{i} ui{i} op{i}?" for i in range(23)]
    options = {"threshold": 75, "scope": "bank"}

    def bank(texts: list[str]) -> dict[str, Question]:
        return {f"q{i}.yaml": Question(f"q{i}.yaml", {"id": f"r/q{i}", "question": text}) for i, text in enumerate(texts)}

    def cold(questions: dict[str, Question]) -> list:
        return sorted(nd.RULE.check_bank(list(questions.values()), options, set(questions)))

    # Two fillers come to use the pair's words (then common: 4 of 25); two more files make them rare again (4 of 27).
    used = [*pair, *fillers[:21], "Finance budget handle qq1 ww1 ee1?", "Finance budget handle qq2 ww2 ee2?"]
    steps = [[*pair, *fillers], used, [*used, *fillers[21:]], [*pair, *fillers]]
    memo: dict = {}
    previous = bank(steps[0])
    found = sorted(nd.RULE.check_bank_with_memo(list(previous.values()), options, set(previous), memo, None))
    seen = []
    for texts in steps[1:]:
        questions = bank(texts)
        changed = {path for path in questions.keys() | previous.keys() if previous.get(path) != questions.get(path)}
        memo = marshal.loads(marshal.dumps(dumped(memo)))
        judged = nd.RULE.rejudge([], [questions[path] for path in changed if path in questions], options,
                                 set(questions), memo, set(), changed)
        assert judged is not None
        touched, problems = judged
        assert not {"q0.yaml", "q1.yaml"} & changed
        found = sorted([p for p in found if p.path not in touched] + [p for p in problems if p.path in questions])
        assert found == cold(questions)
        seen.append(any(p.path == "q0.yaml" for p in found))
        previous = questions
    assert seen == [False, True, True]  # the pair's own files were never edited


def test_an_index_begun_during_the_scan_finishes_as_one_made_at_once() -> None:
    """check feeds near-duplicate each summary as the scan reads it: the bank stage then finishes that index."""

    import qtool.lint.rules.near_duplicate as nd
    from qtool.lint.rule import STARTED

    distinct, reworded = _calibration()
    qs = _questions(list(dict.fromkeys(distinct + [b for _, b in reworded])))
    everything = {q.path for q in qs}
    at_once: dict = {}
    expected = nd.near_duplicates(qs, 75, False, everything, at_once, None)
    assert expected

    begun = nd.RULE.begin({"threshold": 75, "scope": "bank"})
    for q in qs:
        begun.add(q)
    memo: dict = {STARTED: begun}
    assert nd.near_duplicates(qs, 75, False, everything, memo, None) == expected
    assert begun.count, "the begun index was finished, not made again"
    assert memo == at_once

    short = nd.RULE.begin({"threshold": 75, "scope": "bank"})
    for q in qs[1:]:  # one question was not fed: this index is not the bank's
        short.add(q)
    assert nd.near_duplicates(qs, 75, False, everything, {STARTED: short}, None) == expected
    assert not short.count


def test_near_duplicates_judge_distinctive_words_pair_by_pair() -> None:
    """Of pairs whose wording is close: neither side with distinctive words, the wording decides; one side
    only, no match; the same words, no match (duplicate-question's case). Each is scored as a pair first."""
    import rapidfuzz.fuzz

    import qtool.lint.rules.near_duplicate as nd

    plain = "How do you plan a project budget with the team?"
    qs = _questions([plain, "How would you plan a project budget with the team?",  # "plan project budget team": common
                     "How do you plan a project budget with the team zebra?",  # "zebra": distinctive
                     "how do you plan a project budget, with the team"])  # the same words as the first
    index = nd._Index(75, False)
    everything = {q.path for q in qs}
    index.update({q.path: q for q in qs}, None, keep_all=True, report_on=everything)
    scored = {frozenset((a, b)) for pairs in index.pairs.values() for a, b, _ in pairs}
    assert scored == {frozenset(pair) for pair in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))}

    wording = rapidfuzz.fuzz.ratio(*(" ".join(sorted(index.tokens[slot].split())) for slot in (0, 1)))
    assert 75 <= wording < 100
    expected = [nd.Match("q0.yaml", (1, 1), "q1.yaml", index.shown[1], wording),
                nd.Match("q1.yaml", (1, 1), "q0.yaml", index.shown[0], wording),
                nd.Match("q1.yaml", (1, 1), "q3.yaml", index.shown[3], wording),
                nd.Match("q3.yaml", (1, 1), "q1.yaml", index.shown[1], wording)]
    assert index.matches(everything) == expected
    assert index.matches({"q1.yaml"}) == [m for m in expected if m.path == "q1.yaml"]


def test_a_big_first_run_shares_its_scoring_with_a_helper_and_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """From ``SHARED_FROM`` comparisons, a helper interpreter scores the first blocks: the index and matches are as scored here."""
    import contextlib

    from qtool.lint.rules import near_duplicate

    texts = [frame.format(a=a, b=b) + tail for frame in _FRAMES for a in _WORDS for b in _WORDS[:5] for tail in ("", " Why?")]
    qs = _questions(texts)
    everything = {q.path for q in qs}

    def run() -> tuple[list, dict]:
        memo: dict = {}
        return near_duplicates(qs, 75, False, everything, memo), memo

    alone, alone_memo = run()
    helped = []

    @contextlib.contextmanager
    def watched(func, arg):
        with workers.spawned(func, arg) as helper:
            helped.append((helper is not None, len(arg[0])))
            yield helper

    from qtool import workers

    monkeypatch.setattr(near_duplicate, "spawned", watched)
    monkeypatch.setattr(near_duplicate, "SHARED_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # a helper is started from two cores
    shared, shared_memo = run()
    assert helped and helped[0][0] and 0 < helped[0][1] < len(alone_memo["blocks"])
    assert len(alone) > 10 and shared == alone
    assert shared_memo["pairs"] == alone_memo["pairs"] and shared_memo["chosen"] == alone_memo["chosen"]
