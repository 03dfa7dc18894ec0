"""Each question keeps the Anki note guid it had at the git base, so learners keep their review history.

A learner's notes are keyed by the guid (the file's ``guid``, else one derived from its id):
a changed guid, a file renamed without an explicit guid, a guid moved to another question or
a deleted question each turn into a new note and lost reviews on the next import. The rule
compares with the base of ``qtool check --against REF`` and says nothing without one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qtool.lint.rule import Rule
from qtool.model import Problem, Question, Severity

if TYPE_CHECKING:
    from qtool.gitbase import Base

OPTION = "retired-guids"


class GuidStable(Rule):
    name = "guid-stable"
    description = "with --against REF: no guid changes, moves to another id or disappears since the base (learners' Anki history)"
    examples = ('guid: "k3#Lq8!xZp"   # as at the base',
                'guid: "new-guid-1"   # was "k3#Lq8!xZp" at the base')
    default_severity = Severity.ERROR
    strict_severity = Severity.ERROR  # a deleted question's guid is a warning, an error under --strict
    options = {OPTION: []}
    bank_wide = True

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        blank = [guid for guid in options[OPTION] if not guid.strip()]
        return f"'{OPTION}' lists an empty guid" if blank else None

    def idle(self, options: Mapping[str, Any]) -> bool:
        return options.get("base") is None

    def outside_paths(self, options: Mapping[str, Any]) -> Collection[str]:
        base: Base | None = options.get("base")
        return [base.shown(path) for path in base.deleted] if base is not None else ()

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        from qtool.export import effective_guid
        base: Base | None = options.get("base")
        if base is None:
            return
        retired = set(options[OPTION])
        now = {base.key(q.path): q for q in questions if q.id or q.guid}
        guids_now = {effective_guid(q) for q in now.values()}
        ids_now = {q.id for q in now.values() if q.id}
        # Who carried each guid at the base: files git reports unchanged say now what they said then.
        owner: dict[str, str | None] = {effective_guid(now[path]): now[path].id for path in base.unchanged if path in now}
        for known in base.files.values():
            owner.setdefault(known.effective, known.id)
        for path, q in now.items():
            if q.path not in report_on or path in base.unchanged:
                continue
            was = base.files.get(base.renames.get(path, path))
            guid = effective_guid(q)
            previous = owner.get(guid, q.id)
            if previous is not None and previous != q.id and previous in ids_now:
                mine = f"; this file's guid at the base was '{was.effective}'" if was is not None else ""
                yield self._at(q, f"guid '{guid}' belonged to '{previous}' at {base.name}, which is still in the bank: "
                                  f"the two questions' Anki notes would swap content{mine}; give each question back its own guid")
            elif was is not None and was.effective != guid and was.effective not in retired:
                if was.path != path and was.guid is None and q.guid is None:
                    yield self._at(q, f"renamed from {was.path}, which had no guid: its Anki notes carry the guid derived "
                                      f"from its old id, '{was.effective}'; add `guid: \"{was.effective}\"` to this file "
                                      "to keep learners' history")
                else:
                    yield self._at(q, f"guid changed from '{was.effective}' at {base.name} to '{guid}': learners' notes would "
                                      f"become new notes and lose their reviews; put back `guid: \"{was.effective}\"` "
                                      f"(or list '{was.effective}' in {OPTION} if the old notes should go)")
        for path in sorted(base.deleted):
            entry = base.files.get(path)
            if entry is None or entry.effective in guids_now or entry.effective in retired:
                continue
            where = {"guid": "its guid key", "id": "its id (it had no guid key)"}.get(entry.at, "its first line")
            yield Problem(base.shown(path), entry.line, entry.column, Severity.WARNING,
                          f"deleted since {base.name} (reported at {where} in the base version): learners who imported "
                          f"its note '{entry.effective}' keep a copy that no longer updates; if the question moved, add "
                          f"`guid: \"{entry.effective}\"` to its new file; if it was removed on purpose, add "
                          f"'{entry.effective}' to {OPTION} in [tool.qtool.rules.guid-stable]", self.name)

    def _at(self, q: Question, message: str) -> Problem:
        """A problem at the ``guid:`` key, else at the id (saying so), else the file's start."""
        if "guid" in q.keys:
            return self.at(q, q.key_pos("guid"), message)
        if "id" in q.keys:
            return self.at(q, q.key_pos("id"), message + " (reported at the id: the file has no guid key)")
        return self.at(q, (1, 1), message + " (the file has no guid or id key)")


RULE = GuidStable()
