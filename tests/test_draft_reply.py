"""The reply schema (derived from the question schema), prompts, slugs and round-trip filling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qtool.draft.merge import context_of, fields_to_fill, fill_text, is_missing, kept_intact, provenance
from qtool.draft.messages import build_messages, example_exchange, prompt_text, prompt_version, repair_message
from qtool.draft.naming import question_slug, unsafe
from qtool.draft.reply import (
    ALL_FIELDS,
    PARTS,
    fields_for,
    full_reply_schema,
    parse_reply,
    reply_errors,
    reply_schema,
    trim_reply,
    wire_schema,
)
from qtool.loader import load_file, load_text
from qtool.schema import load_schema

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "questions" / "marketing-specialist" / "social-media-crisis.yaml"
PARTIAL = Path(__file__).resolve().parent / "fixtures" / "draft" / "partial.yaml"
GOOD = json.loads((Path(__file__).resolve().parent / "fixtures" / "draft" / "data-analyst-reply.json").read_text())


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_reply_schema_is_the_question_schema_made_strict():
    schema = full_reply_schema()
    assert "$ref" not in json.dumps(schema)
    for node in walk(schema):
        if "properties" in node:
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
    question = load_schema()
    assert schema["properties"]["prep_tips"] == question["properties"]["prep_tips"]
    text_ref = question["$defs"]["answer"]["properties"]["text"]
    inlined = question["$defs"]["text"] | {k: v for k, v in text_ref.items() if k != "$ref"}  # siblings win
    assert schema["properties"]["answers"]["properties"]["sample"]["properties"] == {"text": inlined}
    seed = load_file(str(SEED)).data
    assert reply_errors({key: seed[key] for key in ("answers", "prep_tips", "competencies")}, schema) == []
    assert reply_errors(GOOD, schema) == []


def test_reply_schema_follows_an_edited_question_schema(monkeypatch):
    import qtool.draft.reply as reply

    edited = json.loads(json.dumps(load_schema()))
    edited["$defs"]["critiquedAnswer"]["properties"]["impact"] = {"type": "string"}
    edited["$defs"]["critiquedAnswer"]["required"].append("impact")
    monkeypatch.setattr("qtool.schema.load_schema", lambda name=None: edited)
    reply.full_reply_schema.cache_clear()
    try:
        solid = reply.full_reply_schema()["properties"]["answers"]["properties"]["solid"]
        assert solid["required"] == ["text", "critique", "impact"]
    finally:
        reply.full_reply_schema.cache_clear()


def test_pruned_and_wire_schemas():
    schema = reply_schema(fields_for(["critiques", "competencies"]))
    assert schema["required"] == ["answers", "competencies"]
    assert schema["properties"]["answers"]["required"] == ["solid", "exceptional"]
    assert schema["properties"]["answers"]["properties"]["solid"]["required"] == ["critique"]
    wire = wire_schema(schema)
    text = json.dumps(wire)
    assert "minLength" not in text and "uniqueItems" not in text and "title" not in text
    assert wire["properties"]["competencies"]["items"] == {"type": "string"}
    assert fields_for(()) == ALL_FIELDS and set(PARTS) == {"answers", "critiques", "prep-tips", "competencies"}
    with pytest.raises(ValueError):
        reply_schema([])


def test_reply_errors_name_the_path():
    bad = json.loads(json.dumps(GOOD))
    bad["answers"]["solid"]["critique"] = ""
    bad["prep_tips"] = ["same", "same"]
    errors = reply_errors(bad, full_reply_schema())
    assert errors == ["answers.solid.critique: '' should be non-empty", "prep_tips: ['same', 'same'] has non-unique elements"]


@pytest.mark.parametrize("content, expected", [
    ('{"a": 1}', {"a": 1}),
    ('```json\n{"a": 1}\n```', {"a": 1}),
    ('  \n```\n{"a": 1}```  ', {"a": 1}),
])
def test_parse_reply(content, expected):
    assert parse_reply(content) == expected


@pytest.mark.parametrize("content, message", [(None, "empty"), ("", "empty"), ("Sure! {", "not JSON")])
def test_parse_reply_refuses(content, message):
    with pytest.raises(ValueError, match=message):
        parse_reply(content)


def test_trim_reply_drops_what_was_not_asked():
    schema = reply_schema(fields_for(["competencies"]))
    assert trim_reply(GOOD, schema) == {"competencies": GOOD["competencies"]}


def test_example_is_the_reviewed_seed_question():
    job, reply = example_exchange()
    seed = load_file(str(SEED)).data
    assert seed["status"] == "reviewed"
    assert (job.role, job.question, job.category) == (seed["role"], seed["question"], seed["category"])
    for key in ("prep_tips", "competencies"):
        assert reply[key] == seed[key]
    #: The one sentence the example changes: the seed's critique cites a job description the model is never sent.
    cited = "highlighting the candidate's strategic planning skills and ROI analysis, as mentioned in the job description."
    for tier, parts in seed["answers"].items():
        expected = {part: value.strip() for part, value in parts.items()}
        if tier == "exceptional":
            assert cited in expected["critique"] and cited not in reply["answers"][tier]["critique"]
            expected["critique"] = expected["critique"].replace(cited, "showing the candidate's strategic planning, such as "
                                                                "a measured return on the investment in the new response protocols.")
        assert reply["answers"][tier] == expected
    assert "job description" not in json.dumps(reply)


def test_messages_teach_the_ladder_and_show_the_example():
    job, reply = example_exchange()
    messages = build_messages(job)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    system = messages[0]["content"]
    for phrase in ("Sample answer", "More solid answer", "Exceptional answer", "root cause", "prevention",
                   "measured results", "However,"):
        assert phrase in system
    assert json.loads(messages[2]["content"]) == reply
    assert "Write these parts: answers.sample.text, answers.solid.text" in messages[3]["content"]
    job, _ = example_exchange()
    repair = repair_message(["answers: bad"], job.schema)["content"]
    assert "- answers: bad" in repair and '"prep_tips"' in repair  # the schema travels in the repair as text
    assert len(prompt_version()) == 12 and prompt_text("system.md") == system


@pytest.mark.parametrize("question, slug", [
    ("Tell us about a time your analysis changed a decision.", "analysis-changed-decision"),
    ("Tell us about a time when you had to manage a crisis on social media. How did you handle it?", "manage-crisis-social-media"),
    ("How would you design a rate limiter for a public API used by many clients?", "design-rate-limiter-public-api"),
    ("What is your experience with Café/Résumé tools?", "experience-cafe-resume-tools"),
    ("Why you?", "why-you"),
])
def test_question_slugs(question, slug):
    assert question_slug(question) == slug


def test_slugify_and_unsafe():
    assert [unsafe(v) for v in ("..", "a/b", "a\\b", "/abs", "C:x", "a\x00b", "ok-value")] == [
        "contains '..'", "contains a path separator", "contains a path separator", "is an absolute path",
        "is an absolute path", "contains control characters", None]


def test_missing_means_absent_blank_or_skeleton():
    assert is_missing(None) and is_missing("  ") and is_missing("TODO(qtool): write it") and is_missing([])
    assert is_missing(["TODO(qtool): add a tip"]) and not is_missing(["A tip", "TODO(qtool): add"])
    assert not is_missing("A real answer.")


def test_fill_text_keeps_everything_it_does_not_fill():
    text = PARTIAL.read_text()
    data = load_text(text).data
    filling = fields_to_fill(data, ALL_FIELDS)
    assert filling == ALL_FIELDS[1:5] + (("competencies",),)
    assert context_of(data, filling) == {"answers": {"sample": {"text": data["answers"]["sample"]["text"].strip()}},
                                         "prep_tips": ["Know the numbers behind your story."]}
    out = fill_text(text, GOOD, filling, provenance("m", "v"))
    after = load_text(out).data
    assert kept_intact(data, after, filling) == []
    assert after["provenance"] == {"drafted_by": "m", "drafted_at": after["provenance"]["drafted_at"], "prompt_version": "v"}
    assert "# Written by hand" in out and "# keep me" in out
    assert list(after["answers"]["solid"]) == ["text", "critique"]
    assert list(after) == ["id", "guid", "role", "question", "category", "status", "answers", "prep_tips", "competencies", "provenance"]
    assert fields_to_fill(after, ALL_FIELDS) == ()
    assert fields_to_fill(after, fields_for(["prep-tips"]), overwrite=True) == (("prep_tips",),)


def test_fill_text_refuses_a_wrong_shape():
    from qtool.draft.merge import MergeError

    with pytest.raises(MergeError, match="answers is not a mapping"):
        fill_text("role: x\nanswers: oops\n", GOOD, ALL_FIELDS, provenance("m", "v"))
