"""The CSV export: column order, RFC 4180, formula neutralisation, and a lossless round trip through csv.DictReader."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from qtool.export import csv as qcsv
from qtool.export.json import question_record
from qtool.loader import load_file
from qtool.model import Question

UNIT = Path(__file__).parent / "fixtures" / "export" / "unit"
ISSUE_ORDER = [
    "id", "role", "category", "status", "question", "sample", "solid", "solid_critique",
    "exceptional", "exceptional_critique", "prep_tips", "competencies", "related", "guid",
]  # fmt: skip


def unit_questions() -> list[Question]:
    loaded = [load_file(UNIT / name) for name in ("plain.yaml", "tricky.yaml")]
    assert all(isinstance(q, Question) for q in loaded)
    return loaded  # type: ignore[return-value]


def without_provenance(question: Question) -> dict[str, Any]:
    record = question_record(question)
    del record["provenance"]
    return record


def read_back(text: str) -> list[dict[str, Any]]:
    return [qcsv.record(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def test_columns_are_the_documented_order() -> None:
    assert list(qcsv.COLUMNS) == ISSUE_ORDER + ["sample_critique", "level"]
    header = qcsv.dumps([]).split("\r\n")[0]
    assert header.split(",") == list(qcsv.COLUMNS)


def test_bank_round_trips_through_dictreader(bank: Path, run: Callable[..., Any]) -> None:
    assert run("export", "--to", "csv").exit_code == 0
    raw = (bank / "exports" / "questions.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rebuilt = read_back(raw.decode("utf-8"))
    files = sorted(bank.glob("questions/*/*.yaml"))
    originals = sorted((load_file(f) for f in files), key=lambda q: q.id)  # type: ignore[union-attr, return-value, arg-type]
    assert rebuilt == [without_provenance(q) for q in originals]  # type: ignore[arg-type]


def test_tricky_cells_round_trip_exactly() -> None:
    questions = unit_questions()
    assert read_back(qcsv.dumps(questions)) == [without_provenance(q) for q in questions]


def test_formula_cells_are_neutralised_in_the_file() -> None:
    tricky = unit_questions()[1]
    rows = list(csv.reader(io.StringIO(qcsv.dumps([tricky]), newline="")))
    cells = dict(zip(rows[0], rows[1]))
    assert cells["sample"].startswith("'=HYPERLINK(")
    assert cells["solid"] == "'+1 for the solid answer"
    assert cells["solid_critique"] == "'-minus at the start"
    assert cells["exceptional"].startswith("'@mention")
    assert cells["exceptional_critique"] == "'\tTabbed critique"
    assert cells["sample_critique"] == "'\rStarts with a carriage return."
    assert cells["prep_tips"] == "''already quoted\n=1+2\nPlain tip, with a comma; and a semicolon."
    assert cells["question"].startswith("<script>")  # not a formula start: left alone
    assert cells["related"] == "tricky-role/plain"


def test_rfc4180_quoting_and_line_ends() -> None:
    text = qcsv.dumps(unit_questions())
    assert text.endswith("\r\n")
    assert '"C++ & ""quotes""' in text  # a quote inside a cell is doubled, the cell quoted
    records = text.split("\r\n")
    assert len(records) == 4 and records[-1] == ""  # header, two rows, final CRLF (line breaks in cells stay \n)


def test_write_csv_to_path_and_stream(tmp_path: Path) -> None:
    questions = unit_questions()
    target = tmp_path / "out" / "q.csv"
    qcsv.write_csv(questions, target)
    stream = io.StringIO(newline="")
    qcsv.write_csv(questions, stream)
    assert target.read_bytes() == stream.getvalue().encode("utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["q.csv"]  # no temp file left behind


def test_line_breaks_inside_a_list_item_become_spaces() -> None:
    assert qcsv.split_list(qcsv.join_list(["one\ntwo", "three\r\nfour", "five"])) == ["one two", "three four", "five"]
    assert qcsv.split_list(qcsv.join_list([])) == []


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)
_item = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), min_size=1, max_size=20)


@given(_text)
def test_neutralise_is_reversible_and_leaves_no_formula_start(text: str) -> None:
    cell = qcsv.neutralise(text)
    assert qcsv.restore(cell) == text
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(_text, min_size=8, max_size=8),
    sample_critique=st.one_of(st.none(), _text),
    lists=st.lists(st.lists(_item, min_size=1, max_size=3), min_size=3, max_size=3),
)
def test_any_texts_round_trip(texts: list[str], sample_critique: str | None, lists: list[list[str]]) -> None:
    role, question, sample, solid, solid_c, exceptional, exceptional_c, guid = texts
    answers: dict[str, Any] = {
        "sample": {"text": sample},
        "solid": {"text": solid, "critique": solid_c},
        "exceptional": {"text": exceptional, "critique": exceptional_c},
    }
    if sample_critique is not None:
        answers["sample"]["critique"] = sample_critique
    data = {
        "id": "r/q", "guid": guid, "role": role, "question": question, "category": "general", "status": "draft",
        "answers": answers, "prep_tips": lists[0], "competencies": lists[1], "related": lists[2],
    }  # fmt: skip
    q = Question("r/q.yaml", data)
    assert read_back(qcsv.dumps([q])) == [without_provenance(q)]
