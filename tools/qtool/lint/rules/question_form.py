"""The question reads as a question: it ends with a question mark of any script or opens with an imperative ("Tell us about ...")."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule, quote, word_count
from qtool.model import Problem, Question, Severity

#: First words that make a question an instruction to answer ("Describe ...", "Walk us through ...").
IMPERATIVES = [
    "describe", "tell", "explain", "walk", "give", "share", "talk", "discuss", "outline", "name",
    "list", "compare", "define", "imagine", "suppose", "design", "estimate", "summarize", "summarise",
    "sell", "show", "take", "pitch", "convince", "prioritize", "prioritise", "rank", "recall", "think",
]
#: Question marks of the scripts a bank may be written in: ASCII, full-width (CJK), Arabic, Greek
#: (U+037E), Armenian, Ethiopic, Vai, Limbu, small and doubled forms, interrobang, inverted (Spanish
#: closes with '?' anyway) and reversed.
QUESTION_MARKS = ("?", "\uff1f", "\u061f", "\u037e", "\u055e", "\u1367", "\ua60f", "\u1945", "\ufe56",
                  "\u2047", "\u2048", "\u2049", "\u203d", "\u2e2e", "\u2cfa", "\u2cfb", "\u0f08", "\U00011143")
_FIRST_WORD = re.compile(r"[\W_]*([^\W\d_]+)")


class QuestionForm(Rule):
    name = "question-form"
    description = "the question ends with a question mark ('?', '？', '؟' ...) or opens with an imperative such as 'Tell us about' or 'Describe'"
    examples = ('question: 你如何评审代码？',
                'question: Code reviews.')
    default_severity = Severity.WARNING
    #: ``imperatives``: the first words that make a question without '?' read as one (English by default);
    #: ``extra-imperatives``: more of them, e.g. in the bank's other languages ("beschreiben", "请").
    #: Words of scripts written without spaces (Chinese, Japanese) match as the question's first characters.
    options = {"imperatives": IMPERATIVES, "extra-imperatives": []}

    def prepare(self, options: dict[str, Any], root: Any) -> dict[str, Any]:
        words = [*options["imperatives"], *options["extra-imperatives"]]
        return {**options, "words": frozenset(w.casefold() for w in words),
                "prefixes": tuple(w.casefold() for w in words if w and not w.isascii() and word_count(w) == len(w))}

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        text = q.question
        if not text or not text.strip():
            return
        stripped = text.strip()
        if stripped.endswith(QUESTION_MARKS):
            return
        if "words" not in options:
            options = self.prepare(dict(options), None)
        first = _FIRST_WORD.match(stripped)
        if first and (first.group(1).casefold() in options["words"]
                      or first.group(1).casefold().startswith(options["prefixes"] or ("\0",))):
            return
        yield self.at(q, q.pos("question"), f"question {quote(stripped)} does not read as a question: "
                      "end it with '?' or start with an instruction such as 'Tell us about ...' or 'Describe ...'")


RULE = QuestionForm()
