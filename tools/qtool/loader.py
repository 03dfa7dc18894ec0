"""Read one question file into a Question, or a LoadError saying exactly where and why not.

Most files are read line by line by ``qtool.simple_yaml``. The rest, and every error, go
through the YAML event stream (libyaml's C parser through ruamel.yaml.clib when installed),
walked here instead of by a constructor, which gives, in one
pass: a position for every key and value, YAML 1.2 scalars (``no``, ``on`` and dates stay
strings), duplicate-key detection, and a flat refusal of anchors, aliases and custom tags,
so a billion-laughs file fails at its first anchor in microseconds.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from qtool import simple_yaml
from qtool.model import Position, Problem, Question, Severity
from qtool.scalars import plain_scalar, resolve_plain

if TYPE_CHECKING:
    from ruamel.yaml.error import MarkedYAMLError

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
_BOM = b"\xef\xbb\xbf"
_STANDARD_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class LoadError:
    """Why a file could not be read as one question, and where (1-based)."""

    path: str
    line: int
    column: int
    message: str

    def problem(self) -> Problem:
        return Problem(self.path, self.line, self.column, Severity.ERROR, self.message, "parse")


class _Fail(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def load_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Question | LoadError:
    """Load the file at ``path``; every failure comes back as a LoadError, never raised."""
    name = os.fspath(path)
    try:
        data = read_bytes(name, max_bytes)
    except _Fail as fail:
        return LoadError(name, fail.line, fail.column, fail.message)
    return load_bytes(data, name)


def read_file(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes | LoadError:
    """The file's bytes, or a LoadError for a missing, unreadable, oversized file or a folder."""
    try:
        return read_bytes(name, max_bytes)
    except _Fail as fail:
        return LoadError(name, fail.line, fail.column, fail.message)


