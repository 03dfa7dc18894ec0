"""Read the simple block YAML most question files are written in, line by line, in about half the time of libyaml's events.

It accepts only text whose meaning the lines alone settle: block mappings of plain keys, one-line
plain or quoted scalars, literal blocks (``|``, ``|-``), lists of one-line scalars, ``[]`` and
``{}``, and comments. Anything else (a flow collection, a folded or indented-indicator block, an
anchor, a tag, a multi-line plain or quoted scalar, a tab or blank line it cannot place, a
duplicate key) returns None, and the loader's libyaml path reads the file and reports it. A
differential test holds this reader's data and positions equal to libyaml's wherever it answers.
"""

from __future__ import annotations

import re
from typing import Any

from qtool.model import Position
from qtool.scalars import MAYBE_NOT_STR, plain_scalar, resolve_plain

#: The bytes that may stand alone: tab, line feed, printable ASCII, and every byte of a longer UTF-8 sequence.
_PLAIN_BYTES = bytes([9, 10, *range(32, 127), *range(128, 256)])
#: In UTF-8: C1 controls (NEL among them), LS and PS (line breaks to libyaml, not to Python's
#: split), BOM and the non-characters U+FFFE and U+FFFF. Each search has a literal first byte.
_AWKWARD_SEQUENCES = tuple(re.compile(pattern) for pattern in (
    rb"\xc2[\x80-\x9f]", rb"\xe2\x80[\xa8\xa9]", rb"\xef(?:\xbb\xbf|\xbf[\xbe\xbf])"))
