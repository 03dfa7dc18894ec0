"""Batch drafting (``qtool draft --batch-out/--batch-in/--batch ...``) against the test server's Batch API.

Every test talks to ``tests/llm_server.py`` on 127.0.0.1 through the real ``openai`` client; the
server runs each batch's lines through the same scripted chat responders and shuffles its output.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ctrl_c_as_in_a_terminal
from llm_server import BatchScript, LLMServer, error, good_values, schema_model
from qtool.draft import batch_api
from qtool.loader import load_file
from qtool.schema import validate_question
from test_draft import FIXTURES, KEY, PARTIAL, bank, configure, data, use  # noqa: F401 - bank is a fixture

BATCHES = Path(".qtool-cache") / "batches"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """collect polls at once: the tests assert on what the server saw, never on how long it waited."""
    monkeypatch.setattr(batch_api, "POLL_FIRST", 0.01)
    monkeypatch.setattr(batch_api, "POLL_CAP", 0.05)


def copies(root: Path, count: int) -> list[str]:
    """``count`` distinct questions made from the partial fixture (the fixture itself removed)."""
    src = (root / PARTIAL).read_text()
    (root / PARTIAL).unlink()
    out = []
    for index in range(count):
        rel = f"questions/data-analyst/q-{index}.yaml"
        (root / rel).write_text(src.replace("analysis-changed-decision", f"q-{index}").replace("a decision", f"decision {index}"))
        out.append(rel)
    return out


def states(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / BATCHES).glob("*.json"))]


def drafted(path: Path) -> bool:
    loaded = load_file(str(path))
    return "provenance" in loaded.data and validate_question(loaded) == []


def test_batch_out_body_is_what_the_sync_path_sends(bank, run, monkeypatch):
    before = (bank / PARTIAL).read_bytes()
    with LLMServer() as server:
        use(server, monkeypatch)
        out = run("draft", "--batch-out", "requests.jsonl", PARTIAL)
        assert out.exit_code == 0, out.output + out.stderr
        assert server.requests == [] and server.api_calls == []  # file mode sends nothing
        assert (bank / PARTIAL).read_bytes() == before
        lines = [json.loads(line) for line in (bank / "requests.jsonl").read_text().splitlines()]
        synced = run("draft", "--no-cache", PARTIAL)
    assert synced.exit_code == 0
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == {"custom_id", "method", "url", "body"}
    assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
    assert line["custom_id"].startswith("qtool-")
    assert line["body"] == server.requests[0].body  # exactly what the synchronous path sent, response_format included
    assert line["body"]["response_format"]["type"] == "json_schema"
    assert "wrote 1 request to requests.jsonl" in out.stderr
    state = states(bank)[0]
    assert state["mode"] == "file" and list(state["requests"]) == [line["custom_id"]]
    assert state["requests"][line["custom_id"]]["path"] == PARTIAL


def numbered(request):
    """A reply naming the question it answers ("decision N" in the request): a mix-up shows in the file."""
    number = re.search(r"decision (\d+)", request.messages[-1]["content"]).group(1)
    return schema_model({**good_values(), "competencies": [f"Competency {number}"]})(request)


def test_submit_and_collect_apply_shuffled_output_by_custom_id(bank, run, monkeypatch):
    files = copies(bank, 5)
    with LLMServer(default=numbered) as server:
        use(server, monkeypatch)
        submitted = run("draft", "--batch", "submit")
        assert submitted.exit_code == 0, submitted.output + submitted.stderr
        state = states(bank)[0]
        assert state["status"] == "submitted" and state["parts"][0]["batch_id"] == "batch_1"
        assert [f for f in files if drafted(bank / f)] == []  # nothing written before collect
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0, collected.output + collected.stderr
    upload = server.uploads[0]
    sent = [line["custom_id"] for line in upload.lines]
    output = server.files[server.batches["batch_1"]["object"]["output_file_id"]].lines
    assert [line["custom_id"] for line in output] != sent  # the server shuffled its output
    assert sorted(line["custom_id"] for line in output) == sorted(sent)
    assert all(drafted(bank / f) for f in files)
    for index, f in enumerate(files):  # each file got the reply to its own request
        assert data(bank / f)["competencies"] == [f"Competency {index}"]
    assert ("POST", "/v1/batches") in server.api_calls
    assert [c for c in server.api_calls if c[0] == "GET" and c[1].startswith("/v1/batches/")] == [
        ("GET", "/v1/batches/batch_1")] * 3  # validating -> in_progress -> finalizing -> completed
    assert "applied 5 results with test-model: 5 written" in collected.stderr
    assert "tokens: 500 prompt + 250 completion, at batch prices" in collected.stderr
    assert "the server counts 500 input + 250 output" in collected.stderr
    assert states(bank)[0]["status"] == "collected"
    again = run("draft", "--batch", "submit")
    assert "nothing to submit" in again.stderr and len(server.uploads) == 1


@pytest.mark.parametrize("shape", ["error", "body"])
def test_failed_requests_in_each_error_shape(bank, run, monkeypatch, shape):
    files = copies(bank, 3)
    originals = {f: (bank / f).read_bytes() for f in files}
    with LLMServer(script=[error(400, "Invalid value for 'temperature'")]) as server:
        server.batch_scripts.append(BatchScript(error_shape=shape))
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        collected = run("draft", "--batch", "collect")
    failed_id = server.uploads[0].lines[0]["custom_id"]
    error_file = server.files[server.batches["batch_1"]["object"]["error_file_id"]].lines
    assert [line["custom_id"] for line in error_file] == [failed_id]
    assert (error_file[0]["error"] is None) == (shape == "body")
    failed = next(f for f in files if states(bank)[0]["requests"][failed_id]["path"] == f)
    assert collected.exit_code == 1
    lines = [line for line in collected.stdout.splitlines() if "error:" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{failed}:1:1: error: could not draft in batch qb-")
    assert "HTTP 400" in lines[0] or shape == "error"
    assert "Invalid value for 'temperature'" in lines[0] and lines[0].endswith("file left as it was [draft]")
    assert (bank / failed).read_bytes() == originals[failed]
    assert [f for f in files if drafted(bank / f)] == [f for f in files if f != failed]


def test_expired_batch_applies_what_finished_and_a_later_submit_sends_the_rest(bank, run, monkeypatch):
    files = copies(bank, 4)
    with LLMServer() as server:
        server.batch_scripts.append(BatchScript(statuses=("validating", "in_progress", "expired"), finished=3))
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        collected = run("draft", "--batch", "collect")
        assert collected.exit_code == 0, collected.output + collected.stderr
        assert "expired: 3 of 4 requests finished and were applied" in collected.stderr
        written = [f for f in files if drafted(bank / f)]
        assert len(written) == 3
        resubmitted = run("draft", "--batch", "submit")
        assert resubmitted.exit_code == 0
        rest = [line["custom_id"] for line in server.uploads[1].lines]
        assert len(rest) == 1
        assert rest[0] == server.uploads[0].lines[3]["custom_id"]  # the unfinished request, same id as before
        assert run("draft", "--batch", "collect").exit_code == 0
    assert all(drafted(bank / f) for f in files)


def test_invalid_reply_is_repaired_in_a_second_batch(bank, run, monkeypatch):
    bad = good_values()
    del bad["answers"]["exceptional"]["critique"]
    with LLMServer(script=[schema_model(bad)]) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", PARTIAL).exit_code == 0
        collected = run("draft", "--batch", "collect")
        assert collected.exit_code == 1
        assert f"{PARTIAL}:1:1: error: batch qb-" in collected.stdout
        assert "answers.exceptional: 'critique' is a required property" in collected.stdout
        assert "repair it with --repair" in collected.stdout
        assert not drafted(bank / PARTIAL)
        repair = run("draft", "--batch", "submit", "--repair")
        assert repair.exit_code == 0, repair.output + repair.stderr
        messages = server.uploads[1].lines[0]["body"]["messages"]
        assert messages[:4] == server.uploads[0].lines[0]["body"]["messages"]
        assert messages[4]["role"] == "assistant" and "critique" not in json.loads(messages[4]["content"])["answers"]["exceptional"]
        assert "answers.exceptional: 'critique' is a required property" in messages[5]["content"]
        assert run("draft", "--batch", "collect").exit_code == 0
        assert server.requests == []  # all through batches
    assert drafted(bank / PARTIAL)
    assert data(bank / PARTIAL)["answers"]["exceptional"]["critique"].strip() == good_values()["answers"]["exceptional"]["critique"]


def test_invalid_reply_repaired_now_synchronously(bank, run, monkeypatch):
    bad = good_values()
    bad["competencies"] = []
    with LLMServer(script=[schema_model(bad)]) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", PARTIAL).exit_code == 0
        collected = run("draft", "--batch", "collect", "--repair-now")
    assert collected.exit_code == 0, collected.output + collected.stderr
    assert len(server.requests) == 1  # one synchronous repair round
    assert server.requests[0].messages[-2]["role"] == "assistant"
    assert "competencies: [] should be non-empty" in server.requests[0].messages[-1]["content"]
    assert data(bank / PARTIAL)["competencies"] == good_values()["competencies"]


def test_file_edited_between_submit_and_collect_is_skipped(bank, run, monkeypatch):
    files = copies(bank, 2)
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        edited = (bank / files[0]).read_text().replace("What did you do?", "What did you do next?")
        (bank / files[0]).write_text(edited)
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0  # a warning: nothing was lost
    assert f"{files[0]}:1:1: warning: stale, skipped: the file changed after batch qb-" in collected.stdout
    assert (bank / files[0]).read_text() == edited
    assert data(bank / files[1])["answers"]["solid"]["text"].strip() == good_values()["answers"]["solid"]["text"]
    assert "1 written, 1 stale" in collected.stderr


def test_collect_interrupted_by_ctrl_c_resumes(bank, run, monkeypatch):
    files = copies(bank, 3)
    with LLMServer() as server:
        server.batch_scripts.append(BatchScript(statuses=("validating",) + ("in_progress",) * 1000 + ("completed",)))
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY}
        proc = subprocess.Popen([sys.executable, "-m", "qtool", "draft", "--batch", "collect"], cwd=bank, env=env,
                                preexec_fn=ctrl_c_as_in_a_terminal,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60  # a guard against a hung test, not a measurement
        while '"status":"in_progress"' not in next((bank / BATCHES).glob("*.json")).read_text() and time.monotonic() < deadline:
            time.sleep(0.02)  # until collect has polled once and saved what it saw (then it waits POLL_FIRST = 5 s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err and "collect resumes" in err
        state = states(bank)[0]
        assert state["status"] == "submitted" and state["parts"][0]["status"] == "in_progress"
        assert not any(drafted(bank / f) for f in files)
        server.batches["batch_1"]["script"].statuses = ("validating", "in_progress", "completed")
        resumed = run("draft", "--batch", "collect")
    assert resumed.exit_code == 0, resumed.output + resumed.stderr
    assert all(drafted(bank / f) for f in files)
    assert len(server.uploads) == 1 and [c for c in server.api_calls if c == ("POST", "/v1/batches")] == [("POST", "/v1/batches")]


def test_collect_resumed_after_partial_apply_writes_each_file_once(bank, run, monkeypatch):
    files = copies(bank, 3)
    originals = {f: (bank / f).read_text() for f in files}
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        state_file = next((bank / BATCHES).glob("*.json"))
        as_after_ctrl_c = state_file.read_text()  # submitted, not yet collected
        assert run("draft", "--batch", "collect").exit_code == 0
        # As if Ctrl-C came after the first two files were written: state not yet marked collected.
        state_file.write_text(as_after_ctrl_c)
        (bank / files[2]).write_text(originals[files[2]])
        kept = {f: (bank / f).read_text() for f in files[:2]}
        resumed = run("draft", "--batch", "collect")
    assert resumed.exit_code == 0, resumed.output + resumed.stderr
    assert "1 written, 2 already applied" in resumed.stderr and "stale" not in resumed.output
    assert {f: (bank / f).read_text() for f in files[:2]} == kept
    assert drafted(bank / files[2])
    assert server.api_calls.count(("POST", "/v1/batches")) == 1


def test_submit_interrupted_after_creating_the_batch_does_not_create_it_twice(bank, run, monkeypatch):
    files = copies(bank, 2)
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        state_file = next((bank / BATCHES).glob("*.json"))
        state = json.loads(state_file.read_text())
        # As after Ctrl-C between the server creating the batch and qtool saving its id.
        del state["parts"][0]["batch_id"]
        state["status"] = "prepared"
        state_file.write_text(json.dumps(state))
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0, collected.output + collected.stderr
    assert server.api_calls.count(("POST", "/v1/batches")) == 1 and len(server.uploads) == 1
    assert ("GET", "/v1/batches?limit=100") in server.api_calls
    assert all(drafted(bank / f) for f in files)


def test_submit_to_an_unreachable_server_keeps_the_batch_for_collect(bank, run, monkeypatch):
    files = copies(bank, 2)
    configure(bank, max_retries=0)
    with LLMServer() as gone:
        url = gone.url
    monkeypatch.setenv("OPENAI_BASE_URL", url)  # nothing listens there any more
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    failed = run("draft", "--batch", "submit")
    assert failed.exit_code == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot connect to {url}")
    assert "is kept: qtool draft --batch collect sends it" in lines[0] and "Traceback" not in failed.stderr
    assert states(bank)[0]["status"] == "prepared"
    status = run("draft", "--batch", "status")
    assert status.stdout.strip() == f"{states(bank)[0]['id']}: not sent yet (2 requests): collect sends it, cancel drops it"
    with LLMServer() as server:
        use(server, monkeypatch)
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0, collected.output + collected.stderr
    assert len(server.uploads) == 1 and len(server.uploads[0].lines) == 2
    assert all(drafted(bank / f) for f in files)


def test_batch_out_to_a_folder_is_one_line(bank, run, monkeypatch):
    (bank / "out").mkdir()
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("draft", "--batch-out", "out", PARTIAL)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["Error: out: is a folder, not a file"]
    assert states(bank) == [] and list((bank / "out").iterdir()) == []


def test_cached_replies_are_not_uploaded_again(bank, run, monkeypatch):
    files = copies(bank, 2)
    original = (bank / files[0]).read_text()
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", files[0]).exit_code == 0  # synchronously: the reply goes to the draft cache
        (bank / files[0]).write_text(original)
        submitted = run("draft", "--batch", "submit")
        assert submitted.exit_code == 0, submitted.output + submitted.stderr
        assert "1 drafted from cache" in submitted.stderr
        state = states(bank)[0]
        assert [e["path"] for e in state["requests"].values()] == [files[1]]
        assert len(server.uploads) == 1 and len(server.uploads[0].lines) == 1
        assert data(bank / files[1])["question"] in server.uploads[0].lines[0]["body"]["messages"][-1]["content"]
        assert drafted(bank / files[0])
        # A batch's good replies go to the cache too: a file restored and submitted again costs nothing.
        assert run("draft", "--batch", "collect").exit_code == 0
        restored = (bank / files[1]).read_text()
        (bank / files[1]).write_text(original.replace("q-0", "q-1").replace("decision 0", "decision 1"))
        again = run("draft", "--batch", "submit")
    assert "nothing to submit; 1 drafted from cache" in again.stderr
    assert len(server.uploads) == 1
    assert data(bank / files[1]) | {"provenance": None} == load_file_data(restored) | {"provenance": None}


def load_file_data(text: str) -> dict:
    from qtool.loader import load_text

    return load_text(text, "x.yaml").data


def test_forced_split_into_parts(bank, run, monkeypatch):
    files = copies(bank, 5)
    with LLMServer() as server:
        use(server, monkeypatch)
        submitted = run("draft", "--batch", "submit", "--batch-max-requests", "2")
        assert submitted.exit_code == 0, submitted.output + submitted.stderr
        assert [len(u.lines) for u in server.uploads] == [2, 2, 1]
        assert "5 requests in 3 parts" in submitted.stderr
        assert len({line["custom_id"] for u in server.uploads for line in u.lines}) == 5
        status = run("draft", "--batch", "status")
        assert "batch_1, batch_2, batch_3" in status.stdout
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0, collected.output + collected.stderr
    assert all(drafted(bank / f) for f in files)


def test_split_by_bytes(bank, run, monkeypatch):
    copies(bank, 3)
    with LLMServer() as server:
        use(server, monkeypatch)
        submitted = run("draft", "--batch", "submit", "--batch-max-bytes", "100")
    assert submitted.exit_code == 0, submitted.output + submitted.stderr
    assert [len(u.lines) for u in server.uploads] == [1, 1, 1]


def test_budget_refusal_submits_nothing(bank, run, monkeypatch):
    copies(bank, 3)
    with LLMServer() as server:
        use(server, monkeypatch)
        refused = run("draft", "--batch", "submit", "--budget", "1000")
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: the batch would use about ") and "over --budget 1000; nothing submitted" in lines[0]
    assert server.api_calls == [] and server.requests == []
    assert states(bank) == []


def test_vllm_results_written_by_hand(bank, run, monkeypatch):
    """A results file in ``vllm run-batch -o``'s format: one good line, one inline error, out of order."""
    files = copies(bank, 2)
    with LLMServer() as server:
        use(server, monkeypatch)
        out = run("draft", "--batch-out", "requests.jsonl")
    assert out.exit_code == 0, out.stderr
    ids = [json.loads(line)["custom_id"] for line in (bank / "requests.jsonl").read_text().splitlines()]
    text = (FIXTURES / "vllm-results.jsonl").read_text()
    (bank / "results.jsonl").write_text(text.replace("CUSTOM_ID_0", ids[0]).replace("CUSTOM_ID_1", ids[1]))
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 1
    assert applied.stdout.splitlines()[-1] == (
        f"{files[1]}:1:1: error: could not draft in batch {states(bank)[0]['id']}: HTTP 400: This model's maximum context "
        "length is 4096 tokens. However, you requested 5120 tokens; file left as it was [draft]")
    assert drafted(bank / files[0]) and not drafted(bank / files[1])
    assert data(bank / files[0])["competencies"] == ["Data-driven decision making", "Stakeholder management"]
    assert "tokens: 1450 prompt + 420 completion" in applied.stderr
    first = (bank / files[0]).read_text()
    again = run("draft", "--batch-in", "results.jsonl")
    assert "0 written, 1 failed, 1 already applied" in again.stderr and (bank / files[0]).read_text() == first


