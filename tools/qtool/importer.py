"""Question pages (plain text or Markdown in the seed page's layout) -> plain question data, or problems.

Pure functions: the caller reads the files and writes the results. The layout and what is
tolerated is documented in ``PAGE_LAYOUT`` below (and in the README); where a Markdown
page's sections are, and the escape export uses, is ``qtool.mdpage``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from qtool import mdpage
from qtool.files import SLUG_LENGTH, slug
from qtool.model import Position, Problem, Question, Severity, new_guid, ordered_keys

CODE = "import"

PAGE_LAYOUT = """\
A page is UTF-8 text (a BOM and Windows line endings are fine):

    <!-- qtool: {"id": ..., "guid": ..., "category": ..., "status": ...} -->   (optional)
    The question, on the first line
    Marketing Specialist Interview Questions                (the role line; or --role)
    Junior level                                            (optional: junior, intermediate, senior)
    Sample answer to the question
    ...paragraphs...
    Why this is only a sample answer:                       (optional)
    A more solid answer
    Why this is a more solid answer:
    An exceptional answer
    Why this is an exceptional answer:
    How to prepare for this question
    - one tip per line
    What interviewers are evaluating
    - one competency per line
    Related Interview Questions                             (optional)
    - a question title from the bank, or a [title](../role/slug.md) link

The site's longer layout (a '/Role/ Interview Questions' breadcrumb, a level line, the
question, the role line, the question again) is read too: repeats are dropped.

A page holding a fenced code block or a quote (at any depth), or a section heading written as a Markdown heading
('## A more solid answer', or underlined) is Markdown (qtool.mdpage): headings are top-level
headings or top-level paragraph lines naming a section; each text is the page's own lines
as written (code, quotes, lists, tables); each list item is its lines less the marker and the
item's indentation. Any other page is plain text, read by words: headings in any case, with
or without '#', '**' or a final ':'; bullets '-', '*', '+', '•' or '1.'; blank lines separate
paragraphs; a line starting with a backslash is text and loses that one backslash.
"""

#: Section key -> the heading export writes (the seed page's own words).
SECTION_HEADINGS: dict[str, str] = {
    "sample.text": "Sample answer to the question",
    "sample.critique": "Why this is only a sample answer:",
    "solid.text": "A more solid answer",
    "solid.critique": "Why this is a more solid answer:",
    "exceptional.text": "An exceptional answer",
    "exceptional.critique": "Why this is an exceptional answer:",
    "prep_tips": "How to prepare for this question",
    "competencies": "What interviewers are evaluating",
    "related": "Related Interview Questions",
}
_ALIASES: dict[str, tuple[str, ...]] = {
    "sample.text": ("sample answer",),
    "sample.critique": ("why this is a sample answer", "critique of the sample answer"),
    "solid.text": ("more solid answer", "solid answer"),
    "solid.critique": ("why this is a solid answer",),
    "exceptional.text": ("exceptional answer",),
    "exceptional.critique": (),
    "prep_tips": ("how to prepare",),
    "competencies": ("what interviewers evaluate",),
    "related": ("related questions",),
}
REQUIRED_SECTIONS = ("sample.text", "solid.text", "solid.critique", "exceptional.text", "exceptional.critique", "prep_tips", "competencies")
LIST_SECTIONS = ("prep_tips", "competencies", "related")
#: Keys the page's prose carries; every other key travels in the ``<!-- qtool: ... -->`` comment.
PROSE_KEYS = frozenset({"role", "question", "level", "answers", "prep_tips", "competencies", "related"})
ROLE_SUFFIX = "Interview Questions"
#: Characters that start a Markdown construct at a line's start: export puts a backslash before one that starts a title line.
ESCAPE_START = frozenset("\\#*-+_=><`~|")

_ATX = re.compile(r"^#{1,6}(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+$")
_RULE = re.compile(r"^([-*_=])(?:[ \t]*\1){2,}$")
_BULLET = re.compile(r"^(?:[-*+•]|\d{1,9}[.)])(?:[ \t]+|$)")
_ROLE_LINE = re.compile(r"^(.*\S)\s+" + re.escape(ROLE_SUFFIX.lower()) + r"$", re.IGNORECASE)
_META = re.compile(r"^<!--\s*qtool:(.*)-->$", re.DOTALL)
_COMMENT = re.compile(r"^<!--.*-->$")
_LINK = re.compile(r"^\[((?:\\.|[^\]\\])*)\]\(\s*<?([^)>\s]*)>?\s*\)$")
_LINK_ID = re.compile(r"(?:^|/)([a-z0-9]+(?:-[a-z0-9]+)*)/([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")
_FENCE_CLOSE = re.compile(r" {0,3}(?:`{3,}|~{3,})[ \t]*")
_LEVEL_LINE = re.compile(r"^(junior|intermediate|senior)\s+level:?$", re.IGNORECASE)
_NOT_A_QUESTION = re.compile(r"^(?:more|see all|view all|browse)\b.*\bquestions\b", re.IGNORECASE)

_HEADING_WORDS: dict[str, str] = {}
for _key, _title in SECTION_HEADINGS.items():
    for _words in (_title, *_ALIASES[_key]):
        _HEADING_WORDS[" ".join(_words.lower().rstrip(":").split())] = _key


# -- small shared helpers ------------------------------------------------------

def normalize_title(text: str) -> str:
    """A question's text for matching: case, punctuation, symbols and spacing ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def heading_of(line: str) -> str | None:
    """The section key a line is a heading for (``solid.critique``, ...), or None for text."""
    s = line.strip()
    match = _ATX.match(s)
    if match:
        s = _ATX_CLOSE.sub("", s[match.end():]).strip()
    if s.startswith("\\"):
        return None
    s = _unwrap_emphasis(s.rstrip(":").strip()).rstrip(":").strip()
    return _HEADING_WORDS.get(" ".join(s.lower().split()))


