"""The JSONL batch format: request lines, custom ids, and every result shape runners write."""

from __future__ import annotations

import json

import pytest

from qtool.draft.batchfile import BadLine, PartWriter, custom_id, parse_result, request_line

FIELDS = (("answers", "solid", "text"), ("competencies",))


def completion(content: str | None, finish: str = "stop", **message: object) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content, **message}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}


def test_custom_id_changes_with_each_input_and_is_short():
    base = custom_id("q/1", FIELDS, "h", "p", "m")
    assert base.startswith("qtool-") and len(base) == 26
    assert base == custom_id("q/1", FIELDS, "h", "p", "m")
    variants = [custom_id("q/2", FIELDS, "h", "p", "m"), custom_id("q/1", FIELDS[:1], "h", "p", "m"),
                custom_id("q/1", FIELDS, "h2", "p", "m"), custom_id("q/1", FIELDS, "h", "p2", "m"),
                custom_id("q/1", FIELDS, "h", "p", "m2"), custom_id("q/1", FIELDS, "h", "p", "m", 1)]
    assert len({base, *variants}) == 7


def test_request_line_is_one_json_line():
    line = request_line("qtool-x", {"model": "m", "messages": [{"role": "user", "content": "a\nb"}]})
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == {"custom_id": "qtool-x", "method": "POST", "url": "/v1/chat/completions",
                                "body": {"model": "m", "messages": [{"role": "user", "content": "a\nb"}]}}


def test_success_line_gives_content_and_usage():
    result = parse_result(json.dumps({"id": "batch_req_1", "custom_id": "c", "error": None,
                                      "response": {"status_code": 200, "request_id": "r", "body": completion('{"a": 1}')}}))
    assert (result.custom_id, result.content, result.error) == ("c", '{"a": 1}', None)
    assert (result.prompt_tokens, result.completion_tokens) == (12, 3)


@pytest.mark.parametrize("line, message", [
    # OpenAI's error file: error set, no response.
    ({"custom_id": "c", "response": None, "error": {"code": "server_error", "message": "boom"}}, "boom (server_error)"),
    # error null, the error in response.body.error with status 400.
    ({"custom_id": "c", "error": None, "response": {"status_code": 400, "body": {"error": {"message": "bad temperature"}}}},
     "HTTP 400: bad temperature"),
    # vLLM's inline error: a string, response without body.
    ({"custom_id": "c", "response": {"status_code": 400, "request_id": "vllm-batch-1"}, "error": "context too long"},
     "HTTP 400: context too long"),
    # vLLM's ErrorResponse object.
    ({"custom_id": "c", "response": {"status_code": 400, "request_id": "r"},
      "error": {"object": "error", "message": "unknown model", "type": "NotFoundError", "code": 404}}, "HTTP 400: unknown model"),
    # A non-200 status with nothing else said.
    ({"custom_id": "c", "response": {"status_code": 503, "body": None}, "error": None}, "HTTP 503"),
])
def test_every_error_shape_is_one_message(line, message):
    result = parse_result(json.dumps(line))
    assert result.content is None and result.error == message


def test_cut_off_and_refused_replies_are_errors():
    cut = parse_result(json.dumps({"custom_id": "c", "response": {"status_code": 200, "body": completion('{"a"', "length")}}))
    assert cut.error == "the reply was cut off at the server's token limit"
    refused = parse_result(json.dumps({"custom_id": "c", "response": {"status_code": 200,
                                                                      "body": completion(None, refusal="I can't help")}}))
    assert refused.error == "the model refused: I can't help"


@pytest.mark.parametrize("text, message", [("nope", "not JSON"), ('{"id": 1}', "no custom_id"), ("[]", "no custom_id")])
def test_bad_lines_raise(text, message):
    with pytest.raises(BadLine, match=message):
        parse_result(text)


def test_part_writer_splits_by_count_and_bytes(tmp_path):
    writer = PartWriter(tmp_path, max_requests=2, max_bytes=25)
    for line in ["a" * 9 + "\n"] * 3 + ["b" * 30 + "\n"] + ["c\n"]:
        writer.write(line)
    writer.close()
    assert [(p["requests"], p["bytes"]) for p in writer.parts] == [(2, 20), (1, 10), (1, 31), (1, 2)]
    assert (tmp_path / "part-3.jsonl").read_text() == "b" * 30 + "\n"
