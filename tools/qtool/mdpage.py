"""Markdown question pages: where their sections are (by markdown-it tokens), and the one escape export needs.

A Markdown page's section headings are top-level blocks only: a heading (``##``, or
underlined) or a line of a top-level paragraph whose words name a section. Everything
else (code blocks, quotes, lists, tables) is never a heading, and a section's text is the
page's own lines, copied as written. Export writes texts verbatim and changes one thing:
a top-level line of a text that would read as a section heading gets its first letter as a
numeric character reference (``&#65; more solid answer``), which every CommonMark viewer
shows as the letter and import turns back (a line that already starts so gets one more
leading zero, ``&#065;``, so every text reads back exactly). A text's top-level fence left
open is closed on the page (so it cannot swallow the next section) and the qtool comment
says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it.token import Token

#: Key of the qtool comment listing the texts whose open fence the page closed.
CLOSED_FENCES = "closed_fences"

_REF = re.compile(r"&#([0-9]+);")
_MARKER = re.compile(r"( {0,3})([-*+]|[0-9]{1,9}[.)])")

HeadingOf = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Unit:
    """A top-level line (or heading token) that could be a section heading: lines ``start``..``end``."""

    start: int
    end: int
    text: str
    token_heading: bool


@dataclass
class Block:
    """One top-level block: its kind, its 0-based line range and, for lists, its items' ranges."""

    kind: str
    start: int
    end: int
    units: list[Unit] = field(default_factory=list)
    #: For lists: (first line, end line, content indent) of each item.
    items: list[tuple[int, int, int]] = field(default_factory=list)
    #: For fences: whether the fence has its closing line.
    closed: bool = True
    #: A fence or a quote inside this block (a list item's code or quote).
    nested_code_or_quote: bool = False


def is_markdown(found: list[Block], heading_of: HeadingOf) -> bool:
    """Read as Markdown: the page holds a fenced code block or a quote (at any depth), or a section heading written as a Markdown heading.

    Any other page (like the seed, whatever its file name) is plain text, read by its words.
    """
    return any(block.kind in ("fence", "blockquote") or block.nested_code_or_quote
               or any(u.token_heading and heading_of(u.text) for u in block.units) for block in found)


_MARKDOWN_LINE = re.compile(r"^[ \t]*(?:```|~~~|>|#{1,6}(?:[ \t]|$)|=+[ \t]*$|-+[ \t]*$)", re.MULTILINE)


def may_be_markdown(text: str) -> bool:
    """False, cheaply, for a page with no line that could start a fence, a quote or a heading (like the seed)."""
    return _MARKDOWN_LINE.search(text) is not None


def blocks(text: str) -> list[Block]:
    """The top-level blocks of ``text``, each with the lines it spans (0-based, end exclusive)."""
    lines = text.split("\n")
    tokens = _block_tokens(text)
    out: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level > 0 and out and token.type in ("fence", "blockquote_open"):
            out[-1].nested_code_or_quote = True
        if token.level != 0 or token.map is None or token.type.endswith("_close"):
            continue
        start, end = token.map
        if token.type == "heading_open":
            setext = token.markup in ("=", "-")
            text_of = " ".join(line.strip() for line in lines[start:end - 1]) if setext else lines[start]
            out.append(Block("heading", start, end, [Unit(start, end, text_of, True)]))
        elif token.type == "paragraph_open":
            out.append(Block("paragraph", start, end, [Unit(n, n + 1, lines[n], False) for n in range(start, end)]))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            out.append(Block("list", start, end, items=_items(tokens, index, lines)))
        elif token.type == "fence":
            out.append(Block("fence", start, end, closed=_closed(token, lines[start:end])))
        else:
            out.append(Block(token.type.removesuffix("_open"), start, end))
    return out


def _block_tokens(text: str) -> list[Token]:
    """The block tokens of ``text`` from qtool's one parser, without the inline pass (not needed to find blocks)."""
    from markdown_it.rules_core import StateCore, block, normalize

    from qtool.markup import parser

    state = StateCore(text, parser(), {})
    normalize(state)
    block(state)
    return state.tokens


def _items(tokens: list[Token], index: int, lines: list[str]) -> list[tuple[int, int, int]]:
    """The direct items of the list opened at ``tokens[index]``, with each item's content indent."""
    items = []
    for token in tokens[index + 1:]:
        if token.level == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            start, end = token.map
            items.append((start, end, content_indent(lines[start])))
    return items


def content_indent(line: str) -> int:
    """Where a list item's content starts on its first line (CommonMark's rule; a tab counts as reaching it)."""
    match = _MARKER.match(line)
    if match is None:
        return len(line) - len(line.lstrip())
    after = match.end()
    spaces = len(line[after:]) - len(line[after:].lstrip(" \t"))
    if not line[after:].strip() or (spaces > 4 and "\t" not in line[after:after + spaces]):
        return after + 1
    return after + spaces