def _unescape(s: str) -> tuple[str, bool]:
    return (s[1:], True) if s.startswith("\\") else (s, False)


def _unwrap_emphasis(s: str) -> str:
    for mark in ("**", "__", "*", "_"):
        if len(s) > 2 * len(mark) and s.startswith(mark) and s.endswith(mark):
            return s[len(mark): -len(mark)].strip()
    return s


# -- parsing one page ----------------------------------------------------------

@dataclass
class Item:
    """One line of a page's text, with where it starts."""

    text: str
    line: int
    column: int


@dataclass
class Related:
    """One entry of the Related block: an id from a page link, or a title to look up."""

    title: str
    id: str | None
    line: int
    column: int


@dataclass
class Page:
    """What a page says, before ids and related titles are resolved against the bank."""

    path: str
    question: Item
    role: Item | None
    #: Answer sections (``solid.text``) -> their text; list sections -> their items.
    texts: dict[str, Item] = field(default_factory=dict)
    lists: dict[str, list[Item]] = field(default_factory=dict)
    related: list[Related] = field(default_factory=list)
    #: Section key -> where its heading is.
    headings: dict[str, Position] = field(default_factory=dict)
    #: Keys from the ``<!-- qtool: {...} -->`` comment (id, guid, category, status, provenance).
    meta: dict[str, Any] = field(default_factory=dict)
    #: The level line (``JUNIOR LEVEL``) as ``junior``, ``intermediate`` or ``senior``.
    level: Item | None = None


