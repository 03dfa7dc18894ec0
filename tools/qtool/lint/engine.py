"""The lint engine: one file's load, schema and per-file rules, and the bank-wide rules over every summary.

The pipeline (``qtool.pipeline``) calls ``analyse`` for each file and ``bank_problems`` once
per run; both are plain functions of their arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

from qtool.lint.config import RuleSetting
from qtool.lint.suppress import Suppression, apply, parse
from qtool.loader import LoadError, load_bytes
from qtool.model import FileResult, Problem, Question, Severity
from qtool.schema import error_problems, validate_question, validator
from qtool.workers import PARALLEL_FROM, can_fork, forked, shared, sharing, worker_count

UNUSED = "unused-suppression"
#: Largest bank whose other bank-wide rules run in a forked child beside the slowest (see bank_problems).
PARALLEL_BANK_UPTO = 50_000


def analyse(settings: dict[str, RuleSetting], prepared: dict[str, dict[str, Any]], path: str, data: bytes) -> FileResult:
    """One file's load, schema and per-file lint problems (suppressions applied), and its summary."""
    result, rest = analyse_first(path, data)
    return result if rest is None else joined(result, analyse_rest(settings, prepared, rest))


Rest = tuple[Question, list[Problem], bool]
"""What a file's per-file rules need once it is loaded: the question, its schema problems, and whether it is broken."""


def analyse_first(path: str, data: bytes) -> tuple[FileResult, Rest | None]:
    """What the bank-wide rules need of a file (its summary, and whether it is broken), with its schema problems,
    and what ``analyse_rest`` needs for the rest (None: nothing is left to do; else the result's ``extra`` is None until ``joined``).

    The two halves let the per-file rules of some files run while the bank-wide rules do (``workers.Later``).
    """
    loaded = load_bytes(data, path)
    if isinstance(loaded, LoadError):
        return FileResult(path, [loaded.problem()], True, None, []), None
    schema = validate_question(loaded)
    broken = any(p.severity is Severity.ERROR for p in schema)
    return FileResult(path, schema, broken, loaded.summary(), None), (loaded, schema, broken)


def analyse_rest(settings: dict[str, RuleSetting], prepared: dict[str, dict[str, Any]], rest: Rest,
                 ) -> tuple[list[Problem], list[Suppression]]:
    """A loaded file's problems (schema and per-file lint, suppressions applied) and its suppressions."""
    loaded, schema, broken = rest
    lint = [p for s in settings.values() if not s.rule.bank_wide and s.rule.name != UNUSED
            for p in s.rule.check(loaded, prepared[s.rule.name])]
    suppressions = parse(loaded.text)
    if suppressions:
        lint = apply(loaded, lint, suppressions)
    covering = [p for p in lint if settings[p.code].rule.covers_schema]
    if broken and covering:
        dropped = _explained_schema_problems(loaded, covering, settings)
        schema = [p for p in schema if p not in dropped]
    return schema + lint, suppressions


def joined(result: FileResult, rest: tuple[list[Problem], list[Suppression]] | None) -> FileResult:
    """``result`` (from ``analyse_first``) with the problems and suppressions ``analyse_rest`` found (None: as it is)."""
    if rest is not None:
        result.problems, result.extra = rest
    return result


def bank_problems(bank_wide: list[RuleSetting], summaries: list[Question], prepared: dict[str, dict[str, Any]],
                  targets: set[str], memos: dict[str, Any] | None = None,
                  changed: Collection[str] | None = None, keep: Callable[[str, dict[str, Any]], bytes] | None = None,
                  ) -> list[Problem]:
    """Every bank-wide rule's problems on the target files; for a big bank, the slowest rule has a core of its own.

    ``memos`` holds, by rule name, the index each rule that keeps one left in an earlier run
    (filled in place); ``changed`` names the files that may differ since (None: start afresh).
    ``keep``, when given, is called with each rule's name and new index in the process that made
    it (a forked child need not send a big index back), and what it returns takes the index's
    place in ``memos``.
    """
    order = list(range(len(bank_wide)))
    workers = min(worker_count(), len(order))
    with sharing((bank_wide, summaries, prepared, targets, memos, changed, keep)):
        # A forked child copies every memory page it touches, and the rules touch every summary:
        # past PARALLEL_BANK_UPTO questions the copies cost more memory than the seconds they save.
        # An index kept from the last run makes the rules quick: forking would cost more than it saves.
        if workers < 2 or not PARALLEL_FROM <= len(summaries) <= PARALLEL_BANK_UPTO or not can_fork() \
                or changed is not None:
            found = {index: _bank_rule(index) for index in order}
        else:
            # The slowest rule (near-duplicate) runs here, beside a forked child that runs the others: its index,
            # begun during the scan, and its many problems stay in this process; the others' few cross back.
            # A one-shot fork, not a pool: a pool's start and stop (its threads, its worker's reaping) cost 30 ms here.
            slowest = next((index for index in order if bank_wide[index].rule.name == "near-duplicate"), order[0])
            others = [index for index in order if index != slowest]
            beside = forked(functools.partial(_bank_rules_rows, others))
            found = {slowest: _bank_rule(slowest)}
            for index, (rows, memo) in zip(others, beside() if beside is not None else _bank_rules_rows(others)):
                found[index] = [Problem(path, line, column, Severity(severity), message, code)
                                for path, line, column, severity, message, code in rows], memo
    for index, (_, memo) in found.items():
        if memos is not None and memo is not None:
            memos[bank_wide[index].rule.name] = memo
    return [p for index in range(len(bank_wide)) for p in found[index][0]]


