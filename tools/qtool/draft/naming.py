"""File names for new questions: a short slug from a question's telling words, and refusal of unsafe values."""

from __future__ import annotations

import re
import unicodedata

from qtool.files import slug

#: Words that say little about a question ("Tell us about a time when you ..."): left out of its slug.
STOP_WORDS = frozenset("""
a an the and or but if so as at by for from in into of on onto to with without about over under
tell us me describe give walk through share explain example instance time times when where what which
who whom whose why how did do does done you your yours yourself had have has having is are was were
be been being it its that this these those there their them they i we our my can could would should
will some any ever one handle handled approach approached situation
""".split())
MAX_SLUG_WORDS = 5


def question_slug(question: str) -> str:
    """A short slug from a question's telling words: 'Tell us about a time your analysis changed a decision.' -> 'analysis-changed-decision'."""
    words = slug(question, max_length=10_000).split("-")
    telling = [w for w in words if w and w not in STOP_WORDS]
    return "-".join((telling or [w for w in words if w])[:MAX_SLUG_WORDS])


def unsafe(value: str) -> str | None:
    """Why ``value`` cannot be part of a path under questions/ (None when it can)."""
    if any(unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" for ch in value):
        return "contains control characters"
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        return "is an absolute path"
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if ".." in value:
        return "contains '..'"
    return None