def item_text(lines: list[str], start: int, end: int, indent: int) -> str:
    """A list item's text: its lines as written, less the marker and the item's indentation."""
    body = lines[start:end]
    while body and not body[-1].strip():
        body.pop()
    out = [body[0][indent:]] if body else [""]
    for line in body[1:]:
        lead = len(line) - len(line.lstrip(" "))
        if lead < indent and line[lead:lead + 1] == "\t" and indent - lead <= 4:
            lead += 1  # a tab reaches the item's content column
            out.append(line[lead:])
            continue
        out.append(line[min(lead, indent):])
    return "\n".join(out)


def _closed(token: Token, lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    last = lines[-1]
    fence = token.markup
    stripped = last.lstrip(" ")
    return len(last) - len(stripped) < 4 and re.fullmatch(re.escape(fence[0]) + f"{{{len(fence)},}}[ \t]*", stripped) is not None


# -- the escape ----------------------------------------------------------------------

def _first(text: str) -> int:
    """Index of the first letter, digit or '&' of ``text`` (where the escape goes), or -1."""
    for index, char in enumerate(text):
        if char.isalnum() or char == "&":
            return index
    return -1


def _decoded(text: str) -> str | None:
    """``text`` one escape level down, or None when its escape position holds no decimal reference.

    ``&#065;`` loses one leading zero (``&#65;``); ``&#65;`` becomes ``A``. Both spellings show
    the same character in any CommonMark viewer (up to 7 digits).
    """
    at = _first(text)
    match = _REF.match(text, at) if at >= 0 else None
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) > 1 and digits.startswith("0"):
        return text[:at] + f"&#{digits[1:]};" + text[match.end():]
    code = int(digits)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return text[:at] + chr(code) + text[match.end():]


def needs_escape(text: str, heading_of: HeadingOf) -> bool:
    """Whether a top-level line would be misread: it names a section, or it reads as an escaped line."""
    if heading_of(text) is not None:
        return True
    decoded = _decoded(text)
    return decoded is not None and needs_escape(decoded, heading_of)


def escape_line(line: str) -> str:
    """One escape level up: the first letter becomes ``&#NN;``, or a reference there gets one more leading zero."""
    at = _first(line)
    if at < 0:
        return line
    match = _REF.match(line, at)
    if match is not None:
        return line[:at] + f"&#0{match.group(1)};" + line[match.end():]
    return line[:at] + f"&#{ord(line[at])};" + line[at + 1:]


def unescape_line(line: str, unit_text: str, heading_of: HeadingOf) -> str:
    """Undo ``escape_line`` on a line whose unit export escaped; any other line is returned as is."""
    decoded = _decoded(unit_text)
    if decoded is None or not needs_escape(decoded, heading_of):
        return line
    return _decoded(line) or line


def escape_text(text: str, heading_of: HeadingOf) -> tuple[str, bool]:
    """A text as a page writes it, and whether an open fence at its end was closed (``heading_of``: the page's headings)."""
    lines = text.split("\n")
    if not _may_need_escape(lines, heading_of):
        return text, False
    found = blocks(text)
    for block in found:
        for unit in block.units:
            if needs_escape(unit.text, heading_of):
                lines[unit.start] = escape_line(lines[unit.start])
    body = "\n".join(lines)
    last = found[-1] if found else None
    if last is not None and last.kind == "fence" and not last.closed:
        opening = lines[last.start].lstrip(" ")
        fence = opening[0] * (len(opening) - len(opening.lstrip(opening[0])))
        return body.rstrip("\n") + "\n" + fence + ("\n" if text.endswith("\n") else ""), True
    return body, False


_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_FENCE_START = re.compile(r"(?:```|~~~)")


def _may_need_escape(lines: list[str], heading_of: HeadingOf) -> bool:
    """False for most texts, cheaply: no line names a section or holds a reference, no fence, no setext underline."""
    return any("&#" in line or _UNDERLINE.fullmatch(line) or _FENCE_START.search(line) or heading_of(line) is not None
               for line in lines)


def ends_in_nested_open_fence(text: str) -> bool:
    """True when the text ends inside a fence left open in a list item or quote.

    A blank line after such a text would become part of that code block on the page, so
    export writes the next heading right after it (a heading ends the item, as it would the text).
    """
    if not any(_FENCE_START.search(line) for line in text.split("\n")):
        return False
    lines = text.rstrip("\n").split("\n")
    for token in _block_tokens(text):
        if token.type == "fence" and token.level > 0 and token.map and token.map[1] >= len(lines):
            if not _closed(token, [line.lstrip(" >") for line in lines[token.map[0]:token.map[1]]]):
                return True
    return False
