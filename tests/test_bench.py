"""The benchmark harness: a deterministic corpus of clean questions, a peer that really validates, honest measurements."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qtool.loader import LoadError, load_file
from qtool.schema import validate_question

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_corpus = _load("gen_corpus")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "questions").rglob("*.yaml"))}


def test_same_seed_gives_byte_identical_banks(tmp_path: Path) -> None:
    gen_corpus.generate(20, tmp_path / "a", seed=3)
    gen_corpus.generate(20, tmp_path / "b", seed=3)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) == 20
    assert a == b
    gen_corpus.generate(20, tmp_path / "c", seed=4)
    assert _files(tmp_path / "c") != a


@pytest.mark.parametrize("shape", ["varied", "similar"])
def test_every_file_loads_and_passes_the_schema(tmp_path: Path, shape: str) -> None:
    gen_corpus.generate(60, tmp_path, seed=1, shape=shape)
    assert (tmp_path / "schema" / "question.schema.json").is_file()
    ids, guids = set(), set()
    questions = []
    for path in sorted((tmp_path / "questions").rglob("*.yaml")):
        loaded = load_file(path)
        assert not isinstance(loaded, LoadError), loaded
        assert validate_question(loaded) == [], path
        data = loaded.data
        assert data["id"] == path.relative_to(tmp_path / "questions").with_suffix("").as_posix()
        ids.add(data["id"])
        guids.add(data["guid"])
        questions.append(data)
    assert len(guids) == len(ids) == 60
    vocabulary = set(gen_corpus.COMPETENCIES)
    for data in questions:
        assert data["question"].endswith("?")
        assert data["status"] == "reviewed"
        tiers = [len(data["answers"][tier]["text"].split()) for tier in ("sample", "solid", "exceptional")]
        assert tiers == sorted(tiers) and len(set(tiers)) == 3, tiers
        assert 4 <= len(data["prep_tips"]) <= 6
        assert 3 <= len(data["competencies"]) <= 5 and set(data["competencies"]) <= vocabulary
        related = data.get("related", [])
        assert data["id"] not in related and len(set(related)) == len(related)
        assert set(related) <= ids
    normalised = {re.sub(r"[^a-z0-9]+", " ", d["question"].lower()).strip() for d in questions}
    assert len(normalised) == len(questions)


def test_similar_questions_share_most_of_their_words(tmp_path: Path) -> None:
    """The "similar" shape: a few frames, so each question shares most of its words with many others."""
    def shared(shape: str) -> float:
        root = tmp_path / shape
        gen_corpus.generate(200, root, seed=2, shape=shape)
        sets = [set(re.findall(r"[a-z]+", load_file(p).data["question"].lower())) for p in sorted((root / "questions").rglob("*.yaml"))]
        return sum(max(len(a & b) / len(a | b) for b in sets if b is not a) for a in sets) / len(sets)

    similar, varied = shared("similar"), shared("varied")
    assert similar > 0.6 and similar > 1.5 * varied, (similar, varied)


def test_mean_size_is_realistic(tmp_path: Path) -> None:
    manifest = gen_corpus.generate(50, tmp_path, seed=1)
    assert 6500 <= manifest["mean_bytes"] <= 8500
    assert json.loads((tmp_path / gen_corpus.MANIFEST).read_text())["n"] == 50


def test_near_duplicates_are_few_and_close(tmp_path: Path) -> None:
    from rapidfuzz import fuzz, utils

    manifest = gen_corpus.generate(400, tmp_path, seed=1)
    pairs = manifest["near_duplicates"]
    assert len(pairs) == 2  # 0.5% of 400
    text = {}
    for path in (tmp_path / "questions").rglob("*.yaml"):
        data = load_file(path).data
        text[data["id"]] = data["question"]
    for first, second in pairs:
        assert text[first] != text[second]
        assert fuzz.ratio(text[first], text[second], processor=utils.default_process) >= 90


def test_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen_corpus.main(["5", str(tmp_path)]) == 0
    before = _files(tmp_path)
    assert gen_corpus.main(["5", str(tmp_path), "--seed", "9"]) == 2
    assert "use --force" in capsys.readouterr().err
    assert _files(tmp_path) == before
    assert gen_corpus.main(["5", str(tmp_path), "--seed", "9", "--force"]) == 0
    assert _files(tmp_path) != before


def test_check_jsonschema_shim_really_validates(tmp_path: Path) -> None:
    gen_corpus.generate(3, tmp_path, seed=2)
    files = sorted(str(p) for p in (tmp_path / "questions").rglob("*.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(re.sub(r"(?m)^category: .*$", "category: nonsense", Path(files[0]).read_text()))
    listing = tmp_path / "list.txt"
    shim = [sys.executable, str(REPO / "bench" / "peer_check_jsonschema.py"), str(listing),
            str(tmp_path / "schema" / "question.schema.json")]
    listing.write_text("\n".join(files) + "\n")
    good = subprocess.run(shim, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(good.stderr.splitlines()[-1])["files"] == 3
    listing.write_text("\n".join(files + [str(bad)]) + "\n")
    failing = subprocess.run(shim, capture_output=True, text=True)
    assert failing.returncode == 1 and "nonsense" in failing.stdout and str(bad) in failing.stdout


def test_run_child_reports_time_status_and_peak_memory(tmp_path: Path) -> None:
    run = _load("run")
    touch = "b = bytearray({} * 2**20); b[::4096] = b'x' * len(b[::4096])"
    sample = run.run_child([sys.executable, "-c", touch.format(80) + "; raise SystemExit(3)"], tmp_path, None, dict(os.environ))
    assert sample.status == 3
    assert sample.maxrss_mib >= 80
    assert sample.seconds > 0
    # The harness's own peak must not leak into the child's (Linux records it at exec).
    hog = bytearray(200 * 2**20)
    hog[::4096] = b"x" * len(hog[::4096])
    small = run.run_child([sys.executable, "-c", "pass"], tmp_path, None, dict(os.environ))
    assert small.status == 0 and small.maxrss_mib < 60
    del hog


def test_site_rows_build_each_round_into_a_new_folder_and_delete_them_when_the_run_ends(tmp_path: Path) -> None:
    """No round's build follows the deletion of the previous site (rounds set it aside); the run's end deletes them all."""
    run = _load("run")
    bank = tmp_path / "bank"
    gen_corpus.generate(12, bank, seed=5)
    work = tmp_path / "work"
    work.mkdir()
    qtool = [sys.executable, "-m", "qtool"]
    rows, done = run.site_cases(12, work, qtool)
    assert [row.key for row in rows] == ["export-site", "export-site-again"]
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    first_pages = set()
    for round_number in (1, 2):
        for row in rows:
            row.prepare()
            if row.key == "export-site":
                assert (work / "site-12").is_dir() and not any((work / "site-12").iterdir())
            sample = run.run_child(row.argv, bank, None, env)
            assert sample.status == 0, sample.stderr
            row.samples.append(sample)
        if round_number == 1:
            first_pages = {p.stat().st_ino for p in (work / "site-12").rglob("index.html")}
    aside = list((work / "site-12-previous").iterdir())
    assert len(aside) == 1 and {p.stat().st_ino for p in aside[0].rglob("index.html")} == first_pages
    done()
    assert not (work / "site-12").exists() and not (work / "site-12-previous").exists()
    # The table is made after the run has deleted the folders: the rows still describe what was built.
    assert re.match(r"[1-9]\d* files written, 0 unchanged; [1-9]\d* files, ", rows[0].describe(rows[0].samples))
    assert re.match(r"0 files written, [1-9]\d* unchanged; .* search index [1-9]\d* bytes a question", rows[1].describe(rows[1].samples))


def test_the_table_gives_each_round_s_ratio_to_the_peer_run_in_that_round() -> None:
    """A target may bound the worst round as well as the median: each round is compared with the peer's run in the same round."""
    run = _load("run")

    def case(key: str, seconds: list[float]):
        row = run.Case(key, f"`{key}`", [])
        row.samples = [run.Sample(s, 10, 10, 0, "", "") for s in seconds]
        return row

    table = run.table_of([case("cjs-cli", [10.0, 8.0, 12.0]), case("check-cold", [2.0, 2.4, 2.4])])
    cold = table[1]
    assert cold["vs_check_jsonschema"] == pytest.approx(0.24)
    assert cold["rounds_vs_check_jsonschema"] == [0.2, 0.3, 0.2]
    assert table[0]["rounds_vs_check_jsonschema"] == []
    text = run.markdown([{"size": 10, "bytes": 1, "rounds": 3, "intended_near_duplicate_pairs": 0, "peer_check": "ok",
                          "rows": table}], {}, "now", "0.0")
    assert "| 2.40 | 0.24x (rounds 0.20x, 0.30x, 0.20x) |" in text


