"""Canonical form of question files, through a ruamel.yaml round-trip that keeps comments.

The canonical form: the modeline first, keys in the contract's order, two-space indentation
(list items indented under their key), answer texts and other long or multi-line strings as
literal block scalars (``|``, never folded), short strings plain, double-quoted only when a
plain scalar would be misread (by our YAML 1.2 loader or by YAML 1.1 tools), one trailing
newline. Values always come from ``qtool.loader`` (the meaning every other command sees);
ruamel.yaml only supplies the comments and writes the text, and every result is loaded back
and compared, so formatting can fail loudly but never silently change a question.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections import Counter
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import Comment, CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark
from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from qtool.errors import QtoolError
from qtool.loader import LoadError, load_text
from qtool.loader import yaml_events as _libyaml_events  # the loader's own event stream (libyaml)
from qtool.model import MODELINE_PREFIX, TIERS, Problem, Severity, ordered_keys
from qtool.scalars import resolve_plain

#: The first line of every canonical file (files sit at questions/<role>/<slug>.yaml).
MODELINE = MODELINE_PREFIX + "../../schema/question.schema.json"

#: Strings longer than this are written as literal blocks even on one line.
LONG_TEXT = 200

#: Paths whose strings are prose: always literal blocks when a literal block can hold them.
PROSE_PATHS = frozenset(f"answers.{tier}.{part}" for tier in TIERS for part in ("text", "critique"))

#: Paths whose strings are always double-quoted: a guid is random characters, and quoting
#: every one keeps it visibly a string whatever it draws (``1e10``, ``k3#Lq8``).
QUOTED_PATHS = frozenset({"guid"})

_MODELINE_RE = re.compile(r"[ \t]*#[ \t]*yaml-language-server:[ \t]*\$schema=")
_DOC_START_RE = re.compile(r"---[ \t]*(#[^\r\n]*)?\r?\n?\Z")
_COMMENT_RE = re.compile(r"(?:^|(?<=[ \t]))#", re.M)
_STR = "tag:yaml.org,2002:str"


class FormatError(QtoolError, ValueError):
    """A file that cannot be formatted, as a Problem (``parse`` if it does not load, else ``fmt``)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# -- public API -----------------------------------------------------------------------