def decode_page(data: bytes | str, path: str) -> str | Problem:
    """Page bytes as text (UTF-8, BOM dropped, CRLF/CR -> LF), or why they are not a text page."""
    if isinstance(data, bytes):
        if b"\x00" in data:
            return _problem(path, (1, 1), "binary file, not a text page: it contains NUL bytes")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            where = (before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1)
            hint = " (it looks like UTF-16: save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
            return _problem(path, where, f"not a UTF-8 text page: byte 0x{data[exc.start]:02x} cannot start a character{hint}")
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_page(data: bytes | str, path: str = "<page>") -> Page | list[Problem]:
    """Split a page into its question, role line and sections; every problem found, or the Page."""
    text = decode_page(data, path)
    if isinstance(text, Problem):
        return [text]
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        return [_problem(path, (1, 1), "empty page: expected the question on the first line, then the role line and the sections")]

    if mdpage.may_be_markdown(text) and mdpage.is_markdown(page_blocks := mdpage.blocks(text), heading_of):
        return _parse_markdown(text, page_blocks, path)
    problems: list[Problem] = []
    preamble: list[Item] = []
    sections: dict[str, list[Item]] = {}
    headings: dict[str, Position] = {}
    current: list[Item] | None = None
    meta: dict[str, Any] = {}
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        item = Item(stripped, number, len(raw) - len(raw.lstrip()) + 1)
        if not stripped:
            if current is not None:
                current.append(item)
            continue
        if _RULE.match(stripped):
            continue  # a Markdown rule or setext underline: decoration, not text
        key = heading_of(stripped)
        if key is not None:
            if key in headings:
                first = headings[key][0]
                problems.append(_problem(path, (item.line, item.column),
                                         f"second '{_name(key)}' section (the first is at line {first}): a page holds one of each"))
                current = []  # read and drop the duplicate's text
                continue
            headings[key] = (item.line, item.column)
            current = sections.setdefault(key, [])
            continue
        if current is not None:
            current.append(item)
        elif not sections and (found := _META.match(stripped)):
            parsed = _parse_meta(found.group(1), path, item)
            if isinstance(parsed, Problem):
                problems.append(parsed)
            else:
                meta = parsed
        elif not _COMMENT.match(stripped):
            preamble.append(item)

    bodies = {key: _list_items(body) if key in LIST_SECTIONS else _paragraphs(body) for key, body in sections.items()}
    return _finish(path, problems, preamble, headings, meta, bodies)


def _parse_markdown(text: str, found: list[mdpage.Block], path: str) -> Page | list[Problem]:
    """A Markdown page: headings are top-level heading tokens or paragraph lines; texts are the page's own lines."""
    lines = text.split("\n")
    problems: list[Problem] = []
    # (key, first line, end line, column) of each section heading, in page order (0-based lines)
    cuts: list[tuple[str, int, int, int]] = []
    for block in found:
        for unit in block.units:
            key = heading_of(unit.text)
            if key is not None:
                cuts.append((key, unit.start, unit.end, _indent(lines[unit.start]) + 1))
    headings: dict[str, Position] = {}
    bodies: dict[str, Item | list[Item] | None] = {}
    meta, preamble = _md_preamble(found, lines, cuts[0][1] if cuts else len(lines), path, problems)
    closed = meta.pop(mdpage.CLOSED_FENCES, [])
    for index, (key, start, end, column) in enumerate(cuts):
        stop = cuts[index + 1][1] if index + 1 < len(cuts) else len(lines)
        if key in headings:
            problems.append(_problem(path, (start + 1, column),
                                     f"second '{_name(key)}' section (the first is at line {headings[key][0]}): a page holds one of each"))
            continue
        headings[key] = (start + 1, column)
        if key in LIST_SECTIONS:
            bodies[key] = _md_list(found, lines, end, stop, key, path, problems)
        else:
            drop_fence = isinstance(closed, list) and _text_path(key) in closed
            bodies[key] = _md_text(found, lines, end, stop, drop_fence)
    return _finish(path, problems, preamble, headings, meta, bodies)


def _text_path(key: str) -> str:
    return "answers." + key


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _unescaped(lines: list[str], units: Iterable[mdpage.Unit], start: int, stop: int) -> dict[int, str]:
    """Lines of the range ``start``..``stop`` that export escaped, turned back."""
    out: dict[int, str] = {}
    for unit in units:
        if start <= unit.start < stop:
            line = mdpage.unescape_line(lines[unit.start], unit.text, heading_of)
            if line != lines[unit.start]:
                out[unit.start] = line
    return out


def _md_preamble(found: list[mdpage.Block], lines: list[str], stop: int, path: str,
                 problems: list[Problem]) -> tuple[dict[str, Any], list[Item]]:
    """The qtool comment's keys and the lines before the first section heading, as Items."""
    items: list[Item] = []
    meta: dict[str, Any] | None = None
    for block in found:
        if block.start >= stop:
            break
        if block.kind == "hr":
            continue
        fixed = _unescaped(lines, block.units, block.start, stop)
        for number in range(block.start, min(block.end, stop)):
            line = fixed.get(number, lines[number])
            stripped = line.strip()
            if not stripped:
                continue
            if block.kind == "heading" and block.units[0].start == number:
                stripped = _without_closing_hashes(stripped)
            elif block.kind == "heading":
                continue  # a setext underline, or a setext heading's further lines (joined on the first)
            item = Item(stripped, number + 1, _indent(line) + 1)
            if (found_meta := _META.match(stripped)) is not None and meta is None and not items:
                parsed = _parse_meta(found_meta.group(1), path, item)
                if isinstance(parsed, Problem):
                    problems.append(parsed)
                else:
                    meta = parsed
            elif not _COMMENT.match(stripped):
                items.append(item)
    return meta or {}, items


