"""The JSON export: one document ``{"format": "qtool-export", "version": 1, "count": N, "questions": [...]}``.

Each question is the file's mapping in the contract's key order, with every top-level key
present: ``guid`` filled in (derived from ``id`` when the file has none), ``related`` and
``provenance`` empty when absent. ``schema/export.schema.json`` describes the document.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from typing import IO, Any

from qtool.export import Progress, effective_guid
from qtool.fsutil import atomic_writer
from qtool.model import KEY_ORDER, TIERS, Question

FORMAT = "qtool-export"
VERSION = 1


def question_record(question: Question) -> dict[str, Any]:
    """One question as exported: every contract key, in the contract's order, texts verbatim."""
    data = question.data
    answers: dict[str, Any] = {}
    for tier in TIERS:
        given = data["answers"][tier]
        answers[tier] = {key: given[key] for key in ("text", "critique") if key in given}
    record: dict[str, Any] = {}
    for key in KEY_ORDER:
        if key == "level" and key not in data:
            continue  # optional: present only when the file states it
        if key == "guid":
            record[key] = effective_guid(question)
        elif key == "answers":
            record[key] = answers
        elif key == "related":
            record[key] = list(data.get("related", []))
        elif key == "provenance":
            record[key] = dict(data.get("provenance", {}))
        elif key in ("prep_tips", "competencies"):
            record[key] = list(data[key])
        else:
            record[key] = data[key]
    return record


def document(questions: Sequence[Question], progress: Progress | None = None) -> dict[str, Any]:
    """The whole export as plain data."""
    records = []
    for question in questions:
        records.append(question_record(question))
        if progress:
            progress(1)
    return {"format": FORMAT, "version": VERSION, "count": len(records), "questions": records}


def dumps(questions: Sequence[Question], progress: Progress | None = None) -> str:
    """The export as text: UTF-8 friendly (no ``\\u`` escapes), two-space indent, final newline."""
    out = io.StringIO()
    _stream(questions, out.write, progress)
    return out.getvalue()


def write_json(questions: Sequence[Question], target: str | os.PathLike[str] | IO[str], progress: Progress | None = None) -> None:
    """Write the export to a path (atomically) or to a text stream, one question at a time."""
    if isinstance(target, (str, os.PathLike)):
        with atomic_writer(target) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n", write_through=False)
            _stream(questions, text.write, progress)
            text.flush()
            text.detach()
    else:
        _stream(questions, target.write, progress)


def _stream(questions: Sequence[Question], write: Callable[[str], Any], progress: Progress | None) -> None:
    """Write the text ``json.dumps(document(questions), ensure_ascii=False, indent=2)`` would give, record by record.

    A bank of 100,000 questions never exists as one string, so memory stays flat.
    """
    head = json.dumps({"format": FORMAT, "version": VERSION, "count": len(questions), "questions": []},
                      ensure_ascii=False, indent=2)
    if not questions:
        write(head + "\n")
        return
    write(head[: head.rindex("[]")] + "[\n")
    for index, question in enumerate(questions):
        record = json.dumps(question_record(question), ensure_ascii=False, indent=2)
        write(("" if index == 0 else ",\n") + "    " + record.replace("\n", "\n    "))
        if progress:
            progress(1)
    write("\n  ]\n}\n")
