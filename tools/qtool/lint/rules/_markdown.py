"""Where a question's Markdown texts sit in its file, so prose rules can judge prose only, at exact positions.

The contract's Markdown texts are the question, each answer's text and critique, and the prep
tips. ``qtool.markup`` finds their code, raw HTML, autolinks and link destinations; this module
maps each text's characters back into the file (literal blocks and one-line plain or quoted
values, which is what ``qtool fmt`` writes). A text that cannot be mapped exactly (a folded
block, an escaped quoted string) is left as it is: judged whole, as before.
"""

from __future__ import annotations

from collections.abc import Iterator

from qtool import markup
from qtool.model import TIERS, Position, Question


def markdown_texts(q: Question) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of each Markdown text in the question."""
    if q.question is not None:
        yield "question", q.question
    for tier in TIERS:
        answer = q.answer(tier)
        if answer is None:
            continue
        if answer.text is not None:
            yield f"answers.{tier}.text", answer.text
        if answer.critique is not None:
            yield f"answers.{tier}.critique", answer.critique
    for index, tip in enumerate(q.prep_tips):
        yield f"prep_tips[{index}]", tip


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line of ``text``."""
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def position(starts: list[int], offset: int) -> Position:
    """The 1-based (line, column) of a file offset."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1, offset - starts[low] + 1


def value_offsets(text: str, starts: list[int], pos: Position, value: str) -> list[int] | None:
    """The file offset of each character of ``value`` (whose scalar starts at ``pos``), or None if they do not line up."""
    line, column = pos
    if not 0 < line <= len(starts):
        return None
    start = starts[line - 1] + column - 1
    indicator = text[start:start + 1]
    if indicator == "|":
        return _literal(text, start, value)
    if "\n" in value:
        return None
    begin = start + (1 if indicator in ("'", '"') else 0)
    if text[begin:begin + len(value)] != value:
        return None
    return list(range(begin, begin + len(value)))


def _literal(text: str, start: int, value: str) -> list[int] | None:
    end = text.find("\n", start)
    header = text[start:end if end >= 0 else len(text)].split("#")[0]
    if end < 0 or any(ch.isdigit() for ch in header):
        return None  # an explicit indentation indicator: rare, and not worth a second reader
    offsets: list[int] = []
    at, indent = end + 1, -1
    parts = value.split("\n")
    for number, part in enumerate(parts):
        line_end = text.find("\n", at)
        if line_end < 0:
            line_end = len(text)
        if part:
            line = text[at:line_end]
            if indent < 0:
                indent = len(line) - len(line.lstrip(" "))
            if line[indent:] != part:
                return None
            offsets.extend(range(at + indent, at + indent + len(part)))
        if number < len(parts) - 1:
            offsets.append(line_end)
        at = line_end + 1
    return offsets


def masked_file(q: Question, fill: str) -> str:
    """The file's text with the non-prose characters of its Markdown texts replaced by ``fill``."""
    text = q.text
    chars: list[str] | None = None
    starts: list[int] | None = None
    for path, value in markdown_texts(q):
        mask = markup.prose_mask(value, fill)
        if mask is value:
            continue
        starts = starts or line_starts(text)
        offsets = value_offsets(text, starts, q.pos(path), value)
        if offsets is None:
            continue
        chars = chars or list(text)
        for index, ch in enumerate(mask):
            if ch != value[index]:
                chars[offsets[index]] = ch
    return text if chars is None else "".join(chars)


def value_position(q: Question, path: str, value: str, offset: int, starts: list[int] | None = None) -> Position:
    """Where character ``offset`` of the text at ``path`` sits in the file (the value's start when it cannot be mapped)."""
    starts = starts if starts is not None else line_starts(q.text)
    offsets = value_offsets(q.text, starts, q.pos(path), value)
    if offsets is None or offset >= len(offsets):
        return q.pos(path)
    return position(starts, offsets[offset])
