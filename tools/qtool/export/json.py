"""The JSON export: one document ``{"format": "qtool-export", "version": 1, "count": N, "markup": "text/markdown", "questions": [...]}``.

Each question is the file's mapping in the contract's key order, with every top-level key
present: ``guid`` filled in (derived from ``id`` when the file has none), ``related`` and
``provenance`` empty when absent. Texts are Markdown, as ``markup`` says; with ``html`` the
document also carries ``"html": {id: ...}``, each text rendered by ``qtool.markup`` in the
record's own shape, for apps that do not render Markdown. ``schema/export.schema.json``
describes the document.
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
#: The media type of the question, answer, critique and prep-tip texts.
MARKUP = "text/markdown"


def question_record(question: Question) -> dict[str, Any]:
    """One question as exported: every contract key, in the contract's order, texts verbatim."""
    data = question.data
    answers: dict[str, Any] = {}
    for tier in TIERS:
        given = data["answers"][tier]
        answers[tier] = {key: given[key] for key in ("text", "critique") if key in given}
    record: dict[str, Any] = {}
    for key in KEY_ORDER:
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


def question_html(question: Question) -> dict[str, Any]:
    """A question's Markdown texts rendered to HTML, in the record's shape (one-line texts inline, without ``<p>``)."""
    from qtool import markup

    data = question.data
    answers: dict[str, Any] = {}
    for tier in TIERS:
        given = data["answers"][tier]
        answers[tier] = {key: markup.render_fast(given[key]) for key in ("text", "critique") if key in given}
    return {"question": markup.render_inline(data["question"]), "answers": answers,
            "prep_tips": [markup.render_inline(tip) for tip in data["prep_tips"]]}


def document(questions: Sequence[Question], progress: Progress | None = None, html: bool = False) -> dict[str, Any]:
    """The whole export as plain data."""
    records = []
    for question in questions:
        records.append(question_record(question))
        if progress:
            progress(1)
    out = {"format": FORMAT, "version": VERSION, "count": len(records), "markup": MARKUP, "questions": records}
    if html:
        out["html"] = {record["id"]: question_html(question) for record, question in zip(records, questions)}
    return out


def dumps(questions: Sequence[Question], progress: Progress | None = None, html: bool = False) -> str:
    """The export as text: UTF-8 friendly (no ``\\u`` escapes), two-space indent, final newline."""
    out = io.StringIO()
    _stream(questions, out.write, progress, html)
    return out.getvalue()


def write_json(questions: Sequence[Question], target: str | os.PathLike[str] | IO[str], progress: Progress | None = None,
               html: bool = False) -> None:
    """Write the export to a path (atomically) or to a text stream, one question at a time."""
    if isinstance(target, (str, os.PathLike)):
        with atomic_writer(target) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n", write_through=False)
            _stream(questions, text.write, progress, html)
            text.flush()
            text.detach()
    else:
        _stream(questions, target.write, progress, html)


def _stream(questions: Sequence[Question], write: Callable[[str], Any], progress: Progress | None, html: bool = False) -> None:
    """Write the text ``json.dumps(document(questions, html=html), ensure_ascii=False, indent=2)`` would give, record by record.

    A bank of 100,000 questions never exists as one string, so memory stays flat.
    """
    head = json.dumps({"format": FORMAT, "version": VERSION, "count": len(questions), "markup": MARKUP, "questions": []},
                      ensure_ascii=False, indent=2)
    if not questions:
        write(head[:-2] + ',\n  "html": {}\n}\n' if html else head + "\n")
        return
    write(head[: head.rindex("[]")] + "[\n")
    for index, question in enumerate(questions):
        record = json.dumps(question_record(question), ensure_ascii=False, indent=2)
        write(("" if index == 0 else ",\n") + "    " + record.replace("\n", "\n    "))
        if progress:
            progress(1)
    if not html:
        write("\n  ]\n}\n")
        return
    write('\n  ],\n  "html": {\n')
    for index, question in enumerate(questions):
        rendered = json.dumps(question_html(question), ensure_ascii=False, indent=2)
        key = json.dumps(question.data["id"], ensure_ascii=False)
        write(("" if index == 0 else ",\n") + f"    {key}: " + rendered.replace("\n", "\n    "))
    write("\n  }\n}\n")
