"""The one Markdown library: every text is CommonMark (with GitHub tables), parsed and rendered here.

markdown-it-py parses (import, lint and every renderer use the same configured parser);
Pygments highlights fenced code into ``<pre>`` with CSS classes, so readers need no script.
Rendering is safe by construction: raw HTML in a text is escaped as text, and only
http(s) and mailto destinations become links (anything else stays readable text).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

#: Link schemes a rendered text may point to; everything else is shown as text.
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def safe_link(url: str) -> bool:
    """True for an http(s) or mailto destination (the only links qtool ever renders)."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


@functools.lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The configured CommonMark parser: GitHub tables on, raw HTML off (kept as text), safe links only."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight}).enable("table")
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("image", _image_as_link)
    md.core.ruler.after("inline", "qtool_safe_links", _unlink_unsafe)
    return md


def _unlink_unsafe(state: Any) -> None:
    """Drop the link markup (keep the label) of any link whose destination is not http(s)/mailto.

    ``validateLink`` refuses such destinations, but markdown-it still makes ``[x]()`` a link to ``""``.
    """
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        kept, unsafe = [], []
        for child in token.children:
            if child.type == "link_open":
                unsafe.append(not safe_link(str(child.attrGet("href") or "")))
                if unsafe[-1]:
                    continue
            elif child.type == "link_close" and unsafe and unsafe.pop():
                continue
            kept.append(child)
        token.children = kept


def render(text: str | None) -> str:
    """``text`` as an HTML fragment: paragraphs, lists, tables, highlighted code, escaped raw HTML."""
    if not text:
        return ""
    return parser().render(text)


def highlight(code: str, lang: str, attrs: str) -> str:
    """A fenced block as ``<pre class="highlight">``, its tokens classed by Pygments; unknown languages stay plain.

    Every character of ``code`` is kept (escaped): Pygments is told not to strip or add newlines.
    """
    name = lang.strip().split()[0] if lang.strip() else ""
    label = f' class="language-{_escape(name)}"' if name else ""
    body = _pygments(code, name) if name else None
    if body is None:
        body = _escape(code, quote=False)
    return f'<pre class="highlight"><code{label}>{body}</code></pre>'


def known_language(name: str) -> bool:
    """True when Pygments has a lexer for a fence's language name."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return False
    return True


def _pygments(code: str, name: str) -> str | None:
    from pygments import highlight as pyg_highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(name, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None
    return str(pyg_highlight(code, lexer, HtmlFormatter(nowrap=True)))


def _escape(text: str, quote: bool = True) -> str:
    """``html.escape``, imported when first needed: the module loads every entity name, and a check renders nothing."""
    import html

    return html.escape(text, quote=quote)


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """An image is shown as a link to it (readers never fetch from outside); its alt text is the label."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = _escape(self.renderInlineAsText(token.children or [], options, env), quote=False)
    if not safe_link(src):
        return alt
    return f'<a href="{_escape(src)}">{alt or _escape(src)}</a>'


# -- plain prose: the fast path ------------------------------------------------------
#: Characters that may start Markdown syntax anywhere in a line (inline or block), and control
#: characters the parser treats specially. Each is looked for with ``in`` (a memchr scan in C).
_SYNTAX_CHARS = tuple("`*_[]<>!\\&|~#\t\r\0\x0b\x0c\x1c\x1d\x1e\x1f")
#: A line that opens a list item (``1.``, ``1)``); ``-``, ``+`` and ``=`` are refused by their first character.
_ORDERED_ITEM = re.compile(r"[0-9]+[.)]")


def plain_html(text: str) -> str | None:
    """The HTML ``render`` gives for a text of plain prose paragraphs, without the parser; None when it has any Markdown.

    Plain prose: no character that starts Markdown syntax, no line that starts like a list item
    or a setext underline (``-``, ``+``, ``=``, ``1.``), and no line with leading or trailing
    blanks (indented code, hard breaks). Most answers are plain prose: this keeps rendering a
    large bank about as fast as escaping it; a property test holds it equal to the parser.
    """
    for ch in _SYNTAX_CHARS:
        if ch in text:
            return None
    out: list[str] = []
    paragraph: list[str] = []
    for line in text.split("\n"):
        if not line:
            if paragraph:
                out.append("<p>" + "\n".join(paragraph) + "</p>\n")
                paragraph = []
            continue
        first = line[0]
        if first in "-+=" or first.isspace() or line[-1].isspace() or (first in "0123456789" and _ORDERED_ITEM.match(line)):
            return None
        paragraph.append(line)
    if paragraph:
        out.append("<p>" + "\n".join(paragraph) + "</p>\n")
    return "".join(out).replace('"', "&quot;")


