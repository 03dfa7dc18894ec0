"""Near-duplicate questions: reworded copies of another question in the bank.

Two questions are near-duplicates when their wording is similar (rapidfuzz's token-sort
ratio over the normalised words) AND their distinctive words are similar too (the ratio
over the words that few questions of the bank use). The second test keeps apart questions
built on the same frame, such as "Tell us about a time when you had to manage a project
budget" and "... a product launch", which differ only in the words that matter.

Only pairs that share one of their rarest words or word pairs are compared (blocking), each
block in rapidfuzz's C loop, so the work grows with the bank, not with its square.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qtool.lint.rule import Rule, quote
from qtool.lint.rules._bank import role_of, words
from qtool.lint.rules.duplicate_question import scope_option
from qtool.model import Problem, Question, Severity

#: Words that never make a question distinctive, however few questions of a small bank use them.
FUNCTION_WORDS = frozenset("""
a about after all also am an and any are as at be been before being but by can could did do does doing
during each for from had has have having he her him his how i if in into is it its me my no not of on
once or other our out over own she should so some such than that the their them then there these they
this those through to too under until up very was we were what when where which while who whom why will
with would you your yours us tell time
""".split())
#: A word is common (not distinctive) when it is a function word, or more than this share of the bank's questions use it ...
COMMON_SHARE = 0.15
#: ... or, in a small bank, more than this many questions.
COMMON_MIN = 3
#: Each question is compared with those sharing one of its this-many rarest words (used at least twice).
BLOCK_KEYS = 4
#: Words used by more questions than this do not form blocks (they would compare too many pairs).
MAX_BLOCK = 256


class NearDuplicate(Rule):
    name = "near-duplicate"
    description = "no question is a light rewording of another (rapidfuzz similarity at or above a threshold)"
    examples = ('question: How do you prioritise a backlog?',
                'question: How would you go about prioritising the backlog?   # beside the one above')
    default_severity = Severity.WARNING
    bank_wide = True
    #: ``threshold``: the similarity (0-100) from which two questions count as near-duplicates.
    #: ``scope``: "bank" or "role", as for duplicate-question.
    options = {"threshold": 75, "scope": "bank"}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        if not 50 <= options["threshold"] <= 100:
            return f"'threshold' must be between 50 and 100, got {options['threshold']}"
        return scope_option(options)

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        for q, other, score in near_duplicates(questions, options["threshold"], options["scope"] == "role", report_on):
            yield self.at(q, q.pos("question"), f"question is {score:.0f}% similar to {other.path} "
                          f"({quote(other.question or '', 70)}): merge the two, or reword one so the difference is clear")


def near_duplicates(questions: Sequence[Question], threshold: float, by_role: bool,
                    report_on: set[str]) -> list[tuple[Question, Question, float]]:
    """(question, other, score) for each near-duplicate pair, once per side in ``report_on``."""
    from rapidfuzz import fuzz, process

    items = [(q, words(q.question)) for q in questions if q.question]
    items = [(q, tokens) for q, tokens in items if tokens]
    targets = [q.path in report_on for q, _ in items]

    # Blocking keys: distinctive words and word pairs. Pairs stay rare in big banks whose words
    # are all common, so a reworded copy still shares a key with its original. Keys are made
    # twice (to count, then to pick) rather than kept: a big bank has millions of them.
    feature_df: Counter[tuple[str, ...]] = Counter()
    for _, tokens in items:
        feature_df.update(_features(tokens))
    blocks: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    count = feature_df.__getitem__
    for index, (q, tokens) in enumerate(items):
        rare = [(n, k) for k in _features(tokens) if 2 <= (n := count(k)) <= MAX_BLOCK]
        if not rare:
            continue
        rare.sort()
        role = role_of(q) if by_role else ""
        for _, key in rare[:BLOCK_KEYS]:
            blocks[(role, key)].append(index)

    df = {key[0]: n for key, n in feature_df.items() if len(key) == 1}  # questions using each word
    del feature_df
    common = max(COMMON_MIN, COMMON_SHARE * len(items))
    sorted_text = [" ".join(sorted(tokens)) for _, tokens in items]
    distinct_cache: dict[int, str] = {}

    def distinctive(i: int) -> str:
        """The words of question ``i`` that few questions use."""
        if i not in distinct_cache:
            distinct_cache[i] = " ".join(t for t in items[i][1] if t not in FUNCTION_WORDS and df[t] <= common)
        return distinct_cache[i]

    found: dict[tuple[int, int], float] = {}

    def consider(i: int, j: int, wording: float) -> None:
        if (i, j) in found or not (targets[i] or targets[j]) or items[i][1] == items[j][1]:
            return
        rare_i, rare_j = distinctive(i), distinctive(j)
        score = min(wording, fuzz.ratio(rare_i, rare_j)) if rare_i or rare_j else wording
        if score >= threshold:
            found[(i, j)] = score

    for members in blocks.values():
        if len(members) < 2 or not any(targets[i] for i in members):
            continue
        if len(members) == 2:
            i, j = members
            wording = fuzz.ratio(sorted_text[i], sorted_text[j], score_cutoff=threshold)
            if wording:
                consider(i, j, wording)
            continue
        choices = [sorted_text[i] for i in members]
        for position, i in enumerate(members[:-1]):
            rest = members[position + 1:]
            for _, wording, offset in process.extract(sorted_text[i], choices[position + 1:], scorer=fuzz.ratio,
                                                      score_cutoff=threshold, limit=None):
                consider(i, rest[offset], wording)
    out = []
    for (i, j), score in found.items():
        if targets[i]:
            out.append((items[i][0], items[j][0], score))
        if targets[j]:
            out.append((items[j][0], items[i][0], score))
    return out


def _features(tokens: tuple[str, ...]) -> set[tuple[str, ...]]:
    """A question's blocking keys: its non-function words, and its adjacent word pairs."""
    keys: set[tuple[str, ...]] = {(t,) for t in tokens if t not in FUNCTION_WORDS}
    keys.update(zip(tokens, tokens[1:]))
    return keys


RULE = NearDuplicate()
