"""What a lint rule is: a name, a one-line description, a default severity, options and a check."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol

from qtool.model import SUMMARY_KEYS, Position, Problem, Question, Severity

#: The memo key under which a bank-wide rule finds what its ``begin`` took during the scan.
STARTED = "started"
#: The memo key under which ``rejudge`` may leave what makes its index as plain values, instead of the values:
#: a patched run keeps its indexes only now and then, and writing out a big bank's index takes time.
DUMP = "dump"


def dumped(memo: dict[str, Any]) -> dict[str, Any]:
    """``memo`` as plain values, ready to be kept (what its rule left under ``DUMP`` is made now)."""
    make = memo.pop(DUMP, None)
    if make is not None:
        memo.update(make())
    return memo


class Started(Protocol):
    """What a bank-wide rule begun during the scan takes: each summary, in the bank's order."""

    def add(self, question: Question) -> None: ...


class Rule:
    """One lint rule; subclasses set the class attributes and override ``check`` or ``check_bank``.

    Rules yield Problems at their default severity; the engine applies the configured one.
    """

    #: Kebab-case name: the problem code, the key in ``[tool.qtool.rules]`` and in suppressions.
    name: ClassVar[str] = ""
    #: One line for ``qtool rules``.
    description: ClassVar[str] = ""
    #: YAML that passes and YAML that fails this rule, for ``qtool rules NAME``.
    examples: ClassVar[tuple[str, str]] = ("", "")
    default_severity: ClassVar[Severity] = Severity.WARNING
    #: The severity under ``--strict``, when it differs (draft files become errors).
    strict_severity: ClassVar[Severity | None] = None
    #: Option name -> default value; configuration may set any of these, nothing else.
    options: ClassVar[Mapping[str, Any]] = {}
    #: Top-level keys whose schema errors this rule explains better: ``qtool check`` then prints
    #: only the rule's line for a spot both flag.
    covers_schema: ClassVar[tuple[str, ...]] = ()
    #: True for rules that see the whole bank (``check_bank``) rather than one file (``check``).
    bank_wide: ClassVar[bool] = False
    #: True for bank-wide rules that keep an index between runs (``check_bank_with_memo``).
    keeps_memo: ClassVar[bool] = False

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        """A message when option values are out of range (types are checked by the caller)."""
        return None

    def prepare(self, options: dict[str, Any], root: Path) -> dict[str, Any]:
        """Options as ``check`` receives them: once per run, e.g. to read a file the rule needs."""
        return options

    def check(self, question: Question, options: Mapping[str, Any]) -> Iterable[Problem]:
        """Problems in one file."""
        return ()

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterable[Problem]:
        """Problems that need the whole bank, for the files whose path is in ``report_on`` only."""
        return ()

    def check_bank_with_memo(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str],
                             memo: dict[str, Any], changed: Collection[str] | None) -> Iterable[Problem]:
        """``check_bank`` that keeps its index in ``memo`` between runs (filled in place; empty the first
        time), given the paths ``changed`` since it was filled (None: start afresh)."""
        return self.check_bank(questions, options, report_on)

    def begin(self, options: Mapping[str, Any]) -> Started | None:
        """For a fresh run, something to ``add`` each summary to while the scan reads the files, handed back in the
        memo under STARTED so the bank stage starts half done; None: the rule reads the bank at once."""
        return None

    def rejudge(self, earlier: Sequence[Question], questions: Sequence[Question], options: Mapping[str, Any],
                report_on: set[str], memo: dict[str, Any], behind: Collection[str],
                changed: Collection[str]) -> tuple[set[str], Iterable[Problem]] | None:
        """After an edit of ``changed`` (now ``questions``), the files whose problems it may change and their problems;
        None: this rule judges the whole bank again. ``memo`` first takes the ``behind`` files as ``earlier``
        holds them (when the problems before the edit were found)."""
        return None

    def reads(self, options: Mapping[str, Any]) -> Collection[str]:
        """The summary keys a bank-wide rule's problems depend on: an edit that changes none of them leaves them as they were."""
        return SUMMARY_KEYS

    def idle(self, options: Mapping[str, Any]) -> bool:
        """True when the rule has nothing to compare in this run (guid-stable without a git base): it is skipped."""
        return False

    def outside_paths(self, options: Mapping[str, Any]) -> Collection[str]:
        """Paths no longer in the bank that ``check_bank`` may also report on (files deleted since a git base)."""
        return ()

    def at(self, question: Question | str, pos: Position, message: str) -> Problem:
        """A Problem of this rule at ``pos`` in the question's file."""
        path = question if isinstance(question, str) else question.path
        return Problem(path, pos[0], pos[1], self.default_severity, message, self.name)


def quote(text: str, limit: int = 60) -> str:
    """A value shown in a message: quoted, on one line, shortened when long."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 3].rstrip() + "..."
    return f"'{flat}'"


@cache
def _cjk_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Scripts written without spaces between words, counted one word per character as word processors
    do: CJK ideographs (and their extensions and compatibility forms), kana, hangul; and CJK
    punctuation (which separates, and is not itself a word). Compiled on the first text that is not
    ASCII: the ideographs' class alone takes 3 ms to compile, in every run that loads the rules."""
    return (re.compile("[\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u31f0-\u31ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc"
                       "\U00020000-\U0003134f]"),
            re.compile("[\u3000-\u303f\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]"))


#: ASCII text as word characters (``a``) and the whitespace ``str.split`` splits on (`` ``).
_WORDS_AND_SPACES = bytes(32 if byte in b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f " else 97 for byte in range(128)) + bytes(128)


@lru_cache(maxsize=64)
def word_count(text: str) -> int:
    """Words in a text: runs between spaces, and each CJK ideograph, kana or hangul syllable (cached: several rules count the same answers)."""
    if text.isascii():
        # len(text.split()) without making a string per word: count each word's first character.
        marked = text.encode("ascii").translate(_WORDS_AND_SPACES)
        return marked.count(b" a") + marked.startswith(b"a")
    one_word_each, punctuation = _cjk_patterns()
    spaced = punctuation.sub(" ", text)
    ideographs = len(one_word_each.findall(spaced))
    if ideographs:
        spaced = one_word_each.sub(" ", spaced)
    return ideographs + len(spaced.split())