def dump_question(data: dict[str, Any]) -> str:
    """Canonical YAML text for plain question data (str, int, float, bool, None, lists, dicts).

    Raises TypeError for anything else (dates, tuples, non-string keys).
    """
    if not isinstance(data, dict):
        raise TypeError(f"a question is a dict, not {type(data).__name__}")
    text = fast_emit(data) or _emit(_canonical(data, None, ""))
    _verify(text, data, "<data>")
    return text


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical form of a question file's text, keeping its comments.

    Raises FormatError when the text does not load (its ``parse`` problem), or when a comment
    could not be kept or the result would not read back as the same data (``fmt``).
    """
    loaded = load_text(text, path)
    if isinstance(loaded, LoadError):
        raise FormatError(loaded.problem())
    body = _body(text)
    tree = None
    before = _comment_texts(body) if "#" in body else Counter()
    if before:  # read the text again with ruamel.yaml, which keeps comments
        try:
            tree = _loader().load(body)
        except Exception as exc:  # noqa: BLE001 - ruamel's parser disagreeing with libyaml's
            raise _fmt_error(path, f"cannot format: ruamel.yaml reads the file differently: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    try:
        out = (None if before else fast_emit(loaded.data)) or _emit(_canonical(loaded.data, tree, ""))
    except Exception as exc:  # noqa: BLE001 - an emitter bug must not become a traceback
        raise _fmt_error(path, f"cannot format: {exc}") from None
    _verify(out, loaded.data, path)
    if before:
        after = _comment_texts(_body(out))
        lost = before - after
        if lost:
            comment = next(iter(lost))
            raise _fmt_error(path, f"cannot keep the comment '{comment}' in place: move it to its own line above a key")
    return out


def has_comments(text: str) -> bool:
    """Whether a question file's text holds a comment besides the schema modeline (``format_text``'s own test)."""
    body = _body(text)
    return "#" in body and bool(_comment_texts(body))


# -- building the canonical tree --------------------------------------------------------


def _canonical(data: Any, node: Any, path: str, column: int = 0) -> Any:
    """The value to emit for ``data`` (the loader's value), with ``node``'s comments (or None).

    ``column`` is where this value's keys (mapping) or dashes (list) will sit.
    """
    if isinstance(data, dict):
        out = CommentedMap()
        for key in ordered_keys(data, path):
            if not isinstance(key, str):
                raise TypeError(f"mapping keys must be strings, found {key!r} at '{path}'")
            child_node = node.get(key) if isinstance(node, dict) else None
            out[_styled_key(key)] = _canonical(data[key], child_node, f"{path}.{key}" if path else key, column + 2)
        _take_comments(node, out, column, post=2)  # after the items: CommentedSeq.append shifts comment indexes
        return out
    if isinstance(data, list):
        seq = CommentedSeq()
        for index, item in enumerate(data):
            child_node = node[index] if isinstance(node, list) and index < len(node) else None
            seq.append(_canonical(item, child_node, f"{path}[{index}]", column + 2))
        _take_comments(node, seq, column, post=0)
        return seq
    if isinstance(data, str):
        if path in QUOTED_PATHS:
            return DoubleQuotedScalarString(data)
        return _styled(data, literal=path in PROSE_PATHS or "\n" in data or len(data) > LONG_TEXT)
    if data is None or isinstance(data, (bool, int, float)):
        return data
    raise TypeError(f"cannot write a {type(data).__name__} at '{path}': question data holds only strings, numbers, booleans, null, lists and mappings")



def _styled(value: str, literal: bool) -> str:
    """Pick the scalar style: literal block, plain, or double-quoted (which holds anything)."""
    if literal and _literal_ok(value):
        return LiteralScalarString(value)
    if _plain_ok(value):
        return value
    return DoubleQuotedScalarString(value)


def _styled_key(key: str) -> str:
    if _plain_ok(key) and len(key) < 128:
        return key
    return DoubleQuotedScalarString(key)


def _literal_ok(value: str) -> bool:
    """A literal block holds the text exactly, and survives editors and whitespace hooks.

    Refused: empty text, text ending in two or more line breaks (``|+`` would put meaningful
    blank lines where end-of-file fixers strip them), whitespace at the end of any line
    (trailing-whitespace fixers would strip it), a tab starting the first line (libyaml
    takes it for indentation), and characters a literal cannot hold as themselves (control
    characters, CR, NEL, line/paragraph separators, BOM).
    """
    if not value or value == "\n" or value.endswith("\n\n"):
        return False
    if value.lstrip("\n").startswith("\t"):  # libyaml: a tab where the indentation is detected
        return False
    if _TRAILING_BLANK.search(value) or _UNWRITABLE.search(value.replace("\n", "")):
        return False
    return True


#: A line ending in spaces or tabs (at a line break or at the very end).
_TRAILING_BLANK = re.compile(r"[ \t]+(?:\n|\Z)")
#: Characters a literal block cannot hold as themselves: controls (but tab), NEL, line/paragraph separators, BOM,
#: surrogates and non-characters; the emitter writes every other character as itself.
_UNWRITABLE = re.compile("[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


_ANALYZER = Emitter(None, allow_unicode=True)  # only its analyze_scalar is used
_ANALYZER.use_version = (1, 2)  # type: ignore[attr-defined]  # read through its `serializer` (itself)
_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))


@functools.lru_cache(maxsize=1 << 16)
def _plain_ok(value: str) -> bool:
    """A plain scalar reads back as this same string, in YAML 1.2 and 1.1, and looks like one.

    A ``#`` anywhere gets quotes too: plain ``k3#Lq8`` is valid YAML, but people (and some
    tools) read the rest of the line as a comment.
    """
    if not value or "#" in value:
        return False
    analysis = _ANALYZER.analyze_scalar(value)
    if not analysis.allow_block_plain or analysis.multiline:
        return False
    if not isinstance(resolve_plain(value), str):
        return False
    return all(str(resolver.resolve(ScalarNode, value, (True, False))) == _STR for resolver in _RESOLVERS)


# -- comments ---------------------------------------------------------------------------


def _take_comments(node: Any, out: Any, column: int, post: int) -> None:
    """Move ``node``'s comments onto ``out`` (same keys and indexes), in canonical spacing.

    ruamel.yaml keeps, per key (slot ``post``, 2 in mappings, 0 in lists), one token with the
    end-of-line comment after the value and the full-line comments below it, and (slot
    ``post + 1``) the comment after a block scalar's ``|``. When a scalar's style changes
    between plain and literal block, the end-of-line comment moves between those slots.
    Blank lines are dropped, end-of-line comments get two spaces, and full-line comments
    keep their indentation (no deeper than the key, after a literal block).
    """
    comment = getattr(node, Comment.attrib, None)
    if comment is None:
        return
    if comment.comment:
        start = comment.comment
        start[0] = _tidy(start[0], eol=True)  # shared with the parent's slot for this value
        if len(start) > 1 and start[1]:  # full-line comments above the first key: at its column
            start[1] = [token for token in start[1] if _tidy(token, eol=False, indent=column) is not None] or None
    for key, slots in list(comment.items.items()):
        if not slots:
            continue
        slots = list(slots) + [None] * (post + 2 - len(slots))
        source = node[key] if (isinstance(node, dict) and key in node) or (isinstance(node, list) and isinstance(key, int) and key < len(node)) else None
        target = out[key] if key in (out if isinstance(out, dict) else range(len(out))) else None
        if isinstance(target, (dict, list)):
            slots[post] = _tidy(slots[post], eol=True)  # shared with the container's own comment
        elif isinstance(source, (dict, list)):
            pass
        elif post == 0:
            # A list item's slot 1 holds full-line comments above it (tokens) and the comment
            # after its ``|`` (a string), which ruamel cannot write back: it goes above the item.
            above = [item for item in slots[1] or () if isinstance(item, CommentToken)]
            indicator = [item for item in slots[1] or () if isinstance(item, str)]
            slots[0], indicator = _scalar_comments(slots[0], indicator, source, target, column)
            above += [_token(" " * column + part.strip() + "\n") for part in indicator or ()]
            slots[1] = [token for token in above if _tidy(token, eol=False, indent=column) is not None] or None
        else:
            slots[post], slots[post + 1] = _scalar_comments(slots[post], slots[post + 1], source, target, column)
        if post == 2 and isinstance(slots[0], CommentToken):  # after an explicit ``? key``: above it
            slots[1] = [*(slots[1] or ()), _token("".join(f"{line.strip()}\n" for line in _lines(slots[0]) if line.strip()))]
            slots[0] = None
        if post == 2 and isinstance(slots[1], list):  # full-line comments above a key: at its column
            slots[1] = [token for token in slots[1] if _tidy(token, eol=False, indent=column) is not None] or None
        for index, slot in enumerate(slots):
            if index not in (1, post, post + 1):
                slots[index] = _tidy_any(slot)
        comment.items[key] = slots
    if comment.end:  # comments at the end of a flow collection: below it, at its keys' column
        comment.end = [token for token in comment.end if _tidy(token, eol=False, indent=column) is not None]
    setattr(out, Comment.attrib, comment)


def _scalar_comments(after: Any, indicator: Any, source: Any, target: Any, column: int) -> tuple[Any, Any]:
    """The (after-value token, after-``|`` list) for a scalar, from its source's comments."""
    lines = _lines(after)
    eol: str | None = None
    if isinstance(source, (LiteralScalarString, FoldedScalarString)):
        if indicator:
            eol = "".join(str(part) for part in indicator).strip() or None
        if isinstance(after, CommentToken) and lines and not lines[0].startswith(" "):
            lines[0] = " " * after.start_mark.column + lines[0]
    elif lines:
        eol = lines.pop(0).strip() or None
    full = [line.rstrip() for line in lines if line.strip()]
    if isinstance(target, LiteralScalarString):
        # Lines indented past the key would be read as part of the block.
        full = [" " * min(_indent(line), column) + line.strip() for line in full]
        token = _token("".join(line + "\n" for line in full)) if full else None
        return token, ([f"  {eol}"] if eol else None)
    if not eol and not full:
        return None, None
    return _token((f" {eol}" if eol else "") + "\n" + "".join(line + "\n" for line in full)), None


