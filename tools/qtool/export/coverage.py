"""The bank's coverage figures: one function computes them for ``qtool stats`` and the site's coverage page.

Figures are plain JSON-ready data (dicts, lists, ints, strings), in a fixed order, so the
terminal table, ``qtool stats --format json`` and the SVG drawn at build time show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qtool.model import CATEGORIES, Question

#: The optional ``level`` key's values, in order; questions without one count as "unset".
LEVELS = ("junior", "intermediate", "senior")
UNSET = "unset"
#: Lists (drafts, questions without related links) are cut at this many entries in the text table.
TABLE_LIST_MAX = 50


def level_of(data: Mapping[str, Any]) -> str:
    """A question's level, or ``unset`` when it has none (or one qtool does not know)."""
    level = data.get("level")
    return level if isinstance(level, str) and level in LEVELS else UNSET


def text_of(data: Mapping[str, Any], key: str) -> str:
    """``data[key]`` when it is a string, else "" (question data read tolerantly)."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


def strings_of(data: Mapping[str, Any], key: str) -> list[str]:
    """The strings in the list ``data[key]`` (none when it is not a list)."""
    value = data.get(key)
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _entry(data: Mapping[str, Any], path: str) -> dict[str, str]:
    return {"id": text_of(data, "id"), "role": text_of(data, "role"), "question": text_of(data, "question"), "path": path}


def figures(questions: Iterable[Question], left_out_drafts: Iterable[Question | str] = ()) -> dict[str, Any]:
    """Coverage of ``questions`` (the ones shown), plus every draft waiting for review.

    ``left_out_drafts`` are drafts that are not among ``questions`` (a loaded Question, or just
    a path when the file cannot be read): they are listed as waiting, never counted in the
    heat map. Drafts among ``questions`` are counted and listed.
    """
    heat: dict[str, Counter[str]] = {}
    by_category: dict[str, Counter[str]] = {}
    by_level: dict[str, Counter[str]] = {}
    competencies: Counter[str] = Counter()
    drafts: list[dict[str, str]] = []
    no_related: list[dict[str, str]] = []
    total = 0
    for question in questions:
        data = question.data
        role = text_of(data, "role")
        total += 1
        heat.setdefault(role, Counter()).update(set(strings_of(data, "competencies")))
        competencies.update(set(strings_of(data, "competencies")))
        by_category.setdefault(role, Counter())[text_of(data, "category")] += 1
        by_level.setdefault(role, Counter())[level_of(data)] += 1
        if text_of(data, "status") == "draft":
            drafts.append(_entry(data, question.path))
        if not strings_of(data, "related"):
            no_related.append(_entry(data, question.path))
    for draft in left_out_drafts:
        if isinstance(draft, Question):
            drafts.append(_entry(draft.data, draft.path))
        else:
            drafts.append({"id": "", "role": "", "question": "", "path": draft})
    roles = sorted(heat)
    known = [c for c in CATEGORIES if any(by_category[r][c] for r in roles)]
    others = sorted({c for r in roles for c in by_category[r]} - set(CATEGORIES))
    categories = known + others
    levels = [level for level in (*LEVELS, UNSET) if any(by_level[r][level] for r in roles)]
    columns = sorted(competencies, key=lambda name: (-competencies[name], name))
    order = lambda entry: (entry["id"], entry["path"])  # noqa: E731
    return {
        "questions": total,
        "roles": [
            {
                "role": role,
                "questions": sum(by_category[role].values()),
                "categories": {c: by_category[role][c] for c in categories},
                "levels": {level: by_level[role][level] for level in levels},
                "competencies": {c: heat[role][c] for c in columns},
            }
            for role in roles
        ],
        "categories": categories,
        "levels": levels,
        "competencies": {c: competencies[c] for c in columns},
        "drafts": sorted(drafts, key=order),
        "no_related": sorted(no_related, key=order),
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A plain text table: the first column left-aligned, numbers right-aligned."""
    cells = [list(map(str, header))] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for number, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def text_table(figs: Mapping[str, Any]) -> str:
    """The figures as tables for a terminal (what ``qtool stats`` prints)."""
    roles = figs["roles"]
    out = [f"{_count(figs['questions'], 'question')} in {_count(len(roles), 'role')}; "
           f"{_count(len(figs['drafts']), 'draft')} waiting for review; "
           f"{_count(len(figs['no_related']), 'question')} without related links", ""]
    out += ["Questions per category", *_table(["role", *figs["categories"], "total"],
                                              [[r["role"], *r["categories"].values(), r["questions"]] for r in roles]), ""]
    out += ["Questions per level", *_table(["role", *figs["levels"]], [[r["role"], *r["levels"].values()] for r in roles]), ""]
    out += ["Questions per competency (roles across)",
            *_table(["competency", *(r["role"] for r in roles), "total"],
                    [[name, *(r["competencies"][name] for r in roles), total] for name, total in figs["competencies"].items()]), ""]
    for key, title in (("drafts", "Drafts waiting for review"), ("no_related", "Questions without related links")):
        entries = figs[key]
        out.append(f"{title} ({len(entries)})")
        out += [f"  {entry['id'] or '(unreadable)'}  {entry['path']}" for entry in entries[:TABLE_LIST_MAX]]
        if len(entries) > TABLE_LIST_MAX:
            out.append(f"  ... and {len(entries) - TABLE_LIST_MAX} more (--format json lists them all)")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def from_selection(selection: Any, max_bytes: int) -> dict[str, Any]:
    """The figures for what the export gate selected (``qtool.export.gate.Selection``), its left-out drafts loaded again."""
    from qtool.loader import load_file

    def drafts() -> Iterable[Question | str]:
        for path in selection.draft_paths:
            loaded = load_file(path, max_bytes=max_bytes)
            yield loaded if isinstance(loaded, Question) else path

    return figures(selection.questions, drafts())
