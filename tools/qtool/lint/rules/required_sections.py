"""prep_tips and competencies are present, non-empty lists of distinct, non-blank items."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule, quote
from qtool.model import Problem, Question, Severity

#: Section -> (what its items are, where they come from on a page, what one item is).
SECTIONS = {
    "prep_tips": (
        "tips on how a candidate can prepare for this question",
        "the page's 'How to prepare for this question' bullets",
        "a tip",
    ),
    "competencies": (
        "the competencies interviewers evaluate with this question",
        "the page's 'What interviewers are evaluating' bullets",
        "a competency",
    ),
}


def normalise(text: str) -> str:
    """Case and spacing do not make two items different."""
    return " ".join(text.split()).casefold()


class RequiredSections(Rule):
    name = "required-sections"
    description = "prep_tips and competencies are present and non-empty, with no blank or duplicate items"
    examples = ('prep_tips:\n  - Rehearse one story per competency.\ncompetencies:\n  - Problem-solving',
                'prep_tips: []\ncompetencies:\n  - Problem-solving\n  - Problem-solving')
    default_severity = Severity.ERROR
    covers_schema = tuple(SECTIONS)

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        for key, (purpose, source, item_name) in SECTIONS.items():
            if key not in q.data:
                yield self.at(q, q.mapping_pos(""), f"'{key}' is missing: add a '{key}:' list of {purpose} ({source})")
                continue
            value = q.data[key]
            if value is None or value == []:
                yield self.at(q, q.pos(key), f"'{key}' is empty: list at least one item ({purpose})")
                continue
            if not isinstance(value, list):
                yield self.at(q, q.pos(key), f"'{key}' must be a list ('- ' before each item) of {purpose}")
                continue
            seen: dict[str, int] = {}
            for index, item in enumerate(value):
                if isinstance(item, str) and item and not item.isspace() and (norm := normalise(item)) not in seen:
                    seen[norm] = index
                    continue
                where = f"{key}[{index}]"
                if not isinstance(item, str):
                    yield self.at(q, q.pos(where), f"{where} must be text: write {item_name} as a sentence")
                elif not item.strip():
                    yield self.at(q, q.pos(where), f"{where} is blank: write {item_name} or delete the item")
                else:
                    first = seen[normalise(item)]
                    line = q.pos(f"{key}[{first}]")[0]
                    yield self.at(q, q.pos(where), f"{where} {quote(item)} repeats {key}[{first}] (line {line}): delete one of them")


RULE = RequiredSections()
