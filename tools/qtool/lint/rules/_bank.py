"""What the bank-wide rules share: words, roles, rules over one fact per file, clashes and naming the other files."""

from __future__ import annotations

import re
import sys
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from qtool.lint.rule import DUMP, Rule
from qtool.lint.rules._columns import Column, Texts, packed, row_of
from qtool.model import Problem, Question

_WORD = re.compile(r"[^\W_]+")
#: ASCII bytes as ``words`` sees them: letters lower-cased, digits kept, everything else a space.
_ASCII_WORDS = bytes(ord(chr(byte).lower()) if chr(byte).isalnum() else 32 for byte in range(128)) + bytes(range(128, 256))


@lru_cache(maxsize=1 << 17)
def words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation: what two questions are compared on (cached: two rules ask).

    Words are interned: a 100,000-question bank then holds each distinct word once.
    """
    if text.isascii():  # the same words as the regex finds, in a third of its time
        return tuple(map(sys.intern, text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()))
    return tuple(map(sys.intern, _WORD.findall(text.casefold())))


def role_of(q: Question) -> str:
    """The role part of the id (``marketing-specialist``), else the role as written."""
    if q.id and "/" in q.id:
        return q.id.split("/", 1)[0]
    return (q.role or "").casefold()


class FactRule(Rule):
    """A bank-wide rule that reads one small fact from each file (an id, a guid) and judges the facts together.

    A fact holds all its problems need, positions included, so the facts are judged without the
    files. They are kept between runs (``memo``): after an edit only the changed files are read again.
    """

    bank_wide = True
    keeps_memo = True

    def fact(self, q: Question, options: Mapping[str, Any]) -> Any:
        """What this rule compares from one file (plain values: they are kept in the cache); None: nothing."""
        raise NotImplementedError

    def judge(self, facts: dict[str, Any], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        """The problems, from every file's fact (by path)."""
        raise NotImplementedError

    def touched(self, facts: dict[str, Any], before: dict[str, Any], changed: Collection[str]) -> set[str]:
        """The files whose problems may differ after the ``changed`` files' facts went from ``before`` to ``facts``."""
        return set(facts) | set(changed)

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        return self.check_bank_with_memo(questions, options, report_on, {}, None)

    def check_bank_with_memo(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str],
                             memo: dict[str, Any], changed: Collection[str] | None) -> Iterator[Problem]:
        """With ``changed`` and the facts of an earlier run, ``questions`` need hold only the changed files (one missing is deleted)."""
        facts = memo.get("facts") if changed is not None else None
        if isinstance(facts, dict):
            self._update(facts, questions, options, changed or ())
        else:
            facts = {q.path: value for q in questions if (value := self.fact(q, options)) is not None}
        memo.clear()
        memo["facts"] = facts
        return self.judge(facts, options, report_on)

    def rejudge(self, earlier: Sequence[Question], questions: Sequence[Question], options: Mapping[str, Any],
                report_on: set[str], memo: dict[str, Any], behind: Collection[str],
                changed: Collection[str]) -> tuple[set[str], Iterator[Problem]] | None:
        """Only the files whose problems an edit of ``changed`` may change are judged: those paths and their problems."""
        facts = memo.get("facts")
        if not isinstance(facts, dict):
            return None
        self._update(facts, earlier, options, behind)
        before = self._update(facts, questions, options, changed)
        touched = self.touched(facts, before, changed)
        return touched, self.judge(facts, options, report_on & touched)

    def _update(self, facts: dict[str, Any], questions: Sequence[Question], options: Mapping[str, Any],
                changed: Collection[str]) -> dict[str, Any]:
        """Bring the kept facts up to date with the changed files; their facts before (None: had none)."""
        by_path = {q.path: q for q in questions}
        before = {}
        for path in changed:
            before[path] = facts.pop(path, None)
            q = by_path.get(path)
            value = self.fact(q, options) if q is not None else None
            if value is not None:
                facts[path] = value
        return before


class ClashRule(FactRule):
    """A text value that no two files may share (an id, a guid): each file sharing it is reported where the value is.

    Its fact is ``(value, line, column)``, kept in a ``Values`` table rather than a dict: a big
    bank's loads from the cache as a few objects, and an edit looks up only the values it touches.
    """

    #: The top-level key of the value.
    at_key: str = ""

    def fact(self, q: Question, options: Mapping[str, Any]) -> tuple[Any, int, int] | None:
        value = q.data.get(self.at_key)
        return (value, *q.pos(self.at_key)) if isinstance(value, str) else None

    def reads(self, options: Mapping[str, Any]) -> Collection[str]:
        return (self.at_key,)

    def message(self, value: Any, others: str) -> str:
        """What to say to a file whose ``value`` the files ``others`` share."""
        raise NotImplementedError

    def check_bank_with_memo(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str],
                             memo: dict[str, Any], changed: Collection[str] | None) -> Iterator[Problem]:
        table = Values.unpacked(memo) if changed is not None else None
        if table is not None:
            self._put(table, questions, options, changed or ())
        else:
            table = Values([(q.path, fact) for q in questions if (fact := self.fact(q, options)) is not None])
        memo.clear()
        memo.update(table.packed())
        return self._judge(table, report_on)

    def rejudge(self, earlier: Sequence[Question], questions: Sequence[Question], options: Mapping[str, Any],
                report_on: set[str], memo: dict[str, Any], behind: Collection[str],
                changed: Collection[str]) -> tuple[set[str], Iterator[Problem]] | None:
        """The changed files, and every file holding one of their values before or now, judged again."""
        table = Values.unpacked(memo)
        if table is None:
            return None
        self._put(table, earlier, options, behind)
        values = {fact[0] for fact in self._put(table, questions, options, changed) if fact is not None}
        values.update(fact[0] for path in changed if (fact := table.get(path)) is not None)
        touched = set(changed).union(table.holding(values))
        memo.clear()
        memo[DUMP] = table.packed
        return touched, self._judge(table, report_on & touched)

    def _put(self, table: Values, questions: Sequence[Question], options: Mapping[str, Any],
             changed: Collection[str]) -> list[tuple[Any, int, int] | None]:
        """Bring the table up to date with the changed files (one not in ``questions`` is deleted); their facts before."""
        by_path = {q.path: q for q in questions}
        return [table.put(path, self.fact(q, options) if (q := by_path.get(path)) is not None else None)
                for path in changed]

    def _judge(self, table: Values, report_on: set[str]) -> Iterator[Problem]:
        few = len(report_on) * 4 < len(table)  # a few files: only the values they hold are grouped
        wanted = {fact[0] for path in report_on if (fact := table.get(path)) is not None} if few else None
        for value, group in table.groups(wanted).items():
            if len(group) > 1:
                for path, line, column in group:
                    if path in report_on:
                        yield self.at(path, (line, column), self.message(value, others(path, [p for p, _, _ in group])))