def bank_problems_after(bank_wide: list[RuleSetting], summaries: list[Question], prepared: dict[str, dict[str, Any]],
                        targets: set[str], memos: dict[str, dict[str, Any]], earlier: list[Question],
                        behind: Collection[str], changed: Collection[str], found: list[Problem] | None) -> list[Problem]:
    """``bank_problems`` after the ``changed`` files' summaries changed, given what was ``found`` before that edit.

    ``summaries`` hold the current summaries of the changed and ``behind`` files (those changed
    since the kept indexes were made, before what was found), ``earlier`` the summaries the
    ``behind`` ones had when it was found. A rule that can tell which files an edit touches
    brings its index to ``earlier``, then judges only the files the edit touches: the others'
    problems are as found. The other rules, or all of them without ``found``, resume from their
    index with every file changed since and judge every file.
    """
    out: list[Problem] = []
    for setting in bank_wide:
        rule, options = setting.rule, prepared[setting.rule.name]
        memo = memos.setdefault(rule.name, {})
        redone = rule.rejudge(earlier, summaries, options, targets, memo, behind, changed) if found is not None else None
        if found is None or redone is None:
            everything = set(behind).union(changed)
            out += [p for p in rule.check_bank_with_memo(summaries, options, targets, memo, everything) if p.path in targets]
        else:
            touched, problems = redone
            out += [p for p in found if p.code == rule.name and p.path not in touched]
            out += [p for p in problems if p.path in targets]
    return out


def _bank_rule(index: int) -> tuple[list[Problem], dict[str, Any] | bytes | None]:
    """One bank-wide rule's problems on the targets, and the index it keeps (or what ``keep`` made of it)."""
    bank_wide, summaries, prepared, targets, memos, changed, keep = shared()
    rule = bank_wide[index].rule
    if not rule.keeps_memo or memos is None:
        return [p for p in rule.check_bank(summaries, prepared[rule.name], targets) if p.path in targets], None
    memo = memos.setdefault(rule.name, {})
    found = [p for p in rule.check_bank_with_memo(summaries, prepared[rule.name], targets, memo, changed)
             if p.path in targets]
    return found, (memo if keep is None else keep(rule.name, memo))


def _bank_rules_rows(indexes: list[int]) -> list[tuple[list[tuple[Any, ...]], dict[str, Any] | bytes | None]]:
    """``_bank_rule`` of each rule, with its problems as tuples of plain fields (a forked child sends them back marshalled)."""
    out = []
    for index in indexes:
        problems, memo = _bank_rule(index)
        out.append(([(p.path, p.line, p.column, p.severity.value, p.message, p.code) for p in problems], memo))
    return out


def _explained_schema_problems(q: Question, lint: list[Problem], settings: dict[str, RuleSetting]) -> set[Problem]:
    """Schema problems of ``q`` at the same spot, and about the same key, as a rule's own line.

    Rules such as required-sections say what a missing or empty section is for; printing the
    schema's generic line for the same spot as well would only repeat it.
    """
    spots = {(p.line, p.column, key) for p in lint for key in settings[p.code].rule.covers_schema}
    explained = set()
    for error in validator().iter_errors(q.data):
        parts = [str(part) for part in error.absolute_path]
        if error.validator == "required" and not parts and isinstance(error.instance, dict):
            missing = [key for key in error.validator_value if key not in error.instance]
            for key, problem in zip(missing, error_problems(q, error)):
                if (problem.line, problem.column, key) in spots:
                    explained.add(problem)
            continue
        top = parts[0] if parts else ""
        for problem in error_problems(q, error):
            if (problem.line, problem.column, top) in spots:
                explained.add(problem)
    return explained
