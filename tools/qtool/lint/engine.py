"""Run the lint rules: per-file rules over each given file, bank-wide rules over the whole bank.

``check_files`` is the one entry point (check, lint, export and new call it): load and
validate the files, lint them, apply suppressions, and return everything as one Checked.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Iterable, Sequence

from qtool.bank import Checked, load_and_validate
from qtool.config import Config
from qtool.lint.config import RuleSetting, active_rules
from qtool.lint.suppress import apply, parse, unused
from qtool.model import Problem, Question, Severity

UNUSED = "unused-suppression"


def check_files(files: Sequence[str], config: Config, *, select: Iterable[str] | None = None,
                ignore: Iterable[str] | None = None, strict: bool = False) -> Checked:
    """Load, validate and lint ``files``; ConfigError for a bad rules table or rule name.

    The result's problems hold everything: parse, schema, id-path, lint, unused suppressions.
    """
    settings = active_rules(config, select or (), ignore or ())
    prepared = {name: s.rule.prepare(dict(s.options), config.root) for name, s in settings.items()}
    checked = load_and_validate(files, config.max_file_size)
    lint_checked(checked, config, settings, prepared, strict)
    return checked


def lint_checked(checked: Checked, config: Config, settings: dict[str, RuleSetting],
                 prepared: dict[str, dict[str, Any]], strict: bool = False) -> None:
    """Add lint problems (and drop schema lines a rule explains better) to an already validated set."""
    per_file = [s for s in settings.values() if not s.rule.bank_wide and s.rule.name != UNUSED]
    bank_wide = [s for s in settings.values() if s.rule.bank_wide]
    found: dict[str, list[Problem]] = {}
    for q in checked.questions:
        broken = q.path in checked.broken
        found[q.path] = [p for s in per_file if not (broken and s.rule.needs_valid)
                         for p in s.rule.check(q, prepared[s.rule.name])]
    if bank_wide:
        questions = checked.questions + _rest_of_bank(checked.files, config)
        report_on = {q.path for q in checked.valid}
        for s in bank_wide:
            for problem in s.rule.check_bank(questions, prepared[s.rule.name], report_on):
                if problem.path in report_on:
                    found[problem.path].append(problem)

    severity = {name: _severity(s, strict) for name, s in settings.items()}
    covering = {name for name, s in settings.items() if s.rule.covers_schema}
    dropped: set[Problem] = set()
    for q in checked.questions:
        problems = found[q.path]
        suppressions = parse(q.text)
        if suppressions:
            problems = apply(q, problems, suppressions)
            if UNUSED in settings:
                ran = _ran(settings, q.path in checked.broken)
                problems += [Problem(q.path, line, column, severity[UNUSED], message, UNUSED)
                             for line, column, message in unused(q, suppressions, ran, _known())]
        problems = [p if p.severity is severity[p.code] else replace(p, severity=severity[p.code]) for p in problems]
        if q.path in checked.broken and any(p.code in covering for p in problems):
            dropped |= _explained_schema_problems(q, [p for p in problems if p.code in covering], settings)
        checked.problems.extend(problems)
    if dropped:
        checked.problems[:] = [p for p in checked.problems if p not in dropped]


def _severity(setting: RuleSetting, strict: bool) -> Severity:
    if strict and setting.rule.strict_severity is not None:
        return setting.rule.strict_severity
    return setting.severity


def _ran(settings: dict[str, RuleSetting], broken: bool) -> set[str]:
    return {name for name, s in settings.items() if not (broken and (s.rule.needs_valid or s.rule.bank_wide))}


def _known() -> Iterable[str]:
    from qtool.lint.rules import RULES

    return RULES


def _rest_of_bank(given: Sequence[str], config: Config) -> list[Question]:
    """The bank's other files, loaded once (without schema checks): what bank-wide rules compare with."""
    from qtool.files import question_files
    from qtool.loader import load_file

    seen = {_identity(name) for name in given}
    rest = []
    for name in question_files((), config.root, config.exclude):
        if _identity(name) in seen:
            continue
        loaded = load_file(name, max_bytes=config.max_file_size)
        if isinstance(loaded, Question):
            rest.append(loaded)
    return rest


def _identity(name: str) -> str:
    return os.path.normcase(os.path.abspath(name))


def _explained_schema_problems(q: Question, lint: list[Problem], settings: dict[str, RuleSetting]) -> set[Problem]:
    """Schema problems of ``q`` at the same spot, and about the same key, as a rule's own line.

    Rules such as required-sections say what a missing or empty section is for; printing the
    schema's generic line for the same spot as well would only repeat it.
    """
    from qtool.schema import _problems, validator

    spots = {(p.line, p.column, key) for p in lint for key in settings[p.code].rule.covers_schema}
    explained = set()
    for error in validator().iter_errors(q.data):
        parts = [str(part) for part in error.absolute_path]
        if error.validator == "required" and not parts and isinstance(error.instance, dict):
            missing = [key for key in error.validator_value if key not in error.instance]
            for key, problem in zip(missing, _problems(q, error)):
                if (problem.line, problem.column, key) in spots:
                    explained.add(problem)
            continue
        top = parts[0] if parts else ""
        for problem in _problems(q, error):
            if (problem.line, problem.column, top) in spots:
                explained.add(problem)
    return explained


def lint_view(checked: Checked) -> list[Problem]:
    """What ``qtool lint`` shows: lint and parse problems; schema problems folded into one line per file."""
    out = [p for p in checked.problems if p.code != "schema"]
    schema: dict[str, list[Problem]] = {}
    for p in checked.problems:
        if p.code == "schema":
            schema.setdefault(p.path, []).append(p)
    for path, problems in schema.items():
        first = min(problems, key=lambda p: (p.line, p.column))
        count = len(problems)
        out.append(Problem(path, first.line, first.column, Severity.ERROR,
                           f"the file does not match the schema ({count} problem{'s' if count != 1 else ''}): run `qtool check` "
                           "to see them; rules that need a valid file skipped it", "schema"))
    return out