def test_run_child_reports_the_cpu_time_of_the_command_and_of_the_children_it_waited_for(tmp_path: Path) -> None:
    run = _load("run")
    # The child's child works until it has used 0.3 s of CPU: however quick the machine, the run used at least that.
    burn = ("import os, time\npid = os.fork()\nif pid == 0:\n    while time.process_time() < 0.3: pass\n    os._exit(0)\n"
            "os.waitpid(pid, 0)\n")
    sample = run.run_child([sys.executable, "-c", burn], tmp_path, None, dict(os.environ))
    assert sample.status == 0
    assert sample.cpu >= 0.3


def test_paired_differences_pair_each_round_of_one_revision_with_the_same_round_of_the_other() -> None:
    paired = _load("paired")
    result = paired.compare([1.0, 2.0, 3.0], [0.5, 2.5, 2.0], [1.5, 2.5, 3.5], [1.0, 3.0, 2.5])
    assert (result.median_a, result.median_b, result.cpu_a, result.cpu_b) == (2.0, 2.0, 2.5, 2.5)
    assert result.median_difference == -0.5 and result.mean_difference == pytest.approx(-1 / 3)
    assert (result.quicker, result.rounds) == (2, 3)
    text = paired.report("main", ".", result)
    assert "| A main | 2.000 | 2.500 |" in text
    assert "median -0.500 s (-25.0%)" in text and "B quicker in 2 of 3 rounds" in text
    with pytest.raises(ValueError):
        paired.compare([1.0], [], [1.0], [])


def test_paired_runs_the_two_revisions_in_turn_on_a_bank(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    gen_corpus.generate(30, bank)
    done = subprocess.run([sys.executable, str(REPO / "bench" / "paired.py"), "HEAD", ".", "--rounds", "2", "--bank", str(bank),
                           "--", "check", "--no-cache"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| A HEAD |" in done.stdout and "| B . |" in done.stdout and "B quicker in" in done.stdout
    assert "qtool check --no-cache on" in done.stdout and "of 2 rounds" in done.stdout
    assert not (bank / ".qtool-cache").exists()  # --no-cache reached qtool: no run wrote a cache
    order = re.findall(r"round (\d): ([AB]) .* exit (\d)", done.stderr)
    assert order == [("1", "A", "0"), ("1", "B", "0"), ("2", "B", "0"), ("2", "A", "0")]


def test_paired_names_a_revision_git_does_not_know_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "questions").mkdir()
    done = subprocess.run([sys.executable, str(REPO / "bench" / "paired.py"), "no-such-revision", ".", "--bank", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("paired: cannot export 'no-such-revision' from git") and len(done.stderr.strip().splitlines()) == 1
