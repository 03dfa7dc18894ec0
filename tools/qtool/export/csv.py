"""The CSV export: one row per question, a fixed column order, RFC 4180, UTF-8.

- Columns: ``COLUMNS`` below, a header row first; ``sample_critique`` and ``level`` (optional
  in the contract) come last so the documented order stays a stable prefix. ``provenance`` is not
  exported to CSV.
- Quoting: RFC 4180 (fields with a comma, quote or line break are quoted, quotes doubled),
  rows end with CRLF; line breaks inside a text keep their ``\\n``.
- Lists (``prep_tips``, ``competencies``, ``related``) are one cell each, items joined by a
  line feed (``LIST_SEPARATOR``), so a spreadsheet shows one item per line; a line break
  inside an item becomes a space.
- Formula neutralisation (OWASP "CSV injection"): a cell starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading ``'`` so a spreadsheet shows it as text;
  so does a cell starting with ``'``, which keeps the rule reversible: a reader strips exactly
  one leading ``'`` from any cell that has one (``restore``).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from qtool.export import Progress, effective_guid
from qtool.fsutil import atomic_writer
from qtool.model import Question

COLUMNS = (
    "id",
    "role",
    "category",
    "status",
    "question",
    "sample",
    "solid",
    "solid_critique",
    "exceptional",
    "exceptional_critique",
    "prep_tips",
    "competencies",
    "related",
    "guid",
    "sample_critique",
    "level",
)
LIST_COLUMNS = ("prep_tips", "competencies", "related")
LIST_SEPARATOR = "\n"
#: First characters a spreadsheet may run as a formula (OWASP), plus the escape character itself.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
ESCAPE = "'"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would take as a formula (or that starts with ``'``)."""
    return ESCAPE + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """Undo ``neutralise``: drop exactly one leading ``'``."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def join_list(items: Iterable[str]) -> str:
    """List items as one cell: one item per line (a line break inside an item becomes a space)."""
    return LIST_SEPARATOR.join(_LINE_BREAK.sub(" ", item) for item in items)


def split_list(cell: str) -> list[str]:
    """The items of a list cell (an empty cell is an empty list)."""
    return cell.split(LIST_SEPARATOR) if cell else []


def row(question: Question) -> dict[str, str]:
    """One question as a CSV row, before neutralisation."""
    data = question.data
    answers = data["answers"]
    return {
        "id": data["id"],
        "role": data["role"],
        "category": data["category"],
        "status": data["status"],
        "question": data["question"],
        "sample": answers["sample"]["text"],
        "solid": answers["solid"]["text"],
        "solid_critique": answers["solid"]["critique"],
        "exceptional": answers["exceptional"]["text"],
        "exceptional_critique": answers["exceptional"]["critique"],
        "prep_tips": join_list(data["prep_tips"]),
        "competencies": join_list(data["competencies"]),
        "related": join_list(data.get("related", [])),
        "guid": effective_guid(question),
        "sample_critique": answers["sample"].get("critique", ""),
        "level": data.get("level", ""),
    }


def record(cells: Mapping[str, str]) -> dict[str, Any]:
    """Rebuild a question's data (as the JSON export has it, without provenance) from a row read back."""
    c = {name: restore(cells[name]) for name in COLUMNS}
    sample = {"text": c["sample"]}
    if c["sample_critique"]:
        sample["critique"] = c["sample_critique"]
    level = {"level": c["level"]} if c["level"] else {}
    return {
        "id": c["id"],
        "guid": c["guid"],
        "role": c["role"],
        "question": c["question"],
        "category": c["category"],
        "status": c["status"],
        **level,
        "answers": {
            "sample": sample,
            "solid": {"text": c["solid"], "critique": c["solid_critique"]},
            "exceptional": {"text": c["exceptional"], "critique": c["exceptional_critique"]},
        },
        "prep_tips": split_list(c["prep_tips"]),
        "competencies": split_list(c["competencies"]),
        "related": split_list(c["related"]),
    }


def dumps(questions: Sequence[Question], progress: Progress | None = None) -> str:
    """The export as text: a header row, then one row per question."""
    out = io.StringIO(newline="")
    _stream(questions, out, progress)
    return out.getvalue()


def write_csv(questions: Sequence[Question], target: str | os.PathLike[str] | IO[str], progress: Progress | None = None) -> None:
    """Write the export to a path (atomically, UTF-8 without BOM) or to a text stream, row by row."""
    if isinstance(target, (str, os.PathLike)):
        with atomic_writer(target) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            _stream(questions, text, progress)
            text.flush()
            text.detach()
    else:
        _stream(questions, target, progress)


def _stream(questions: Sequence[Question], out: IO[str], progress: Progress | None) -> None:
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for question in questions:
        cells = row(question)
        writer.writerow([neutralise(cells[name]) for name in COLUMNS])
        if progress:
            progress(1)
