"""The Anki export, checked with Anki's own library: import, fields, tags, decks, and updates on re-import."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qtool.export import ExportError, anki, effective_guid
from qtool.loader import load_file
from qtool.model import Question

if os.environ.get("CI") != "true":  # under CI a missing anki is an import error: the run fails
    pytest.importorskip("anki")
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest  # noqa: E402
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition  # noqa: E402

UNIT = Path(__file__).parent / "fixtures" / "export" / "unit"
T0 = 1_700_000_000


def load(name: str) -> Question:
    question = load_file(UNIT / name)
    assert isinstance(question, Question)
    return question


def import_apkg(col: Any, path: Path) -> None:
    """Import as a learner does: keep the learner's scheduling, update notes that are newer."""
    newer = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
    options = ImportAnkiPackageOptions(with_scheduling=False, merge_notetypes=True, update_notes=newer, update_notetypes=newer)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options))


def notes(col: Any) -> dict[str, Any]:
    """guid -> note."""
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


@pytest.fixture
def col(tmp_path: Path) -> Any:
    """A learner's fresh Anki collection."""
    folder = tmp_path / "learner"
    folder.mkdir()
    collection = Collection(str(folder / "collection.anki2"))
    yield collection
    collection.close()


# -- constants: chosen once, never changed ---------------------------------------------
def test_note_type_and_deck_constants_are_pinned() -> None:
    assert anki.MODEL_ID == 2031460882
    assert anki.MODEL_NAME == "qtool interview question"
    assert anki.TEMPLATE_NAME == "Question > Answers"
    assert anki.FIELDS == (
        "Question", "Role", "Category", "Sample", "SampleCritique", "Solid", "SolidCritique",
        "Exceptional", "ExceptionalCritique", "PrepTips", "Competencies", "Related", "Id",
    )  # fmt: skip
    assert anki.DECK_ROOT == "Interview Questions"
    assert anki.deck_name("Marketing Specialist") == "Interview Questions::Marketing Specialist"
    assert anki.deck_id("Interview Questions::Marketing Specialist") == 8489656173


def test_template_changes_bump_the_note_type_time() -> None:
    fingerprint = hashlib.sha256((anki.FRONT + anki.BACK + anki.CSS).encode()).hexdigest()
    assert (fingerprint[:16], anki.NOTETYPE_TIME) == ("49f6126d2fca9b51", 1796169600), (
        "the card template or CSS changed: raise NOTETYPE_TIME (so learners' note types update) and re-pin both"
    )


# -- fields, tags, decks -----------------------------------------------------------------
def test_text_html_escapes_and_keeps_paragraphs_and_line_breaks() -> None:
    # Texts are CommonMark: a single line break is a soft break, a blank line a new paragraph.
    assert anki.text_html("a <b> & c\nd\n\n  e\n") == "<p>a &lt;b&gt; &amp; c\nd</p>\n<p>e</p>"
    assert anki.text_html(None) == anki.text_html("  \n") == ""
    assert anki.list_html(["<i>", "x"]) == "<ul><li>&lt;i&gt;</li><li>x</li></ul>"
    assert anki.list_html(["use `<i>`", "*x*"], markdown=True) == "<ul><li>use <code>&lt;i&gt;</code></li><li><em>x</em></li></ul>"
    assert anki.list_html([]) == ""


def test_tags_are_slugs_without_spaces() -> None:
    assert anki.slug("Crème brûlée  tasting!") == "creme-brulee-tasting"
    assert anki.note_tags(load("tricky.yaml")) == [
        "category::situational",
        "competency::c-quotes",
        "competency::problem-solving",
        "competency::creme-brulee-tasting",
    ]
    assert anki.note_tags(load("plain.yaml")) == ["category::general", "competency::reading", "status::draft"]


def test_deck_names_cannot_make_subdecks() -> None:
    assert anki.deck_name("A::B  C") == "Interview Questions::A:B C"


