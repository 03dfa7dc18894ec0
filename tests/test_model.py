"""The data model's own behaviour: what crosses between processes comes back whole."""

from __future__ import annotations

import dataclasses
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from qtool.model import FileResult, Problem, Question, Severity


def test_questions_and_file_results_pickle_every_field() -> None:
    """Their ``__reduce__`` lists the fields by hand: a field added later must be added there too."""
    summary = Question("q.yaml", {"id": "a/b", "related": ["a/c"]}, {"": (2, 1), "id": (2, 5)}, {"id": (2, 1)}, "id: a/b\n")
    result = FileResult("q.yaml", [Problem("q.yaml", 2, 5, Severity.WARNING, "odd", "rule")], True, summary,
                        {"suppress": [1]}, "d" * 64, (1, 2, 3), b"\x01" * 48)
    for value in (summary, result):
        assert len(value.__reduce__()[1]) == len(dataclasses.fields(value))
        assert pickle.loads(pickle.dumps(value)) == value


@settings(max_examples=200, deadline=None)
@given(column=st.lists(st.sampled_from([None, "draft", "reviewed"]), max_size=6),
       changed=st.dictionaries(st.sampled_from([f"q{i}.yaml" for i in range(8)]), st.sampled_from([None, "draft", "reviewed"])),
       many=st.booleans())
def test_statuses_kept_as_a_column_read_as_the_dict_they_stand_for(column: list[str | None], changed: dict[str, str | None],
                                                                   many: bool) -> None:
    """A run report's statuses column, with the files checked again laid over it, answers as a dict of them would."""
    from qtool.model import Statuses, column_of, count_of

    files = [f"q{i}.yaml" for i in range(len(column))]
    expected = {name: status for name, status in zip(files, column) if status is not None}
    for path, status in changed.items():
        if status is None:
            expected.pop(path, None)
        elif path in files:  # a file checked again but not asked about has no status here
            expected[path] = status
    statuses = Statuses(files, column, {path: s for path, s in changed.items() if path in files or s is None})
    if many:
        statuses.FIND_UPTO = 0  # the dict's way
    assert column_of(statuses, files) == [expected.get(name) for name in files]
    assert count_of(statuses, "draft") == count_of(expected, "draft")
    assert dict(statuses) == expected and len(statuses) == len(expected)
