"""The JSON export: the document's shape, validated against schema/export.schema.json."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from qtool.export import effective_guid, guid_for
from qtool.export import json as qjson
from qtool.loader import load_file
from qtool.model import KEY_ORDER, Question

REPO = Path(__file__).resolve().parent.parent
UNIT = Path(__file__).parent / "fixtures" / "export" / "unit"


@pytest.fixture(scope="module")
def validator() -> Any:
    """The export schema, with its ``$ref`` to question.schema.json resolved locally (as check-jsonschema does)."""
    question = Resource.from_contents(json.loads((REPO / "schema" / "question.schema.json").read_text()))
    registry = Registry().with_resources([("question.schema.json", question), (question.id(), question)])
    schema = json.loads((REPO / "schema" / "export.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def unit_questions() -> list[Question]:
    return [load_file(UNIT / name) for name in ("plain.yaml", "tricky.yaml")]  # type: ignore[misc]


def test_packaged_schema_is_the_bank_schema() -> None:
    assert (REPO / "tools" / "qtool" / "schema" / "export.schema.json").read_bytes() == (REPO / "schema" / "export.schema.json").read_bytes()


def test_bank_export_matches_the_schema_and_the_files(bank: Path, run: Callable[..., Any], validator: Any) -> None:
    result = run("export", "--to", "json")
    assert result.exit_code == 0, result.output
    document = json.loads((bank / "exports" / "questions.json").read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(document))
    files = sorted(bank.glob("questions/*/*.yaml"))
    assert document["format"] == "qtool-export" and document["version"] == 1
    assert document["count"] == len(document["questions"]) == len(files)
    ids = [q["id"] for q in document["questions"]]
    assert ids == sorted(ids)
    by_id = {q.id: q for q in (load_file(f) for f in files)}  # type: ignore[union-attr]
    for record in document["questions"]:
        assert list(record) == [key for key in KEY_ORDER if key != "level" or key in by_id[record["id"]].data]
        source = by_id[record["id"]].data
        for key in ("role", "question", "category", "status", "answers", "prep_tips", "competencies"):
            assert record[key] == source[key]
        assert record["guid"] == source["guid"]
        assert record["related"] == source.get("related", [])


def test_every_key_is_present_and_guid_derived_from_id(validator: Any) -> None:
    document = qjson.document(unit_questions())
    assert not list(validator.iter_errors(document))
    plain, tricky = document["questions"]
    assert plain["guid"] == "k3#Lq8!xZp"
    assert tricky["guid"] == guid_for("qtool", "tricky-role/formula-cells") == effective_guid(unit_questions()[1])
    assert plain["related"] == [] and plain["provenance"] == {}
    assert "critique" not in plain["answers"]["sample"] and tricky["answers"]["sample"]["critique"].startswith("\r")


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.update(format="other"),
        lambda d: d.update(version=2),
        lambda d: d.pop("count"),
        lambda d: d.update(extra=1),
        lambda d: d["questions"][0].pop("related"),
        lambda d: d["questions"][0].pop("guid"),
        lambda d: d["questions"][1].update(category="bogus"),
        lambda d: d["questions"][1]["answers"]["solid"].pop("critique"),
        lambda d: d["questions"][1].update(colour="red"),
        lambda d: d.update(markup="text/html"),
        lambda d: d.pop("markup"),
    ],
)
def test_schema_rejects_a_broken_document(validator: Any, break_it: Callable[[dict[str, Any]], Any]) -> None:
    document = copy.deepcopy(qjson.document(unit_questions()))
    break_it(document)
    assert list(validator.iter_errors(document))


def test_text_is_utf8_not_escaped(tmp_path: Path) -> None:
    target = tmp_path / "q.json"
    qjson.write_json(unit_questions(), target)
    text = target.read_text(encoding="utf-8")
    assert "café" in text and "\\u" not in text and text.endswith("}\n")
    assert json.loads(text) == qjson.document(unit_questions())


def test_streamed_file_equals_one_json_dumps_of_the_document(tmp_path: Path) -> None:
    from conftest import BANK
    from qtool.export import sort_questions

    questions = sort_questions([load_file(path) for path in sorted(BANK.rglob("*.yaml"))])
    for subset in (questions, questions[:1], []):
        for html in (False, True):
            target = tmp_path / "out.json"
            qjson.write_json(subset, target, html=html)
            expected = json.dumps(qjson.document(subset, html=html), ensure_ascii=False, indent=2) + "\n"
            assert target.read_text(encoding="utf-8") == expected


# -- Markdown: the document says so, and --html renders it (issue 12) ----------------------------
def test_document_records_the_markup_and_schemas_say_markdown() -> None:
    assert qjson.document(unit_questions())["markup"] == "text/markdown"
    question = json.loads((REPO / "schema" / "question.schema.json").read_text())
    assert question["properties"]["question"]["contentMediaType"] == "text/markdown"
    assert question["properties"]["prep_tips"]["items"]["contentMediaType"] == "text/markdown"
    assert question["$defs"]["text"]["contentMediaType"] == "text/markdown"


def test_html_renders_every_text_in_the_records_shape(validator: Any) -> None:
    questions = [load_file(UNIT / "markdown.yaml"), load_file(UNIT / "plain.yaml")]
    document = qjson.document(questions, html=True)  # type: ignore[arg-type]
    assert not list(validator.iter_errors(document))
    rendered = document["html"]["tricky-role/markdown"]
    assert rendered["question"] == "What does <code>List&lt;String&gt;</code> guarantee that a raw <code>List</code> does not?"
    assert '<pre class="highlight"><code class="language-java">' in rendered["answers"]["sample"]["text"]
    assert "&lt;script&gt;" in rendered["answers"]["sample"]["text"] and "<script" not in rendered["answers"]["sample"]["text"]
    assert rendered["answers"]["solid"]["critique"] == "<p>It adds a <em>table</em> and a [link](ftp://example.com/file).</p>\n"
    assert rendered["prep_tips"] == ["Know what <code>? extends T</code> means."]
    assert document["html"]["tricky-role/plain"]["answers"]["sample"] == {"text": "<p>A sample.</p>\n"}
    broken = copy.deepcopy(document)
    broken["html"]["tricky-role/plain"]["answers"]["sample"]["colour"] = "red"
    assert list(validator.iter_errors(broken))


def test_html_option_on_the_command_line(bank: Path, run: Callable[..., Any], validator: Any) -> None:
    result = run("export", "--to", "json", "--html", "--out", "q.json")
    assert result.exit_code == 0, result.output
    document = json.loads((bank / "q.json").read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(document))
    assert set(document["html"]) == {record["id"] for record in document["questions"]}
    without = run("export", "--to", "json", "--out", "plain.json")
    assert without.exit_code == 0 and "html" not in json.loads((bank / "plain.json").read_text(encoding="utf-8"))
