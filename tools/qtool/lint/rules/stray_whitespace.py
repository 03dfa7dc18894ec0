"""One-line values (question, role, ids, tips, competencies ...) have no stray spaces or line breaks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from qtool.lint.rule import Rule
from qtool.model import Problem, Question, Severity

#: Keys whose values are one line of text.
ONE_LINE = ("id", "guid", "role", "question", "category", "status")
#: Lists whose items are one line of text each.
ONE_LINE_ITEMS = ("prep_tips", "competencies", "related")


class StrayWhitespace(Rule):
    name = "stray-whitespace"
    description = "one-line values (question, role, tips, competencies, ids) have no leading or trailing whitespace or line breaks"
    examples = ('role: Data Analyst',
                'role: "Data  Analyst "')
    default_severity = Severity.WARNING

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        data = q.data
        for key in ONE_LINE:
            if _stray(value := data.get(key)):
                yield from self._value(q, key, value)
        for key in ONE_LINE_ITEMS:
            items = data.get(key)
            if isinstance(items, list):
                for index, item in enumerate(items):
                    if _stray(item):
                        yield from self._value(q, f"{key}[{index}]", item)
        provenance = data.get("provenance")
        if isinstance(provenance, dict):
            for key, value in provenance.items():
                if _stray(value):
                    yield from self._value(q, f"provenance.{key}", value)

    def _value(self, q: Question, where: str, value: str) -> Iterator[Problem]:
        body = value.strip()
        if "\n" in body or "\r" in body:
            yield self.at(q, q.pos(where), f"{where} spans several lines: write it on one line")
        elif value != body:
            if body and value.rstrip(" \t").endswith(("\n", "\r")) and not value[0].isspace():
                yield self.at(q, q.pos(where), f"{where} ends with a line break: write it as a plain one-line value, not a '|' block")
            else:
                side = "starts and ends" if value[0].isspace() and value[-1].isspace() else "starts" if value[0].isspace() else "ends"
                yield self.at(q, q.pos(where), f"{where} {side} with whitespace: remove it")


def _stray(value: Any) -> TypeGuard[str]:
    """Text with whitespace at either end or a line break in it."""
    return isinstance(value, str) and value != "" and (value != value.strip() or "\n" in value or "\r" in value)


RULE = StrayWhitespace()
