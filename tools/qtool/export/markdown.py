"""Markdown pages: one per question, in the seed page's layout, that ``qtool import`` reads back exactly.

A page is the prose a person reads (question as the title, the role line, the nine
sections) plus one HTML comment at the top, ``<!-- qtool: {...} -->``, holding the keys
prose does not show (id, guid, category, status, provenance): Markdown renderers hide it,
and import restores them from it, so the guid (the Anki identity) survives a round trip.
Text lines that Markdown or the importer would misread get a leading backslash (see
``qtool.importer.PAGE_LAYOUT``); inline Markdown inside a line is left as written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qtool.export import Progress
from qtool.files import slug
from qtool.fsutil import atomic_write
from qtool.importer import PROSE_KEYS, ROLE_SUFFIX, SECTION_HEADINGS, escape_line
from qtool.model import TIERS, Question, ordered_keys

_ID_PARTS = 2


def render_page(question_data: Mapping[str, Any], titles: Mapping[str, str] | None = None) -> str:
    """The page for one question's data; ``titles`` (id -> question) names related questions."""
    data = question_data
    meta = {key: data[key] for key in ordered_keys(data) if key not in PROSE_KEYS}
    out: list[str] = []
    if meta:
        # '>' cannot appear outside JSON strings, so escaping it keeps '-->' out of the comment.
        blob = json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e")
        out += [f"<!-- qtool: {blob} -->", ""]
    out += [f"# {escape_line(_one_line(data.get('question')))}", ""]
    out += [escape_line(f"{_one_line(data.get('role'))} {ROLE_SUFFIX}"), ""]
    answers = data.get("answers") or {}
    for tier in TIERS:
        for part in ("text", "critique"):
            text = (answers.get(tier) or {}).get(part)
            if isinstance(text, str):
                out += _section(f"{tier}.{part}", [escape_line(line.strip()) for line in text.strip().split("\n")])
    for key in ("prep_tips", "competencies"):
        out += _section(key, [f"- {escape_line(item)}" for item in data.get(key) or []])
    related = data.get("related") or []
    if related:
        names = titles or {}
        out += _section("related", [f"- [{_link_text(names.get(ref, ref))}]({_page_link(ref)})" for ref in related])
    return "\n".join(out).rstrip("\n") + "\n"


def page_path(question: Question, out_dir: str | os.PathLike[str]) -> Path:
    """Where a question's page goes: ``OUT/<role-slug>/<slug>.md``, mirroring its id."""
    ident = question.id or ""
    parts = ident.split("/")
    if len(parts) != _ID_PARTS or not all(part and slug(part) == part for part in parts):
        parts = [slug(question.role or "") or "role", slug(question.question or "") or "question"]
    return Path(out_dir, *parts[:-1], parts[-1] + ".md")


def write_pages(questions: Sequence[Question], out_dir: str | os.PathLike[str], progress: Progress | None = None) -> list[Path]:
    """Write one page per question under ``out_dir`` (atomically; unchanged pages are left alone)."""
    titles = {q.id: q.question for q in questions if q.id and q.question}
    written: list[Path] = []
    for question in questions:
        target = page_path(question, out_dir)
        text = render_page(question.data, titles)
        try:
            unchanged = target.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            unchanged = False
        if not unchanged:
            atomic_write(target, text)
        written.append(target)
        if progress:
            progress(1)
    return written


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split("\n")).strip()


def _section(key: str, lines: list[str]) -> list[str]:
    return [f"## {SECTION_HEADINGS[key]}", "", *lines, ""]


def _page_link(ref: str) -> str:
    """A link from one page to another: pages sit one folder deep, so ``../role/slug.md``."""
    return f"../{ref}.md"


def _link_text(title: str) -> str:
    return title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
