"""Inline suppressions: ``# qtool: disable=rule[,rule]`` for a line, ``# qtool: disable-file=rule`` for a file.

A comment after a value covers its line (and, after ``text: |``, the whole block); a comment
on a line of its own covers the next line that is not a comment. Suppressions that suppress
nothing, name an unknown rule or use an unknown directive are reported as unused-suppression.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qtool.model import Problem, Question

_COMMENT = re.compile(r"(?:^|[ \t])(#[ \t]*qtool:[ \t]*([A-Za-z-]*)[ \t]*(?:=[ \t]*([^#\n]*))?)")
DIRECTIVES = ("disable", "disable-file")


@dataclass
class Suppression:
    """One comment: where it is, which line it covers (None: the whole file), which rules."""

    line: int
    column: int
    directive: str
    rules: tuple[str, ...]
    target: int | None
    used: set[str] = field(default_factory=set)


def parse(text: str) -> list[Suppression]:
    """Every ``# qtool:`` comment in a file's text, in order."""
    if "qtool:" not in text:
        return []
    lines = text.split("\n")
    found = []
    for number, line in enumerate(lines, start=1):
        if "qtool:" not in line:
            continue
        match = _COMMENT.search(line)
        if not match:
            continue
        directive = match.group(2)
        rules = tuple(name.strip() for name in (match.group(3) or "").split(",") if name.strip())
        own_line = not line[: match.start(1)].strip()
        target: int | None = number
        if directive == "disable-file":
            target = None
        elif own_line:
            target = _next_content_line(lines, number)
        found.append(Suppression(number, match.start(1) + 1, directive, rules, target))
    return found


def _next_content_line(lines: Sequence[str], number: int) -> int:
    for index in range(number, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index + 1
    return number + 1


def apply(question: Question, problems: Iterable[Problem], suppressions: Sequence[Suppression]) -> list[Problem]:
    """The problems no suppression covers; each suppression records which of its rules it used."""
    starts = _Starts(question)
    kept = []
    for problem in problems:
        covering = [s for s in suppressions if s.directive in DIRECTIVES and problem.code in s.rules
                    and (s.target is None or s.target == problem.line or s.target == starts.block_line(problem))]
        for suppression in covering:
            suppression.used.add(problem.code)
        if not covering:
            kept.append(problem)
    return kept


def unused(question: Question, suppressions: Sequence[Suppression], ran: set[str], known: Iterable[str]) -> list[tuple[int, int, str]]:
    """(line, column, message) for each suppression, or rule in one, that did nothing.

    A rule that did not run on this file (disabled, not selected, or skipped) cannot be judged.
    """
    names = set(known)
    out = []
    for s in suppressions:
        if s.directive not in DIRECTIVES:
            out.append((s.line, s.column, f"unknown qtool directive {s.directive or '(none)'!r}: write '# qtool: disable=RULE' or '# qtool: disable-file=RULE'"))
            continue
        if not s.rules:
            out.append((s.line, s.column, f"'{s.directive}' names no rule: write '# qtool: {s.directive}=RULE[,RULE]'"))
            continue
        for name in s.rules:
            if name not in names:
                out.append((s.line, s.column, f"suppression names unknown rule {name!r}: run `qtool rules` to list them"))
            elif name in ran and name not in s.used:
                scope = "in this file" if s.target is None else f"on line {s.target}"
                out.append((s.line, s.column, f"suppression of {name!r} is unused: the rule finds nothing {scope}; delete it"))
    return out


class _Starts:
    """Where values start, to tell which multi-line value (a ``|`` block) a problem falls inside."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.points: list[tuple[int, int, str, bool]] | None = None

    def block_line(self, problem: Problem) -> int:
        """The first line of the multi-line text value holding the problem, else its own line."""
        if self.points is None:
            q = self.question
            self.points = sorted([(*pos, path, True) for path, pos in q.values.items()]
                                 + [(*pos, path, False) for path, pos in q.keys.items()])
        index = bisect.bisect_right(self.points, (problem.line, problem.column, "\uffff", True)) - 1
        if index < 0:
            return problem.line
        line, _, path, is_value = self.points[index]
        if is_value and line < problem.line and "\n" in str(_value_at(self.question, path)):
            return line
        return problem.line


def _value_at(question: Question, path: str) -> object:
    value: object = question.data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            value = value[int(part[1:-1])] if isinstance(value, list) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value
