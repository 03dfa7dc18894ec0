"""Markdown pages: one per question, in the seed page's layout, that any CommonMark viewer renders and ``qtool import`` reads back exactly.

A page is the prose a person reads (question as the title, the role line, the nine
sections) plus one HTML comment at the top, ``<!-- qtool: {...} -->``, holding the keys
prose does not show (id, guid, category, status, provenance): Markdown renderers hide it,
and import restores them from it. The comment always carries the guid (derived from the id,
as the Anki export derives it, when the file has none), so a re-imported page is the same
Anki note. Texts are written as their Markdown, line for line (fences, tables and lists
render); ``qtool.mdpage`` holds the one escape, for a line that would read as a section
heading, and a title or role line starting with Markdown punctuation gets one backslash.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qtool import mdpage
from qtool.export import Progress, effective_guid
from qtool.files import slug
from qtool.fsutil import atomic_write
from qtool.importer import ESCAPE_START, PROSE_KEYS, ROLE_SUFFIX, SECTION_HEADINGS, heading_of, title_of
from qtool.model import TIERS, Question, ordered_keys

_ID_PARTS = 2
#: An ATX heading's closing sequence: a title ending in one is written with one more ``#``.
_CLOSING = re.compile(r"(?:^|[ \t])#+$")
_DASH_RULE = re.compile(r"[ \t]*-[ \t]*-[- \t]*")


def render_page(question_data: Mapping[str, Any], titles: Mapping[str, str] | None = None) -> str:
    """The page for one question's data; ``titles`` (id -> question) names related questions."""
    data = question_data
    meta: dict[str, Any] = {key: data[key] for key in data if key not in PROSE_KEYS}
    meta["guid"] = effective_guid(Question("<page>", dict(data)))
    body: list[str] = []
    closed: list[str] = []
    answers = data.get("answers") or {}
    for tier in TIERS:
        for part in ("text", "critique"):
            text = (answers.get(tier) or {}).get(part)
            if isinstance(text, str):
                written, was_open = mdpage.escape_text(text.rstrip("\n"), heading_of)
                if was_open:
                    closed.append(f"answers.{tier}.{part}")
                section = _section(f"{tier}.{part}", written.split("\n"))
                body += section[:-1] if mdpage.ends_in_nested_open_fence(written) else section
    for key in ("prep_tips", "competencies"):
        body += _section(key, [line for item in data.get(key) or [] for line in _item(str(item))])
    related = data.get("related") or []
    if related:
        names = titles or {}
        body += _section("related", [f"- [{_link_text(names.get(ref, ref))}]({_page_link(ref)})" for ref in related])
    if closed:
        meta[mdpage.CLOSED_FENCES] = closed
    meta = {key: meta[key] for key in ordered_keys(meta)}
    # '>' cannot appear outside JSON strings, so escaping it keeps '-->' out of the comment.
    blob = json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e")
    question = _one_line(data.get("question"))
    title = _title(question + (" #" if _CLOSING.search(question) else ""), "# ")
    out = [f"<!-- qtool: {blob} -->", "", title, "", _title(f"{_one_line(data.get('role'))} {ROLE_SUFFIX}"), ""]
    if isinstance(data.get("level"), str):
        out += [f"{data['level'].capitalize()} level", ""]
    return "\n".join(out + body).rstrip("\n") + "\n"


def _title(rest: str, head: str = "") -> str:
    """The question (``head`` ``# ``) or role line as written, so that import reads ``rest`` back.

    A backslash goes first where import would otherwise drop marks from the text (surrounding
    bold, a leading backslash) and, on the role line (plain text, not Markdown), before any
    leading Markdown punctuation; CommonMark hides a backslash before ASCII punctuation.
    Otherwise only the heading escape applies.
    """
    if title_of(head + rest) != rest or (not head and rest[:1] in ESCAPE_START):
        return head + "\\" + rest
    if mdpage.needs_escape(head + rest, heading_of):
        return mdpage.escape_line(head + rest)
    return head + rest


def _item(text: str) -> list[str]:
    """A list item as written: ``- `` before its first line, two spaces before the others."""
    lines = text.split("\n")
    marker = "*" if _DASH_RULE.fullmatch(lines[0]) else "-"  # '- ---' would be a rule, not an item
    return [f"{marker} {lines[0]}"] + [f"  {line}" if line else "" for line in lines[1:]]


def page_path(question: Question, out_dir: str | os.PathLike[str]) -> Path:
    """Where a question's page goes: ``OUT/<role-slug>/<slug>.md``, mirroring its id."""
    ident = question.id or ""
    parts = ident.split("/")
    if len(parts) != _ID_PARTS or not all(part and slug(part) == part for part in parts):
        parts = [slug(question.role or "") or "role", slug(question.question or "") or "question"]
    return Path(out_dir, *parts[:-1], parts[-1] + ".md")


def write_pages(questions: Sequence[Question], out_dir: str | os.PathLike[str], progress: Progress | None = None,
                changed: list[Path] | None = None) -> list[Path]:
    """Write one page per question under ``out_dir`` (atomically; unchanged pages are left alone); returns every page.

    ``changed`` (if given) collects the pages actually written.
    """
    titles = {q.id: q.question for q in questions if q.id and q.question}
    pages: list[Path] = []
    for question in questions:
        target = page_path(question, out_dir)
        text = render_page(question.data, titles)
        try:
            unchanged = target.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            unchanged = False
        if not unchanged:
            atomic_write(target, text, durable=False)  # an export, made again by the command: no flush a page
            if changed is not None:
                changed.append(target)
        pages.append(target)
        if progress:
            progress(1)
    return pages


def prune_pages(out_dir: str | os.PathLike[str], keep: Sequence[Path]) -> list[Path]:
    """Remove the pages under ``out_dir`` that qtool wrote (they open with its comment) for questions gone from the bank.

    Pages a person wrote (no qtool comment) are never touched; returns the removed pages.
    """
    kept = {os.path.normcase(os.path.abspath(path)) for path in keep}
    removed = []
    for page in sorted(Path(out_dir).glob("*/*.md")):
        if os.path.normcase(os.path.abspath(page)) in kept or page.is_symlink() or not page.is_file():
            continue
        try:
            with open(page, encoding="utf-8") as handle:
                owned = handle.read(len(_OWNED)) == _OWNED
        except (OSError, UnicodeDecodeError):
            continue
        if owned:
            page.unlink()
            removed.append(page)
    return removed


#: How every page qtool writes opens: the mark of a page it may remove when its question is gone.
_OWNED = "<!-- qtool: "


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split("\n")).strip()


def _section(key: str, lines: list[str]) -> list[str]:
    """A section heading, a blank line, the section's lines and a blank line."""
    return [f"## {SECTION_HEADINGS[key]}", "", *lines, ""]


def _page_link(ref: str) -> str:
    """A link from one page to another: pages sit one folder deep, so ``../role/slug.md``."""
    return f"../{ref}.md"


def _link_text(title: str) -> str:
    return title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
