"""Every tier of answer has text; the solid and exceptional answers have critiques."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule
from qtool.model import TIERS, Problem, Question, Severity

#: Tier -> what its text should be.
TEXT_HELP = {
    "sample": "a plausible first answer, in the first person",
    "solid": "a more solid answer, with specific actions and their impact",
    "exceptional": "an exceptional answer: leadership, root cause, prevention and measured results",
}
#: Tier -> what its critique should say (the sample's critique is optional).
CRITIQUE_HELP = {
    "solid": "say why the solid answer is better than the sample, and what would still improve it",
    "exceptional": "say why the exceptional answer is the best of the three, and what would still improve it",
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class AnswerTiers(Rule):
    name = "answer-tiers"
    description = "sample, solid and exceptional answers all have text; solid and exceptional have critiques"
    examples = ('answers:\n  solid:\n    text: I measured ...\n    critique: It names the result ...',
                'answers:\n  solid:\n    text: I measured ...\n    critique: ""')
    default_severity = Severity.ERROR
    covers_schema = ("answers",)

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        answers = q.data.get("answers")
        if "answers" not in q.data:
            yield self.at(q, q.mapping_pos(""), "'answers' is missing: add sample, solid and exceptional answers, each with 'text' (solid and exceptional also with 'critique')")
            return
        if not isinstance(answers, dict):
            yield self.at(q, q.pos("answers"), "'answers' must be a mapping with sample, solid and exceptional answers")
            return
        for tier in TIERS:
            where = f"answers.{tier}"
            entry = answers.get(tier)
            if tier not in answers:
                yield self.at(q, q.mapping_pos("answers"), f"the {tier} answer is missing: add '{tier}:' with 'text', {TEXT_HELP[tier]}")
                continue
            if not isinstance(entry, dict):
                yield self.at(q, q.pos(where), f"{where} must be a mapping with 'text'{' and critique' if tier in CRITIQUE_HELP else ''}")
                continue
            yield from self._part(q, entry, where, "text", f"write {TEXT_HELP[tier]}")
            if tier in CRITIQUE_HELP:
                yield from self._part(q, entry, where, "critique", CRITIQUE_HELP[tier])
            elif "critique" in entry and _blank(entry["critique"]):
                yield self.at(q, q.pos(f"{where}.critique"), f"{where}.critique is empty: write it or delete the key")

    def _part(self, q: Question, entry: dict[str, Any], where: str, key: str, help_text: str) -> Iterator[Problem]:
        path = f"{where}.{key}"
        if key not in entry:
            yield self.at(q, q.mapping_pos(where), f"{path} is missing: {help_text}")
        elif not isinstance(entry[key], (str, type(None))):
            yield self.at(q, q.pos(path), f"{path} must be text: {help_text}")
        elif _blank(entry[key]):
            yield self.at(q, q.pos(path), f"{path} is empty: {help_text}")


RULE = AnswerTiers()