def _without_closing_hashes(line: str) -> str:
    """An ATX heading line without its closing ``#`` sequence (``# C # #`` -> ``# C #``)."""
    atx = _ATX.match(line)
    if atx is None:
        return line
    return line[:atx.end()] + _ATX_CLOSE.sub("", line[atx.end():])


def _md_text(found: list[mdpage.Block], lines: list[str], start: int, stop: int, drop_fence: bool) -> Item | None:
    """A text section: the page's lines as written (blank lines around it dropped), escapes undone."""
    fixed: dict[int, str] = {}
    for block in found:
        if block.end > start and block.start < stop:
            fixed.update(_unescaped(lines, block.units, start, stop))
    body = [fixed.get(n, lines[n]) for n in range(start, stop)]
    first = next((n for n, line in enumerate(body) if line.strip()), None)
    if first is None:
        return None
    while not body[-1].strip():
        body.pop()
    body = body[first:]
    if drop_fence and len(body) > 1 and _FENCE_CLOSE.fullmatch(body[-1]):
        body.pop()  # the fence export closed for the page; an edited page keeps its last line
    return Item("\n".join(body) + "\n", start + first + 1, _indent(body[0]) + 1)


def _md_list(found: list[mdpage.Block], lines: list[str], start: int, stop: int, key: str, path: str,
             problems: list[Problem]) -> list[Item]:
    """A list section: each top-level list item as written (marker and indentation gone); a bare line is an item."""
    items: list[Item] = []
    for block in found:
        if block.end <= start or block.start >= stop or block.kind == "hr":
            continue
        if block.kind == "list":
            for first, end, indent in block.items:
                if start <= first < stop:
                    items.append(Item(mdpage.item_text(lines, first, min(end, stop), indent), first + 1, indent + 1))
        elif block.kind in ("paragraph", "heading"):
            fixed = _unescaped(lines, block.units, start, stop)
            for number in range(max(block.start, start), min(block.end, stop)):
                if block.kind == "heading" and number != block.start:
                    continue
                line = fixed.get(number, lines[number]).strip()
                if block.kind == "heading" and (atx := _ATX.match(line)) is not None:
                    line = _without_closing_hashes(line)[atx.end():]
                bullet = _BULLET.match(line)
                offset = bullet.end() if bullet else 0
                items.append(Item(line[offset:], number + 1, _indent(lines[number]) + offset + 1))
        else:
            problems.append(_problem(path, (block.start + 1, _indent(lines[block.start]) + 1),
                                     f"the '{_name(key)}' section holds a {block.kind.replace('_', ' ')} outside its list: put it inside a list item"))
    return items


def _finish(path: str, problems: list[Problem], preamble: list[Item], headings: dict[str, Position],
            meta: dict[str, Any], bodies: Mapping[str, Item | list[Item] | None]) -> Page | list[Problem]:
    """The Page from what either reader found: the question and role, every section, or every problem."""
    if not headings:
        names = ", ".join(f"'{SECTION_HEADINGS[k].rstrip(':')}'" for k in REQUIRED_SECTIONS)
        return problems + [_problem(path, (1, 1), f"no section headings found: a question page has {names}")]
    question, role, level = _preamble(preamble, path, min(pos[0] for pos in headings.values()), problems)
    page = Page(path, question or Item("", 1, 1), role, headings=headings, meta=meta, level=level)
    for key in REQUIRED_SECTIONS:
        if key not in headings:
            what = "answers." + key if "." in key else key
            problems.append(_problem(path, (1, 1), f"missing {what}: no '{_name(key)}' heading found"))
    for key, body in bodies.items():
        if isinstance(body, list):
            if key == "related":
                page.related = [entry for entry in map(_related_entry, body) if entry is not None]
            elif not body:
                problems.append(_problem(path, headings[key], f"the '{_name(key)}' section lists nothing: add one item per line"))
            else:
                page.lists[key] = body
        elif body is None:
            problems.append(_problem(path, headings[key], f"the '{_name(key)}' section is empty"))
        else:
            page.texts[key] = body
    return problems or page