def test_real_anki_imports_fields_tags_decks_escaped(tmp_path: Path, col: Any) -> None:
    tricky, plain = load("tricky.yaml"), load("plain.yaml")
    apkg = tmp_path / "deck.apkg"
    anki.write_anki([plain, tricky], apkg, {plain.path: T0, tricky.path: T0 + 5})
    import_apkg(col, apkg)

    assert col.note_count() == 2 and col.card_count() == 2
    by_guid = notes(col)
    assert set(by_guid) == {"k3#Lq8!xZp", effective_guid(tricky)}
    note = by_guid[effective_guid(tricky)]
    assert note.note_type()["name"] == anki.MODEL_NAME
    assert [f["name"] for f in note.note_type()["flds"]] == list(anki.FIELDS)
    assert note["Question"] == '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; — how do you keep a café\'s naïve staff safe, 1 &lt; 2?'
    assert note["Sample"] == (
        '<p>=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;), said the sheet.</p>\n'
        '<p>A second paragraph,\nwith a line break, &quot;quotes&quot; and a comma.</p>'
    )
    assert note["Exceptional"] == "<p>@mention at the start &amp; &lt;b&gt;not bold&lt;/b&gt;</p>"
    assert note["Competencies"] == '<ul><li>C++ &amp; "quotes"</li><li>Problem-solving</li><li>Crème brûlée tasting</li></ul>'
    assert note["Related"] == "<ul><li>tricky-role/plain</li></ul>"
    assert note["Id"] == "tricky-role/formula-cells"
    assert note.mod == T0 + 5
    assert sorted(note.tags) == sorted(anki.note_tags(tricky))
    # The sort field is plain text, not HTML.
    assert col.db.scalar("select sfld from notes where id = ?", note.id) == tricky.question
    card = note.cards()[0]
    assert col.decks.name(card.did) == "Interview Questions::R&D <Lead>"
    assert "<script>" not in card.question() and "&lt;script&gt;" in card.question()
    back = card.answer()
    order = [back.index(s) for s in ("Sample answer", "A more solid answer", "An exceptional answer", "How to prepare", "What interviewers")]
    assert order == sorted(order)
    # Empty optional fields hide their section.
    assert "Related questions" not in by_guid["k3#Lq8!xZp"].cards()[0].answer()


def test_bank_export_imports_one_note_per_question(bank: Path, run: Callable[..., Any], col: Any) -> None:
    result = run("export", "--to", "anki")
    assert result.exit_code == 0, result.output
    import_apkg(col, bank / "exports" / "questions.apkg")
    files = sorted(bank.glob("questions/*/*.yaml"))
    assert col.note_count() == col.card_count() == len(files)
    roles = {load_file(f).role for f in files}  # type: ignore[union-attr]
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert {f"Interview Questions::{r}" for r in roles} | {"Interview Questions"} <= names
    by_guid = notes(col)
    seed = by_guid["k3#Lq8!xZp"]
    assert seed["Id"] == "marketing-specialist/social-media-crisis"
    assert col.decks.name(seed.cards()[0].did) == "Interview Questions::Marketing Specialist"
    assert "category::behavioral" in seed.tags and "competency::leadership-and-team-management" in seed.tags


# -- updates on re-import ----------------------------------------------------------------
def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edit_with_newer_file_time_updates_the_note_same_time_does_not(bank: Path, run: Callable[..., Any], col: Any) -> None:
    files = sorted(bank.glob("questions/*/*.yaml"))
    for f in files:
        os.utime(f, (T0, T0))
    apkg = bank / "exports" / "questions.apkg"
    assert run("export", "--to", "anki").exit_code == 0
    import_apkg(col, apkg)
    count = col.note_count()

    seed = bank / "questions" / "marketing-specialist" / "social-media-crisis.yaml"
    _edit(seed, "reinforce our brand reputation.", "reinforce our brand reputation. EDITED-BY-AUTHOR")
    os.utime(seed, (T0 + 60, T0 + 60))  # the author saves (or commits) later
    other = files[-1]
    _edit(other, "\n  exceptional:\n    text: |\n      ", "\n  exceptional:\n    text: |\n      SAME-TIME ")
    os.utime(other, (T0, T0))  # an edit whose time did not move: Anki drops it
    assert run("export", "--to", "anki").exit_code == 0
    import_apkg(col, apkg)

    assert col.note_count() == count
    assert len({n.guid for n in notes(col).values()}) == count
    updated = notes(col)["k3#Lq8!xZp"]
    assert "EDITED-BY-AUTHOR" in updated["Exceptional"]
    assert updated.mod == T0 + 60
    assert not any("SAME-TIME" in n["Exceptional"] for n in notes(col).values())


