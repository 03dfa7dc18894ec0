"""Run the lint rules: per-file rules over each given file, bank-wide rules over the whole bank.

``check_files`` is the one entry point (check, lint, export and new call it): load and
validate the files, lint them, apply suppressions, and return everything as one Checked.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qtool.bank import PARALLEL_FROM, Checked, FileResult, collect, scan, summarize, worker_pool
from qtool.config import Config
from qtool.lint.config import RuleSetting, active_rules
from qtool.lint.suppress import Suppression, apply, parse, unused
from qtool.loader import LoadError, load_bytes
from qtool.model import Problem, Question, Severity
from qtool.schema import validate_question

if TYPE_CHECKING:
    from qtool.gitbase import Base

UNUSED = "unused-suppression"

# The rules and their prepared options for the current run; fork()ed workers inherit them.
_CONTEXT: tuple[dict[str, RuleSetting], dict[str, dict[str, Any]]] = ({}, {})


def check_files(files: Sequence[str] | None, config: Config, *, select: Iterable[str] | None = None,
                ignore: Iterable[str] | None = None, strict: bool = False, cache: bool = False,
                jobs: int | None = None, base: Base | None = None) -> Checked:
    """Load, validate and lint ``files`` (None: the whole bank); ConfigError for a bad rules table or rule name.

    The result's problems hold everything: parse, schema, id-path, lint, unused suppressions.
    With ``cache``, unchanged files and an unchanged bank are answered from ``.qtool-cache/``.
    ``base`` (``qtool check --against``) is the git base the guid-stable rule compares with.
    """
    settings = active_rules(config, select or (), ignore or ())
    prepared = {name: s.rule.prepare(dict(s.options), config.root) for name, s in settings.items()}
    # --- issue 14: the git base reaches guid-stable as one of its options (the cache keys on its repr) ---
    if base is not None and "guid-stable" in prepared:
        prepared["guid-stable"] = {**prepared["guid-stable"], "base": base}
    gc.disable()  # a short run that frees by reference counting; the collector's passes over the cache cost more than they find
    try:
        return _check(files, config, settings, prepared, strict, cache, jobs)
    finally:
        gc.enable()


def _check(files: Sequence[str] | None, config: Config, settings: dict[str, RuleSetting],
           prepared: dict[str, dict[str, Any]], strict: bool, cache: bool, jobs: int | None) -> Checked:
    global _CONTEXT
    bank_wide = [s for s in settings.values() if s.rule.bank_wide]
    if files is None:
        files = _bank(config)
        universe = list(files)
    else:
        universe = list(files) + (_rest_of_bank(files, config) if bank_wide else [])
    store = None
    if cache:
        from qtool.cache import CheckCache, context_key, run_cached, run_key, run_lookup, stat_signature

        described = sorted((name, s.severity.value, sorted(s.options.items())) for name, s in settings.items())
        key = context_key(described, _without_base(prepared), config.max_file_size, strict)
        whole = key + _base_tag(prepared)  # issue 14: per-file results do not depend on the git base; whole runs do
        if run_cached(config.root):
            previous = run_lookup(config.root, run_key(whole, files, ((name, stat_signature(name)) for name in universe)))
            if previous is not None:
                return Checked(list(files), previous["problems"], set(previous["broken"]), statuses=previous["statuses"])
        store = CheckCache(config.root, key, _encode_suppressions, _decode_suppressions)
    _CONTEXT = (settings, prepared)
    results = scan(universe, analyse, max_bytes=config.max_file_size, cache=store, jobs=jobs)
    given = results[: len(files)]
    found = _bank_problems(results, given, bank_wide, prepared, store)
    checked = collect(given, files)
    checked.problems = _finish(given, found, settings, strict)
    if store is not None:
        from qtool.cache import run_key, run_store

        store.save(keep=universe)
        # The signatures were taken before each file was read: a file changed since looks changed next time.
        last_run = run_key(whole, files, ((r.path, r.signature) for r in results))
        run_store(config.root, last_run, checked.problems, checked.broken, checked.statuses)
    return checked


# --- issue 14: the git base (guid-stable's "base" option) keys bank-wide and whole-run results only ---
def _without_base(prepared: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in options.items() if k != "base"} for name, options in prepared.items()}


def _base_tag(prepared: dict[str, dict[str, Any]]) -> str:
    return "".join(repr(options["base"]) for options in prepared.values() if "base" in options)


def analyse(path: str, data: bytes) -> FileResult:
    """One file's load, schema and per-file lint problems (suppressions applied), and its summary."""
    settings, prepared = _CONTEXT
    loaded = load_bytes(data, path)
    if isinstance(loaded, LoadError):
        return FileResult(path, [loaded.problem()], True, None, [])
    schema = validate_question(loaded)
    broken = any(p.severity is Severity.ERROR for p in schema)
    lint = [p for s in settings.values() if not s.rule.bank_wide and s.rule.name != UNUSED
            and not (broken and s.rule.needs_valid) for p in s.rule.check(loaded, prepared[s.rule.name])]
    suppressions = parse(loaded.text)
    if suppressions:
        lint = apply(loaded, lint, suppressions)
    covering = [p for p in lint if settings[p.code].rule.covers_schema]
    if broken and covering:
        dropped = _explained_schema_problems(loaded, covering, settings)
        schema = [p for p in schema if p not in dropped]
    return FileResult(path, schema + lint, broken, summarize(loaded), suppressions)


