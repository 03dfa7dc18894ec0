"""Markdown texts render as meant: every code fence is closed and names a language the highlighter knows.

An unclosed fence turns the rest of the text into code; a language Pygments does not know is shown
unhighlighted. Both render without complaint, so this rule says so (a warning).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool import markup
from qtool.lint.rule import Rule, quote
from qtool.lint.rules._markdown import line_starts, markdown_texts, value_position
from qtool.model import Problem, Question, Severity


class MarkdownRender(Rule):
    name = "markdown-render"
    description = "Markdown texts render as meant: code fences are closed and name a known language"
    examples = ('text: |\n  I fixed the query:\n\n  ```sql\n  SELECT 1;\n  ```',
                'text: |\n  I fixed the query:\n\n  ```sequel\n  SELECT 1;')
    default_severity = Severity.WARNING

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        text = q.text
        # No fence anywhere in the file, the common case (one-character tests are memchr scans).
        if ("`" not in text or "```" not in text) and ("~" not in text or "~~~" not in text):
            return
        starts: list[int] | None = None
        for path, text in markdown_texts(q):
            found = markup.fences(text)
            if not found:
                continue
            starts = starts or line_starts(q.text)
            text_starts = line_starts(text)
            for fence in found:
                at = value_position(q, path, text, text_starts[fence.line], starts)
                if not fence.closed:
                    yield self.at(q, at, f"the code fence in {path} is never closed: everything after it renders as code; "
                                  "close it with a line of the same backticks")
                if fence.language and not markup.known_language(fence.language):
                    yield self.at(q, at, f"the code fence in {path} names language {quote(fence.language)}, which the "
                                  "highlighter does not know: use a known name (python, sql, javascript, jsx, yaml, shell ...)")


RULE = MarkdownRender()
