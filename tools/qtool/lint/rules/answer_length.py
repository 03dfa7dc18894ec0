"""Answers and critiques are within word bounds.

The defaults come from the bank: its answers run from about 140 words (sample) to 360
(exceptional) and its critiques from 60 to 90, so the bounds leave wide room either side.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule, word_count
from qtool.model import TIERS, Problem, Question, Severity
from qtool.skeleton import SKELETON_MARKER


class AnswerLength(Rule):
    name = "answer-length"
    description = "answer texts and critiques are within word bounds (configurable)"
    examples = ('text: (an answer of 40 to 700 words)',
                'text: I fixed it.')
    default_severity = Severity.WARNING
    options = {"min-words": 40, "max-words": 700, "critique-min-words": 15, "critique-max-words": 250}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        for prefix in ("", "critique-"):
            low, high = options[f"{prefix}min-words"], options[f"{prefix}max-words"]
            if low < 0 or high < 1:
                return f"'{prefix}min-words' and '{prefix}max-words' must be positive"
            if low > high:
                return f"'{prefix}min-words' ({low}) is larger than '{prefix}max-words' ({high})"
        return None

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        bounds = {part: (options[f"{prefix}min-words"], options[f"{prefix}max-words"])
                  for part, prefix in (("answer", ""), ("critique", "critique-"))}
        for tier in TIERS:
            answer = q.answer(tier)
            if answer is None:
                continue
            for part, text in (("answer", answer.text), ("critique", answer.critique)):
                if not text or text.isspace() or SKELETON_MARKER in text:
                    continue  # placeholder texts are the placeholder rule's
                count = word_count(text)
                low, high = bounds[part]
                if low <= count <= high:
                    continue
                where = f"answers.{tier}.{'text' if part == 'answer' else 'critique'}"
                label = f"the {tier} answer" if part == "answer" else f"the {tier} answer's critique"
                if count < low:
                    yield self.at(q, q.pos(where), f"{label} has {_words(count)}, fewer than {low}: develop it"
                                  if part == "answer" else f"{label} has {_words(count)}, fewer than {low}: say what makes the answer work and what would improve it")
                elif count > high:
                    yield self.at(q, q.pos(where), f"{label} has {_words(count)}, more than {high}: tighten it")


def _words(count: int) -> str:
    return f"{count} word{'s' if count != 1 else ''}"


RULE = AnswerLength()