def render_fast(text: str | None) -> str:
    """``render(text)``, through ``plain_html`` when the text is plain prose (the same HTML, much sooner)."""
    if not text:
        return ""
    fast = plain_html(text)
    return fast if fast is not None else parser().render(text)


def render_inline(text: str | None) -> str:
    """A one-line text (a question, a list item) as inline HTML: code spans, emphasis and links, no ``<p>``."""
    plain = plain_inline(text)
    if plain is not None or not text:
        return plain or ""
    return parser().renderInline(text)


def plain_inline(text: str | None) -> str | None:
    """``render_inline(text)`` for a text of plain words (what renderInline gives, without the parser); else None."""
    if not text:
        return ""
    if "\n" not in text and text == text.strip() and not any(ch in text for ch in _SYNTAX_CHARS):
        return text.replace('"', "&quot;")
    return None


# -- prose and code: what lint judges -------------------------------------------------
#: A text without any of these (and without indented lines) has no code, raw HTML or link destination.
_NON_PROSE_HINT = re.compile(r"[`~<\[]")
#: Inline rules whose whole match is not prose; links and images keep their label as prose.
_CODE_INLINE = ("backticks", "autolink", "html_inline")
_LINK_INLINE = ("link", "image")
#: Block tokens whose lines are not prose.
_CODE_BLOCKS = ("fence", "code_block", "html_block")


@functools.lru_cache(maxsize=1)
def _scanner() -> MarkdownIt:
    """A parser that records where code, raw HTML, autolinks and link destinations are (see ``non_prose``).

    Unlike ``parser()`` it recognises raw HTML and every link scheme: for lint, ``<script defer>``
    and ``[x](javascript:...)`` are markup, not prose, whatever a renderer later does with them.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    for name in (*_CODE_INLINE, *_LINK_INLINE):
        md.inline.ruler.at(name, _recording(name, _rule(md.inline.ruler, name)))
    reference = _rule(md.block.ruler, "reference")

    def record_reference(state: Any, start: int, end: int, silent: bool) -> bool:
        found = bool(reference(state, start, end, silent))
        if found and not silent:
            state.env.setdefault("qtool_lines", []).append((start, state.line))
        return found

    md.block.ruler.at("reference", record_reference)

    def inline(state: Any) -> None:
        # The core "inline" rule, telling the recording rules which inline token they are in.
        for token in state.tokens:
            if token.type == "inline":
                token.children = token.children if token.children is not None else []
                state.env["qtool_token"] = token
                state.md.inline.parse(token.content, state.md, state.env, token.children)

    md.core.ruler.at("inline", inline)
    return md


def _rule(ruler: Any, name: str) -> Any:
    return ruler.__rules__[ruler.__find__(name)].fn


def _recording(name: str, rule: Any) -> Any:
    """Wrap inline rule ``name`` so that each match records its non-prose span of the inline content in ``env``."""
    link = name in _LINK_INLINE

    def recorded(state: Any, silent: bool) -> bool:
        start = state.pos
        if not rule(state, silent):
            return False
        if not silent:
            # A link's label is prose: only what follows it (destination, title, reference) is not.
            begin = state.md.helpers.parseLinkLabel(state, start + (1 if name == "image" else 0), True) if link else start
            if name == "html_inline" and not is_markup_tag(state.src[start:state.pos]):
                begin = -1  # "<company name>" parses as a tag, but reads as a stand-in
            if begin >= 0:
                token = state.env["qtool_token"]
                state.env.setdefault("qtool_spans", {}).setdefault(id(token), (token, []))[1].append((begin, state.pos))
        return True

    return recorded


def non_prose(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that are not prose: code spans and blocks, raw HTML, autolinks, link destinations.

    Found by markdown-it-py itself (block token line maps; inline rule positions mapped back
    from each inline token's content to the text), so the ranges are exact in ``text``.
    """
    if not _NON_PROSE_HINT.search(text) and not _INDENTED.search(text):
        return []
    source = text.replace("\r\n", " \n").replace("\r", "\n").replace("\0", "\ufffd")
    env: dict[str, Any] = {}
    tokens = _scanner().parse(source, env)
    lines = source.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    ranges: list[tuple[int, int]] = []
    for first, end in env.get("qtool_lines", []):
        ranges.append((starts[first], starts[min(end, len(lines))] - 1))
    by_children = env.get("qtool_spans", {})
    for token in tokens:
        if token.map is None:
            continue
        if token.type in _CODE_BLOCKS:
            if token.type == "html_block" and not is_markup_tag(token.content.strip()):
                continue
            first, end = token.map
            ranges.append((starts[first], starts[min(end, len(lines))] - 1))
        elif token.type == "inline" and id(token) in by_children:
            offsets = _content_offsets(token.content, lines, starts, token.map[0])
            if offsets is None:
                continue
            for begin, stop in by_children[id(token)][1]:
                if stop > begin:
                    ranges.append((offsets[begin], offsets[stop - 1] + 1))
    return sorted(ranges)