def _bank_problems(results: Sequence[FileResult], given: Sequence[FileResult], bank_wide: list[RuleSetting],
                   prepared: dict[str, dict[str, Any]], store: Any) -> dict[str, list[Problem]]:
    """Bank-wide rules over every file's summary, reporting on the given valid files only."""
    report_on = [r.path for r in given if not r.broken and r.summary is not None]
    report_on += [path for s in bank_wide for path in s.rule.outside_paths(prepared[s.rule.name])]  # issue 14: deleted files
    found: dict[str, list[Problem]] = {}
    if not bank_wide or not report_on:
        return found
    key = store.bank_key(results, report_on) + _base_tag(prepared) if store is not None else ""
    problems = store.bank_lookup(key) if store is not None else None
    if problems is None:
        summaries = [r.summary for r in results if r.summary is not None]
        problems = _run_bank_rules(bank_wide, summaries, prepared, set(report_on))
        if store is not None:
            store.bank_store(key, problems)
    for problem in problems:
        found.setdefault(problem.path, []).append(problem)
    return found


#: Largest bank whose bank-wide rules run side by side in forked children (see _run_bank_rules).
PARALLEL_BANK_UPTO = 50_000
# The bank-wide stage's inputs; fork()ed workers inherit them.
_BANK: tuple[list[RuleSetting], list[Question], dict[str, dict[str, Any]], set[str]] = ([], [], {}, set())


def _run_bank_rules(bank_wide: list[RuleSetting], summaries: list[Question], prepared: dict[str, dict[str, Any]],
                    targets: set[str]) -> list[Problem]:
    """Every bank-wide rule's problems on the target files; for a big bank, the rules run side by side on all cores."""
    global _BANK
    _BANK = (bank_wide, summaries, prepared, targets)
    order = list(range(len(bank_wide)))
    workers = min(os.cpu_count() or 1, len(order))
    # A forked child copies every memory page it touches, and these rules touch every summary:
    # past PARALLEL_BANK_UPTO questions the copies cost more memory than the seconds they save.
    if workers < 2 or not PARALLEL_FROM <= len(summaries) <= PARALLEL_BANK_UPTO or not hasattr(os, "fork"):
        return [p for index in order for p in _bank_rule(index)]
    # The slowest rule (near-duplicate) starts first, so the others fit beside it.
    order.sort(key=lambda index: bank_wide[index].rule.name != "near-duplicate")
    with worker_pool(workers) as pool:
        found = dict(zip(order, pool.imap(_bank_rule, order, chunksize=1)))
    return [p for index in range(len(bank_wide)) for p in found[index]]