def _lines(token: Any) -> list[str]:
    if not isinstance(token, CommentToken):
        return []
    return token.value.rstrip("\n").split("\n") if token.value.strip() else []


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _token(value: str) -> CommentToken:
    """A comment token whose text carries its own spacing (column 0: no padding added)."""
    return CommentToken(value, CommentMark(0), None)


def _tidy(token: Any, eol: bool, indent: int | None = None) -> Any:
    """Tidy a token in place (it may be shared): no blank lines, no trailing spaces, two
    spaces before an end-of-line comment, full lines at ``indent`` if given; None when
    nothing is left. Idempotent."""
    if not isinstance(token, CommentToken):
        return token
    first, *rest = token.value.split("\n")
    rest = [line.rstrip() for line in rest if line.strip()]
    if indent is not None:
        rest = [" " * indent + line.strip() for line in rest]
    if eol:
        first = f" {first.strip()}" if first.strip() else ""
    elif first.strip():
        first = " " * (token.start_mark.column if indent is None else indent) + first.strip()
    if not first.strip() and not rest:
        return None
    if not first.strip() and not eol:
        first, *rest = rest
    token.value = "\n".join([first, *rest]) + "\n"
    token.start_mark = CommentMark(0)  # type: ignore[assignment]  # ruamel types it as StreamMark
    return token


