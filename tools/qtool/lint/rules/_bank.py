"""Helpers the bank-wide rules share: grouping by a key and naming the other files."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from functools import lru_cache

from qtool.model import Question

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1 << 17)
def words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation: what two questions are compared on (cached: two rules ask).

    Words are interned: a 100,000-question bank then holds each distinct word once.
    """
    return tuple(map(sys.intern, _WORD.findall(text.casefold())))


def role_of(q: Question) -> str:
    """The role part of the id (``marketing-specialist``), else the role as written."""
    if q.id and "/" in q.id:
        return q.id.split("/", 1)[0]
    return (q.role or "").casefold()


def groups(questions: Sequence[Question], key: Callable[[Question], Hashable | None]) -> Iterator[list[Question]]:
    """Questions sharing a key (None keys ignored), for every key shared by more than one."""
    by_key: dict[Hashable, list[Question]] = defaultdict(list)
    for q in questions:
        value = key(q)
        if value is not None:
            by_key[value].append(q)
    return (group for group in by_key.values() if len(group) > 1)


def clashes(questions: Sequence[Question], key: Callable[[Question], Hashable | None],
            report_on: set[str]) -> Iterator[tuple[Question, list[Question]]]:
    """Each question to report on that shares ``key`` with another, with the group sharing it."""
    for group in groups(questions, key):
        for q in group:
            if q.path in report_on:
                yield q, group


def others(q: Question, group: Sequence[Question], limit: int = 3) -> str:
    """The other files of a group, the first few by path, with a count of the rest."""
    names = sorted(other.path for other in group if other is not q)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
