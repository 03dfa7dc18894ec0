"""What the bank-wide rules share: words, roles, rules over one fact per file, clashes and naming the other files."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from qtool.lint.rule import Rule
from qtool.model import Problem, Question

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1 << 17)
def words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation: what two questions are compared on (cached: two rules ask).

    Words are interned: a 100,000-question bank then holds each distinct word once.
    """
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

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        return self.check_bank_with_memo(questions, options, report_on, {}, None)

    def check_bank_with_memo(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str],
                             memo: dict[str, Any], changed: Collection[str] | None) -> Iterator[Problem]:
        """With ``changed`` and the facts of an earlier run, ``questions`` need hold only the changed files (one missing is deleted)."""
        facts = memo.get("facts") if changed is not None else None
        if isinstance(facts, dict):
            by_path = {q.path: q for q in questions}
            for path in changed or ():
                q = by_path.get(path)
                value = self.fact(q, options) if q is not None else None
                if value is None:
                    facts.pop(path, None)
                else:
                    facts[path] = value
        else:
            facts = {q.path: value for q in questions if (value := self.fact(q, options)) is not None}
        memo.clear()
        memo["facts"] = facts
        return self.judge(facts, options, report_on)


class ClashRule(FactRule):
    """A text value that no two files may share (an id, a guid): each file sharing it is reported where the value is.

    Its fact is ``(value, line, column)``.
    """

    #: The top-level key of the value.
    at_key: str = ""

    def fact(self, q: Question, options: Mapping[str, Any]) -> tuple[Any, int, int] | None:
        value = q.data.get(self.at_key)
        return (value, *q.pos(self.at_key)) if isinstance(value, str) else None

    def message(self, value: Any, others: str) -> str:
        """What to say to a file whose ``value`` the files ``others`` share."""
        raise NotImplementedError

    def judge(self, facts: dict[str, Any], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        for path, group in clashes(facts, report_on):
            value, line, column = facts[path]
            yield self.at(path, (line, column), self.message(value, others(path, group)))


def clashes(facts: Mapping[str, tuple[Hashable, int, int]], report_on: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Each path to report on whose fact's value another path shares, with the paths sharing it."""
    by_value: dict[Hashable, list[str]] = defaultdict(list)
    for path, (value, _, _) in facts.items():
        by_value[value].append(path)
    for group in by_value.values():
        if len(group) > 1:
            for path in group:
                if path in report_on:
                    yield path, group


def others(path: str, group: Sequence[str], limit: int = 3) -> str:
    """The other files of a group, the first few by path, with a count of the rest."""
    names = sorted(other for other in group if other != path)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
