"""The registry: every lint rule, by name. A new rule is a module here and one line below."""

from __future__ import annotations

from qtool.lint.rule import Rule
from qtool.lint.rules import (
    answer_length,
    answer_tiers,
    competency_vocabulary,
    draft_status,
    duplicate_question,
    guid_stable,
    guid_unique,
    id_unique,
    markdown_render,
    near_duplicate,
    placeholder,
    question_form,
    related_ids,
    required_sections,
    stray_whitespace,
    tiers_rise,
    unused_suppression,
)

RULES: dict[str, Rule] = {
    module.RULE.name: module.RULE
    for module in (
        required_sections,
        answer_tiers,
        placeholder,
        question_form,
        stray_whitespace,
        tiers_rise,
        answer_length,
        markdown_render,
        draft_status,
        competency_vocabulary,
        related_ids,
        duplicate_question,
        near_duplicate,
        guid_unique,
        guid_stable,
        id_unique,
        unused_suppression,
    )
}
