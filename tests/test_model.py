"""The data model's own behaviour: what crosses between processes comes back whole."""

from __future__ import annotations

import dataclasses
import pickle

from qtool.model import FileResult, Problem, Question, Severity


def test_questions_and_file_results_pickle_every_field() -> None:
    """Their ``__reduce__`` lists the fields by hand: a field added later must be added there too."""
    summary = Question("q.yaml", {"id": "a/b", "related": ["a/c"]}, {"": (2, 1), "id": (2, 5)}, {"id": (2, 1)}, "id: a/b\n")
    result = FileResult("q.yaml", [Problem("q.yaml", 2, 5, Severity.WARNING, "odd", "rule")], True, summary,
                        {"suppress": [1]}, "d" * 64, (1, 2, 3), b"\x01" * 48)
    for value in (summary, result):
        assert len(value.__reduce__()[1]) == len(dataclasses.fields(value))
        assert pickle.loads(pickle.dumps(value)) == value
