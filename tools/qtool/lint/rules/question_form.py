"""The question reads as a question: it ends with '?' or opens with an imperative ("Tell us about ...")."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule, quote
from qtool.model import Problem, Question, Severity

#: First words that make a question an instruction to answer ("Describe ...", "Walk us through ...").
IMPERATIVES = [
    "describe", "tell", "explain", "walk", "give", "share", "talk", "discuss", "outline", "name",
    "list", "compare", "define", "imagine", "suppose", "design", "estimate", "summarize", "summarise",
    "sell", "show", "take", "pitch", "convince", "prioritize", "prioritise", "rank", "recall", "think",
]
_FIRST_WORD = re.compile(r"[\W_]*([^\W\d_]+)")


class QuestionForm(Rule):
    name = "question-form"
    description = "the question ends with '?' or opens with an imperative such as 'Tell us about' or 'Describe'"
    examples = ('question: How do you review a pull request?',
                'question: Code reviews.')
    default_severity = Severity.WARNING
    #: ``imperatives``: the first words (lower case) that make a question without '?' read as one.
    options = {"imperatives": IMPERATIVES}

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        text = q.question
        if not text or not text.strip():
            return
        stripped = text.strip()
        if stripped.endswith("?"):
            return
        first = _FIRST_WORD.match(stripped)
        if first and first.group(1).casefold() in {word.casefold() for word in options["imperatives"]}:
            return
        yield self.at(q, q.pos("question"), f"question {quote(stripped)} does not read as a question: "
                      "end it with '?' or start with an instruction such as 'Tell us about ...' or 'Describe ...'")


RULE = QuestionForm()
