"""The check pipeline's speed paths report exactly what the plain path reports.

Cached, parallel and serial runs of the same bank give the same problems; every part of the
cache key invalidates it; a damaged cache is ignored; `qtool check` imports nothing heavy.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import qtool
from conftest import REPO, ctrl_c_as_in_a_terminal
from qtool.cache import CACHE_DIR, context_key
from qtool.config import load_config
from qtool.pipeline import check_files

BENCH = REPO / "bench" / "gen_corpus.py"


def _problems(root: Path, **kwargs) -> list[tuple]:
    checked = check_files(None, load_config(root), **kwargs)
    return sorted((p.path, p.line, p.column, p.severity.value, p.code, p.message) for p in checked.problems)


@pytest.fixture(scope="module")
def big_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic bank large enough for the parallel path, with problems planted in it."""
    spec = importlib.util.spec_from_file_location("gen_corpus", BENCH)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    root = tmp_path_factory.mktemp("big")
    gen.generate(600, root, seed=7)
    files = sorted((root / "questions").rglob("*.yaml"))
    files[0].write_text(files[0].read_text().replace("category: ", "category: nope-"))  # schema error
    files[1].write_text(files[1].read_text().replace("status: reviewed", "status: draft") + "# qtool: disable=nope\n")
    files[2].write_bytes(b"\xff not utf-8")
    files[3].write_text(files[3].read_text().replace("\nquestion: ", "\nquestion: TODO ", 1))
    return root


