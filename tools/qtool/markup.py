"""The one Markdown library: every text is CommonMark (with GitHub tables), parsed and rendered here.

markdown-it-py parses (import, lint and every renderer use the same configured parser);
Pygments highlights fenced code into ``<pre>`` with CSS classes, so readers need no script.
Rendering is safe by construction: raw HTML in a text is escaped as text, and only
http(s) and mailto destinations become links (anything else stays readable text).
"""

from __future__ import annotations

import functools
import html
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
    return md


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
    label = f' class="language-{html.escape(name)}"' if name else ""
    body = _pygments(code, name) if name else None
    if body is None:
        body = html.escape(code, quote=False)
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


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """An image is shown as a link to it (readers never fetch from outside); its alt text is the label."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = html.escape(self.renderInlineAsText(token.children or [], options, env), quote=False)
    if not safe_link(src):
        return alt
    return f'<a href="{html.escape(src)}">{alt or html.escape(src)}</a>'