def _tidy_any(slot: Any) -> Any:
    """Slots whose meaning is unclear (comments around explicit keys): only drop blank ones."""
    if isinstance(slot, list):
        kept = [item for item in slot if not isinstance(item, CommentToken) or item.value.strip()]
        return kept or None
    if isinstance(slot, CommentToken) and not slot.value.strip():
        return None
    return slot


def _comment_texts(text: str) -> Counter[str]:
    """Every comment in the text, as a multiset: a ``#`` at a line's start or after a blank,
    outside every scalar (found with libyaml's parser, independently of ruamel's comments)."""
    inside = bytearray(len(text) + 1)
    for event in _libyaml_events(text):
        if isinstance(event, ScalarEvent):
            start, end = event.start_mark.index, event.end_mark.index
            if event.style in ("|", ">"):  # a comment may follow the indicator
                newline = text.find("\n", start, end)
                start = end if newline < 0 else newline
            inside[start:end] = b"\1" * (end - start)
    found: Counter[str] = Counter()
    line_end = -1
    for match in _COMMENT_RE.finditer(text):
        if match.start() < line_end or inside[match.start()]:
            continue  # part of a comment already found, or of a scalar
        line_end = _line_end(text, match.start())
        comment = text[match.start():line_end].rstrip()
        if not _MODELINE_RE.match(comment):
            found[comment] += 1
    return found


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _body(text: str) -> str:
    """The text for ruamel.yaml: no BOM, no schema modeline among the leading comments, and
    no directives or bare ``---`` opening the document (ruamel would drop the comments above
    them; the loader reads YAML 1.2 and refuses tags whatever they say)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.startswith("%"):
            continue
        marker = _DOC_START_RE.match(line)
        if marker:
            if marker.group(1):
                kept.append(marker.group(1) + "\n")
            kept.extend(lines[index + 1:])
            break
        if stripped and not stripped.startswith("#"):
            kept.extend(lines[index:])
            break
        if not _MODELINE_RE.match(line):
            kept.append(line)
    return "".join(kept)


# -- ruamel.yaml set-up -----------------------------------------------------------------


class _StrResolver(VersionedResolver):
    """Resolves every plain scalar to a string: values come from qtool's loader instead."""

    @property
    def versioned_resolver(self) -> Any:
        return {}


class _Representer(RoundTripRepresenter):
    """Writes None as ``null`` (ruamel's default is an empty value)."""


