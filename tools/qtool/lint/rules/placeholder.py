"""No placeholder text left in: skeleton markers, TODO/TBD/FIXME, lorem ipsum, <...> and [...] stand-ins.

Markdown texts are judged as prose only: code spans and blocks, raw HTML, autolinks and link
destinations (``List<String>``, ``<script defer>``, ``[x for x in items]`` in code) are not placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qtool.lint.rule import Rule, quote
from qtool.lint.rules._markdown import masked_file
from qtool.model import Problem, Question, Severity
from qtool.skeleton import SKELETON_MARKER

#: Each kind of placeholder and what the author should do about it; the first match on a line wins.
KINDS = {
    "skeleton": (re.escape(SKELETON_MARKER), "skeleton text from `qtool new` is still here: replace the whole line with the real text"),
    "marker": (r"\b(?:TODO|TBD|FIXME|XXX)\b", "{found} left in: finish the text and remove the marker"),
    "lorem": (r"\b[Ll]orem\s+ipsum\b", "placeholder text {found}: write the real text"),
    "angle": (r"<[A-Za-z][^<>\n]{0,80}>", "placeholder {found} left in: fill it in"),
    "bracket": (r"\[(?i:insert|add|your|company|name|candidate|placeholder|x+)\b[^\[\]\n]{0,80}\]", "placeholder {found} left in: fill it in"),
    "number": (r"\bX+%", "{found} stands in for a number: use a realistic figure"),
    "ellipsis": (r"(?m:(?:^[ \t]+(?:- )?|:[ \t]+)(?:\.\.\.|\u2026)[ \t]*$)", "'...' stands in for text that is not written yet: write it"),
}
PATTERN = re.compile("|".join(f"(?P<{kind}>{regex})" for kind, (regex, _) in KINDS.items()))
def _has_hint(text: str) -> bool:
    """Cheap substring tests: a file passing none of them cannot match, so most files skip the regex."""
    # One-character tests are the quickest (memchr); the marker words are looked for only where
    # their rarest letter is, not by a scan of the whole text each.
    return ("<" in text or "[" in text or "\u2026" in text or "..." in text or "ipsum" in text
            or _holds(text, "D", ("TODO", "TBD")) or _holds(text, "X", ("FIXME", "XXX", "X%")))


def _holds(text: str, rare: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words``, each of which holds the character ``rare``: each is looked for where ``rare`` is."""
    at = text.find(rare)
    while at >= 0:
        for word in words:
            start = at - word.index(rare)
            if start >= 0 and text.startswith(word, start):
                return True
        at = text.find(rare, at + 1)
    return False


class Placeholder(Rule):
    name = "placeholder"
    description = "no placeholder text left in (skeleton markers, TODO, TBD, FIXME, lorem ipsum, <...>, [insert ...], X%)"
    examples = ('text: I replaced `List<String>` and cut the build from 14 to 6 minutes.',
                'text: I cut the build by X% at <company name>. TODO')
    default_severity = Severity.ERROR
    #: ``extra-patterns``: regular expressions the bank also treats as placeholders.
    options = {"extra-patterns": []}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        for pattern in options["extra-patterns"]:
            try:
                re.compile(pattern)
            except re.error as exc:
                return f"'extra-patterns': {pattern!r} is not a valid regular expression: {exc}"
        return None

    def prepare(self, options: dict[str, Any], root: Path) -> dict[str, Any]:
        return {**options, "compiled": [re.compile(p) for p in options["extra-patterns"]]}

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        extra = options.get("compiled", ())
        found: dict[int, Problem] = {}
        text = q.text
        if not (_has_hint(text) and PATTERN.search(text)) and not any(p.search(text) for p in extra):
            return iter(())
        # Something matched: judge prose only. Non-prose characters of the Markdown texts become
        # NUL, which no pattern matches, so positions stay exact.
        text = masked_file(q, "\0")
        if _has_hint(text):
            for match in PATTERN.finditer(text):
                kind = match.lastgroup or "marker"
                start = match.start(kind)
                if kind == "ellipsis":
                    start = text.index("\u2026" if "\u2026" in match.group() else "...", match.start())
                self._add(found, q, text, start, KINDS[kind][1].format(found=quote(match.group(kind).strip())))
        for pattern in extra:
            for match in pattern.finditer(text):
                self._add(found, q, text, match.start(), f"{quote(match.group())} matches the bank's placeholder pattern {pattern.pattern!r}: write the real text")
        return iter(sorted(found.values()))

    def _add(self, found: dict[int, Problem], q: Question, text: str, offset: int, message: str) -> None:
        line = text.count("\n", 0, offset) + 1
        if line not in found:
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            found[line] = self.at(q, (line, column), message)


RULE = Placeholder()