def test_bad_results_lines_are_one_line_each(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--batch-out", "requests.jsonl", PARTIAL).exit_code == 0
    (bank / "results.jsonl").write_text('{"custom_id": "qtool-nope", "response": null, "error": "x"}\nnot json\n')
    applied = run("draft", "--batch-in", "results.jsonl")
    assert applied.exit_code == 1
    assert applied.stdout.splitlines()[:2] == [
        "results.jsonl:1:1: error: unknown custom_id 'qtool-nope': not a request qtool prepared in this bank [draft]",
        "results.jsonl:2:1: error: not JSON (Expecting value: line 1 column 1 (char 0)) [draft]"]
    state_file = next((bank / BATCHES).glob("*.json"))
    cid = json.loads((bank / "requests.jsonl").read_text())["custom_id"]
    state_file.write_text(state_file.read_text().replace('"fields":[', '"fields":7,"was":['))  # damaged: skipped
    answer = {"custom_id": cid, "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "{}"}}]}}}
    (bank / "results.jsonl").write_text(json.dumps(answer) + "\n")
    damaged = run("draft", "--batch-in", "results.jsonl")
    assert damaged.exit_code == 1 and "Traceback" not in damaged.stderr
    assert damaged.stdout.splitlines() == [
        f"results.jsonl:1:1: error: unknown custom_id '{cid}': not a request qtool prepared in this bank [draft]"]
    missing = run("draft", "--batch-in", "nowhere.jsonl")
    assert missing.exit_code == 1 and missing.stderr.strip() == "Error: nowhere.jsonl: no such results file"


def test_cancel_then_collect_applies_what_finished(bank, run, monkeypatch):
    files = copies(bank, 3)
    with LLMServer() as server:
        server.batch_scripts.append(BatchScript(statuses=("validating",) + ("in_progress",) * 50, finished=1))
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        cancelled = run("draft", "--batch", "cancel")
        assert cancelled.exit_code == 0 and ("POST", "/v1/batches/batch_1/cancel") in server.api_calls
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 0, collected.output + collected.stderr
    assert "cancelled: 1 of 3 requests finished and were applied" in collected.stderr
    assert len([f for f in files if drafted(bank / f)]) == 1


def test_batch_ids_and_option_clashes(bank, run, monkeypatch):
    files = copies(bank, 2)
    with LLMServer() as server:
        server.batch_scripts += [BatchScript(statuses=("in_progress",) * 9)] * 2
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", files[0]).exit_code == 0
        assert run("draft", "--batch", "submit", files[1]).exit_code == 0
        ambiguous = run("draft", "--batch", "collect")
        assert ambiguous.exit_code == 1 and "2 open batches" in ambiguous.stderr
        named = run("draft", "--batch", "collect", "--no-wait", "batch_2")
        assert named.exit_code == 0 and "in_progress, 0 of 1 done" in named.stderr
        status = run("draft", "--batch", "status")
        assert len(status.stdout.strip().splitlines()) == 2
        again = run("draft", "--batch", "submit", files[0])
        assert "nothing to submit; 1 already in an open batch" in again.stderr and len(server.uploads) == 2
    clash = run("draft", "--batch-out", "a.jsonl", "--batch", "submit")
    assert clash.exit_code == 2 and "cannot be combined" in clash.stderr
    assert run("draft", "--repair-now", PARTIAL).exit_code == 2


def test_overwrite_is_recorded_at_submit_and_authors_text_kept_without_it(bank, run, monkeypatch):
    files = copies(bank, 2)
    authored = data(bank / files[0])["answers"]["sample"]["text"]
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", "--only", "answers", "--overwrite", files[0]).exit_code == 0
        assert run("draft", "--batch", "submit", "--only", "answers", files[1]).exit_code == 0
        assert run("draft", "--batch", "collect", "batch_1").exit_code == 0
        assert run("draft", "--batch", "collect", "batch_2").exit_code == 0
    assert [line["body"]["response_format"]["json_schema"]["schema"]["properties"]["answers"]["required"]
            for upload in server.uploads for line in upload.lines] == [["sample", "solid", "exceptional"],
                                                                        ["solid", "exceptional"]]
    good = good_values()["answers"]["sample"]["text"]
    assert data(bank / files[0])["answers"]["sample"]["text"].strip() == good  # --overwrite, given at submit
    assert data(bank / files[1])["answers"]["sample"]["text"] == authored  # the author's text stays
    assert data(bank / files[1])["answers"]["solid"]["text"].strip() == good_values()["answers"]["solid"]["text"]


def test_results_applied_by_forked_workers_land_in_the_right_files_and_state(bank, run, monkeypatch):
    from qtool import workers

    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)  # the worker pool even for a few results
    files = copies(bank, 6)
    bad = good_values()
    bad["competencies"] = []

    def replies(request):
        return schema_model(bad)(request) if "decision 3" in request.messages[-1]["content"] else numbered(request)

    with LLMServer(default=replies) as server:
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit").exit_code == 0
        collected = run("draft", "--batch", "collect")
    assert collected.exit_code == 1
    assert "5 written, 1 invalid" in collected.stderr
    for index, f in enumerate(files):
        if index != 3:
            assert data(bank / f)["competencies"] == [f"Competency {index}"]
    state = states(bank)[0]
    assert [state["requests"][cid]["path"] for cid in state["invalid"]] == [files[3]]  # kept for --repair
    from qtool.draft.cache import Cache

    cache = Cache(bank)  # the workers' good replies, cached by the parent in one pack
    cached = [cid for cid, entry in state["requests"].items() if cache.get(entry["key"]) is not None]
    assert sorted(cached) == sorted(cid for cid in state["requests"] if cid not in state["invalid"])
    assert len(list((bank / ".qtool-cache" / "draft" / "packs").glob("*.jsonl"))) == 1


def test_cancel_of_a_half_sent_submit_never_sends_the_rest(bank, run, monkeypatch):
    files = copies(bank, 2)
    with LLMServer() as server:
        server.batch_scripts += [BatchScript(statuses=("validating",) + ("in_progress",) * 50 + ("completed",), finished=1)] * 2
        use(server, monkeypatch)
        assert run("draft", "--batch", "submit", "--batch-max-requests", "1").exit_code == 0
        state_file = next((bank / BATCHES).glob("*.json"))
        state = json.loads(state_file.read_text())
        for key in ("file_id", "batch_id", "status", "counts"):  # as after Ctrl-C once part 1 was sent
            state["parts"][1].pop(key, None)
        state["status"] = "prepared"
        state_file.write_text(json.dumps(state))
        assert run("draft", "--batch", "cancel").exit_code == 0
        collected = run("draft", "--batch", "collect")
        assert collected.exit_code == 0, collected.output + collected.stderr
        assert server.api_calls.count(("POST", "/v1/batches")) == 2  # the two of the first submit, no more
        assert ("POST", "/v1/batches/batch_1/cancel") in server.api_calls
        assert "part 2 cancelled: 0 of 1 requests finished" in collected.stderr
        sent_first = server.uploads[0].lines[0]["custom_id"]
        done = [f for f in files if drafted(bank / f)]
        assert len(done) == 1 and state["requests"][sent_first]["path"] == done[0]
        again = run("draft", "--batch", "submit")
        assert again.exit_code == 0 and [len(u.lines) for u in server.uploads] == [1, 1, 1]
