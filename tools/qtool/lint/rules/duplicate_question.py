"""No question is asked twice: identical after ignoring case, spacing and punctuation."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from qtool.lint.rules._bank import ClashRule, role_of, words
from qtool.model import Question, Severity

SCOPES = ("bank", "role")


def scope_option(options: Mapping[str, Any]) -> str | None:
    if options["scope"] not in SCOPES:
        return f"'scope' must be one of: {', '.join(SCOPES)}; got {options['scope']!r}"
    return None


def question_keys(options: Mapping[str, Any]) -> tuple[str, ...]:
    """The summary keys a rule comparing questions reads: with scope "role", the role (``role_of``) too."""
    return ("question", "id", "role") if options["scope"] == "role" else ("question",)


class DuplicateQuestion(ClashRule):
    name = "duplicate-question"
    description = "no two files ask the same question (identical after normalising case, spacing and punctuation)"
    examples = ('question: How do you prioritise a backlog?   # asked once in the bank',
                'question: how do you prioritise a backlog   # the same words as another file')
    default_severity = Severity.ERROR
    at_key = "question"
    #: ``scope``: "bank" compares every question with every other; "role" only within a role,
    #: for banks that ask the same generic question for several roles.
    options = {"scope": "bank"}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        return scope_option(options)

    def reads(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        return question_keys(options)

    def fact(self, q: Question, options: Mapping[str, Any]) -> tuple[bytes, int, int] | None:
        """A digest of the question's words (and role, with scope "role"), and where: equal digests, equal questions."""
        text = words(q.question or "")
        if not text:
            return None
        key = f"{role_of(q)}\x1f{' '.join(text)}" if options["scope"] == "role" else " ".join(text)
        return (hashlib.blake2b(key.encode(), digest_size=16).digest(), *q.pos(self.at_key))

    def message(self, value: bytes, others: str) -> str:
        return (f"the same question is in {others}: keep one file (merge the best of both into it) "
                "or reword one to ask something different")


RULE = DuplicateQuestion()
