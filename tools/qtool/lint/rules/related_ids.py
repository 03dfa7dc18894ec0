"""``related`` lists ids of other questions that exist in the bank, each once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qtool.lint.rule import Rule, quote
from qtool.model import Problem, Question, Severity


class RelatedIds(Rule):
    name = "related-ids"
    description = "related ids exist in the bank, are not the file itself, and are listed once"
    examples = ('related:\n  - data-analyst/dashboard-numbers   # a file in the bank',
                'related:\n  - data-analyst/no-such-question')
    default_severity = Severity.ERROR
    bank_wide = True

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        ids = {q.id for q in questions if q.id}
        id_list: list[str] | None = None
        for q in questions:
            items = q.data.get("related")
            if q.path not in report_on or not isinstance(items, list):
                continue
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                where = f"related[{index}]"
                if not isinstance(item, str):
                    continue
                if item == q.id:
                    yield self.at(q, q.pos(where), f"{where} is this question's own id: list other questions only")
                elif item in seen:
                    yield self.at(q, q.pos(where), f"{where} '{item}' is already listed as related[{seen[item]}]: delete one")
                elif item not in ids:
                    if id_list is None:
                        id_list = sorted(ids)
                    yield self.at(q, q.pos(where), f"{where}: no question with id '{item}' in the bank{_guess(item, id_list)}")
                seen.setdefault(item, index)


def _guess(item: str, ids: list[str]) -> str:
    from rapidfuzz import fuzz, process

    best = process.extractOne(item, ids, scorer=fuzz.ratio, score_cutoff=80)
    return f": did you mean {quote(best[0], 80)}?" if best else " (an id is a file's path under questions/ without .yaml)"


RULE = RelatedIds()
