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

    Its fact is ``(value, line, column)``.
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

    def judge(self, facts: dict[str, Any], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        for path, group in clashes(facts, report_on):
            value, line, column = facts[path]
            yield self.at(path, (line, column), self.message(value, others(path, group)))

    def touched(self, facts: dict[str, Any], before: dict[str, Any], changed: Collection[str]) -> set[str]:
        """The changed files, and every file holding one of their values, before or now."""
        values = {fact[0] for fact in before.values() if fact is not None}
        values.update(facts[path][0] for path in changed if path in facts)
        return set(changed).union(path for path, fact in facts.items() if fact[0] in values)


def clashes(facts: Mapping[str, tuple[Hashable, int, int]], report_on: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Each path to report on whose fact's value another path shares, with the paths sharing it."""
    by_value: dict[Hashable, list[str]] = defaultdict(list)
    if len(report_on) * 4 < len(facts):  # a few files: only the values they hold are grouped
        wanted = {facts[path][0] for path in report_on if path in facts}
        for path, (value, _, _) in facts.items():
            if value in wanted:
                by_value[value].append(path)
    else:
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