#: A key is a plain word of ASCII letters, digits, ``_`` and ``-`` (not first), followed by ": " or the line's end.
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NOT_KEY_FIRST = frozenset("0123456789-")
_AFTER_KEY = ("", " ")
#: First characters that make a plain scalar something else (an indicator) in block context.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_MAX_DEPTH = 16
#: Keys found to be plain words so far (a bank uses a few dozen): each is checked once, not on every line.
_KEYS_SEEN: set[str] = set()
_KEYS_KEPT = 4096
#: A value that begins with one of these and ends with one of those, with no tab, " #" or ": " in it, is a
#: plain scalar written whole: ``_one_line`` takes it at once, before any other test.
_PLAIN_FIRST = frozenset(chr(code) for code in range(33, 127)) - frozenset("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_LAST = frozenset(chr(code) for code in range(33, 127)) - frozenset(":")


class _Unsimple(Exception):
    """The text is not in the subset: libyaml reads it."""


def read(text: str) -> tuple[dict[str, Any], dict[str, Position], dict[str, Position]] | None:
    """The data, value positions and key positions of ``text``, or None when libyaml must read it."""
    if not text.endswith("\n") or _awkward(text):
        return None
    try:
        return _parse(text.split("\n"))
    except Exception:  # noqa: BLE001 - _Unsimple, or a reader bug that must not cost a file: libyaml reads it either way
        return None


def _awkward(text: str) -> bool:
    """Whether the text holds a character YAML refuses or counts differently from Python (CR, NEL, LS, PS, BOM, controls)."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return True
    if data.translate(None, _PLAIN_BYTES):
        return True
    return not data.isascii() and any(pattern.search(data) for pattern in _AWKWARD_SEQUENCES)


def _parse(lines: list[str]) -> tuple[dict[str, Any], dict[str, Position], dict[str, Position]]:
    """Read the lines (the text split at "\\n", ending in an empty item) in one pass, raising _Unsimple where the subset ends.

    One loop with an explicit stack of open collections: the reader runs once per file, and a
    call per line would cost as much as the reading.
    """
    values: dict[str, Position] = {}
    keys: dict[str, Position] = {}
    root: dict[str, Any] = {}
    stack: list[tuple[int, Any, str]] = []  # the enclosing collections: (indentation, collection, path)
    indent, into, path = 0, root, ""  # the collection the current line belongs to
    waiting: tuple[str, dict[str, Any], str, int] | None = None  # a key alone on its line: key, its mapping, its path, its indentation
    count = len(lines) - 1
    i = -1
    while i < count - 1:
        i += 1
        line = lines[i]
        if not line:
            continue
        head = line[0]
        if head == " ":
            text = line.lstrip(" ")  # lines outside blocks are short: the copy costs less than a regex call
            if not text:
                raise _Unsimple  # spaces alone on a line
            head = text[0]
            here = len(line) - len(text)
        else:
            text, here = line, 0
        if head == "#":
            continue
        item = head == "-" and text[1:2] == " "
        if waiting is not None:
            key, owner, child, above = waiting
            waiting = None
            opened: Any
            if item and here >= above:
                opened = []
            elif here > above and len(stack) < _MAX_DEPTH:
                opened = {}
            else:
                raise _Unsimple  # an empty value, or nested too deep
            owner[key] = opened
            stack.append((indent, into, path))
            indent, into, path = here, opened, child
            values[child] = (i + 1, here + 1)
        else:
            while here < indent:
                indent, into, path = stack.pop()
            if here != indent:
                raise _Unsimple
            if not item and type(into) is list:  # a list written under its key, at the key's indentation, ends
                indent, into, path = stack.pop()
                if here != indent or head == "-":
                    raise _Unsimple
        if type(into) is list:
            if not item:
                raise _Unsimple
            value = text[2:]
            if not value or value[0] == " ":
                raise _Unsimple
            values[f"{path}[{len(into)}]"] = (i + 1, here + 3)
            into.append(_one_line(value))
            continue
        colon = text.find(":")
        key = text[:colon]
        if colon < 1 or text[colon + 1:colon + 2] not in _AFTER_KEY:
            raise _Unsimple
        if key not in _KEYS_SEEN:
            if not _KEY_CHARS.issuperset(key) or head in _NOT_KEY_FIRST:
                raise _Unsimple
            if len(_KEYS_SEEN) < _KEYS_KEPT:
                _KEYS_SEEN.add(key)
        if key in into:
            raise _Unsimple  # a duplicate key: libyaml's path says where the first one is
        if not path and not into:
            values[""] = (i + 1, 1)
        child = f"{path}.{key}" if path else key
        keys[child] = (i + 1, here + 1)
        value = text[colon + 1:].lstrip(" ")
        if not value or value[0] == "#":
            waiting = (key, into, child, here)
            continue
        values[child] = (i + 1, len(line) - len(value) + 1)
        if value[0] != "|":
            into[key] = _one_line(value)
            continue
        into[key], i = _literal(lines, i, value, here)
        i -= 1
    if waiting is not None or not root:
        raise _Unsimple  # an empty value at the end, or no mapping at all
    return root, values, keys


def _literal(lines: list[str], at: int, header: str, above: int) -> tuple[str, int]:
    """A ``|`` or ``|-`` block scalar whose header is on line ``at``, and the index of the line after it."""
    keep = header[:2] != "|-"
    tail = header[1:] if keep else header[2:]
    if tail and not (tail[0] == " " and tail.lstrip(" ")[:1] == "#"):
        raise _Unsimple  # an indentation or keep indicator, or text after the indicator
    count = len(lines) - 1
    i = at + 1
    first = lines[i] if i < count else ""
    width = len(first) - len(first.lstrip(" "))
    if width <= above or width == len(first) or first[width] == "\t":
        raise _Unsimple  # an empty block, or one whose indentation libyaml would read differently
    pad = " " * width
    body: list[str] = []
    blank = 0
    while i < count:
        line = lines[i]
        if not line:
            blank += 1
        elif line.startswith(pad) and (line[-1] not in " \t" or line.strip(" \t")):
            if blank:
                body.extend([""] * blank)
                blank = 0
            body.append(line[width:])
        elif not line.strip(" \t"):
            raise _Unsimple  # whitespace alone: YAML reads it by its length, editors strip it
        else:
            break
        i += 1
    if keep:
        body.append("")  # the final line break, in the same join
    return "\n".join(body), i


def _one_line(text: str) -> Any:
    """A scalar written whole after ``key: `` or ``- ``, with an optional trailing comment."""
    head = text[0]
    if head in _PLAIN_FIRST and text[-1] in _PLAIN_LAST and "\t" not in text and " #" not in text and ": " not in text:
        return text if head not in MAYBE_NOT_STR else resolve_plain(text)  # plain, with nothing to strip or refuse
    if head == '"' or head == "'":
        end = text.find(head, 1)
        if end < 0:
            raise _Unsimple
        inner = text[1:end]
        rest = text[end + 1:]
        if rest and not (rest[0] == " " and rest.lstrip(" ")[:1] == "#"):
            raise _Unsimple
        if head == '"' and "\\" in inner:
            raise _Unsimple
        return inner
    if head == "[" or head == "{":
        cut = text.find(" #")
        written = (text[:cut] if cut >= 0 else text).rstrip(" ")
        if written == "[]":
            return []
        if written == "{}":
            return {}
        raise _Unsimple  # a flow collection with something in it
    if (head in _INDICATORS and not (head in "-?:" and text[1:2] not in ("", " "))) or "\t" in text:
        raise _Unsimple  # an indicator (but -, ? and : before a character), or a tab
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    text = text.rstrip(" ")
    if ": " in text or text.endswith(":"):
        raise _Unsimple
    return plain_scalar(text)