def _bank_rule(index: int) -> list[Problem]:
    bank_wide, summaries, prepared, targets = _BANK
    rule = bank_wide[index].rule
    return [p for p in rule.check_bank(summaries, prepared[rule.name], targets) if p.path in targets]


def _finish(given: Sequence[FileResult], found: dict[str, list[Problem]], settings: dict[str, RuleSetting],
            strict: bool) -> list[Problem]:
    """Apply suppressions to bank-wide problems, report unused suppressions, set configured severities."""
    severity = {name: _severity(s, strict) for name, s in settings.items()}
    out: list[Problem] = []
    for result in given:
        problems = list(result.problems)
        extra = found.get(result.path, [])
        suppressions: list[Suppression] = result.extra or []
        if suppressions and extra and result.summary is not None:
            extra = apply(result.summary, extra, suppressions)
        problems += extra
        if suppressions and UNUSED in settings and result.summary is not None:
            ran = _ran(settings, result.broken)
            problems += [Problem(result.path, line, column, severity[UNUSED], message, UNUSED)
                         for line, column, message in unused(result.summary, suppressions, ran, _known())]
        out.extend(_with_severity(p, settings, severity, strict) for p in problems)
    # --- issue 14: bank-wide problems at paths no longer in the bank (guid-stable: files deleted since the base) ---
    for path in sorted(set(found) - {r.path for r in given}):
        out.extend(_with_severity(p, settings, severity, strict) for p in found[path])
    return out


def _with_severity(p: Problem, settings: dict[str, RuleSetting], severity: dict[str, Severity], strict: bool) -> Problem:
    """The configured severity; a rule's deliberately milder problem keeps its own unless configuration or --strict says otherwise."""
    setting = settings.get(p.code)
    if setting is None or p.severity is severity[p.code]:
        return p
    rule = setting.rule
    if p.severity is not rule.default_severity and severity[p.code] is rule.default_severity \
            and not (strict and rule.strict_severity is not None):
        return p
    return replace(p, severity=severity[p.code])


def _encode_suppressions(suppressions: list[Suppression] | None) -> list[Any]:
    return [[s.line, s.column, s.directive, list(s.rules), s.target, sorted(s.used)] for s in suppressions or []]


def _decode_suppressions(rows: list[Any]) -> list[Suppression]:
    return [Suppression(line, column, directive, tuple(rules), target, set(used))
            for line, column, directive, rules, target, used in rows]


def _severity(setting: RuleSetting, strict: bool) -> Severity:
    if strict and setting.rule.strict_severity is not None:
        return setting.rule.strict_severity
    return setting.severity


def _ran(settings: dict[str, RuleSetting], broken: bool) -> set[str]:
    return {name for name, s in settings.items() if not (broken and (s.rule.needs_valid or s.rule.bank_wide))}


def _known() -> Iterable[str]:
    from qtool.lint.rules import RULES

    return RULES


def _bank(config: Config) -> list[str]:
    from qtool.files import question_files

    return question_files((), config.root, config.exclude)


def _rest_of_bank(given: Sequence[str], config: Config) -> list[str]:
    """The bank's other files: what bank-wide rules compare the given files with."""
    bank = _bank(config)
    if list(given) == bank:
        return []
    cwd = os.getcwd()
    identity = lambda name: os.path.normcase(os.path.normpath(os.path.join(cwd, name)))  # noqa: E731
    seen = {identity(name) for name in given}
    return [name for name in bank if identity(name) not in seen]


def _explained_schema_problems(q: Question, lint: list[Problem], settings: dict[str, RuleSetting]) -> set[Problem]:
    """Schema problems of ``q`` at the same spot, and about the same key, as a rule's own line.

    Rules such as required-sections say what a missing or empty section is for; printing the
    schema's generic line for the same spot as well would only repeat it.
    """
    from qtool.schema import error_problems, validator

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