def _preamble(items: list[Item], path: str, first_heading: int, problems: list[Problem]) -> tuple[Item | None, Item | None, Item | None]:
    """The question, the role line and the level line: what comes before the first heading.

    The site's longer layout repeats itself (a ``/Role/ Interview Questions`` breadcrumb, a
    level line, the question, the role line, the question again): repeats are dropped.
    """
    level: Item | None = None
    cleaned: list[Item] = []
    for item in map(_clean_title, items):
        if (match := _LEVEL_LINE.match(item.text)) is not None:
            if level is not None and level.text != match.group(1).lower():
                problems.append(_problem(path, (item.line, item.column), f"a second level line (the first is at line {level.line}): a page has one level"))
            level = level or Item(match.group(1).lower(), item.line, item.column)
            continue
        cleaned.append(item)
    if len(cleaned) > 2:  # the long layout says the question and the role twice: keep the first of each
        kept: dict[str, Item] = {}
        for item in cleaned:
            kept.setdefault(normalize_title(item.text), item)
        cleaned = list(kept.values())
    if not cleaned:
        problems.append(_problem(path, (first_heading, 1), "no question: the page must start with the question, before the first section heading"))
        return None, None, level
    if len(cleaned) > 2:
        extra = cleaned[2]
        problems.append(_problem(path, (extra.line, extra.column),
                                 "unexpected text before the first section heading: expected only the question, the role line and a level line"))
        return cleaned[0], None, level
    if len(cleaned) == 1:
        only = cleaned[0]
        match = _ROLE_LINE.match(only.text)
        if match and not only.text.endswith("?"):
            problems.append(_problem(path, (only.line, only.column), "no question: the page must start with the question, then the role line"))
            return None, _role(match, only), level
        return only, None, level
    first, second = cleaned
    if (match := _ROLE_LINE.match(second.text)) is not None:
        return first, _role(match, second), level
    if (match := _ROLE_LINE.match(first.text)) is not None:
        return second, _role(match, first), level
    problems.append(_problem(path, (second.line, second.column),
                             f"unexpected text after the question: expected the role line, e.g. 'Marketing Specialist {ROLE_SUFFIX}'"))
    return first, None, level


def _role(match: re.Match[str], item: Item) -> Item:
    """The role from a role line; the breadcrumb form ``/Software Engineer/`` loses its slashes."""
    role = match.group(1)
    if len(role) > 2 and role.startswith("/") and role.endswith("/") and role[1:-1].strip():
        return Item(role[1:-1].strip(), item.line, item.column + 1)
    return Item(role, item.line, item.column)


def title_of(line: str) -> str:
    """What a question or role line reads as: heading marks, surrounding bold or one leading backslash gone."""
    return _clean_title(Item(line, 1, 1)).text


def _clean_title(item: Item) -> Item:
    """A preamble line without Markdown heading marks or bold, or unescaped."""
    s, column = item.text, item.column
    match = _ATX.match(s)
    if match:
        s, column = s[match.end():], column + match.end()
    s, escaped = _unescape(s)
    if not escaped:
        s = _unwrap_emphasis(s)
    return Item(s, item.line, column)


def _paragraphs(body: list[Item]) -> Item | None:
    """Section lines -> text: lines stripped, paragraphs joined by one blank line, a final newline."""
    paragraphs: list[list[str]] = []
    gap = True
    first: Item | None = None
    for item in body:
        if not item.text:
            gap = True
            continue
        text, _ = _unescape(item.text)
        if gap:
            paragraphs.append([])
            gap = False
        paragraphs[-1].append(text)
        first = first or item
    if first is None:
        return None
    return Item("\n\n".join("\n".join(p) for p in paragraphs) + "\n", first.line, first.column)


def _list_items(body: list[Item]) -> list[Item]:
    """One item per line, bullet dropped; an indented line right after an item continues it."""
    items: list[Item] = []
    item_indent = 0
    previous_blank = True
    for item in body:
        if not item.text:
            previous_blank = True
            continue
        bullet = _BULLET.match(item.text)
        if bullet is None and items and not previous_blank and item.column - 1 > item_indent:
            last = items[-1]
            items[-1] = Item(f"{last.text} {_unescape(item.text)[0]}", last.line, last.column)
        else:
            offset = bullet.end() if bullet else 0
            items.append(Item(_unescape(item.text[offset:])[0], item.line, item.column + offset))
            item_indent = item.column - 1
        previous_blank = False
    return items