@pytest.fixture
def in_big_bank(big_bank: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(big_bank)
    return big_bank


def test_parallel_serial_and_cached_runs_agree(in_big_bank: Path) -> None:
    serial = _problems(in_big_bank, jobs=1)
    assert {code for *_, code, _ in serial} >= {"schema", "parse", "draft-status", "placeholder", "unused-suppression"}
    assert _problems(in_big_bank, jobs=2) == serial
    cold = _problems(in_big_bank, cache=True)
    assert (in_big_bank / CACHE_DIR / "check.bin").is_file()
    warm = _problems(in_big_bank, cache=True)
    assert cold == warm == serial


@pytest.mark.parametrize("kept_indexes", [False, True], ids=["first run", "bank indexes kept"])
def test_a_big_bank_s_entries_are_written_aside_with_its_bank_results(big_bank: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch, kept_indexes: bool) -> None:
    """A cold run of a big bank writes check.bin in a forked child. In a first run the child starts after the bank
    stage and writes the bank-wide results with the entries; with the bank indexes kept from an earlier run, it
    writes while the bank stage runs, and the results follow in check.delta against it. A run with the report
    gone reads them and runs no bank-wide rule."""
    import shutil

    import qtool.pipeline
    from qtool.cache import CheckCache, read_checked

    root = tmp_path / "bank"
    shutil.copytree(big_bank, root)
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    monkeypatch.chdir(root)
    if kept_indexes:
        _problems(root, cache=True)
        for name in ("check.bin", "check.delta"):
            (root / CACHE_DIR / name).unlink(missing_ok=True)
        _forget_reports(root)
    aside: list[int] = []
    forked = qtool.pipeline.forked
    monkeypatch.setattr(qtool.pipeline, "forked", lambda func: aside.append(os.getpid()) or forked(func))
    cold = _problems(root, cache=True)
    assert cold == _problems(root) and aside
    entries, checksum = read_checked(root / CACHE_DIR / "check.bin")
    assert len(entries["files"]) == 600
    if kept_indexes:
        delta, _ = read_checked(root / CACHE_DIR / "check.delta")
        assert entries["bank"] == {} and delta["base"] == checksum and delta["files"] == {} and delta["bank"]["results"]
        assert CheckCache(root, entries["key"]).bank == delta["bank"]
    else:
        assert entries["bank"]["results"] and not (root / CACHE_DIR / "check.delta").exists()
        assert CheckCache(root, entries["key"]).bank == entries["bank"]
    _forget_reports(root)
    ran: list[int] = []
    bank_problems = qtool.pipeline.bank_problems
    monkeypatch.setattr(qtool.pipeline, "bank_problems", lambda *args, **kwargs: ran.append(1) or bank_problems(*args, **kwargs))
    assert _problems(root, cache=True) == cold and ran == []


def test_a_first_run_s_last_files_are_linted_in_the_workers_while_the_bank_stage_runs(big_bank: Path, tmp_path: Path,
                                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-file rules of the last files run in the workers while the bank stage runs: the problems, suppressions
    and cached entries of those files are as in one process (a run with the report gone reads them back)."""
    import shutil

    import qtool.pipeline

    root = tmp_path / "bank"
    shutil.copytree(big_bank, root)
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)  # a first run
    monkeypatch.chdir(root)
    files = sorted((root / "questions").rglob("*.yaml"))
    files[-1].write_text(files[-1].read_text().replace("status: reviewed", "status: draft") + "# qtool: disable=nope\n")
    files[-2].write_text(files[-2].read_text().replace("\nquestion: ", "\nquestion: TODO ", 1))
    files[-3].write_text(files[-3].read_text().replace("status: reviewed", "status: draft  # qtool: disable=draft-status"))
    serial = _problems(root, jobs=1)
    last = {str(path.relative_to(root)) for path in files[-3:]}
    assert {code for path, *_, code, _ in serial if path in last} >= {"draft-status", "placeholder", "unused-suppression"}
    linted = tmp_path / "linted"
    analyse_rest = qtool.pipeline.analyse_rest

    def recorded(settings, prepared, rest):
        with linted.open("a") as log:
            log.write(f"{rest[0].path} {os.getpid()}\n")
        return analyse_rest(settings, prepared, rest)

    monkeypatch.setattr(qtool.pipeline, "analyse_rest", recorded)
    assert _problems(root, cache=True) == serial
    by_path = dict(line.split() for line in linted.read_text().splitlines())
    assert last <= by_path.keys() and str(os.getpid()) not in by_path.values()
    _forget_reports(root)
    assert _problems(root, cache=True) == serial


@pytest.mark.parametrize(("seed", "rewrite_from", "delta_share", "part_files"), [(1, 16, 16, 512), (2, 1, 1, 7), (3, 3, 1, 64)])
def test_after_random_edits_the_kept_bank_indexes_answer_as_a_cold_run(big_bank: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch, seed: int,
                                                                        rewrite_from: int, delta_share: int,
                                                                        part_files: int) -> None:
    """Edits, copies, deletions and broken files, one run after another: each cached run reports what a cold run
    reports, and the bank-wide rules were given only the changed files (their kept indexes were used), whether
    patched runs rewrite the indexes each time or leave them behind for a few runs, whether they rewrite the
    files table or lay what changed on it, in parts of any size; a rule is not given files whose edit changed nothing it reads."""
    import random
    import shutil

    import qtool.cache
    import qtool.lint.rules.near_duplicate as near
    import qtool.pipeline

    monkeypatch.setattr(qtool.pipeline, "REWRITE_FROM", rewrite_from)
    monkeypatch.setattr(qtool.cache, "DELTA_SHARE_OF_RUN", delta_share)
    monkeypatch.setattr(qtool.cache, "PART_FILES", part_files)

    root = tmp_path / "bank"
    shutil.copytree(big_bank, root)
    monkeypatch.chdir(root)
    given: list[object] = []
    update = near._Index.update

    def spy(self, by_path, changed, **kwargs):  # type: ignore[no-untyped-def]
        given.append(changed)
        return update(self, by_path, changed, **kwargs)

    monkeypatch.setattr(near._Index, "update", spy)
    rng = random.Random(seed)
    tick = [os.stat(root).st_mtime_ns]

    def write(path: Path, text: str) -> None:
        path.write_text(text)
        tick[0] += 10**9  # a new stat signature for every write, however fast the file system's clock
        os.utime(path, ns=(tick[0], tick[0]))

    def question_of(text: str) -> str:
        return next(line for line in text.splitlines() if line.startswith("question: "))

    assert _problems(root, cache=True) == _problems(root)
    # First a copy of a question, then the original deleted: the copy's clashes go with it.
    original = sorted((root / "questions").rglob("*.yaml"))[10]
    write(original.with_name("copy-" + original.name), original.read_text())
    assert _problems(root, cache=True) == _problems(root)
    original.unlink()
    assert _problems(root, cache=True) == _problems(root)
    incremental = 0
    for step in range(8):
        files = sorted((root / "questions").rglob("*.yaml"))
        target, other = rng.sample(files, 2)
        text, source = target.read_text(errors="replace"), other.read_text(errors="replace")
        action = rng.choice(["same question", "reworded", "same id", "delete", "copy", "broken", "related", "answer",
                             "answer words", "answer words"])
        if action == "delete":
            target.unlink()
        elif action == "copy":
            write(target.with_name("copy-" + target.name), text)
        elif action == "broken":
            write(target, "question: [unclosed\n")
        elif action == "answer":  # the summary stays the same, or only its positions move
            write(target, text.replace("  text: |\n", "  text: |\n    One more line.\n", 1))
        elif action == "answer words":  # no line moves: the last report is patched
            lines = text.split("\n")
            at = next((i + 1 for i, line in enumerate(lines) if line.endswith("text: |")), None)
            if at is not None and at < len(lines):
                lines[at] += rng.choice([" TODO", " Also this.", " And that."])
            write(target, "\n".join(lines))
        elif "question: " not in text or "question: " not in source:
            action = "whole file"
            write(target, source)
        elif action == "same question":
            write(target, text.replace(question_of(text), question_of(source), 1))
        elif action == "reworded":
            words = question_of(source).split()
            words[rng.randrange(1, len(words))] = rng.choice(["urgent", "new", "the", "a"])
            write(target, text.replace(question_of(text), " ".join(words), 1))
        elif action == "same id":
            own = next(line for line in text.splitlines() if line.startswith("id: "))
            write(target, text.replace(own, next(line for line in source.splitlines() if line.startswith("id: ")), 1))
        else:
            write(target, text.replace("\nrelated:\n", "\nrelated:\n  - nowhere/at-all\n", 1))
        given.clear()
        kept = _problems(root, cache=True)
        # Each edit touches at most two files; patched runs may give the rules those of earlier edits again.
        assert all(changed is not None and len(changed) <= 2 * (step + 3) for changed in given), given
        incremental += bool(given)
        if action in ("same question", "reworded", "delete", "copy", "broken", "whole file"):
            assert given, action  # a question changed, came or went: near-duplicate's kept index took it
        if rewrite_from == 1 and action in ("same id", "related", "answer words"):
            assert not given, action  # near-duplicate reads only questions: its kept index is not even read
        assert kept == _problems(root), action
    assert incremental >= 2


def test_some_paths_from_the_cache_match_a_plain_run(in_big_bank: Path) -> None:
    files = [str(p.relative_to(in_big_bank)) for p in sorted((in_big_bank / "questions").rglob("*.yaml"))[:5]]
    config = load_config(in_big_bank)
    plain = check_files(files, config, jobs=1).problems
    check_files(None, config, cache=True)
    assert check_files(files, config, cache=True).problems == plain


def _reports(bank: Path) -> list[str]:
    """The names of the last runs' reports in the cache (one a context)."""
    return sorted(p.name for p in (bank / CACHE_DIR).glob("run-*.bin"))


def _forget_reports(bank: Path) -> None:
    for name in _reports(bank):
        (bank / CACHE_DIR / name).unlink()


def _bank_with_cache(bank: Path) -> list[tuple]:
    first = _problems(bank, cache=True)
    assert first == _problems(bank, cache=True)
    return first


def test_an_edited_file_is_checked_again(bank: Path) -> None:
    assert _bank_with_cache(bank) == []
    target = bank / "questions" / "software-engineer" / "production-incident.yaml"
    stat = target.stat()
    text = target.read_text()
    target.write_text(text.replace("category: behavioral", "category: behavioural"))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, same size + 1: content decides
    assert [code for *_, code, _ in _problems(bank, cache=True)] == ["schema"]


def test_a_same_size_rewrite_with_the_same_mtime_is_checked_again(bank: Path) -> None:
    _bank_with_cache(bank)
    target = bank / "questions" / "software-engineer" / "production-incident.yaml"
    stat = target.stat()
    text = target.read_text()
    target.write_text(text.replace("status: reviewed", "status: drafted"))  # same length
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert [code for *_, code, _ in _problems(bank, cache=True)] == ["schema"]


def test_configuration_invalidates(bank: Path) -> None:
    _bank_with_cache(bank)
    (bank / "pyproject.toml").write_text("[tool.qtool.rules.answer-length]\nmax-words = 100\n")
    assert {code for *_, code, _ in _problems(bank, cache=True)} == {"answer-length"}


def test_vocabulary_file_invalidates(bank: Path) -> None:
    _bank_with_cache(bank)
    vocabulary = bank / "schema" / "competencies.yaml"
    vocabulary.write_text("\n".join(line for line in vocabulary.read_text().splitlines() if "Problem-solving" not in line) + "\n")
    assert {code for *_, code, _ in _problems(bank, cache=True)} == {"competency-vocabulary"}


def test_strict_and_selection_are_part_of_the_key(bank: Path) -> None:
    draft = bank / "questions" / "product-manager" / "failed-feature.yaml"
    draft.write_text(draft.read_text().replace("status: reviewed", "status: draft"))
    assert {sev for _, _, _, sev, code, _ in _problems(bank, cache=True) if code == "draft-status"} == {"warning"}
    assert {sev for _, _, _, sev, code, _ in _problems(bank, cache=True, strict=True) if code == "draft-status"} == {"error"}
    assert _problems(bank, cache=True, ignore=["draft-status"]) == []


def test_code_schema_and_version_are_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    base = context_key("settings")
    assert context_key("settings") == base
    assert context_key("other settings") != base
    monkeypatch.setattr(qtool, "__version__", "99.0")
    assert context_key("settings") != base
    monkeypatch.undo()
    schema = Path(qtool.__file__).parent / "schema" / "question.schema.json"
    stat = schema.stat()
    try:
        os.utime(schema, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert context_key("settings") != base
    finally:
        os.utime(schema, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert context_key("settings") == base


def test_bank_results_found_before_a_run_without_the_bank_stage_are_not_reused(bank: Path) -> None:
    """A run that re-reads a changed file but reports on no file with a summary skips the bank-wide rules:
    what they found before no longer matches the cached summaries, and the next run finds it again."""
    assert _bank_with_cache(bank) == []
    files = sorted((bank / "questions").rglob("*.yaml"))
    copy, original = files[0], files[1]
    asked = next(line for line in original.read_text().splitlines() if line.startswith("question: "))
    text = copy.read_text()
    copy.write_text(text.replace(next(line for line in text.splitlines() if line.startswith("question: ")), asked, 1))
    broken = bank / "questions" / "broken.yaml"
    broken.write_text("question: [unclosed\n")
    config = load_config(bank)
    assert [p.code for p in check_files([str(broken.relative_to(bank))], config, cache=True).problems] == ["parse"]
    broken.unlink()
    assert "duplicate-question" in {code for *_, code, _ in _problems(bank, cache=True)}


def test_a_few_changed_files_go_to_a_small_delta_that_is_read_back(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qtool.cache
    import qtool.pipeline

    assert _bank_with_cache(bank) == []
    check_bin, delta = bank / CACHE_DIR / "check.bin", bank / CACHE_DIR / "check.delta"
    written = check_bin.read_bytes()
    target = bank / "questions" / "software-engineer" / "production-incident.yaml"
    target.write_text(target.read_text().replace("category: behavioral", "category: wrong"))
    _forget_reports(bank)  # else the last report is patched, and the per-file cache is not opened
    assert [code for *_, code, _ in _problems(bank, cache=True)] == ["schema"]
    assert check_bin.read_bytes() == written and delta.is_file()
    # Without the last report, the edited file's entry comes from the delta: nothing is analysed again.
    _forget_reports(bank)
    analysed: list[str] = []
    analyse = qtool.pipeline.analyse
    monkeypatch.setattr(qtool.pipeline, "analyse", lambda *args: analysed.append(args[2]) or analyse(*args))
    assert [code for *_, code, _ in _problems(bank, cache=True)] == ["schema"]
    assert analysed == []
    # Past the delta's share of the bank, check.bin is written anew and the delta goes.
    monkeypatch.setattr(qtool.cache, "DELTA_MIN", 0)
    for path in sorted((bank / "questions").rglob("*.yaml"))[:3]:
        path.write_text(path.read_text() + "# edited\n")
    _forget_reports(bank)
    _problems(bank, cache=True)
    assert check_bin.read_bytes() != written and not delta.exists()
    assert len(analysed) == 3


def test_a_few_files_changed_the_last_report_is_patched(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers edited in place: only those files are analysed, the per-file cache is not even opened, and the
    report is the one a cold run gives. A changed question is patched in too, through the kept bank indexes."""
    import qtool.pipeline

    assert _bank_with_cache(bank) == []
    opened: list[str] = []
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin"))
    analysed: list[str] = []
    analyse = qtool.pipeline.analyse
    monkeypatch.setattr(qtool.pipeline, "analyse", lambda *args: analysed.append(args[2]) or analyse(*args))
    files = sorted((bank / "questions").rglob("*.yaml"))
    for path in files[:2]:
        lines = path.read_text().split("\n")
        at = lines.index("    text: |") + 1
        lines[at] += " TODO"  # the placeholder rule's business: a new per-file problem
        path.write_text("\n".join(lines))
    patched = _problems(bank, cache=True)
    assert opened == [] and sorted(analysed) == sorted(str(p.relative_to(bank)) for p in files[:2])
    assert {code for *_, code, _ in patched} == {"placeholder"}
    assert patched == _problems(bank)
    # A question that changes reaches the bank-wide rules: their kept indexes take the one file.
    analysed.clear()
    text = files[2].read_text()
    files[2].write_text(text.replace("\nquestion: ", "\nquestion: Honestly, ", 1))
    patched = _problems(bank, cache=True)
    assert opened == [] and analysed == [str(files[2].relative_to(bank))]
    # The patched report is kept under the bank's state: the next run reads it and nothing else.
    analysed.clear()
    assert _problems(bank, cache=True) == patched and opened == [] and analysed == []
    assert patched == _problems(bank)


def test_a_patched_run_rewrites_its_report_and_leaves_the_files_table(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files table of a big bank is rewritten only now and then: a patched run writes its report with the entries
    of the files it changed, the next run reads both, and a report laid on another table is never patched from it.
    A patched run decodes only the part of the table its changed file is in."""
    import qtool.cache
    import qtool.pipeline

    monkeypatch.setattr(qtool.cache, "DELTA_SHARE_OF_RUN", 1)
    monkeypatch.setattr(qtool.cache, "PART_FILES", 2)
    decoded: list[int] = []
    part = qtool.cache.RunFiles.part
    monkeypatch.setattr(qtool.cache.RunFiles, "part", lambda self, at: decoded.append(at) or part(self, at))
    assert _bank_with_cache(bank) == []
    (report,) = (bank / CACHE_DIR).glob("run-*.bin")
    table = report.with_suffix(".files")
    full = table.read_bytes()
    files = sorted((bank / "questions").rglob("*.yaml"))
    lines = files[0].read_text().split("\n")
    lines[lines.index("    text: |") + 1] += " TODO"
    files[0].write_text("\n".join(lines))
    opened: list[str] = []
    load = qtool.pipeline.CheckCache._load
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin") or load(self))
    first = _problems(bank, cache=True)
    assert table.read_bytes() == full and opened == [] and first == _problems(bank) != []
    assert decoded == [0]  # files[0] is in the first part, and the bank has more
    files[1].write_text(files[1].read_text().replace("\nquestion: ", "\nquestion: Honestly, ", 1))
    opened.clear()
    second = _problems(bank, cache=True)
    assert table.read_bytes() == full and opened == [] and second == _problems(bank)
    analysed: list[str] = []
    analyse = qtool.pipeline.analyse
    monkeypatch.setattr(qtool.pipeline, "analyse", lambda *args: analysed.append(args[2]) or analyse(*args))
    opened.clear()
    assert _problems(bank, cache=True) == second and analysed == [] and opened == []  # the report: this state's
    monkeypatch.setattr(qtool.cache, "DELTA_SHARE_OF_RUN", 10**6)  # every patched run rewrites the table
    files[2].write_text(files[2].read_text() + "\n")
    assert _problems(bank, cache=True) == _problems(bank) and table.read_bytes() != full
    # A table the report was not written with: the report still answers an unchanged bank, but is not patched from it.
    table.write_bytes(full)
    analysed.clear()
    opened.clear()
    assert _problems(bank, cache=True) == second and analysed == [] and opened == []
    files[3].write_text(files[3].read_text() + "\n")
    opened.clear()
    assert _problems(bank, cache=True) == _problems(bank) and "check.bin" in opened


def test_storing_a_report_removes_what_no_report_uses(bank: Path) -> None:
    """The table of a report no longer kept, and what an earlier version kept beside a report, do not pile up."""
    assert _bank_with_cache(bank) == []
    folder = bank / CACHE_DIR
    (report,) = folder.glob("run-*.bin")
    orphan, stale = folder / "run-0123456789abcdef01234567.files", folder / "run-0123456789abcdef01234567.delta"
    orphan.write_bytes(b"a table whose report is gone")
    stale.write_bytes(b"an earlier version's delta")
    report.unlink()
    assert _problems(bank, cache=True) == []
    assert not orphan.exists() and not stale.exists()
    assert sorted(p.suffix for p in folder.glob("run-*")) == [".bin", ".files"]


def test_a_changed_summary_redoes_the_unchanged_files_whose_bank_problems_change(bank: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A question copied from another file, and an id that another file lists: the other file's bank-wide problems
    change although its bytes do not, so it is analysed again (its suppressions decide), and the report is a cold run's."""
    import qtool.pipeline

    questions = bank / "questions"
    roi, campaign = questions / "marketing-specialist" / "campaign-roi.yaml", questions / "marketing-specialist" / "underperforming-campaign.yaml"
    cohorts, products = questions / "data-analyst" / "monthly-retention-cohorts.yaml", questions / "data-analyst" / "top-products-per-region.yaml"
    originals = {path: path.read_text() for path in (roi, campaign, products)}
    asked = next(line for line in originals[roi].splitlines() if line.startswith("question: "))
    roi.write_text(originals[roi].replace(asked, asked + "  # qtool: disable=duplicate-question", 1))
    assert {code for *_, code, _ in _bank_with_cache(bank)} == {"unused-suppression"}
    opened: list[str] = []
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin"))
    analysed: list[str] = []
    analyse = qtool.pipeline.analyse
    monkeypatch.setattr(qtool.pipeline, "analyse", lambda *args: analysed.append(args[2]) or analyse(*args))

    def patched(*changed: Path) -> list[tuple]:
        analysed.clear()
        found = _problems(bank, cache=True)
        assert opened == [] and sorted(analysed) == sorted(str(path.relative_to(bank)) for path in changed)
        assert found == _problems(bank)
        return found

    own = next(line for line in originals[campaign].splitlines() if line.startswith("question: "))
    campaign.write_text(originals[campaign].replace(own, asked, 1))
    found = patched(campaign, roi)  # the copy's clash is suppressed in campaign-roi, whose suppression is now used
    assert {(path, code) for path, *_, code, _ in found} == {(str(campaign.relative_to(bank)), "duplicate-question")}
    products.write_text(originals[products].replace("id: data-analyst/top-products-per-region", "id: data-analyst/renamed"))
    # cohorts lists the old id; the copy is given to the rules again (the kept indexes are rewritten only now and then)
    found = patched(products, cohorts, campaign)
    assert (str(cohorts.relative_to(bank)), "related-ids") in {(path, code) for path, *_, code, _ in found}
    campaign.write_text(originals[campaign])
    products.write_text(originals[products])
    assert {code for *_, code, _ in patched(campaign, roi, products, cohorts)} == {"unused-suppression"}


def test_one_file_edited_again_and_again_is_judged_where_it_touches(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same file's id changed run after run (the kept indexes left behind, its summary on record kept as
    pending): each report is a cold run's, and the id and related-list rules judge only the files it touches; the
    rules that read no id keep their problems."""
    import qtool.pipeline
    from qtool.lint.rules._bank import ClashRule, FactRule

    questions = bank / "questions"
    products = questions / "data-analyst" / "top-products-per-region.yaml"
    original = products.read_text()
    own = "id: data-analyst/top-products-per-region"
    assert _bank_with_cache(bank) == []
    opened: list[str] = []
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin"))
    judged: list[int] = []

    def spying(rejudge):  # type: ignore[no-untyped-def]
        def spy(self, *args):  # type: ignore[no-untyped-def]
            redone = rejudge(self, *args)
            judged.append(len(redone[0]) if redone is not None else 17)
            return redone
        return spy

    for kind in (FactRule, ClashRule):  # related-ids; id-unique
        monkeypatch.setattr(kind, "rejudge", spying(kind.rejudge))
    seen = []
    for step, id_line in enumerate(["id: data-analyst/monthly-retention-cohorts", "id: data-analyst/elsewhere", own,
                                    "id: data-analyst/elsewhere"]):
        products.write_text(original.replace(own, id_line))
        judged.clear()
        found = _problems(bank, cache=True)
        assert opened == [], step
        # Two rules read ids (id-unique, related-ids), each judging a few of the 17 files; the others are not even read.
        assert len(judged) == 2 and max(judged) < 17, (step, judged)
        assert found == _problems(bank), step
        seen.append({code for *_, code, _ in found})
    assert seen[0] >= {"id-unique", "id-path"} and "related-ids" in seen[1] and seen[2] == set()


def test_a_report_naming_the_kept_indexes_is_rejudged_without_every_fingerprint(bank: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A report names the kept indexes it agrees with: a question reworded run after run (the indexes left behind for
    it) is judged without reading every file's fingerprint. Once a run of other files has rewritten the indexes, the
    fingerprints are compared again. Each report is a cold run's."""
    import qtool.cache
    import qtool.pipeline

    questions = bank / "questions"
    target = questions / "data-analyst" / "top-products-per-region.yaml"
    other = questions / "marketing-specialist" / "campaign-roi.yaml"
    original = target.read_text()

    def question_of(text: str) -> str:
        return next(line for line in text.splitlines() if line.startswith("question: "))

    asked = question_of(original)
    assert _bank_with_cache(bank) == []
    opened: list[str] = []
    monkeypatch.setattr(qtool.pipeline.CheckCache, "_load", lambda self: opened.append("check.bin"))
    read: list[str] = []
    prints, fingerprints = qtool.cache.KeptIndexes.prints, qtool.cache.RunFiles.fingerprints
    monkeypatch.setattr(qtool.cache.KeptIndexes, "prints", lambda self: read.append("prints") or prints(self))
    monkeypatch.setattr(qtool.cache.RunFiles, "fingerprints", lambda self: read.append("table") or fingerprints(self))
    for step, question in enumerate([asked + " Honestly?", question_of(other.read_text()), asked + " Why?"]):
        target.write_text(original.replace(asked, question, 1))
        read.clear()
        found = _problems(bank, cache=True)
        assert opened == [] and read == [], step
        assert found == _problems(bank), step
    assert "duplicate-question" in {code for *_, code, _ in _problems(bank)} or step == 2
    config = load_config(bank)
    target.write_text(original.replace(asked, asked + " Now?", 1))
    check_files([str(target.relative_to(bank))], config, cache=True)  # another context, the same kept indexes
    target.write_text(original.replace(asked, asked + " Really?", 1))
    read.clear()
    opened.clear()
    found = _problems(bank, cache=True)
    assert opened == [] and read == ["prints", "table"]
    assert found == _problems(bank)


def test_a_bank_with_a_misnamed_file_is_answered_warm(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A question file named .yml is reported, and the next run with nothing changed is answered from the last report."""
    import qtool.pipeline

    source = bank / "questions" / "data-analyst" / "top-products-per-region.yaml"
    source.rename(source.with_suffix(".yml"))
    first = _problems(bank, cache=True)
    assert "parse" in {code for *_, code, _ in first}
    scanned: list[int] = []
    scan = qtool.pipeline.scan
    monkeypatch.setattr(qtool.pipeline, "scan", lambda files, *args, **kwargs: scanned.append(len(files))
                        or scan(files, *args, **kwargs))
    assert _problems(bank, cache=True) == first
    assert scanned == []  # not even the misnamed file is read again


def test_the_index_of_a_rule_no_longer_run_is_removed(bank: Path) -> None:
    """Kept bank indexes that bank.bin no longer names (a rule since ignored) do not stay on disk."""
    _problems(bank, cache=True)
    folder = bank / CACHE_DIR
    assert (folder / "bank-near-duplicate.bin").is_file() and (folder / "bank-duplicate-question.bin").is_file()
    assert _problems(bank, cache=True, ignore=("near-duplicate",)) == _problems(bank, ignore=("near-duplicate",))
    assert not (folder / "bank-near-duplicate.bin").exists()
    assert (folder / "bank-duplicate-question.bin").is_file() and (folder / "bank-prints.bin").is_file()


def test_files_added_and_removed_since_the_last_walk_are_found(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk remembers each folder's names (walk.bin): a folder changed since is listed again, so a file added
    or removed in it is seen as a run without a cache sees it; unchanged folders are not listed again."""
    import qtool.files

    monkeypatch.setattr(qtool.files, "SETTLED_NS", 0)  # the folders were copied a moment ago: remember them all the same
    assert _bank_with_cache(bank) == []
    assert (bank / CACHE_DIR / "walk.bin").is_file()
    folder = bank / "questions" / "software-engineer"
    source = folder / "production-incident.yaml"
    (folder / "copy.yaml").write_text(source.read_text())
    moment = 1_700_000_000_000_000_000
    os.utime(folder, ns=(moment, moment))  # as a change in a later tick of the clock leaves it
    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(os.path.relpath(path, bank / "questions"))
                        or scandir(path))
    found = _problems(bank, cache=True)
    assert [name for name in listed if not name.startswith("..")] == ["software-engineer"]  # not the other folders
    assert {"id-path", "duplicate-question"} <= {code for *_, code, _ in found}
    assert found == _problems(bank)
    (folder / "copy.yaml").unlink()
    os.utime(folder, ns=(moment + 10**9, moment + 10**9))
    assert _problems(bank, cache=True) == []


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x00" * 64])
def test_a_damaged_cache_is_ignored(bank: Path, damage: bytes) -> None:
    clean = _bank_with_cache(bank)
    target = bank / "questions" / "software-engineer" / "production-incident.yaml"
    target.write_text(target.read_text().replace("category: behavioral", "category: wrong"))
    for name in ("check.bin", "check.delta", "bank.bin", "walk.bin", *_reports(bank)):
        (bank / CACHE_DIR / name).write_bytes(damage)
    assert [code for *_, code, _ in _problems(bank, cache=True)] == ["schema"]
    assert clean == []


@pytest.mark.parametrize("swap", ["another rule's", "missing"])
def test_a_rule_index_not_the_one_the_bank_index_names_is_not_used(bank: Path, swap: str) -> None:
    """Each rule's kept index is in a file of its own, named with its checksum in ``bank.bin``: one that is sound
    but not that one (a run stopped between the two writes, a file copied in) or missing is never read."""
    assert _bank_with_cache(bank) == []
    kept = bank / CACHE_DIR / "bank-near-duplicate.bin"
    if swap == "missing":
        kept.unlink()
    else:
        kept.write_bytes((bank / CACHE_DIR / "bank-id-unique.bin").read_bytes())
    # One file now asks another's question, reworded a little: near-duplicate, reading its kept index, must say so.
    files = sorted((bank / "questions").rglob("*.yaml"))
    asked = next(line for line in files[0].read_text().splitlines() if line.startswith("question: "))
    text = files[1].read_text()
    own = next(line for line in text.splitlines() if line.startswith("question: "))
    files[1].write_text(text.replace(own, asked.replace("question: ", "question: Honestly, "), 1))
    found = _problems(bank, cache=True)
    assert "near-duplicate" in {code for *_, code, _ in found}
    assert found == _problems(bank)


def test_bit_rot_is_caught_by_the_checksum(bank: Path) -> None:
    """A cache body that still loads but no longer matches its checksum is never trusted.

    No question changes, so only the checksum can tell the forged entries from real ones.
    """
    import marshal

    assert _bank_with_cache(bank) == []
    forged = (1, 1, "error", "forged by bit rot", "schema")
    for name in ("check.bin", *_reports(bank)):
        path = bank / CACHE_DIR / name
        raw = path.read_bytes()
        document = marshal.loads(raw[32:])
        if name == "check.bin":
            for entry in document["files"].values():
                entry["problems"].append(forged)
        else:
            document["problems"].append(("questions/forged.yaml", *forged))
        path.write_bytes(raw[:32] + marshal.dumps(document))
    assert _problems(bank, cache=True) == []


def _imported(bank: Path, args: list[str], modules: tuple[str, ...]) -> str:
    script = (
        "import sys\n"
        "from qtool.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
        f"print(code, sorted(m for m in {modules!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=bank, capture_output=True, text=True)
    return result.stdout.splitlines()[-1]


def test_check_imports_no_heavy_module(bank: Path) -> None:
    heavy = ("openai", "genanki", "anki", "httpx", "numpy")
    assert _imported(bank, ["--help"], heavy + ("rapidfuzz", "jsonschema", "ruamel.yaml")) == "0 []"
    assert _imported(bank, ["check"], heavy) == "0 []"
    # Nothing changed: the report comes from the cache, without the rules' or validators' libraries.
    assert _imported(bank, ["check"], heavy + ("rapidfuzz", "jsonschema", "jsonschema_rs")) == "0 []"


def test_a_warm_check_loads_only_what_it_uses(bank: Path) -> None:
    """What only other paths need (git for --against, new guids, rendering, the schema file, did-you-mean hints) waits for them:
    every run of pre-commit pays for each module it loads."""
    others = ("subprocess", "secrets", "html", "importlib.resources", "difflib")
    assert _imported(bank, ["check"], ()) == "0 []"  # the first run: it makes the cache the next one answers from
    assert _imported(bank, ["check"], others) == "0 []"


def _blocks_sigint(pid: int) -> bool:
    """Whether the process blocks SIGINT now (its SigBlk mask in /proc)."""
    import signal

    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:")), 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_stops_the_workers_without_tracebacks(in_big_bank: Path) -> None:
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "qtool", "check", "--no-cache"], cwd=in_big_bank,
                               preexec_fn=ctrl_c_as_in_a_terminal,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    workers: list[int] = []
    deadline = time.monotonic() + 60  # a guard against a hung test, not a measurement
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    for pid in workers:  # hold the workers mid-bank, so the check cannot finish before Ctrl-C
        os.kill(pid, signal.SIGSTOP)
    assert len(workers) == 2, "the check ended before its workers were seen"
    assert all(_blocks_sigint(pid) for pid in workers), "workers leave Ctrl-C to the parent"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    for pid in workers:
        os.kill(pid, signal.SIGCONT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err and "ForkPoolWorker" not in err, err
    assert process.returncode == 130 and "Aborted!" in err


def test_a_large_check_on_a_terminal_shows_progress(in_big_bank: Path) -> None:
    """stderr on a terminal and a bank of at least 500 files: a progress bar; not under -q, nor into a pipe."""
    import pty

    def stderr_of(*args: str, tty: bool) -> str:
        main, secondary = pty.openpty() if tty else os.pipe()
        process = subprocess.Popen([sys.executable, "-m", "qtool", "check", "--no-cache", *args], cwd=in_big_bank,
                                   stdout=subprocess.DEVNULL, stderr=secondary)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty closes with an EIO when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
        os.close(main)
        return b"".join(chunks).decode(errors="replace")

    shown = stderr_of(tty=True)
    assert "checking" in shown and "100%" in shown
    assert "checking" not in stderr_of("-q", tty=True)
    assert "checking" not in stderr_of(tty=False)


def test_a_big_cache_file_is_written_without_another_copy_of_its_body(tmp_path: Path) -> None:
    """A 100,000-file bank's check.bin is about 95 MB: joining its head to it would hold a second copy at the run's peak."""
    import tracemalloc

    from qtool.cache import read_checked, write_checked

    document = {"files": [os.urandom(64) for _ in range(160_000)]}  # some 10 MB once marshalled
    tracemalloc.start()
    try:
        head = write_checked(tmp_path / "big.bin", document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = len((tmp_path / "big.bin").read_bytes()) - len(head)
    assert head and body > 10_000_000
    assert peak < 1.8 * body  # marshal's own growing buffer reaches some 1.6 times the body; a joined copy makes it 2
    assert read_checked(tmp_path / "big.bin") == (document, head)