_Representer.add_representer(type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null"))

_LOADER: YAML | None = None
_DUMPER: YAML | None = None


def _loader() -> YAML:
    global _LOADER
    if _LOADER is None:
        _LOADER = YAML(typ="rt")
        _LOADER.Resolver = _StrResolver
    return _LOADER


def _dumper() -> YAML:
    global _DUMPER
    if _DUMPER is None:
        _DUMPER = YAML(typ="rt")
        _DUMPER.Representer = _Representer
        _DUMPER.indent(mapping=2, sequence=4, offset=2)
        _DUMPER.width = 1 << 30  # never fold
        _DUMPER.allow_unicode = True
    return _DUMPER


def _emit(tree: Any) -> str:
    stream = io.StringIO()
    _dumper().dump(tree, stream)
    return f"{MODELINE}\n{stream.getvalue()}"


# -- the fast writer --------------------------------------------------------------------
# Most files hold no comment and only what the contract defines: for them the canonical text is
# written here directly, in the styles _styled picks, byte for byte what ruamel.yaml would write
# (a hypothesis test holds the two equal). Anything unusual returns None and goes to ruamel.


class _Unusual(Exception):
    """A value the fast writer leaves to ruamel.yaml."""


def fast_emit(data: dict[str, Any]) -> str | None:
    """The canonical text of comment-free question data, or None when ruamel.yaml must write it."""
    if not data:
        return None
    lines = [MODELINE]
    try:
        _fast_mapping(data, "", 0, lines)
    except _Unusual:
        return None
    return "\n".join(lines) + "\n"


def _fast_mapping(data: dict[str, Any], path: str, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key in ordered_keys(data, path):
        if not isinstance(key, str) or not (_plain_ok(key) and len(key) < 128):
            raise _Unusual
        value = data[key]
        child = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if not value:
                raise _Unusual
            lines.append(f"{pad}{key}:")
            _fast_mapping(value, child, indent + 2, lines)
        elif isinstance(value, list):
            if not value:
                lines.append(f"{pad}{key}: []")
                continue
            lines.append(f"{pad}{key}:")
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    raise _Unusual
                text, block = _fast_scalar(item, f"{child}[{index}]")
                if block:
                    raise _Unusual
                lines.append(f"{pad}  - {text}")
        else:
            text, block = _fast_scalar(value, child)
            lines.append(f"{pad}{key}: {text}")
            if block:
                body = value[:-1] if value.endswith("\n") else value
                lines.extend(f"{pad}  {line}" if line else "" for line in body.split("\n"))


def _fast_scalar(value: Any, path: str) -> tuple[str, bool]:
    """One scalar's text after ``key: `` or ``- ``, and whether it opens a literal block."""
    if value is None:
        return "null", False
    if value is True or value is False:
        return ("true" if value else "false"), False
    if isinstance(value, int):
        return str(value), False
    if not isinstance(value, str):
        raise _Unusual
    styled = DoubleQuotedScalarString(value) if path in QUOTED_PATHS else \
        _styled(value, literal=path in PROSE_PATHS or "\n" in value or len(value) > LONG_TEXT)
    if isinstance(styled, LiteralScalarString):
        if value.startswith((" ", "\n")):
            raise _Unusual
        return ("|" if value.endswith("\n") else "|-"), True
    if isinstance(styled, DoubleQuotedScalarString):
        if not all(" " <= ch <= "~" for ch in value) or '"' in value or "\\" in value:
            raise _Unusual
        return f'"{value}"', False
    return value, False


# -- safety net -------------------------------------------------------------------------


def _verify(text: str, data: Any, path: str) -> None:
    """Load what was written and compare: formatting must never change a question's data."""
    back = load_text(text, path)
    if isinstance(back, LoadError):
        raise _fmt_error(path, f"cannot format: the result would not load ({back.message}); the file is left as it was")
    if not same_data(back.data, data):
        raise _fmt_error(path, "cannot format: the result would change the data; the file is left as it was")


def same_data(a: Any, b: Any) -> bool:
    """Equal as loaded data: types must match too (``True`` is not ``1``), and NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(a[key], b[key]) for key in a)  # key order is layout
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _fmt_error(path: str, message: str) -> FormatError:
    return FormatError(Problem(path, 1, 1, Severity.ERROR, message, "fmt"))
