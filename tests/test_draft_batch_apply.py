"""Applying batch results fast and safely, ``--batch-out`` split into parts, and pruning batches' state.

Results are made as a runner makes them: every request line of the requests file is sent to
``tests/llm_server.py`` through the real ``openai`` client (what ``vllm run-batch`` does), and
the replies are written back in vLLM's results format, out of order.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from llm_server import LLMServer
from qtool import fsutil
from qtool.draft.merge import fill_text
from qtool.draft.reply import ALL_FIELDS, get_field
from qtool.fmt import format_text
from test_draft import KEY, bank, data, use  # noqa: F401 - bank is a fixture
from test_draft_batch import BATCHES, copies, drafted, numbered, quick_polls, states  # noqa: F401 - quick_polls: autouse


def answer(server: LLMServer, requests: Path, results: Path) -> int:
    """Answer every line of ``requests`` as ``vllm run-batch`` would, through the real client; results in reverse order."""
    import openai

    client = openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0)
    out = []
    for line in requests.read_text(encoding="utf-8").splitlines():
        request = json.loads(line)
        completion = client.chat.completions.create(**request["body"])
        out.append({"id": f"vllm-{len(out)}", "custom_id": request["custom_id"],
                    "response": {"status_code": 200, "request_id": f"req-{len(out)}", "body": completion.model_dump()},
                    "error": None})
    results.write_text("".join(json.dumps(item) + "\n" for item in reversed(out)), encoding="utf-8")
    return len(out)


def results_in_chunks(bank: Path, run, monkeypatch: pytest.MonkeyPatch, files: int, chunk: int) -> list[str]:
    """``files`` copies of a question, their requests answered into results.jsonl, applied by forked workers in chunks."""
    from qtool import workers
    from qtool.draft import batch_jobs

    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)  # forked workers compute, the parent writes
    monkeypatch.setattr(batch_jobs, "CHUNK", chunk)
    made = copies(bank, files)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl").exit_code == 0
        answer(server, bank / "requests.jsonl", bank / "results.jsonl")
    return made


def without_comments(root: Path, rel: str) -> str:
    """The partial fixture with its comments removed (and its text unchanged otherwise)."""
    text = (root / rel).read_text()
    text = text.replace("  # Written by hand: the draft must keep this text and both comments.\n", "")
    text = text.replace("Know the numbers behind your story. # keep me", "Know the numbers behind your story.")
    return text


def test_files_without_comments_get_the_round_trip_merge_byte_for_byte(bank, run, monkeypatch):
    """Merged as data and written by fmt's writer, a comment-free file reads exactly as ruamel's round-trip edit would make it."""
    files = copies(bank, 2)
    plain = without_comments(bank, files[0])
    (bank / files[0]).write_text(plain)
    commented = (bank / files[1]).read_text()
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl").exit_code == 0
        assert answer(server, bank / "requests.jsonl", bank / "results.jsonl") == 2
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "2 written" in applied.stderr
    after = (bank / files[0]).read_text()
    stamp = data(bank / files[0])["provenance"]
    filled = tuple(f for f in ALL_FIELDS if f not in (("answers", "sample", "text"), ("prep_tips",)))  # the author's
    reply: dict = {}
    for f in filled:
        node = reply
        for key in f[:-1]:
            node = node.setdefault(key, {})
        node[f[-1]] = get_field(data(bank / files[0]), f)
    assert after == format_text(fill_text(plain, reply, filled, stamp))  # the ruamel round trip, then fmt
    assert data(bank / files[0])["competencies"] == ["Competency 0"]
    # The file with comments went through the round trip and kept them.
    text = (bank / files[1]).read_text()
    assert "# Written by hand: the draft must keep this text and both comments." in text and "# keep me" in text
    assert data(bank / files[1])["answers"]["sample"]["text"] == data_of(commented)["answers"]["sample"]["text"]
    assert all(drafted(bank / f) for f in files)


def data_of(text: str) -> dict:
    from qtool.loader import load_text

    return load_text(text, "x.yaml").data


def test_a_file_saved_while_results_are_applied_keeps_the_authors_text(bank, run, monkeypatch):
    """The file is compared with what was read just before it is replaced: a save in between wins."""
    files = copies(bank, 3)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl").exit_code == 0
        answer(server, bank / "requests.jsonl", bank / "results.jsonl")
    saved = (bank / files[1]).read_text().replace("decision 1", "decision one, as the author now puts it")
    real_commit = fsutil.commit

    def author_saves_first(staged):
        (bank / files[1]).write_text(saved)  # after the new text was made, before it is put in place
        return real_commit(staged)

    monkeypatch.setattr(fsutil, "commit", author_saves_first)
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert (bank / files[1]).read_text() == saved
    assert f"{files[1]}:1:1: warning: stale, skipped: the file changed while the results were applied" in applied.stdout
    assert "2 written, 1 stale" in applied.stderr
    assert drafted(bank / files[0]) and drafted(bank / files[2])
    assert not [p for p in (bank / "questions").rglob("*") if p.name.endswith(fsutil.TEMP_SUFFIX)]


def test_a_symlinked_question_stays_a_link_and_its_target_gets_the_draft(bank, run, monkeypatch):
    files = copies(bank, 1)
    real = bank / "elsewhere" / "q.yaml"
    real.parent.mkdir()
    (bank / files[0]).rename(real)
    (bank / files[0]).symlink_to(real)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl").exit_code == 0
        answer(server, bank / "requests.jsonl", bank / "results.jsonl")
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert (bank / files[0]).is_symlink() and (bank / files[0]).resolve() == real.resolve()
    assert drafted(real)
    assert [p.name for p in real.parent.iterdir()] == ["q.yaml"]


def test_applying_results_makes_them_durable_with_one_sync_before_any_file_is_replaced(bank, run, monkeypatch):
    """No fsync per file: one sync for all the staged files, and only then are they put in place."""
    files = results_in_chunks(bank, run, monkeypatch, 5, 3)
    events: list[str] = []
    real_sync, real_replace, real_fsync = os.sync, os.replace, os.fsync

    def sync() -> None:
        events.append("sync")
        real_sync()

    def replace(src, dst, **kw):
        if str(dst).endswith(".yaml"):
            assert Path(src).read_bytes()  # the new text is there, whole, before it takes the name
            events.append("replace")
        return real_replace(src, dst, **kw)

    def fsync(fd):
        events.append("fsync")
        return real_fsync(fd)

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 0, applied.output + applied.stderr
    # Chunks of 3 and 2; the one fsync is the batch's state file, saved once at the end.
    assert events == ["sync", "replace", "replace", "replace", "sync", "replace", "replace", "fsync"]
    assert all(drafted(bank / f) for f in files)


def test_batch_out_splits_into_numbered_parts_and_each_parts_results_apply(bank, run, monkeypatch):
    files = copies(bank, 5)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        out = run("draft", "--batch-out", "requests.jsonl", "--batch-max-requests", "2")
        assert out.exit_code == 0, out.output + out.stderr
        parts = ["requests.jsonl", "requests-2.jsonl", "requests-3.jsonl"]
        assert f"wrote 5 requests in 3 parts ({', '.join(parts)})" in out.stderr
        assert [len((bank / p).read_text().splitlines()) for p in parts] == [2, 2, 1]
        assert not (bank / "requests-4.jsonl").exists()
        ids = [json.loads(line)["custom_id"] for p in parts for line in (bank / p).read_text().splitlines()]
        assert sorted(ids) == sorted(states(bank)[0]["requests"])
        for number, part in enumerate(parts, 1):
            answer(server, bank / part, bank / f"results-{number}.jsonl")
    for number in range(1, 4):
        applied = run("draft", "--batch-in", f"results-{number}.jsonl")
        assert applied.exit_code == 0, applied.output + applied.stderr
    assert all(drafted(bank / f) for f in files)
    status = run("draft", "--batch", "status", states(bank)[0]["id"])
    assert "(5 requests in 3 parts)" in status.stdout


def test_batch_out_splits_by_bytes_and_an_unknown_file_in_the_way_is_refused(bank, run, monkeypatch):
    copies(bank, 3)
    (bank / "requests-2.jsonl").write_text("someone else's notes\n")
    with LLMServer() as server:
        use(server, monkeypatch)
        refused = run("draft", "--batch-out", "requests.jsonl", "--batch-max-bytes", "100")
        assert refused.exit_code == 1
        assert refused.stderr.strip().splitlines() == [
            "Error: requests-2.jsonl exists and was not written by qtool draft --batch-out: the requests go on there "
            "past the split limits; move it, or choose another file name"]
        assert (bank / "requests-2.jsonl").read_text() == "someone else's notes\n"
        assert not (bank / "requests.jsonl").exists() and states(bank) == []  # nothing half-written, no state
        (bank / "requests-2.jsonl").unlink()
        first = run("draft", "--batch-out", "requests.jsonl", "--batch-max-bytes", "100")
        assert first.exit_code == 0 and "in 3 parts" in first.stderr
        again = run("draft", "--batch-out", "requests.jsonl", "--batch-max-bytes", "100")  # its own parts: replaced
        assert again.exit_code == 0, again.stderr
    assert [len((bank / p).read_text().splitlines()) for p in ("requests.jsonl", "requests-2.jsonl", "requests-3.jsonl")] == [1, 1, 1]


def age(root: Path, days: float) -> None:
    """Make every batch state file look untouched for ``days``."""
    past = time.time() - days * 86400
    for path in (root / BATCHES).glob("*.json"):
        os.utime(path, (past, past))


def test_prune_removes_finished_batches_state_older_than_the_limit(bank, run, monkeypatch):
    files = copies(bank, 3)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", files[0]).exit_code == 0
        assert run("draft", "--batch", "collect").exit_code == 0  # collected: finished
        assert run("draft", "--batch-out", "requests.jsonl", files[1]).exit_code == 0  # written to a file: finished
        from llm_server import BatchScript

        server.batch_scripts.append(BatchScript(statuses=("in_progress",) * 20 + ("completed",)))
        assert run("draft", "--batch", "submit", files[2]).exit_code == 0  # still on the server: kept
        ids = [s["id"] for s in states(bank)]
        assert len(ids) == 3
        young = run("draft", "--batch", "prune")
        assert young.exit_code == 0 and "no finished batch untouched for 30 days" in young.stderr
        age(bank, 31)
        pruned = run("draft", "--batch", "prune")
        assert pruned.exit_code == 0, pruned.stderr
        assert "removed the state of 2 finished batches untouched for 30 days: " in pruned.stderr
        [still] = states(bank)
        assert still["mode"] == "api" and still["status"] == "submitted"
        assert set(pruned.stderr.strip().split(": ")[1].split(", ")) == set(ids) - {still["id"]}
        open_one = run("draft", "--batch", "prune", still["id"])
        assert open_one.exit_code == 1
        assert open_one.stderr.strip() == f"Error: batch {still['id']} is not finished: collect it first (or cancel it)"
        assert run("draft", "--batch", "collect").exit_code == 0
    assert [s["id"] for s in states(bank)] == [still["id"]]
    assert run("draft", "--batch", "prune", "--older-than", "0").exit_code == 0
    assert states(bank) == [] and list((bank / BATCHES).iterdir()) == []
    assert run("draft", "--older-than", "3", "--batch", "status").exit_code == 2


def test_submit_prunes_old_finished_state_but_keeps_invalid_replies_for_repair(bank, run, monkeypatch):
    from llm_server import good_values, schema_model

    files = copies(bank, 2)
    bad = good_values()
    bad["competencies"] = []
    with LLMServer(default=schema_model(bad)) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", files[0]).exit_code == 0
        assert run("draft", "--batch", "collect").exit_code == 1  # an invalid reply, kept for --repair
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl", files[1]).exit_code == 0
        by_mode = {s["mode"]: s["id"] for s in states(bank)}
        kept, old = by_mode["api"], by_mode["file"]  # the collected batch holding an invalid reply; the written file
        age(bank, 40)
        submitted = run("draft", "--batch", "submit", "--repair")
        assert submitted.exit_code == 0, submitted.output + submitted.stderr
    assert "removed the state of 1 finished batch untouched for 30 days (qtool draft --batch prune)" in submitted.stderr
    assert kept in [s["id"] for s in states(bank)] and old not in [s["id"] for s in states(bank)]
    assert len(server.uploads) == 1 and len(server.uploads[0].lines) == 1  # the repair was still there to send


def test_ctrl_c_while_results_are_applied_leaves_no_temp_file_and_a_rerun_finishes(bank, run, monkeypatch):
    from qtool.draft import batch_api, batch_jobs
    from qtool.draft.cache import Cache
    from qtool.draft.reply import fields_for
    from qtool.draft.settings import resolve_settings

    files = results_in_chunks(bank, run, monkeypatch, 4, 2)
    real_commit = fsutil.commit
    calls = []

    def ctrl_c_at_the_second_chunk(staged):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_commit(staged)

    monkeypatch.setattr(fsutil, "commit", ctrl_c_at_the_second_chunk)
    from qtool.config import load_config

    config = load_config(str(bank))
    settings = resolve_settings(config.llm)
    ctx = batch_jobs.Drafting(str(bank), settings, fields_for(()), False, (), config.max_file_size, Cache(bank))
    with pytest.raises(KeyboardInterrupt):
        batch_api.batch_in(ctx, "results.jsonl")
    assert not [p for p in bank.rglob("*") if p.name.endswith(fsutil.TEMP_SUFFIX)]  # staged by the workers, removed
    assert len([f for f in files if drafted(bank / f)]) == 2  # the first chunk, whole
    monkeypatch.setattr(fsutil, "commit", real_commit)
    again = run("draft", "--batch-in", "results.jsonl")
    assert again.exit_code == 0, again.output + again.stderr
    assert "2 written" in again.stderr and "2 already applied" in again.stderr
    assert all(drafted(bank / f) for f in files)