def _related_entry(item: Item) -> Related | None:
    link = _LINK.match(item.text)
    if link:
        title = re.sub(r"\\(.)", r"\1", link.group(1))
        target = _LINK_ID.search(link.group(2))
        linked = f"{target.group(1)}/{target.group(2)}" if target and "://" not in link.group(2) else None
        if linked is None and _NOT_A_QUESTION.match(title) and not title.endswith("?"):
            return None
        return Related(title, linked, item.line, item.column)
    if _NOT_A_QUESTION.match(item.text) and not item.text.endswith("?"):
        return None  # a site's "More questions for ... interviews" link text, not a question
    return Related(item.text, None, item.line, item.column)


def _parse_meta(raw: str, path: str, item: Item) -> dict[str, Any] | Problem:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _problem(path, (item.line, item.column), f"the '<!-- qtool: ... -->' comment is not valid JSON: {exc.msg}")
    if not isinstance(value, dict):
        return _problem(path, (item.line, item.column), "the '<!-- qtool: ... -->' comment must hold a JSON object")
    return {key: val for key, val in value.items() if key not in PROSE_KEYS}


def _name(key: str) -> str:
    return SECTION_HEADINGS[key].rstrip(":")


def _problem(path: str, where: Position, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(path, where[0], where[1], severity, message, CODE)


# -- from pages to question data -----------------------------------------------

@dataclass
class Imported:
    """One page's outcome: the question data to write (None if the page failed) and its problems."""

    path: str
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        return self.data["id"] if self.data else None

    @property
    def failed(self) -> bool:
        return self.data is None


def page_id(page: Page, role: str, role_given: bool = False) -> str:
    """``<role-slug>/<slug>``: the slug from the page's qtool comment, its file name, or its question.

    A file named ``<role-slug>-<slug>.txt`` (as the seed pages are) or ``<role-slug>/<slug>.md``
    (as Markdown export writes them) keeps its slug; any other name gets one from the question.
    """
    role_slug = slug(role) or _hashed("role", role)
    meta_id = page.meta.get("id")
    if isinstance(meta_id, str) and _ID.match(meta_id):
        meta_role, meta_slug = meta_id.split("/")
        if not role_given or meta_role == role_slug:
            return meta_id
        return f"{role_slug}/{meta_slug}"
    name = PurePath(page.path)
    stem = slug(name.stem, max_length=1000)
    if stem.startswith(role_slug + "-") and len(stem) > len(role_slug) + 1:
        return f"{role_slug}/{stem[len(role_slug) + 1:][:SLUG_LENGTH].strip('-')}"
    if slug(name.parent.name, max_length=1000) == role_slug and stem:
        return f"{role_slug}/{stem[:SLUG_LENGTH].strip('-')}"
    return f"{role_slug}/{slug(page.question.text) or _hashed('question', page.question.text)}"


def _hashed(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def import_pages(
    sources: Sequence[tuple[str, bytes | str]],
    *,
    role: str | None = None,
    category: str | None = None,
    status: str | None = None,
    bank: Iterable[Question] = (),
    make_guid: Callable[[], str] = new_guid,
) -> list[Imported]:
    """Turn pages into question data, resolving related titles against the bank and each other.

    Flags win over what a page says; then the page's qtool comment; then the defaults
    (category ``behavioral``, status ``draft``, a fresh guid). A page that re-imports a
    question already in the bank keeps that question's guid, so learners keep their Anki
    history. A page with an error gets no data; unmatched related titles are warnings.
    """
    titles: dict[str, str] = {}
    guids: dict[str, str] = {}  # guid -> id of the bank question holding it
    existing: dict[str, str] = {}  # id -> guid, for pages that replace a bank question
    for q in bank:
        if q.id and q.question:
            titles.setdefault(normalize_title(q.question), q.id)
        if q.id and q.guid:
            guids.setdefault(q.guid, q.id)
            existing.setdefault(q.id, q.guid)

    parsed: list[tuple[str, Page | list[Problem], str | None]] = []
    for path, data in sources:
        page = parse_page(data, path)
        ident = None
        if isinstance(page, Page):
            page_role = role or (page.role.text if page.role else None)
            if page_role is None:
                page = [_problem(path, (page.question.line, page.question.column),
                                 f"no role line after the question (e.g. 'Marketing Specialist {ROLE_SUFFIX}'): add one or pass --role")]
            else:
                ident = page_id(page, page_role, role_given=role is not None)
                titles.setdefault(normalize_title(page.question.text), ident)
        parsed.append((path, page, ident))

    results: list[Imported] = []
    claimed: dict[str, str] = {}
    for path, page, ident in parsed:
        if not isinstance(page, Page) or ident is None:
            results.append(Imported(path, None, page if isinstance(page, list) else []))
            continue
        if ident in claimed:
            results.append(Imported(path, None, [_problem(path, (1, 1), f"imports to the same id '{ident}' as {claimed[ident]}: rename one page or give it a different role")]))
            continue
        claimed[ident] = path
        results.append(_build(page, ident, role, category, status, titles, guids, existing.get(ident), make_guid))
    return results


def _build(page: Page, ident: str, role: str | None, category: str | None, status: str | None,
           titles: Mapping[str, str], guids: Mapping[str, str], replaced_guid: str | None,
           make_guid: Callable[[], str]) -> Imported:
    problems: list[Problem] = []
    meta = page.meta
    guid = meta.get("guid")
    if not isinstance(guid, str):
        guid = replaced_guid
    if isinstance(guid, str) and guids.get(guid, ident) != ident:
        problems.append(_problem(page.path, (1, 1), f"guid '{guid}' already belongs to {guids[guid]}: this question gets a fresh one", Severity.WARNING))
        guid = None
    answers: dict[str, dict[str, str]] = {}
    for tier in ("sample", "solid", "exceptional"):
        answers[tier] = {part: page.texts[f"{tier}.{part}"].text for part in ("text", "critique") if f"{tier}.{part}" in page.texts}
    related: list[str] = []
    related_at: list[Position] = []
    for entry in page.related:
        found = entry.id or titles.get(normalize_title(entry.title))
        if found is None:
            problems.append(_problem(page.path, (entry.line, entry.column),
                                     f"related question not found in the bank: '{entry.title}' (left out)", Severity.WARNING))
        else:
            related.append(found)
            related_at.append((entry.line, entry.column))
    data: dict[str, Any] = {
        "id": ident,
        "guid": guid if isinstance(guid, str) else make_guid(),
        "role": role or (page.role.text if page.role else ""),
        "question": page.question.text,
        "category": category or meta.get("category", "behavioral"),
        "status": status or meta.get("status", "draft"),
        "answers": answers,
        "prep_tips": [item.text for item in page.lists["prep_tips"]],
        "competencies": [item.text for item in page.lists["competencies"]],
    }
    if related:
        data["related"] = related
    if page.level is not None:
        data["level"] = page.level.text
    for key, value in meta.items():
        data.setdefault(key, value)
    data = {key: data[key] for key in ordered_keys(data)}
    problems.extend(_schema_problems(page, data, related_at))
    failed = any(p.severity is Severity.ERROR for p in problems)
    return Imported(page.path, None if failed else data, problems)


def _schema_problems(page: Page, data: dict[str, Any], related_at: list[Position]) -> list[Problem]:
    """Schema violations of the imported data, placed at the page lines they came from."""
    from qtool.schema import schema_problems

    values: dict[str, Position] = {"": (1, 1), "question": (page.question.line, page.question.column)}
    if page.role:
        values["role"] = (page.role.line, page.role.column)
    for key, item in page.texts.items():
        tier, part = key.split(".")
        values[f"answers.{tier}.{part}"] = (item.line, item.column)
    for key, items in page.lists.items():
        values[key] = page.headings[key]
        for index, item in enumerate(items):
            values[f"{key}[{index}]"] = (item.line, item.column)
    if "related" in page.headings:
        values["related"] = page.headings["related"]
    if page.level is not None:
        values["level"] = (page.level.line, page.level.column)
    for index, where in enumerate(related_at):
        values[f"related[{index}]"] = where
    return schema_problems(Question(page.path, data, values, {}, ""))