def _git(root: Path, *args: str, when: int | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    done = subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@example.com", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def test_git_commit_moves_the_note_time_on(bank: Path, run: Callable[..., Any], col: Any) -> None:
    _git(bank, "init", "-q")
    _git(bank, "add", "questions")
    _git(bank, "commit", "-q", "-m", "bank", when=T0)
    apkg = bank / "exports" / "questions.apkg"
    assert run("export", "--to", "anki").exit_code == 0
    first = apkg.read_bytes()
    import_apkg(col, apkg)
    assert {n.mod for n in notes(col).values()} == {T0}
    count = col.note_count()

    seed = bank / "questions" / "marketing-specialist" / "social-media-crisis.yaml"
    _edit(seed, "reinforce our brand reputation.", "reinforce our brand reputation. COMMITTED-EDIT")
    _git(bank, "commit", "-q", "-am", "edit", when=T0 + 3600)
    for f in bank.glob("questions/*/*.yaml"):
        os.utime(f)  # a fresh checkout: file times say nothing, commit times decide
    assert run("export", "--to", "anki").exit_code == 0
    assert apkg.read_bytes() != first
    import_apkg(col, apkg)

    assert col.note_count() == count
    by_guid = notes(col)
    assert "COMMITTED-EDIT" in by_guid["k3#Lq8!xZp"]["Exceptional"]
    assert by_guid["k3#Lq8!xZp"].mod == T0 + 3600
    assert sorted(n.mod for n in by_guid.values()) == [T0] * (count - 1) + [T0 + 3600]


def test_renamed_file_keeps_its_note_when_guid_is_set(tmp_path: Path, col: Any) -> None:
    plain = load("plain.yaml")
    apkg = tmp_path / "d.apkg"
    anki.write_anki([plain], apkg, {plain.path: T0})
    import_apkg(col, apkg)
    plain.data["id"] = "tricky-role/renamed"
    plain.data["answers"]["solid"]["text"] = "Renamed and edited."
    anki.write_anki([plain], apkg, {plain.path: T0 + 1})
    import_apkg(col, apkg)
    (note,) = notes(col).values()
    assert col.note_count() == 1 and note["Id"] == "tricky-role/renamed" and note["Solid"] == "<p>Renamed and edited.</p>"


# -- the package file ------------------------------------------------------------------------
def test_package_is_compressed_reproducible_and_dated_from_the_bank(tmp_path: Path) -> None:
    tricky, plain = load("tricky.yaml"), load("plain.yaml")
    times = {plain.path: 1_800_000_000, tricky.path: 1_800_000_100}
    a, b = tmp_path / "a.apkg", tmp_path / "b.apkg"
    anki.write_anki([plain, tricky], a, times)
    anki.write_anki([plain, tricky], b, times)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["collection.anki2", "media"]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        assert {i.date_time for i in infos} == {(2027, 1, 15, 8, 1, 40)}  # 1_800_000_100 UTC
        assert infos[0].compress_size < infos[0].file_size / 4
        db = tmp_path / "c.anki2"
        db.write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(db) as conn:
        assert sorted(conn.execute("select guid, mod from notes")) == sorted(
            [("k3#Lq8!xZp", 1_800_000_000), (effective_guid(tricky), 1_800_000_100)]
        )
        assert {m for (m,) in conn.execute("select mod from cards")} == {1_800_000_000, 1_800_000_100}


def test_package_time_is_never_older_than_the_note_type() -> None:
    plain = load("plain.yaml")
    assert anki.package_time({plain.path: 5}, [plain.path]) == anki.NOTETYPE_TIME
    assert anki.package_time({plain.path: anki.NOTETYPE_TIME + 9}, [plain.path]) == anki.NOTETYPE_TIME + 9


def test_two_files_with_one_guid_are_refused(tmp_path: Path) -> None:
    a, b = load("plain.yaml"), load("plain.yaml")
    b.path = "elsewhere.yaml"
    with pytest.raises(ExportError, match="same Anki GUID"):
        anki.write_anki([a, b], tmp_path / "x.apkg", {a.path: T0, b.path: T0})
    assert not (tmp_path / "x.apkg").exists()


# -- Markdown rendered at build time (issue 12, item 4) -------------------------------------
def test_real_anki_stores_markdown_rendered_as_html(tmp_path: Path, col: Any) -> None:
    question = load("markdown.yaml")
    apkg = tmp_path / "deck.apkg"
    anki.write_anki([question], apkg, {question.path: T0})
    import_apkg(col, apkg)
    note = notes(col)["md8Tq2LxWa"]

    assert note["Question"] == "What does <code>List&lt;String&gt;</code> guarantee that a raw <code>List</code> does not?"
    sample = note["Sample"]
    # Fenced code: highlighted by Pygments into <pre> with classes, indentation kept, no script.
    assert '<pre class="highlight"><code class="language-java">' in sample
    assert '<span class="n">names</span>' in sample
    assert '\n<span class="w">    </span><span class="c1">// indented comment, kept</span>' in sample
    # Links: http(s) clickable, javascript: never a link; raw HTML is escaped text.
    assert '<a href="https://docs.oracle.com/javase/tutorial/java/generics/">the tutorial</a>' in sample
    assert "[this](javascript:alert(1))" in sample and 'href="javascript' not in sample
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in sample and "<script" not in sample
    solid = note["Solid"]
    assert "<table>" in solid and "<td><code>List&lt;String&gt;</code></td>" in solid
    assert '<a href="mailto:team@example.com">mailto:team@example.com</a>' in solid and "<strong>the spec</strong>" in solid
    assert "<a" not in note["SolidCritique"] and "<em>table</em>" in note["SolidCritique"]
    assert note["PrepTips"] == "<ul><li>Know what <code>? extends T</code> means.</li></ul>"
    # Tags keep letters of any script; the sort field stays the plain text.
    assert "competency::性能优化" in note.tags
    assert col.db.scalar("select sfld from notes where id = ?", note.id) == "What does List<String> guarantee that a raw List does not?"
    # The note type carries light and night-mode code styles, and no script.
    notetype = note.note_type()
    assert ".highlight .k {" in notetype["css"] and ".nightMode .highlight .k {" in notetype["css"]
    card = note.cards()[0]
    assert "<script" not in card.answer()


def test_level_tag(tmp_path: Path) -> None:
    question = load("markdown.yaml")
    question.data["level"] = "senior"
    assert anki.note_tags(question)[-1] == "level::senior"
    assert not any(tag.startswith("level::") for tag in anki.note_tags(load("plain.yaml")))


def test_tags_keep_letters_of_any_script() -> None:
    assert anki.slug("性能优化") == "性能优化"
    assert anki.slug("データ分析") == "データ分析"  # dakuten are part of the letter, not accents
    assert anki.slug("Crème brûlée") == "creme-brulee"
    assert anki.slug("한국어 능력") == "한국어-능력"


def test_bank_technical_questions_import_into_real_anki_as_rendered_html(tmp_path: Path, col: Any) -> None:
    from conftest import BANK

    technical = [q for q in (load_file(p) for p in sorted(BANK.rglob("*.yaml")))
                 if isinstance(q, Question) and q.category == "technical" and "```" in q.text]
    assert len(technical) >= 6 and len({q.role for q in technical}) >= 3
    apkg = tmp_path / "technical.apkg"
    anki.write_anki(technical, apkg, {q.path: T0 for q in technical})
    import_apkg(col, apkg)
    assert col.note_count() == len(technical)
    stored = {note["Id"]: note for note in notes(col).values()}
    for question in technical:
        note = stored[question.id]
        answers = note["Sample"] + note["Solid"] + note["Exceptional"]
        # Every technical answer carries code, highlighted into <pre> with classes; no raw tag from the text survives.
        assert '<pre class="highlight"><code class="language-' in answers, question.id
        assert not re.search(r"<(input|form|label|button|script|String|T)\b", answers), question.id
        assert "```" not in answers and "<br>" not in answers
    deploy = stored["devops-engineer/zero-downtime-deployment"]
    # The YAML manifest keeps its indentation inside <pre>.
    assert ('\n<span class="w">    </span><span class="nt">rollingUpdate</span><span class="p">:</span>\n'
            '<span class="w">      </span><span class="nt">maxUnavailable</span>') in deploy["Solid"]
    assert '<a href="https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination">terminates a pod</a>' in deploy["PrepTips"]
    form = stored["frontend-developer/controlled-form-inputs"]
    assert "&lt;input value={name}" in re.sub(r"<[^>]+>", "", form["Sample"])  # JSX shown as code, escaped
    generics = stored["software-engineer/java-generics-type-erasure"]
    assert generics["Question"].startswith("What problem do generics such as <code>List&lt;String&gt;</code> solve")
    chinese = stored["data-analyst/monthly-retention-cohorts"]
    assert {"competency::技术专长", "competency::数据驱动决策", "competency::问题解决"} <= set(chinese.tags)
    assert col.decks.name(chinese.cards()[0].did) == "Interview Questions::数据分析师"


def test_a_killed_exports_build_folder_is_removed_by_the_next(bank: Path, run: Callable[..., Any]) -> None:
    """Anki build folders are named after their process: the next export removes a dead run's, never a live one's."""
    import os
    import tempfile

    dead = Path(tempfile.gettempdir()) / "qtool-anki-999999999-left"
    alive = Path(tempfile.gettempdir()) / f"qtool-anki-{os.getppid()}-busy"
    for folder in (dead, alive):
        folder.mkdir(exist_ok=True)
        (folder / "collection.anki2").write_bytes(b"half a build")
    try:
        assert run("export", "--to", "anki").exit_code == 0
        assert not dead.exists() and alive.exists()
    finally:
        import shutil

        shutil.rmtree(alive, ignore_errors=True)
        shutil.rmtree(dead, ignore_errors=True)