#: HTML element names: a raw tag with one of these names is markup, not a stand-in like ``<company name>``.
HTML_ELEMENTS = frozenset("""
a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col
colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form h1 h2
h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main map mark menu meta
meter nav noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp script
search section select slot small source span strong style sub summary sup svg table tbody td template textarea
tfoot th thead time title tr track u ul var video wbr path circle rect g math
""".split())
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9.:-]*)([^>]*)>")


def is_markup_tag(raw: str) -> bool:
    """True for raw HTML that is markup: an HTML element, a comment, or a JSX component or generic type (``<String>``).

    False for what parses as a tag but reads as a stand-in: ``<company name>``, ``<Your Name>``, ``<commit>``.
    """
    if raw.startswith(("<!--", "<?", "<!")):
        return True
    match = _TAG.match(raw)
    if not match:
        return True
    closing, name, rest = match.groups()
    if name.lower() in HTML_ELEMENTS:
        return True
    if not name[0].isupper():
        return False
    words = rest.replace("/", " ").split()
    # JSX props are camelCase or carry values; "<Company Name>" is title-case words.
    return not words or any(not word[0].isupper() or "=" in word for word in words)


#: A line indented enough to be (part of) an indented code block.
_INDENTED = re.compile(r"(?m)^(?: {4}| {0,3}\t)")


def _content_offsets(content: str, lines: list[str], starts: list[int], first: int) -> list[int] | None:
    """For each character of an inline token's content, its offset in the text (None when the lines do not line up)."""
    offsets: list[int] = []
    cursor: dict[int, int] = {}
    for number, part in enumerate(content.split("\n"), start=first):
        if number >= len(lines):
            return None
        line = lines[number]
        body = line.rstrip(" \t")
        if body.endswith(part):
            at = len(body) - len(part)
        elif line.endswith(part):
            at = len(line) - len(part)
        else:  # a table cell, or a tab the parser expanded to spaces
            at = line.find(part.lstrip(" "), cursor.get(number, 0))
            if at < 0:
                return None
            at -= len(part) - len(part.lstrip(" "))
        cursor[number] = at + len(part)
        offsets.extend(starts[number] + max(at + i, 0) for i in range(len(part)))
        offsets.append(starts[number] + len(line))  # the newline
    return offsets


def prose_mask(text: str, fill: str = " ") -> str:
    """``text`` with every non-prose character (see ``non_prose``) replaced by ``fill``; line breaks and length kept.

    Lint rules run their patterns on the mask, so what they report sits at its exact place in the text.
    """
    ranges = non_prose(text)
    if not ranges:
        return text
    chars = list(text)
    for begin, end in ranges:
        for index in range(begin, min(end, len(chars))):
            if chars[index] != "\n":
                chars[index] = fill
    return "".join(chars)


@dataclass(frozen=True)
class Fence:
    """A fenced code block: its first line (0-based, in the text), its language and whether it is closed."""

    line: int
    language: str
    closed: bool


def fences(text: str) -> list[Fence]:
    """The fenced code blocks of ``text`` (none are looked for in a text without a fence marker)."""
    if "```" not in text and "~~~" not in text:
        return []
    lines = text.split("\n")
    found = []
    for token in parser().parse(text):
        if token.type != "fence" or token.map is None:
            continue
        first, end = token.map
        last = lines[end - 1].strip() if end - 1 > first and end - 1 < len(lines) else ""
        closed = bool(last) and set(last) == {token.markup[0]} and len(last) >= len(token.markup)
        language = token.info.strip().split()[0] if token.info.strip() else ""
        found.append(Fence(first, language, closed))
    return found


# -- highlighting styles -------------------------------------------------------------
#: Pygments styles for cards and pages: light by default, dark under Anki's ``.nightMode``.
LIGHT_STYLE = "default"
DARK_STYLE = "monokai"


def highlight_css(light_scope: str = ".highlight", dark_scope: str = ".nightMode .highlight") -> str:
    """CSS for highlighted code (``<pre class="highlight">``): a light style, and a dark one under ``dark_scope``.

    Anki adds ``nightMode`` to the card's ancestors in dark mode; a site can pass its own dark scope.
    """
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(light_scope)
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(dark_scope)
    # Pygments emits a rule for ``pre`` line numbers without the scope: keep only scoped rules.
    keep = [rule for rule in (light + "\n" + dark).splitlines() if rule.startswith((light_scope, dark_scope))]
    return "\n".join(keep) + "\n"
