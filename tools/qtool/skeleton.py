"""The skeleton ``qtool new`` writes without an LLM: every text a marker the lint rules flag."""

from __future__ import annotations

from typing import Any

#: Every placeholder in a skeleton starts with this; the placeholder lint rule looks for it.
SKELETON_MARKER = "TODO(qtool):"

SKELETON_TEXTS = {
    "answers.sample.text": f"{SKELETON_MARKER} write a sample answer: a plausible first answer in the first person.",
    "answers.solid.text": f"{SKELETON_MARKER} write a more solid answer: specific actions and their impact.",
    "answers.solid.critique": f"{SKELETON_MARKER} say why the solid answer is better than the sample, and what would still improve it.",
    "answers.exceptional.text": f"{SKELETON_MARKER} write an exceptional answer: leadership, root cause, prevention and measured results.",
    "answers.exceptional.critique": f"{SKELETON_MARKER} say why the exceptional answer is the best, and what would still improve it.",
    "prep_tips[0]": f"{SKELETON_MARKER} add a tip on how to prepare for this question.",
    "competencies[0]": f"{SKELETON_MARKER} name a competency interviewers evaluate.",
}


def skeleton_fields() -> dict[str, Any]:
    """The answer, tip and competency parts of a skeleton question, as plain data."""
    t = SKELETON_TEXTS
    return {
        "answers": {
            "sample": {"text": t["answers.sample.text"]},
            "solid": {"text": t["answers.solid.text"], "critique": t["answers.solid.critique"]},
            "exceptional": {"text": t["answers.exceptional.text"], "critique": t["answers.exceptional.critique"]},
        },
        "prep_tips": [t["prep_tips[0]"]],
        "competencies": [t["competencies[0]"]],
    }
