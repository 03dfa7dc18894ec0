"""No two files in the bank carry the same guid (Anki would treat them as one note)."""

from __future__ import annotations

from qtool.lint.rules._bank import ClashRule
from qtool.model import Severity


class GuidUnique(ClashRule):
    name = "guid-unique"
    description = "every guid is used by one file only (Anki identifies notes by it)"
    examples = ('guid: "k3#Lq8!xZp"   # no other file has it',
                'guid: "k3#Lq8!xZp"   # another file has it too')
    default_severity = Severity.ERROR
    at_key = "guid"

    def message(self, value: str, others: str) -> str:
        return (f"guid '{value}' is also used by {others}: Anki would merge these notes; "
                "keep the guid on the original question and give the copy a new one (or delete its guid line)")


RULE = GuidUnique()
