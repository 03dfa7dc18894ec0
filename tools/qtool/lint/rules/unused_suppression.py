"""Suppression comments that suppress nothing, or name no rule, are reported (see qtool.lint.suppress)."""

from __future__ import annotations

from qtool.lint.rule import Rule
from qtool.model import Severity


class UnusedSuppression(Rule):
    name = "unused-suppression"
    description = "a '# qtool: disable=...' comment suppresses nothing or names an unknown rule"
    examples = ('role: Tester TBD  # qtool: disable=placeholder',
                'role: Tester  # qtool: disable=placeholder   (nothing to suppress)')
    default_severity = Severity.WARNING


RULE = UnusedSuppression()
