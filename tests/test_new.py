"""``qtool new``: a drafted question from a real local server, a skeleton without one, and refusals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from llm_server import LLMServer, Reply, chat, error, good_values
from qtool.draft.reply import full_reply_schema, wire_schema
from qtool.loader import load_file
from qtool.schema import validate_question
from qtool.skeleton import SKELETON_MARKER

KEY = "sk-test-Nw4Kd7secretvalue"
ROLE, QUESTION = "Data Analyst", "Tell us about a time your analysis changed a decision."
PATH = "questions/data-analyst/analysis-changed-decision.yaml"
ARGS = ("new", "--role", ROLE, "--question", QUESTION, "--category", "behavioral")


@pytest.fixture
def bank(empty_bank: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty bank with its schema, short timeouts, and no endpoint in the environment."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "QTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    schema = Path(__file__).resolve().parent.parent / "schema"
    (empty_bank / "schema").mkdir()
    for item in schema.iterdir():
        (empty_bank / "schema" / item.name).write_bytes(item.read_bytes())
    (empty_bank / "pyproject.toml").write_text('[tool.qtool.llm]\ntimeout = 2\nmax-retries = 1\nmodel = "test-model"\n')
    return empty_bank


def use(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".qtool-cache" not in p.parts)


def test_drafted_question_passes_check_but_for_the_draft_warning(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 0, result.output
    question = load_file(str(bank / PATH))
    assert validate_question(question) == []
    data = question.data
    good = good_values()
    assert list(data) == ["id", "guid", "role", "question", "category", "status", "answers", "prep_tips",
                          "competencies", "provenance"]
    assert data["id"] == "data-analyst/analysis-changed-decision"
    assert data["role"] == ROLE and data["question"] == QUESTION and data["status"] == "draft"
    assert len(data["guid"]) == 10
    assert data["answers"]["exceptional"]["text"] == good["answers"]["exceptional"]["text"] + "\n"
    assert data["prep_tips"] == good["prep_tips"] and data["competencies"] == good["competencies"]
    assert data["provenance"]["drafted_by"] == "test-model"
    assert (bank / PATH).read_text().startswith("# yaml-language-server: $schema=../../schema/question.schema.json\n")
    # The check ran on the new file: only the draft warning.
    assert result.stdout.splitlines() == [f"{PATH}:7:9: warning: status is draft: read and edit the question, then set 'status: reviewed' [draft-status]"]
    checked = run("check", "--format", "json", PATH)
    assert checked.exit_code == 0
    assert [p["code"] for p in json.loads(checked.stdout)] == ["draft-status"]
    # What the server saw: the prompt files, the worked example, the question, a strict schema.
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    vocabulary = load_file(str(bank / "schema" / "competencies.yaml")).data["competencies"]
    expected = wire_schema(full_reply_schema())
    expected["properties"]["competencies"]["items"]["enum"] = vocabulary  # picked from the bank's list
    assert request.body["response_format"]["json_schema"]["schema"] == expected
    assert "Pick the competencies from this list only" in request.messages[3]["content"]
    roles = [m["role"] for m in request.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert "exceptional answer" in request.messages[0]["content"].lower()
    assert "Marketing Specialist" in request.messages[1]["content"]
    assert QUESTION in request.messages[3]["content"] and "behavioral" in request.messages[3]["content"]
    for text in (result.output, result.stderr, checked.output):
        assert KEY not in text
    assert all(KEY.encode() not in (bank / name).read_bytes() for name in files_under(bank))


def test_prompts_for_what_is_not_given(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run("new", input=f"{ROLE}\n{QUESTION}\nnot-a-category\nbehavioral\n")
    assert result.exit_code == 0, result.output
    assert "Error: 'not-a-category' is not one of" in result.output
    assert load_file(str(bank / PATH)).data["category"] == "behavioral"


def test_without_endpoint_writes_a_skeleton_and_says_so(bank, run):
    result = run(*ARGS)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "skeleton" in line]
    assert notes == [f"no LLM endpoint configured (set OPENAI_API_KEY, or OPENAI_BASE_URL or base-url in [tool.qtool.llm] "
                     f"for a local server): wrote a skeleton to {PATH}; replace every TODO(qtool) text"]
    question = load_file(str(bank / PATH))
    assert validate_question(question) == []
    assert "provenance" not in question.data
    texts = [question.data["answers"][tier][part] for tier, part in
             (("sample", "text"), ("solid", "text"), ("solid", "critique"), ("exceptional", "text"), ("exceptional", "critique"))]
    assert all(text.startswith(SKELETON_MARKER) for text in texts + question.data["prep_tips"] + question.data["competencies"])
    # The check printed with it flags every placeholder.
    assert result.stdout.count("[placeholder]") == 7
    assert "Traceback" not in result.output


def test_no_llm_writes_a_skeleton_even_with_an_endpoint(bank, run, monkeypatch):
    with LLMServer() as server:
        use(server, monkeypatch)
        result = run(*ARGS, "--no-llm")
    assert result.exit_code == 0
    assert server.requests == []
    assert result.stderr.startswith(f"--no-llm: wrote a skeleton to {PATH}")


def test_refuses_to_overwrite_unless_forced(bank, run):
    assert run(*ARGS, "--no-llm").exit_code == 0
    before = (bank / PATH).read_bytes()
    guid = load_file(str(bank / PATH)).data["guid"]
    again = run(*ARGS, "--no-llm")
    assert again.exit_code == 1
    assert again.stderr.strip() == f"Error: {PATH} already exists: pick another --slug, or pass --force to replace it"
    assert (bank / PATH).read_bytes() == before
    forced = run(*ARGS, "--no-llm", "--force")
    assert forced.exit_code == 0
    assert load_file(str(bank / PATH)).data["guid"] != guid  # a new question, a fresh guid


@pytest.mark.parametrize("option, value", [
    ("--role", "Data\x1bAnalyst"),
    ("--slug", ".."),
    ("--slug", "../../escape"),
    ("--slug", "a/b"),
    ("--slug", "/tmp/x"),
    ("--slug", "bad\nslug"),
    ("--slug", "Not A Slug"),
])
def test_refuses_values_that_would_escape_questions(bank, run, option, value):
    args = dict(zip(ARGS[1::2], ARGS[2::2]))
    args[option] = value
    flat = [item for pair in args.items() for item in pair]
    before = files_under(bank.parent)
    result = run("new", *flat, "--no-llm")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert files_under(bank.parent) == before


def test_slug_option_and_derived_slugs(bank, run):
    assert run(*ARGS, "--no-llm", "--slug", "changed-decision").exit_code == 0
    assert load_file(str(bank / "questions/data-analyst/changed-decision.yaml")).data["id"] == "data-analyst/changed-decision"
    made = run("new", "--role", "Marketing Specialist", "--question",
               "Tell us about a time when you had to manage a crisis on social media. How did you handle it?",
               "--category", "behavioral", "--no-llm")
    assert made.exit_code == 0
    assert (bank / "questions/marketing-specialist/manage-crisis-social-media.yaml").is_file()


def test_persistent_server_error_writes_nothing(bank, run, monkeypatch):
    with LLMServer(default=error(503, "overloaded", {"Retry-After": "0.1"})) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 1
    assert len(server.requests) == 2
    assert result.stderr.strip() == (f"Error: could not draft {PATH}: HTTP 503 from {server.url} after 2 attempts: "
                                     "overloaded; nothing written (--no-llm writes a skeleton to fill by hand)")
    assert not (bank / "questions/data-analyst").exists()


def test_timeout_is_bounded_and_writes_nothing(bank, run, monkeypatch):
    (bank / "pyproject.toml").write_text("[tool.qtool.llm]\ntimeout = 1\nmax-retries = 0\n")
    with LLMServer(default=Reply(hang=True)) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
        held = server.held  # the client gave up on its own: the server never answered
    assert result.exit_code == 1
    assert len(server.requests) == held == 1
    assert "within 1 s (tried 1 time)" in result.stderr
    assert not (bank / PATH).exists()


def test_bad_llm_settings_are_a_usage_error(bank, run, monkeypatch):
    (bank / "pyproject.toml").write_text('[tool.qtool.llm]\napi_key = "sk-in-a-file"\n')
    result = run(*ARGS)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "pyproject.toml:2:1: error: unknown key 'api_key' in llm (put the key in the "
        "OPENAI_API_KEY environment variable, never in a file); allowed keys: model, base-url, temperature, timeout, "
        "max-retries, concurrency, max-reply-bytes [config]"]
    assert "sk-in-a-file" not in result.output


def test_competencies_outside_the_vocabulary_are_sent_back(bank, run, monkeypatch):
    from llm_server import chat

    off_list = good_values()
    off_list["competencies"] = ["Juggling"]
    with LLMServer(script=[chat(json.dumps(off_list))]) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 2
    assert "competencies[0]: 'Juggling' is not one of ['Collaboration and teamwork'" in server.requests[1].messages[-1]["content"]
    assert load_file(str(bank / PATH)).data["competencies"] == good_values()["competencies"]


def test_no_vocabulary_when_the_rule_is_off(bank, run, monkeypatch):
    (bank / "pyproject.toml").write_text('[tool.qtool.rules.competency-vocabulary]\nenabled = false\n')
    with LLMServer() as server:
        use(server, monkeypatch)
        assert run(*ARGS).exit_code == 0
    assert "enum" not in server.requests[0].schema["properties"]["competencies"]["items"]


@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_server_error_that_echoes_the_key_never_shows_it(bank, run, monkeypatch, status):
    with LLMServer(default=error(status, f"invalid api key: {KEY} is not allowed here")) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 1
    assert server.requests and server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.output
    assert "***" in result.stderr or "refused the API key" in result.stderr  # the body is shown with the key masked, or not at all
    assert not (bank / "questions/data-analyst").exists()


def _reply_text(**changes) -> str:
    values = good_values()
    values.update(changes)
    return json.dumps(values)


@pytest.mark.parametrize(("reply", "words"), [
    (lambda: chat("x" * 600_000), "larger than 524288 bytes"),
    (lambda: Reply(200, gzip.compress(json.dumps({"choices": []}).encode() * 100), {"Content-Type": "application/json",
                                                                                  "Content-Encoding": "gzip"}), "came compressed (gzip)"),
    (lambda: Reply(200, "<html><body>Sign in to the proxy</body></html>", {"Content-Type": "text/html"}), "answered with an HTML page"),
    (lambda: Reply(200, b'{"choices": [{"message": {"content": "\xff\xfe"}}]}', {"Content-Type": "application/json"}), "not UTF-8 JSON"),
])
def test_hostile_replies_are_one_line_and_write_nothing(bank, run, monkeypatch, reply, words):
    with LLMServer(default=reply()) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 1, result.output
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (bank / "questions/data-analyst").exists()


def test_a_dripping_server_is_cut_off_at_the_deadline(bank, run, monkeypatch):
    """timeout is per attempt, in total: one byte a second cannot hold a run for minutes."""
    (bank / "pyproject.toml").write_text('[tool.qtool.llm]\ntimeout = 1\nmax-retries = 0\nmodel = "test-model"\n')
    with LLMServer(default=Reply(200, {"choices": []}, drip=0.2)) as server:  # ~3 s of body at 0.2 s a byte
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 1 and "within 1 s" in result.stderr
    assert len(server.requests) == 1
    assert not (bank / "questions/data-analyst").exists()


def test_a_reply_echoing_the_key_is_scrubbed_before_anything_is_written(bank, run, monkeypatch):
    text = good_values()["answers"]["sample"]["text"] + f" My key is {KEY}."
    answers = good_values()["answers"]
    answers["sample"]["text"] = text
    with LLMServer(default=chat(_reply_text(answers=answers))) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 0, result.stderr
    written = (bank / PATH).read_text()
    assert KEY not in written and "My key is ***." in written
    assert "the API key was scrubbed from 1 reply" in result.stderr
    assert all(KEY not in p.read_text(errors="replace") for p in (bank / ".qtool-cache").rglob("*") if p.is_file())


def test_repeated_items_from_a_strict_server_are_tidied_not_refused(bank, run, monkeypatch):
    """The wire schema cannot say uniqueItems: a repeated competency is dropped, not sent back three times."""
    competencies = good_values()["competencies"]
    with LLMServer(default=chat(_reply_text(competencies=[*competencies, competencies[0]]))) as server:
        use(server, monkeypatch)
        result = run(*ARGS)
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 1
    assert load_file(str(bank / PATH)).data["competencies"] == competencies


def test_a_failed_draft_at_a_terminal_offers_the_skeleton(bank, monkeypatch):
    """Interactive `new`: what the author typed is kept when the model fails; they are offered the skeleton."""
    import os
    import pty
    import subprocess
    import sys

    with LLMServer(default=error(503, "overloaded", {"Retry-After": "0"})) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY}
        main, secondary = pty.openpty()
        process = subprocess.Popen([sys.executable, "-m", "qtool", "new", "--role", ROLE, "--question", QUESTION,
                                    "--category", "behavioral"], cwd=bank, env=env, stdin=secondary, stdout=secondary,
                                   stderr=secondary)
        os.close(secondary)
        seen = b""
        while b"Write a skeleton" not in seen:
            seen += os.read(main, 1024)
        os.write(main, b"y\n")
        try:
            while os.read(main, 1024):
                pass
        except OSError:  # the pty closes with the process
            pass
        assert process.wait(timeout=60) == 0
        os.close(main)
    assert SKELETON_MARKER in (bank / PATH).read_text()
