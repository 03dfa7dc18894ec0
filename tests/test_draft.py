"""``qtool draft`` against a real OpenAI-compatible server on 127.0.0.1, through the real openai client."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from conftest import ctrl_c_as_in_a_terminal
from llm_server import LLMServer, Reply, chat, error, good_values, schema_model
from qtool.draft.reply import fields_for, full_reply_schema, reply_schema, wire_schema
from qtool.loader import load_file
from qtool.schema import validate_question

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "draft"
KEY = "sk-test-Zq81Hx0secretkey"
PARTIAL = "questions/data-analyst/analysis-changed-decision.yaml"


@pytest.fixture
def bank(empty_bank: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty bank holding the partial fixture file, with short timeouts and no endpoint yet."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "QTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    target = empty_bank / PARTIAL
    target.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "partial.yaml", target)
    configure(empty_bank)
    return empty_bank


def configure(root: Path, **llm: object) -> None:
    settings = {"timeout": 2, "max_retries": 1, "model": "test-model", **llm}
    body = "\n".join(f"{key.replace('_', '-')} = {json.dumps(value)}" for key, value in settings.items())
    (root / "pyproject.toml").write_text(f"[tool.qtool.llm]\n{body}\n", encoding="utf-8")


def use(server: LLMServer, monkeypatch: pytest.MonkeyPatch, key: str | None = KEY) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", key)


def data(path: str | Path) -> dict:
    loaded = load_file(str(path))
    assert not hasattr(loaded, "message"), loaded
    return loaded.data


def test_good_reply_fills_only_what_is_missing_and_keeps_comments(bank, run, monkeypatch):
    before = (bank / PARTIAL).read_text()
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.output + result.stderr
    text = (bank / PARTIAL).read_text()
    after = data(bank / PARTIAL)
    good = good_values()
    # Human-written values and comments stay; missing parts, skeleton markers and the empty list are filled.
    assert after["answers"]["sample"]["text"] == data(FIXTURES / "partial.yaml")["answers"]["sample"]["text"]
    assert after["prep_tips"] == ["Know the numbers behind your story."]
    assert "# Written by hand: the draft must keep this text and both comments." in text
    assert "# keep me" in text
    assert after["answers"]["solid"] == good["answers"]["solid"] | {
        "text": good["answers"]["solid"]["text"] + "\n", "critique": good["answers"]["solid"]["critique"] + "\n"}
    assert after["answers"]["exceptional"]["critique"].strip() == good["answers"]["exceptional"]["critique"]
    assert after["competencies"] == good["competencies"]
    assert after["status"] == "draft" and after["guid"] == "Qm7Tz2Lp9x"
    assert after["provenance"]["drafted_by"] == "test-model"
    assert after["provenance"]["drafted_at"].endswith("Z") and after["provenance"]["prompt_version"]
    assert validate_question(load_file(str(bank / PARTIAL))) == []
    assert text != before and text.startswith("# yaml-language-server: $schema=")
    # One request, asking for exactly the missing fields with a strict JSON Schema.
    assert len(server.requests) == 1
    request = server.requests[0]
    wanted = fields_for(())[1:5] + (("competencies",),)
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "question_draft", "strict": True, "schema": wire_schema(reply_schema(wanted))}}
    assert request.body["model"] == "test-model"
    assert "Know the numbers behind your story." in request.messages[-1]["content"]  # the context it must fit
    assert "drafted answers.solid.text" in result.output
    assert "1 request (0 retries)" in result.stderr and "tokens: 100 prompt + 50 completion" in result.stderr


def test_garbage_then_good_is_one_retry(bank, run, monkeypatch):
    with LLMServer(script=[chat("Sure! Here is your draft: {answers: ...")]) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 2
    assert "not JSON" in server.requests[1].messages[-1]["content"]
    assert server.requests[1].messages[-2] == {"role": "assistant", "content": "Sure! Here is your draft: {answers: ..."}
    assert "2 requests (1 retry)" in result.stderr
    assert data(bank / PARTIAL)["competencies"] == good_values()["competencies"]


def test_schema_invalid_reply_sends_the_errors_back(bank, run, monkeypatch):
    bad = good_values()
    del bad["answers"]["exceptional"]["critique"]
    bad["competencies"] = []
    with LLMServer(script=[schema_model(bad)]) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 2
    feedback = server.requests[1].messages[-1]["content"]
    assert "answers.exceptional: 'critique' is a required property" in feedback
    assert "competencies: [] should be non-empty" in feedback
    assert data(bank / PARTIAL)["answers"]["exceptional"]["critique"].strip()


def test_replies_that_never_fit_fail_cleanly_and_write_nothing(bank, run, monkeypatch):
    before = (bank / PARTIAL).read_bytes()
    with LLMServer(default=chat('{"answers": {}}')) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 1
    assert len(server.requests) == 3  # the first reply and two repair rounds
    assert result.stdout.splitlines() == [
        f"{PARTIAL}:1:1: error: could not draft: the model's reply did not fit the question schema after 3 attempts: "
        "the reply: 'competencies' is a required property (and 2 more); file left as it was [draft]"]
    assert (bank / PARTIAL).read_bytes() == before
    assert "Traceback" not in result.output + result.stderr


def test_rate_limit_waits_for_retry_after_then_succeeds(bank, run, monkeypatch):
    with LLMServer(script=[error(429, "Rate limit reached", {"Retry-After": "1"})]) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 2
    assert server.requests[1].at - server.requests[0].at >= 1.0  # the retry waited for Retry-After, as the server saw
    assert "2 requests (1 retry)" in result.stderr


def test_persistent_server_error_is_one_clear_line_and_nothing_written(bank, run, monkeypatch):
    before = (bank / PARTIAL).read_bytes()
    with LLMServer(default=error(500, "model crashed", {"Retry-After": "0.1"})) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 1
    assert len(server.requests) == 2  # max_retries = 1
    assert f"{PARTIAL}:1:1: error: could not draft: HTTP 500 from {server.url} after 2 attempts: model crashed; file left as it was [draft]" in result.output
    assert (bank / PARTIAL).read_bytes() == before
    assert list((bank / PARTIAL).parent.iterdir()) == [bank / PARTIAL]  # no temp file left behind


@pytest.mark.parametrize("retries", [0, 1])
def test_server_that_never_answers_times_out_within_the_bound(bank, run, monkeypatch, retries):
    configure(bank, timeout=1, max_retries=retries)
    before = (bank / PARTIAL).read_bytes()
    with LLMServer(default=Reply(hang=True)) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
        held = server.held  # the client gave up on its own: the server had not answered any of them
    assert result.exit_code == 1
    assert len(server.requests) == held == retries + 1
    assert f"no reply from {server.url} within 1 s (tried {retries + 1} time" in result.output
    assert (bank / PARTIAL).read_bytes() == before


def test_concurrent_drafts_overlap(bank, run, monkeypatch):
    src = (bank / PARTIAL).read_text()
    for index in range(8):
        (bank / f"questions/data-analyst/copy-{index}.yaml").write_text(src.replace("analysis-changed-decision", f"copy-{index}"))
    (bank / PARTIAL).unlink()
    with LLMServer(default=schema_model(delay=0.3)) as server:
        use(server, monkeypatch)
        run("draft", "--no-cache", "questions/data-analyst/copy-0.yaml")  # copy-0 is complete after this
        result = run("draft", "--concurrency", "4", "--no-cache")
    assert result.exit_code == 0, result.output + result.stderr
    assert len(server.requests) == 1 + 7
    assert server.max_in_flight == 4  # the server held four requests at once: they overlapped
    assert "drafted 7 of 7 files" in result.stderr
    for index in range(8):
        assert validate_question(load_file(str(bank / f"questions/data-analyst/copy-{index}.yaml"))) == []


def test_repeated_run_hits_the_cache(bank, run, monkeypatch):
    original = (bank / PARTIAL).read_text()
    with LLMServer() as server:
        use(server, monkeypatch)
        first = run("draft", PARTIAL)
        drafted = data(bank / PARTIAL)
        (bank / PARTIAL).write_text(original)
        second = run("draft", PARTIAL)
        assert len(server.requests) == 1
        assert "0 requests (0 retries), 1 from cache" in second.stderr
        assert (bank / ".qtool-cache").is_dir()
        (bank / PARTIAL).write_text(original)
        third = run("draft", "--no-cache", PARTIAL)
        assert len(server.requests) == 2
    assert first.exit_code == second.exit_code == third.exit_code == 0
    again = data(bank / PARTIAL)
    assert {k: v for k, v in again.items() if k != "provenance"} == {k: v for k, v in drafted.items() if k != "provenance"}


def test_key_is_sent_but_never_shown_or_written(bank, run, monkeypatch):
    with LLMServer(script=[error(401, f"Incorrect API key provided: {KEY}.")]) as server:
        use(server, monkeypatch)
        refused = run("draft", PARTIAL)
        drafted = run("draft", PARTIAL)
    assert [r.headers["authorization"] for r in server.requests] == [f"Bearer {KEY}"] * 2
    assert refused.exit_code == 1 and "refused the API key (HTTP 401)" in refused.output
    assert drafted.exit_code == 0
    for output in (refused.output, refused.stderr, drafted.output, drafted.stderr):
        assert KEY not in output
    for path in bank.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_keyless_local_server_gets_a_placeholder_key(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch, key=None)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.stderr
    assert server.requests[0].headers["authorization"] == "Bearer no-key"


def test_server_without_json_schema_gets_json_mode(bank, run, monkeypatch):
    def picky(request):
        if request.body["response_format"]["type"] == "json_schema":
            return error(400, "response_format of type 'json_schema' is not supported by this model")
        return chat(json.dumps(good_values()))  # JSON mode: every part, more than was asked for

    with LLMServer(default=picky) as server:
        use(server, monkeypatch)
        result = run("draft", PARTIAL)
    assert result.exit_code == 0, result.output + result.stderr
    assert [r.body["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]
    assert '"properties"' in server.requests[1].messages[-1]["content"]  # JSON mode: the schema is in the prompt
    assert '"properties"' not in json.dumps(server.requests[0].messages)  # structured output: only in response_format
    assert data(bank / PARTIAL)["competencies"] == good_values()["competencies"]


def test_the_schema_travels_once_where_response_format_is_honoured(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", PARTIAL).exit_code == 0
    body = server.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert json.dumps(body).count('"properties"') == json.dumps(body["response_format"]).count('"properties"') > 0


def test_every_prompt_file_fills_every_placeholder():
    """Prompts render with Template.substitute: a misspelled $placeholder is an error, never text sent to a model."""
    from string import Template

    from qtool.draft.messages import prompt_text

    expected = {"request.md": {"role", "category", "question", "context", "fields", "format", "vocabulary"},
                "repair.md": {"errors", "schema"}}
    folder = Path(__file__).resolve().parent.parent / "tools" / "qtool" / "draft" / "prompts"
    for path in sorted(folder.glob("*.md")):
        template = Template(prompt_text(path.name))
        assert template.is_valid(), path.name
        assert set(template.get_identifiers()) == expected.get(path.name, set()), path.name


def test_only_and_overwrite(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        only = run("draft", "--only", "competencies", PARTIAL)
        after = data(bank / PARTIAL)
        assert after["competencies"] == good_values()["competencies"]
        assert "critique" not in after["answers"]["solid"]
        assert server.requests[0].schema["required"] == ["competencies"]
        overwrite = run("draft", "--only", "answers", "--overwrite", PARTIAL)
    assert only.exit_code == overwrite.exit_code == 0
    assert server.requests[1].schema["properties"]["answers"]["required"] == ["sample", "solid", "exceptional"]
    assert data(bank / PARTIAL)["answers"]["sample"]["text"].strip() == good_values()["answers"]["sample"]["text"]


def test_budget_stops_new_requests(bank, run, monkeypatch):
    src = (bank / PARTIAL).read_text()
    for index in range(3):
        text = src.replace("analysis-changed-decision", f"b-{index}").replace("a decision", f"decision {index}")
        (bank / f"questions/data-analyst/b-{index}.yaml").write_text(text)  # distinct questions: no cache hits
    (bank / PARTIAL).unlink()
    with LLMServer(default=schema_model(prompt_tokens=900, completion_tokens=300)) as server:
        use(server, monkeypatch)
        result = run("draft", "--concurrency", "1", "--budget", "1000")
    assert len(server.requests) == 1
    assert result.exit_code == 0  # budget stops are warnings
    assert "drafted 1 of 3 files" in result.stderr
    assert result.output.count("warning: not drafted: token budget spent (1200 of 1000 tokens used) [draft]") == 2


def test_skeleton_from_new_is_drafted(empty_bank, run, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "QTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    made = run("new", "--role", "Data Analyst", "--question", "How do you check a dashboard's numbers?", "--category", "technical")
    assert made.exit_code == 0 and "wrote a skeleton" in made.stderr
    path = empty_bank / "questions/data-analyst/check-dashboards-numbers.yaml"
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("draft")
    assert result.exit_code == 0, result.output + result.stderr
    assert "TODO(qtool)" not in path.read_text()
    assert data(path)["answers"]["sample"]["text"].strip() == good_values()["answers"]["sample"]["text"]


def test_nothing_to_draft_makes_no_request(bank, run, monkeypatch):
    seed = Path(__file__).resolve().parent.parent / "questions" / "marketing-specialist" / "social-media-crisis.yaml"
    target = bank / "questions/marketing-specialist/social-media-crisis.yaml"
    target.parent.mkdir()
    shutil.copy(seed, target)
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("draft", str(target.relative_to(bank)))
    assert result.exit_code == 0
    assert server.requests == []
    assert "nothing to draft" in result.stderr


def test_without_endpoint_draft_is_a_usage_error(bank, run):
    result = run("draft", PARTIAL)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: no LLM endpoint configured (set OPENAI_API_KEY, or OPENAI_BASE_URL or base-url in [tool.qtool.llm] "
        "for a local server): nothing to draft with"]


def test_bad_llm_config_is_one_line_exit_2(bank, run, monkeypatch):
    configure(bank, timeout="soon")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = run("draft", PARTIAL)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "llm.timeout must be a number, got a string ('soon')" in result.stderr


def test_unreadable_file_is_reported_not_drafted(bank, run, monkeypatch):
    (bank / "questions/data-analyst/broken.yaml").write_text("role: [unclosed\n")
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("draft", "questions/data-analyst/broken.yaml", PARTIAL)
    assert result.exit_code == 1
    assert "questions/data-analyst/broken.yaml:2:1: error: invalid YAML" in result.output
    assert len(server.requests) == 1
    assert full_reply_schema()["required"] == ["answers", "prep_tips", "competencies"]


def test_ctrl_c_leaves_every_file_whole(bank, monkeypatch):
    import os
    import signal
    import subprocess
    import sys

    src = (bank / PARTIAL).read_text()
    (bank / PARTIAL).unlink()
    originals = {}
    for index in range(6):
        path = bank / f"questions/data-analyst/c-{index}.yaml"
        originals[path] = src.replace("analysis-changed-decision", f"c-{index}").replace("a decision", f"decision {index}")
        path.write_text(originals[path])
    paths = list(originals)
    hang = Reply(hang=True)  # held until the server stops: the run cannot finish on its own
    with LLMServer(script=[schema_model()], default=hang) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY}
        proc = subprocess.Popen([sys.executable, "-m", "qtool", "draft", "--concurrency", "2"], cwd=bank, env=env,
                                preexec_fn=ctrl_c_as_in_a_terminal,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60  # a guard against a hung test, not a measurement
        while (sum(p.read_text() != originals[p] for p in paths) < 1 or len(server.requests) < 2) \
                and time.monotonic() < deadline:
            time.sleep(0.02)  # until the first file is written and the next request is held
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130  # not waiting for the held request: the server never answers it
    assert "Traceback" not in err and "Aborted!" in err
    written = [p for p in paths if p.read_text() != originals[p]]
    assert len(written) == 1
    for path in written:
        assert validate_question(load_file(str(path))) == []
    assert sorted(p.name for p in (bank / "questions/data-analyst").iterdir()) == sorted(p.name for p in paths)


def test_listing_and_checking_never_import_openai(bank):
    import subprocess
    import sys

    code = ("import sys; import qtool.commands.new, qtool.commands.draft, qtool.commands.check; "
            "from qtool.cli import cli\n"
            "try:\n    cli(['draft', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('openai' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=bank, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_temperature_is_sent_only_when_configured(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run("draft", "--no-cache", "--only", "competencies", PARTIAL).exit_code == 0
        configure(bank, temperature=0.2)
        assert run("draft", "--no-cache", "--only", "prep-tips", "--overwrite", PARTIAL).exit_code == 0
    assert "temperature" not in server.requests[0].body
    assert server.requests[1].body["temperature"] == 0.2


# -- the format asked for follows the category (issue 12) -------------------------------------------
CODE_ANSWER = ("A generator keeps one item in memory at a time:\n\n```python\ndef read_rows(path):\n"
               "    with open(path) as handle:\n        for line in handle:\n            yield line.rstrip(\"\\n\")\n```\n\n"
               "so a 10 GB log never has to fit in memory.")


@pytest.mark.parametrize(("category", "asked", "not_asked"), [
    ("technical", "put it in a fenced code block", "no Markdown"),
    ("behavioral", "plain prose paragraphs", "fenced code block"),
])
def test_prompt_asks_for_markdown_only_for_technical_questions(bank, run, monkeypatch, category, asked, not_asked):
    values = good_values()
    values["answers"]["solid"]["text"] = CODE_ANSWER
    with LLMServer(default=schema_model(values)) as server:
        use(server, monkeypatch)
        result = run("new", "--role", "Software Engineer", "--question", "How would you read a 10 GB log file in Python?",
                     "--category", category)
    assert result.exit_code == 0, result.output + result.stderr
    [request] = server.requests
    sent = request.messages[-1]["content"]
    assert asked in sent and not_asked not in sent
    assert ("No raw HTML" in sent) == (category == "technical")
    # The worked example (a behavioral question) is asked for in prose either way.
    assert "plain prose paragraphs" in request.messages[1]["content"]
    # The fenced code the model wrote is kept exactly, indentation and all.
    [path] = (bank / "questions" / "software-engineer").glob("*.yaml")
    written = data(path)
    assert written["answers"]["solid"]["text"] == CODE_ANSWER + "\n"