class Values:
    """A ClashRule's facts: each file's value and where it is, by row, as columns.

    Paths are a ``Texts`` column once loaded (a row is found by searching its text), values a
    list, positions machine ints; a deleted file's row is free for the next new one.
    """

    VERSION = 1

    def __init__(self, facts: Sequence[tuple[str, tuple[Any, int, int]]] = ()) -> None:
        self.paths: Column = [path for path, _ in facts]
        self.values: list[Any] = [fact[0] for _, fact in facts]
        self.where = array("i", [n for _, fact in facts for n in fact[1:]])
        self.free: list[int] = []
        self._row: dict[str, int] = {path: row for row, path in enumerate(self.paths)}

    @classmethod
    def unpacked(cls, memo: Mapping[str, Any]) -> Values | None:
        """The table ``packed`` left in ``memo``; None when it holds none (an earlier version's, or another shape)."""
        if memo.get("version") != cls.VERSION:
            return None
        table = cls()
        try:
            table.paths = Texts.unpacked(memo["paths"])
            table.where.frombytes(memo["where"])
            table.values, table.free = memo["values"], memo["free"]
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(table.values, list) or not isinstance(table.free, list) \
                or not len(table.paths) == len(table.values) == len(table.where) // 2:
            return None
        return table

    def packed(self) -> dict[str, Any]:
        """The table as plain values (for the check cache)."""
        return {"version": self.VERSION, "paths": packed(self.paths), "values": self.values,
                "where": self.where.tobytes(), "free": self.free}

    def __len__(self) -> int:
        return len(self.values) - len(self.free)

    def _find(self, path: str) -> int | None:
        return row_of(self.paths, self._row, path)

    def get(self, path: str) -> tuple[Any, int, int] | None:
        """The fact of ``path``; None when it has none."""
        return self._fact(self._find(path))

    def _fact(self, row: int | None) -> tuple[Any, int, int] | None:
        return None if row is None else (self.values[row], self.where[2 * row], self.where[2 * row + 1])

    def put(self, path: str, fact: tuple[Any, int, int] | None) -> tuple[Any, int, int] | None:
        """Make ``fact`` the fact of ``path`` (None: it has none); its fact before."""
        row = self._find(path)
        before = self._fact(row)
        if fact is None:
            if row is not None:
                self.paths[row], self.values[row] = "", None
                del self._row[path]
                self.free.append(row)
            return before
        if row is None:
            if self.free:
                row = self.free.pop()
            else:
                row = len(self.values)
                self.paths.append("")
                self.values.append(None)
                self.where.extend((0, 0))
            self.paths[row] = path
            self._row[path] = row
        self.values[row] = fact[0]
        self.where[2 * row:2 * row + 2] = array("i", fact[1:])
        return before

    def holding(self, values: Collection[Any]) -> list[str]:
        """The paths whose value is one of ``values``."""
        return [self.paths[row] for row in self._rows(values)]

    def groups(self, wanted: Collection[Any] | None) -> dict[Any, list[tuple[str, int, int]]]:
        """Each value (of ``wanted`` only, when given) with the paths holding it and where."""
        out: defaultdict[Any, list[tuple[str, int, int]]] = defaultdict(list)
        where, values = self.where, self.values
        rows = range(len(values)) if wanted is None else self._rows(wanted)
        for row in rows:
            if (value := values[row]) is not None:
                out[value].append((self.paths[row], where[2 * row], where[2 * row + 1]))
        return out

    def _rows(self, values: Collection[Any]) -> list[int]:
        """The rows holding one of ``values``, in order (each value searched for in C: an edit asks about a few)."""
        if len(values) > 16:  # many values: one pass over the rows costs less than a search for each
            return [row for row, value in enumerate(self.values) if value is not None and value in values]
        rows = []
        for value in values:
            if value is None:
                continue
            row = -1
            try:
                while True:
                    row = self.values.index(value, row + 1)
                    rows.append(row)
            except ValueError:
                pass
        return sorted(rows)


def others(path: str, group: Sequence[str], limit: int = 3) -> str:
    """The other files of a group, the first few by path, with a count of the rest."""
    names = sorted(other for other in group if other != path)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
