"""Reporters: the only place that prints problems (text, json, github annotations, SARIF, GitLab code quality).

Reporters only format: what they need beyond the problems (the rules, where the bank sits in its
repository) comes in as a ReportContext. The GitHub step summary is a plain function beside them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

import click

from qtool.model import Problem, Severity


@dataclass(frozen=True)
class Output:
    """How much to say and whether in colour: ``--color``, ``-q`` and ``-v``, which every command takes."""

    color: str = "auto"  # auto | always | never
    quiet: bool = False
    verbose: bool = False

    def colored(self, stream: IO[str] | None = None) -> bool:
        """Colour for a terminal, unless NO_COLOR is set (https://no-color.org) or --color says otherwise."""
        if self.color != "auto":
            return self.color == "always"
        if os.environ.get("NO_COLOR"):
            return False
        target = stream or sys.stdout
        try:
            return target.isatty()
        except (AttributeError, ValueError):
            return False


#: Where the command line leaves its Output for the run (click's context meta).
OUTPUT_KEY = "qtool.output"


def output() -> Output:
    """This run's output settings (the defaults outside a command line, e.g. when a test calls a run_* function)."""
    context = click.get_current_context(silent=True)
    found = context.meta.get(OUTPUT_KEY) if context is not None else None
    return found if isinstance(found, Output) else Output()


def note(message: str) -> None:
    """An informational line on stderr (what was written, a summary); silent under ``-q``."""
    if not output().quiet:
        click.echo(message, err=True)


#: Runs over at least this many files show a progress bar (on a terminal, not under -q).
PROGRESS_FROM = 500


@contextlib.contextmanager
def progress_bar(count: Callable[[], int], label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long runs on a terminal; None (no bar) otherwise.

    ``count`` is called only on a terminal: counting may cost a walk of the bank.
    """
    if output().quiet or not sys.stderr.isatty():
        yield None
        return
    total = count()
    if total < PROGRESS_FROM:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def default_format() -> str:
    """GitHub annotations under GitHub Actions, plain lines elsewhere."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def summary(problems: Sequence[Problem], files: int) -> str:
    """One closing line, e.g. ``2 errors, 1 warning in 1 of 6 files``."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    bad = len({p.path for p in problems})
    noun = "file" if files == 1 else "files"
    if not problems and files == 0:
        return "no question files found (looked for *.yaml under questions/ or the paths given)"
    if not problems:
        return f"no problems in {files} {noun}"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{', '.join(parts)} in {bad} of {files} {noun}"


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about one problem code: its description, help and configured level."""

    name: str
    description: str
    full_description: str
    help: str
    #: "error", "warning", or "none" for a rule this bank disables.
    level: str


@dataclass(frozen=True)
class ReportContext:
    """What the SARIF and GitLab reporters need besides the problems."""

    rules: tuple[RuleInfo, ...] = ()
    #: The working folder (absolute): problem paths are relative to it.
    root: str = field(default_factory=os.getcwd)
    #: The working folder's path inside its git repository ("" at the top, else ending in "/").
    prefix: str = ""

    def repo_path(self, path: str) -> str | None:
        """``path`` (relative to ``root``, the working folder) relative to the repository root, with ``/``; None outside it."""
        if os.path.isabs(path):
            path = os.path.relpath(path, self.root)
        joined = os.path.normpath(os.path.join(self.prefix, path)).replace(os.sep, "/")
        if joined == ".." or joined.startswith("../") or os.path.isabs(joined):
            return None
        return joined


class TextReporter:
    """``PATH:LINE:COLUMN: SEVERITY: MESSAGE [CODE]``, one per line; a summary on stderr."""

    def __init__(self, out: IO[str] | None = None, context: ReportContext | None = None) -> None:
        self.out = out
        self.context = context or ReportContext()

    def report(self, problems: Sequence[Problem], files: int) -> None:
        styled = output().colored(self.out)
        if problems:  # one write: a big bank's thousands of lines cost a tenth of a second written one by one
            line = styled_line if styled else format_line
            click.echo("\n".join(map(line, problems)), file=self.out, color=styled or None)
        note(summary(problems, files))


class JsonReporter(TextReporter):
    """A JSON list of problem objects on stdout."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False), file=self.out)


class GithubReporter(TextReporter):
    """GitHub Actions workflow commands, which show as annotations on the pull request."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        for p in problems:
            level = "error" if p.severity is Severity.ERROR else "warning"
            message = _escape(f"{p.message} [{p.code}]")
            click.echo(f"::{level} file={_escape_prop(p.path)},line={p.line},col={p.column},title={_escape_prop(p.code)}::{message}", file=self.out)
        note(summary(problems, files))


class SarifReporter(TextReporter):
    """SARIF 2.1.0 on stdout, as GitHub code scanning takes it (``github/codeql-action/upload-sarif``)."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        from qtool import __version__

        rules = list(self.context.rules)
        known = {rule.name for rule in rules}
        rules += [RuleInfo(code, code, code, code, "error") for code in sorted({p.code for p in problems} - known)]
        index = {rule.name: i for i, rule in enumerate(rules)}
        results = []
        for p, fingerprint in zip(problems, fingerprints(problems)):
            path = self.context.repo_path(p.path)
            location = ({"uri": _uri(path), "uriBaseId": "%SRCROOT%"} if path is not None
                        else {"uri": "file://" + _uri(os.path.abspath(p.path))})
            results.append({
                "ruleId": p.code,
                "ruleIndex": index[p.code],
                "level": p.severity.value,
                "message": {"text": p.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": p.line, "startColumn": p.column, "endLine": p.line, "endColumn": p.column + 1},
                }}],
                "partialFingerprints": {"qtoolProblem/v1": fingerprint},
            })
        driver = {
            "name": "qtool",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [{
                "id": rule.name,
                "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule.name)),
                "shortDescription": {"text": rule.description},
                "fullDescription": {"text": rule.full_description},
                "help": {"text": rule.help, "markdown": rule.help},
                "defaultConfiguration": {"level": rule.level, "enabled": rule.level != "none"},
            } for rule in rules],
        }
        document = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False), file=self.out)
        note(summary(problems, files))


class GitlabReporter(TextReporter):
    """GitLab code quality (a Code Climate subset) on stdout: the merge request widget reads it as ``artifacts:reports:codequality``."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        issues = []
        for p, fingerprint in zip(problems, fingerprints(problems)):
            path = self.context.repo_path(p.path)
            issues.append({
                "type": "issue",
                "description": f"{p.message} [{p.code}]",
                "check_name": p.code,
                "fingerprint": fingerprint,
                "severity": gitlab_severity(p),
                "location": {"path": path if path is not None else p.path, "lines": {"begin": p.line}},
            })
        click.echo(json.dumps(issues, indent=2, ensure_ascii=False), file=self.out)
        note(summary(problems, files))


REPORTERS = {"text": TextReporter, "json": JsonReporter, "github": GithubReporter, "sarif": SarifReporter,
             "gitlab": GitlabReporter}
#: Formats whose reporter needs a ReportContext (rules and repository paths).
NEEDS_CONTEXT = ("sarif", "gitlab")
#: Codes for files qtool cannot use at all: GitLab's "critical" rather than "major".
UNUSABLE = ("parse", "schema")


def gitlab_severity(p: Problem) -> str:
    """Code Climate severity: a file qtool cannot use is critical, other errors major, warnings minor."""
    if p.severity is Severity.WARNING:
        return "minor"
    return "critical" if p.code in UNUSABLE else "major"


def fingerprints(problems: Sequence[Problem]) -> list[str]:
    """One stable fingerprint per problem: path, code, message and which occurrence of that triple it is.

    Lines are left out, so a problem keeps its fingerprint when lines above it move.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for p in problems:
        triple = (p.path.replace(os.sep, "/"), p.code, p.message)
        out.append(hashlib.sha256("\0".join((*triple, str(seen[triple]))).encode()).hexdigest())
        seen[triple] += 1
    return out


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace(os.sep, "/"), safe="/")


#: Characters a problem line must not carry raw: line breaks (which could forge another problem
#: line), escape sequences (which a terminal would obey) and other controls.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\n``, ``\\x1b``, ``\\u2028``): one safe line."""
    if text.isprintable():  # every character the pattern escapes is unprintable: most texts need no search
        return text
    return _UNPRINTABLE.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


_SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def styled_line(p: Problem) -> str:
    """``format_line`` for a terminal: the path bold, the severity in colour, the code dim."""
    path = click.style(f"{visible(p.path)}:{p.line}:{p.column}:", bold=True)
    severity = click.style(f"{p.severity.value}:", fg=_SEVERITY_COLORS[p.severity], bold=True)
    return f"{path} {severity} {visible(p.message)} {click.style(f'[{p.code}]', dim=True)}"


def format_line(p: Problem) -> str:
    return f"{visible(p.path)}:{p.line}:{p.column}: {p.severity.value}: {visible(p.message)} [{p.code}]"


def report(problems: Sequence[Problem], files: int, fmt: str | None = None, out: IO[str] | None = None, *,
           context: ReportContext | None = None) -> None:
    """Print problems sorted by file, line and column with the named reporter."""
    ordered = sorted(problems, key=_order)
    fmt = fmt or default_format()
    if context is None and fmt in NEEDS_CONTEXT:  # no rule catalog given: rules come from the problems' codes
        from qtool.gitbase import repo_prefix

        context = ReportContext((), os.getcwd(), repo_prefix())
    REPORTERS[fmt](out, context).report(ordered, files)


def _order(p: Problem) -> tuple[str, int, int, str, str]:
    return (p.path, p.line, p.column, p.code, p.message)


def exit_code(problems: Sequence[Problem], strict: bool = False) -> int:
    """0 when clean, 1 when any error (or, under strict, any warning)."""
    if any(p.severity is Severity.ERROR for p in problems):
        return 1
    if strict and problems:
        return 1
    return 0


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


# -- the GitHub step summary ---------------------------------------------------

#: GitHub's limit on one step's summary; what qtool appends stays under it.
STEP_SUMMARY_LIMIT = 1024 * 1024
#: Annotations GitHub shows per step and level; the rest are dropped silently.
GITHUB_SHOWN = 10
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def step_summary(problems: Sequence[Problem], files: int, limit: int = STEP_SUMMARY_LIMIT - 1024) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: counts per rule, then every problem by file, trimmed under ``limit`` bytes."""
    ordered = sorted(problems, key=_order)
    errors = sum(p.severity is Severity.ERROR for p in ordered)
    warnings = len(ordered) - errors
    hidden = max(0, errors - GITHUB_SHOWN) + max(0, warnings - GITHUB_SHOWN)
    head = ["## qtool check", "", _cell(summary(ordered, files)), ""]
    if hidden:
        head += [f"GitHub shows {GITHUB_SHOWN} error and {GITHUB_SHOWN} warning annotations per step: "
                 f"{hidden} of these {len(ordered)} problems are not shown as annotations; all are listed below.", ""]
    if ordered:
        counts: dict[str, Counter[str]] = {}
        for p in ordered:
            counts.setdefault(p.code, Counter())[p.severity.value] += 1
        head += ["| rule | errors | warnings |", "|---|---:|---:|"]
        head += [f"| {_code(code)} | {c['error']} | {c['warning']} |" for code, c in sorted(counts.items())]
        head += [""]
    text = "\n".join(head) + "\n"
    size = len(text.encode())
    parts = [text]
    current = None
    for shown, p in enumerate(ordered):
        block = ""
        if p.path != current:
            block += f"\n### {_code(p.path)}\n\n| line | column | severity | rule | message |\n|---:|---:|---|---|---|\n"
        block += f"| {p.line} | {p.column} | {p.severity.value} | {_code(p.code)} | {_cell(p.message)} |\n"
        more = f"\n... and {len(ordered) - shown} more (the summary is limited to 1 MiB: run `qtool check` for all)\n"
        if size + len(block.encode()) + len(more.encode()) > limit:
            parts.append(more)
            break
        parts.append(block)
        size += len(block.encode())
        current = p.path
    return "".join(parts)


def write_step_summary(problems: Sequence[Problem], files: int, environ: Mapping[str, str] | None = None) -> None:
    """Append ``step_summary`` to the file ``$GITHUB_STEP_SUMMARY`` names (set by GitHub Actions); nothing without it."""
    env = os.environ if environ is None else environ
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as exc:
        click.echo(f"warning: cannot write the step summary {path}: {exc.strerror}", err=True)
        return
    with os.fdopen(fd, "ab") as handle:
        used = os.fstat(fd).st_size
        handle.write(step_summary(problems, files, max(0, STEP_SUMMARY_LIMIT - 1024 - used)).encode())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no control characters, pipes or HTML."""
    text = _CONTROL.sub(" ", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _code(text: str) -> str:
    """Text as a Markdown code span inside a table (entities would show literally there, so none are used)."""
    return "`" + _CONTROL.sub(" ", text).replace("`", "'").replace("|", "\\|") + "`"