def read_bytes(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, refusing missing paths, folders, unreadable and oversized files."""
    try:
        # Non-blocking: opening a FIFO named *.yaml must not wait for a writer that never comes.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(st.st_mode):
                raise _Fail("not a regular file (a FIFO, device or socket): a question is a plain file")
            if st.st_size > max_bytes:
                raise _Fail(f"file is larger than the {_size(max_bytes)} limit")
            # Ask for what the file holds (plus one byte, to notice growth), not for the limit:
            # a 1 MiB read buffer per file costs more than reading the file.
            chunks = []
            size = 0
            while size <= max_bytes:
                chunk = os.read(fd, st.st_size + 1 - size if size <= st.st_size else 65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks) if len(chunks) != 1 else chunks[0]
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise _Fail("no such file") from None
    except IsADirectoryError:
        raise _Fail("is a directory, not a question file") from None
    except PermissionError:
        if os.path.isdir(name):
            raise _Fail("permission denied: cannot read this folder, so its question files are not checked") from None
        raise _Fail("permission denied: cannot read the file") from None
    except OSError as exc:
        raise _Fail(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise _Fail(f"file is larger than the {_size(max_bytes)} limit")
    return data


def load_bytes(data: bytes, path: str = "<bytes>") -> Question | LoadError:
    """Decode (UTF-8, an optional BOM) and load; never raises for any input."""
    try:
        text = decode(data)
        return load_text(text, path)
    except _Fail as fail:
        return LoadError(path, fail.line, fail.column, fail.message)


def decode(data: bytes) -> str:
    """Strict UTF-8, BOM accepted; the error points at the first bad byte."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if b"\x00" in data[:4096] and _legacy_encoding(data) == "UTF-16":
        raise _Fail("file is not UTF-8: every other byte is NUL (it looks like UTF-16 without a BOM: save it as UTF-8)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        hint = f" (it looks like {_legacy_encoding(data)}: save it as UTF-8)"
        raise _Fail(f"file is not valid UTF-8: byte 0x{data[exc.start]:02x} cannot start a character{hint}", line, column) from None


#: Characters libyaml (a YAML 1.1 parser) takes for line breaks but YAML 1.2 and editors do not.
_NOT_BREAKS = "\x85\u2028\u2029"


def _legacy_encoding(data: bytes) -> str:
    """A guess at what a file that is not UTF-8 was saved as, for the hint: UTF-16 (with or without BOM) or an 8-bit code page."""
    sample = data[:4096]
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(sample) >= 4 and sample.count(0) >= len(sample) // 4):
        return "UTF-16"
    return "Windows-1252 or Latin-1"


def load_text(text: str, path: str = "<text>") -> Question | LoadError:
    """Load already-decoded text; never raises for any input.

    Text in the simple block subset is read by ``simple_yaml`` (about twice as fast); the rest,
    and every error, by libyaml's events.
    """
    simple = simple_yaml.read(text)
    if simple is not None:
        return Question(path, *simple, text)
    return load_text_with_libyaml(text, path)


def load_text_with_libyaml(text: str, path: str = "<text>") -> Question | LoadError:
    """``load_text`` through libyaml's events alone: the reference the simple reader is held equal to."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        if any(char in text for char in _NOT_BREAKS):
            return _load_with_stand_ins(text, path)
        return _Builder(text, path).build()
    except _Fail as fail:
        return LoadError(path, fail.line, fail.column, fail.message)
    except MarkedYAMLError as exc:
        line, column = _tab_in_indent(text, exc)
        if line is not None and column is not None:
            return LoadError(path, line, column, "tab character used for indentation: indent with spaces")
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = _plain_words(exc) or " ".join(part for part in (exc.context, exc.problem) if part)
        return LoadError(path, where[0], where[1], f"invalid YAML: {message or 'cannot parse'}{_invisible(text, where[0])}")
    except RecursionError:
        return LoadError(path, 1, 1, "invalid YAML: nested too deeply")
    except Exception as exc:  # noqa: BLE001 - the loader's promise is that nothing escapes
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if mark is None and hasattr(exc, "position"):  # ruamel's ReaderError
            return LoadError(path, *_offset_to_pos(text, exc.position), f"invalid YAML: {exc}".splitlines()[0])
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return LoadError(path, where[0], where[1], f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


def _load_with_stand_ins(text: str, path: str) -> Question:
    """Load text holding U+0085, U+2028 or U+2029 as YAML 1.2 reads it: as text, not line breaks.

    Each is swapped for a private-use character absent from the text (one character for one,
    so every position stays exact), parsed, and swapped back in the loaded strings.
    """
    free = (chr(code) for code in range(0xE000, 0xF900) if chr(code) not in text)
    stand_ins = {char: next(free) for char in _NOT_BREAKS}
    back = {ord(stand_in): char for char, stand_in in stand_ins.items()}
    loaded = _Builder(text.translate({ord(char): stand_in for char, stand_in in stand_ins.items()}), path).build()
    loaded.data = _restore(loaded.data, back)
    loaded.text = text
    return loaded


def _restore(value: Any, table: dict[int, str]) -> Any:
    if isinstance(value, str):
        return value.translate(table)
    if isinstance(value, dict):
        return {key.translate(table): _restore(item, table) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore(item, table) for item in value]
    return value


#: Characters an editor shows as nothing (or as a space) that YAML reads as text: a common cause of a parse error.
_INVISIBLE = re.compile("[\u00a0\u00ad\u200b-\u200f\u2060\u202a-\u202e\u2066-\u2069\u3000\ufeff]")


def _invisible(text: str, line: int) -> str:
    """A hint naming the invisible character on the error's line, when there is one."""
    lines = text.split("\n")
    found = _INVISIBLE.search(lines[line - 1]) if 0 < line <= len(lines) else None
    if found is None:
        return ""
    char = found.group()
    name = unicodedata.name(char, "an invisible character")
    return f" (line {line} holds an invisible U+{ord(char):04X} {name} at column {found.start() + 1}: delete it)"


def _plain_words(exc: Any) -> str | None:
    """libyaml's two commonest complaints, said as what to fix (the mark is already on the offending line)."""
    problem = exc.problem or ""
    context = exc.context_mark
    since = f" (the block it breaks starts on line {context.line + 1})" if context is not None else ""
    if "did not find expected key" in problem or "expected <block end>" in problem:
        return f"bad indentation: this line lines up with no key above it; indent it like the keys it belongs with{since}"
    if "mapping values are not allowed" in problem:
        return ("a 'key: value' where only text can go: indent it under a key, or put the text in quotes "
                "(': ' inside unquoted text starts a mapping)")
    return None


@cache
def _ruamel_events() -> Any:
    """ruamel.yaml's event classes, imported when a file first needs libyaml (a tenth of a second to start:
    ``simple_yaml`` reads most files, and a check of them never pays it)."""
    from ruamel.yaml import events

    return events


@cache
def c_parser() -> Any:
    """libyaml's parser through ruamel.yaml.clib (~10x faster than the pure-Python one), or None where it is missing."""
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - depends on the platform
        return None
    return CParser


def _events(text: str) -> Callable[[], Any]:
    """A function returning the text's next YAML event (libyaml's when available)."""
    parser = c_parser()
    if parser is not None:
        return parser(text).get_event
    from ruamel.yaml import YAML  # pragma: no cover

    return iter(YAML(typ="safe", pure=True).parse(text)).__next__  # pragma: no cover


def yaml_events(text: str) -> Iterator[Any]:
    """Every YAML event of the text, StreamEndEvent last (libyaml's parser when available)."""
    nxt = _events(text)
    end = _ruamel_events().StreamEndEvent
    while True:
        event = nxt()
        yield event
        if isinstance(event, end):
            return


class _Builder:
    """Turn the event stream into plain data plus a position for every path."""

    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path
        self.values: dict[str, Position] = {}
        self.keys: dict[str, Position] = {}
        self.block_lines: list[tuple[int, int]] = []

    def build(self) -> Question:
        ev = _ruamel_events()
        nxt = _events(self.text)
        documents = 0
        root: Any = None
        while True:
            event = nxt()
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Fail("more than one YAML document: a file holds exactly one question", *_pos(event))
                root = self._node(nxt(), nxt, "", 0)
            elif isinstance(event, ev.StreamEndEvent):
                break
        if documents == 0 or root is None:
            raise _Fail("file is empty: expected a mapping with id, role, question, ...")
        if not isinstance(root, dict):
            kind = "a list" if isinstance(root, list) else f"a single value ({type(root).__name__})"
            raise _Fail(f"the file's root must be a mapping of keys (id, role, question, ...), found {kind}", *self.values[""])
        self._check_tabs()
        return Question(self.path, root, self.values, self.keys, self.text)

    def _node(self, event: Any, nxt: Callable[[], Any], path: str, depth: int) -> Any:
        ev = _ruamel_events()
        kind = type(event)
        if kind is ev.AliasEvent or event.anchor is not None:
            sign = "*" if kind is ev.AliasEvent else "&"
            raise _Fail(f"YAML anchors and aliases ({sign}{event.anchor}) are not allowed in question files: write the text out", *_pos(event))
        mark = event.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
        if kind is ev.ScalarEvent:
            if event.style in ("|", ">"):
                end = event.end_mark
                # Lines strictly inside are text; so is the last one when the file ends without a newline.
                self.block_lines.append((mark.line, end.line + 1 if end.column else end.line))
            elif event.style in ('"', "'") and event.end_mark.line > mark.line:
                # A quoted scalar's continuation lines may start with tabs: they are separation, not indentation.
                self.block_lines.append((mark.line, event.end_mark.line + 1))
            return _scalar(event)
        if depth >= MAX_DEPTH:
            raise _Fail(f"nested more than {MAX_DEPTH} levels deep", *_pos(event))
        _check_tag(event)
        if kind is ev.SequenceStartEvent:
            items: list[Any] = []
            while True:
                item = nxt()
                if type(item) is ev.SequenceEndEvent:
                    self._flow_lines(event, item)
                    return items
                items.append(self._node(item, nxt, f"{path}[{len(items)}]", depth + 1))
        if kind is ev.MappingStartEvent:
            mapping: dict[str, Any] = {}
            keys = self.keys
            while True:
                key_event = nxt()
                key_kind = type(key_event)
                if key_kind is ev.MappingEndEvent:
                    self._flow_lines(event, key_event)
                    return mapping
                if key_kind is not ev.ScalarEvent or key_event.anchor is not None:
                    if key_kind is ev.AliasEvent or getattr(key_event, "anchor", None) is not None:
                        self._node(key_event, nxt, path, depth)  # raises the anchor error
                    raise _Fail("a key must be a plain word, not a list or mapping", *_pos(key_event))
                key = key_event.value
                child = f"{path}.{key}" if path else key
                if key in mapping:
                    first = keys[child]
                    raise _Fail(f"duplicate key '{key}' (first defined at line {first[0]})", *_pos(key_event))
                key_mark = key_event.start_mark
                keys[child] = (key_mark.line + 1, key_mark.column + 1)
                mapping[key] = self._node(nxt(), nxt, child, depth + 1)
        raise _Fail("invalid YAML structure", *_pos(event))  # pragma: no cover - parser guarantees

    def _flow_lines(self, start: Any, end: Any) -> None:
        """Lines inside a flow collection ({...}, [...]) may start with tabs: in flow context they are separation."""
        if start.flow_style and end.start_mark.line > start.start_mark.line:
            self.block_lines.append((start.start_mark.line, end.start_mark.line + 1))

    def _check_tabs(self) -> None:
        """Tabs in indentation are refused, except inside block scalars (text), quoted scalars and flow collections."""
        if "\t" not in self.text:
            return
        inside: set[int] = set()
        for first, last in self.block_lines:
            inside.update(range(first + 1, last))
        for number, line in enumerate(self.text.split("\n")):
            stripped = line.lstrip(" \t")
            indent = line[: len(line) - len(stripped)]
            if "\t" in indent and number not in inside and stripped and not stripped.startswith("#"):
                raise _Fail("tab character used for indentation: indent with spaces", number + 1, indent.index("\t") + 1)


def _pos(event: Any) -> Position:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


def _check_tag(event: Any) -> None:
    tag = getattr(event, "tag", None)
    if tag and tag not in (_STANDARD_TAG + "map", _STANDARD_TAG + "seq"):
        raise _Fail(f"YAML tag '{_short(tag)}' is not allowed in question files", *_pos(event))


def _short(tag: str) -> str:
    return "!!" + tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else tag


def _scalar(event: Any) -> Any:
    """YAML 1.2 core-schema resolution; everything else (yes, no, on, dates) is a string."""
    tag = event.tag
    if tag is not None and tag != "!":
        return _tagged(event, event.value, tag)
    if event.style or not event.implicit[0]:
        return event.value
    return plain_scalar(event.value)


def _tagged(event: Any, value: str, tag: str) -> Any:
    name = tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else None
    if name == "str":
        return value
    if name in ("int", "float", "bool", "null"):
        resolved = resolve_plain(value)
        expected: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[name]
        if isinstance(resolved, expected) and not (name != "bool" and isinstance(resolved, bool)):
            return float(resolved) if name == "float" else resolved
        raise _Fail(f"value '{value}' is not a valid !!{name}", *_pos(event))
    raise _Fail(f"YAML tag '{_short(tag)}' is not allowed in question files", *_pos(event))


def _tab_in_indent(text: str, exc: MarkedYAMLError) -> Position | tuple[None, None]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return (None, None)
    lines = text.split("\n")
    for number in (mark.line, mark.line - 1):
        if 0 <= number < len(lines):
            line = lines[number]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            if "\t" in indent:
                return (number + 1, indent.index("\t") + 1)
    return (None, None)


def _offset_to_pos(text: str, offset: int) -> Position:
    before = text[:offset]
    return (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"
