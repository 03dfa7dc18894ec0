"""``related`` lists ids of other questions that exist in the bank, each once."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from qtool.lint.rule import quote
from qtool.lint.rules._bank import FactRule
from qtool.model import Problem, Question, Severity


class RelatedIds(FactRule):
    name = "related-ids"
    description = "related ids exist in the bank, are not the file itself, and are listed once"
    examples = ('related:\n  - data-analyst/dashboard-numbers   # a file in the bank',
                'related:\n  - data-analyst/no-such-question')
    default_severity = Severity.ERROR

    def fact(self, q: Question, options: Mapping[str, Any]) -> tuple[str | None, list[Any] | None] | None:
        """The file's id and its related items, each with where it is (an item that is not text: None)."""
        items = q.data.get("related")
        related = None
        if isinstance(items, list):
            related = [(item, *q.pos(f"related[{index}]")) if isinstance(item, str) else None
                       for index, item in enumerate(items)]
        return (q.id, related) if q.id or related is not None else None

    def reads(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        return ("id", "related")

    def judge(self, facts: dict[str, Any], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        ids = {own for own, _ in facts.values() if own}
        id_list: list[str] | None = None
        for path in report_on if len(report_on) * 4 < len(facts) else facts:
            own, items = facts.get(path) or (None, None)
            if path not in report_on or items is None:
                continue
            seen: dict[str, int] = {}
            for index, listed in enumerate(items):
                if listed is None:
                    continue
                item, line, column = listed
                where = f"related[{index}]"
                if item == own:
                    yield self.at(path, (line, column), f"{where} is this question's own id: list other questions only")
                elif item in seen:
                    yield self.at(path, (line, column), f"{where} '{item}' is already listed as related[{seen[item]}]: delete one")
                elif item not in ids:
                    if id_list is None:
                        id_list = sorted(ids)
                    yield self.at(path, (line, column), f"{where}: no question with id '{item}' in the bank{_guess(item, id_list)}")
                seen.setdefault(item, index)

    def touched(self, facts: dict[str, Any], before: dict[str, Any], changed: Collection[str]) -> set[str]:
        """The changed files; when their ids changed, also every file listing one of those ids or an id not in the
        bank (whose "did you mean" looks among every id)."""
        held = {fact[0] for fact in before.values() if fact is not None and fact[0]}
        moved = held.symmetric_difference(facts[path][0] for path in changed if path in facts and facts[path][0])
        if not moved:
            return set(changed)
        ids = {own for own, _ in facts.values() if own}
        return set(changed).union(path for path, (_, items) in facts.items() if items and any(
            item is not None and (item[0] in moved or item[0] not in ids) for item in items))


def _guess(item: str, ids: list[str]) -> str:
    from rapidfuzz import fuzz, process

    best = process.extractOne(item, ids, scorer=fuzz.ratio, score_cutoff=80)
    return f": did you mean {quote(best[0], 80)}?" if best else " (an id is a file's path under questions/ without .yaml)"


RULE = RelatedIds()
