"""Tiers rise: the solid answer is longer than the sample, the exceptional longer than the solid."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule, word_count
from qtool.model import TIERS, Problem, Question, Severity
from qtool.skeleton import SKELETON_MARKER


class TiersRise(Rule):
    name = "tiers-rise"
    description = "the solid answer is longer than the sample, and the exceptional longer than the solid"
    examples = ('sample: 120 words; solid: 200; exceptional: 320',
                'sample: 200 words; solid: 150; exceptional: 320')
    default_severity = Severity.WARNING

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        answers = {tier: q.answer(tier) for tier in TIERS}
        for lower, upper, adds in (("sample", "solid", "specific actions and their impact"),
                                   ("solid", "exceptional", "leadership, root cause, prevention and measured results")):
            low, high = answers[lower], answers[upper]
            if not low or not high or not low.text or not high.text or SKELETON_MARKER in low.text or SKELETON_MARKER in high.text:
                continue  # placeholder texts are the placeholder rule's
            n_low, n_high = word_count(low.text), word_count(high.text)
            if n_high <= n_low:
                yield self.at(q, q.pos(f"answers.{upper}.text"),
                              f"the {upper} answer ({n_high} words) is not longer than the {lower} answer ({n_low} words): "
                              f"a better answer adds {adds}")


RULE = TiersRise()
