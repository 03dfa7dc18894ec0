"""A column of strings kept as one text: what a big bank's kept index loads without making a string per row."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import accumulate
from typing import Any, Union

#: A column as an index holds it: a plain list while it is made, ``Texts`` once loaded from the cache.
Column = Union[list[str], "Texts"]


class Texts:
    """Strings by row, kept as one text and the offset where each row begins (rows changed since are kept apart).

    Loading 100,000 rows from the cache is then two objects, not 100,000 strings: a row becomes
    a string when it is read, and ``packed`` writes the column back by splicing in the changed rows.
    """

    __slots__ = ("_text", "_starts", "_changed", "_rows")

    def __init__(self, text: str, starts: array[int]) -> None:
        self._text, self._starts = text, starts
        self._rows = len(starts) - 1
        self._changed: dict[int, str] = {}  # row -> its string now (rows appended since too)

    @classmethod
    def unpacked(cls, value: Any) -> Texts:
        """The column ``packed`` gave; TypeError or ValueError when ``value`` is not one."""
        text, raw = value
        if not isinstance(text, str) or not isinstance(raw, bytes):
            raise TypeError("not a packed column")
        starts = array("I")
        starts.frombytes(raw)
        if not starts or starts[0] != 0 or starts[-1] != len(text):
            raise ValueError("not a packed column")
        return cls(text, starts)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, row: int) -> str:
        held = self._changed.get(row)
        if held is not None:
            return held
        if not 0 <= row < self._rows:
            raise IndexError(row)
        return self._text[self._starts[row]:self._starts[row + 1]]

    def __setitem__(self, row: int, value: str) -> None:
        if not 0 <= row < self._rows:
            raise IndexError(row)
        self._changed[row] = value

    def append(self, value: str) -> None:
        self._changed[self._rows] = value
        self._rows += 1

    def find(self, value: str) -> int:
        """A row holding ``value``, -1 when none does (the text is searched in C: no row becomes a string)."""
        for row, held in self._changed.items():
            if held == value:
                return row
        text, starts, at = self._text, self._starts, 0
        while value and (at := text.find(value, at)) >= 0:
            row = bisect_right(starts, at) - 1  # the row the match begins in (past rows that are empty)
            if starts[row] == at and starts[row + 1] == at + len(value) and row not in self._changed:
                return row
            at += 1
        return -1

    def pack(self) -> tuple[str, bytes]:
        """``packed``: the stretches of rows unchanged since loading are sliced out of the text, never split into rows."""
        text, starts, old = self._text, self._starts, len(self._starts) - 1
        if not self._changed:
            return text, starts.tobytes()
        pieces: list[str] = []
        out = array("I")
        length = at = 0  # the new text's length so far; the first old row not yet copied
        for row in [*sorted(self._changed), None]:
            upto = old if row is None else min(row, old)
            if at < upto:  # old rows at..upto-1, unchanged: their starts move by the same shift
                shift = length - starts[at]
                out.extend(map(shift.__add__, starts[at:upto]) if shift else starts[at:upto])
                pieces.append(text[starts[at]:starts[upto]])
                length += starts[upto] - starts[at]
                at = upto
            if row is not None:
                value = self._changed[row]
                out.append(length)
                pieces.append(value)
                length += len(value)
                if row < old:
                    at = row + 1
        out.append(length)
        return "".join(pieces), out.tobytes()


def row_of(column: Column, rows: dict[str, int], value: str) -> int | None:
    """The row holding ``value`` (None: none): from ``rows``, what is known so far, else found in a loaded column's
    text and remembered in ``rows`` (an index made afresh keeps every row there)."""
    row = rows.get(value)
    if row is None and isinstance(column, Texts):
        found = column.find(value)
        if found >= 0:
            rows[value] = row = found
    return row


def packed(column: Column) -> tuple[str, bytes]:
    """A column as the cache keeps it: its text, and where each row begins as machine ints."""
    if isinstance(column, list):
        starts = array("I", (0,))
        starts.extend(accumulate(map(len, column)))
        return "".join(column), starts.tobytes()
    return column.pack()
