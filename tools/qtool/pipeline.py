"""The check pipeline: scan the files, reuse the cache, lint each file, run the bank-wide stage,
apply suppressions and severities. One pipeline serves validate, lint, check, new, import and export.

It keeps no file's full data: each file yields a FileResult (its problems plus a small summary
for the bank-wide rules), so a 100,000-file bank fits in memory. Large sets of files are
analysed on every core (``workers``), and an optional cache skips unchanged files (``cache``).
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtool.cache import (
    CheckCache,
    KeptIndexes,
    RunFiles,
    changed_since,
    context_key,
    decoded,
    decoded_summary,
    encoded,
    encoded_summary,
    keep_walk,
    last_walk,
    run_cached,
    run_context,
    run_files,
    run_key,
    run_record,
    run_store,
    run_store_patch,
    signature_digests,
    statuses_of,
)
from qtool.config import Config
from qtool.files import MISNAMED_SUFFIX, SUFFIX, digest, question_files, stat_signature, stat_signatures
from qtool.lint.config import RuleSetting, active_rules
from qtool.lint.engine import (
    PARALLEL_BANK_UPTO,
    UNUSED,
    Rest,
    analyse,
    analyse_first,
    analyse_rest,
    bank_problems,
    bank_problems_after,
    joined,
)
from qtool.lint.rule import STARTED, Started, dumped
from qtool.lint.rules import RULES
from qtool.lint.suppress import Suppression, apply, unused
from qtool.loader import DEFAULT_MAX_BYTES, LoadError, load_bytes, read_file
from qtool.model import Checked, FileResult, Problem, Question, Severity, same_parts
from qtool.schema import validate_question
from qtool.workers import PARALLEL_FROM, Later, forked, parallel_map, shared, sharing

if TYPE_CHECKING:
    from qtool.gitbase import Base

Analyser = Callable[[str, bytes], FileResult]
#: The share of a first run's files whose per-file rules run while the bank stage does (see ``scan``) ...
PUT_OFF_SHARE = 0.5
#: ... and at most this many: the workers keep those files' loaded questions (some 25 KB each) until then.
PUT_OFF_UPTO = 10_000


def check_files(files: Sequence[str] | None, config: Config, *, select: Iterable[str] | None = None,
                ignore: Iterable[str] | None = None, strict: bool = False, cache: bool = False,
                jobs: int | None = None, base: Base | None = None, contents: Mapping[str, bytes] | None = None,
                progress: Callable[[int], None] | None = None) -> Checked:
    """Load, validate and lint ``files`` (None: the whole bank); ConfigError for a bad rules table or rule name.

    The result's problems hold everything: parse, schema, id-path, lint, unused suppressions.
    With ``cache``, unchanged files and an unchanged bank are answered from ``.qtool-cache/``.
    ``base`` (``qtool check --against``) is the git base the guid-stable rule compares with.
    ``contents`` gives files' bytes from elsewhere than the disk (an editor's buffer piped to
    ``qtool check -``): those replace the files on disk, and nothing is cached. ``progress`` is
    called with the number of files read as they are (for a progress bar).
    """
    settings = active_rules(config, select or (), ignore or ())
    prepared = {name: s.rule.prepare(dict(s.options), config.root) for name, s in settings.items()}
    # The git base reaches guid-stable as one of its options (a plain value, never a global).
    if base is not None and "guid-stable" in prepared:
        prepared["guid-stable"] = {**prepared["guid-stable"], "base": base}
    collecting = gc.isenabled()
    gc.disable()  # a short run that frees by reference counting; the collector's passes over the cache cost more than they find
    try:
        return _check(files, config, settings, prepared, strict, cache and not contents, jobs, contents or {}, progress)
    finally:
        if collecting:
            gc.enable()


def _check(files: Sequence[str] | None, config: Config, settings: dict[str, RuleSetting],
           prepared: dict[str, dict[str, Any]], strict: bool, cache: bool, jobs: int | None,
           contents: Mapping[str, bytes], progress: Callable[[int], None] | None) -> Checked:
    # A bank-wide rule with nothing to compare (guid-stable without a git base) neither reads the bank nor judges suppressions.
    idle = {name for name, s in settings.items() if s.rule.idle(prepared[name])}
    bank_wide = [s for s in settings.values() if s.rule.bank_wide and s.rule.name not in idle]
    everything = files is None
    if files is None:
        files = _bank(config, cache)
        universe = list(files)
    else:
        universe = list(files) + (_rest_of_bank(files, config, cache) if bank_wide else [])
    analyser = functools.partial(analyse, settings, prepared)
    active = {name: s for name, s in settings.items() if name not in idle}
    store = None
    signatures: list[tuple[str, tuple[int, ...]]] = []
    digests: list[bytes] = []
    first_key = None
    if cache:
        described = sorted((name, s.severity.value, sorted(s.options.items())) for name, s in settings.items())
        key = context_key(described, _without_base(prepared), config.max_file_size, strict)
        whole = key + _base_tag(prepared)  # per-file results do not depend on the git base; whole runs do
        context = run_context(whole, files)
        if run_cached(config.root, context):
            # Each file is looked at once, before it is read: a file changed since then looks changed next time.
            signatures = list(zip(universe, stat_signatures(universe)))
            digests = signature_digests(signatures)
            first_key = run_key(context, digests)
            record = run_record(config.root, context)
            if record is not None and record.get("key") == first_key:
                problems = decoded(record.get("problems"))
                if problems is not None:
                    return Checked(list(files), problems, set(record["broken"]), statuses=statuses_of(record, files))
            if record is not None:
                patched = _patched(record, context, files, signatures, analyser, active, strict, config,
                                   (whole, first_key, digests), (key, bank_wide, prepared))
                if patched is not None:
                    return patched
        store = CheckCache(config.root, key, _encode_suppressions, _decode_suppressions)
        # Files to look up in the cache are looked at once, before any is read. With none (a first run),
        # each worker takes its files' signatures just before reading them, on every core.
        if store.files and not signatures:
            signatures = list(zip(universe, stat_signatures(universe)))
    # A whole bank with no kept indexes: rules that can take the summaries as the scan reads them begin now.
    started = _begun(bank_wide, prepared) if everything and (store is None or not KeptIndexes.kept(config.root)) else {}
    # A first run over a big bank runs its bank stage while the workers run the per-file rules of the last files:
    # near-duplicate holds one core for that stage, and the other is free once the other bank rules are done.
    staged: list[tuple[dict[str, list[Problem]], bytes]] = []
    meanwhile = None
    if started and PARALLEL_FROM <= len(universe) <= PARALLEL_BANK_UPTO:
        def meanwhile(results: list[FileResult]) -> None:
            staged.append(_bank_stage(results, results[: len(files)], bank_wide, prepared, store, config.root, started))
    results = scan(universe, analyser, max_bytes=config.max_file_size, cache=store, jobs=jobs, contents=contents,
                   progress=progress, signatures=[signature for _, signature in signatures],
                   each=_taking(started) if started else None, meanwhile=meanwhile,
                   rest=functools.partial(analyse_rest, settings, prepared))
    given = results[: len(files)]
    # A big bank's entries are written by a forked child (up to PARALLEL_BANK_UPTO files, as bank_problems forks: past
    # that, a child's copied pages cost more than it saves) while this process runs the bank stage or, when that stage
    # ran during the scan (``staged``), while it records the run: the child then writes the bank's results too.
    entries = forked(functools.partial(store.write_entries, universe, store.settled_bank() if staged else None)) \
        if store is not None and store.rewrites and PARALLEL_FROM <= len(universe) <= PARALLEL_BANK_UPTO else None
    found, indexes = staged[0] if staged else _bank_stage(results, given, bank_wide, prepared, store, config.root, started)
    checked = collect(given, files)
    checked.problems = _finish(given, found, active, strict)
    if store is not None:
        if first_key is None or not all(r.signature == seen for r, (_, seen) in zip(results, signatures)):
            digests = signature_digests([(r.path, r.signature) for r in results])
            first_key = run_key(context, digests)
        run_store(config.root, first_key, checked.problems, checked.broken, checked.statuses, context=context,
                  given=files, files={r.path: (r.signature, r.fingerprint) for r in results}, digests=digests,
                  found=encoded(p for problems in found.values() for p in problems), indexes=indexes)
        # Last: the child writing the entries has had the run record's time to finish.
        store.save(keep=universe, written=entries() if entries is not None else b"", with_bank=bool(staged))
    return checked


#: At most this many changed files are patched into the last report; more go through the whole pipeline.
PATCH_UPTO = 64


def _patched(record: dict[str, Any], context: str, files: Sequence[str], signatures: list[tuple[str, tuple[int, ...]]],
             analyser: Analyser, active: dict[str, RuleSetting], strict: bool, config: Config,
             keys: tuple[str, str, list[bytes]], bank: tuple[str, list[RuleSetting], dict[str, dict[str, Any]]]) -> Checked | None:
    """The last report with a few changed files checked again; None when the whole pipeline must decide.

    Bank-wide rules see only summaries: with every summary as before, what they found is as
    before, so only the changed files' own problems (and their suppressions) are redone. When
    summaries changed, the rules' kept indexes are brought up to date with those files alone
    (``_rejudged``), and the few other files whose bank-wide problems changed are redone too.
    The per-file cache is not opened, which is what makes this quick on a large bank. ``keys`` are the
    run's whole context, and its key and signature digests taken at its start.
    """
    whole, first_key, digests = keys
    known = run_files(config.root, record) if record.get("context") == context else None
    try:
        changed = known.changed(signatures, record["digests"], digests, PATCH_UPTO) if known is not None else None
    except ValueError:  # a part of the table that does not decode
        return None
    if known is None or not changed:
        return None
    previous = decoded(record.get("problems"))
    if previous is None:
        return None

    def rescan(paths: Iterable[str]) -> list[FileResult]:
        return scan(sorted(paths), analyser, max_bytes=config.max_file_size, hashing=True)

    fresh = rescan(changed)
    stored_found: Any = record.get("found")
    found_rows: list[Problem] | None = None
    # Every summary as before: the kept indexes agree with this run's files as they did with the record's.
    pending: dict[str, Any] = record.get("pending") or {}
    indexes: bytes = record.get("indexes") or b""
    if any(r.fingerprint != known[r.path][1] for r in fresh):
        found_rows = decoded(stored_found)
        if whole != bank[0] or len(files) != len(signatures) or found_rows is None:  # a git base, or bank files not asked about
            return None
        rejudged = _rejudged(config.root, bank, record, known, fresh, found_rows, (files, rescan))
        if rejudged is None:
            return None
        found_rows, pending, indexes = rejudged
        stored_found = encoded(found_rows)
    given = set(files)
    mine = [r for r in fresh if r.path in given]
    redone = {r.path for r in fresh}
    if found_rows is None:  # every summary as before: the bank-wide problems are as found, and only the redone files' are read
        found_rows = decoded(row for row in stored_found if row[0] in redone)
        if found_rows is None:
            return None
    found: dict[str, list[Problem]] = {}
    for problem in found_rows:
        if problem.path in redone:
            found.setdefault(problem.path, []).append(problem)
    checked = collect(mine, [r.path for r in mine])
    checked.files = list(files)
    checked.problems = [p for p in previous if p.path not in redone]
    checked.problems += _finish(mine, found, active, strict)
    checked.broken |= {path for path in record["broken"] if path not in redone}
    checked.statuses = statuses_of(record, files, {path: checked.statuses.get(path) for path in redone})
    checked.summaries = {}
    entries = {r.path: (r.signature, r.fingerprint) for r in fresh}
    # Every file as at the start of the run (none changed while it was read): the key taken then is this state's.
    if not all(r.path in known and r.signature == changed.get(r.path, known[r.path][0]) for r in fresh):
        now = {**known, **entries}
        digests = signature_digests([(name, now[name][0]) for name, _ in signatures])
        first_key = run_key(context, digests)
    run_store_patch(config.root, record, known, first_key, checked.problems, checked.broken, checked.statuses,
                    given=files, digests=digests, changed=entries, found=stored_found, pending=pending, indexes=indexes)
    return checked


def _summary_entry(result: FileResult | None) -> tuple[bytes, Any]:
    """A file's summary fingerprint and summary as a run record keeps them (b"", None: none)."""
    if result is None or result.summary is None:
        return b"", None
    return result.fingerprint, encoded_summary(result.summary)


def _pending(record: dict[str, Any]) -> dict[str, tuple[bytes, Question | None, bytes]] | None:
    """The files a record's kept bank indexes were left behind for, by path: the fingerprint and summary
    each had on record, and the fingerprint it has in the indexes (b"": none); None when they do not decode."""
    pending = record.get("pending")
    out: dict[str, tuple[bytes, Question | None, bytes]] = {}
    try:
        for path, (fingerprint, summary, indexed) in (pending.items() if isinstance(pending, dict) else ()):
            out[path] = (fingerprint, decoded_summary(path, summary), indexed)
    except (TypeError, ValueError):
        return None
    return out


#: The kept bank indexes are rewritten by a patched run once this many files differ from those they were made from:
#: until then each patched run gives the rules those few files again, which costs less than rewriting a big bank's indexes.
REWRITE_FROM = 16


def _rejudged(root: Path, bank: tuple[str, list[RuleSetting], dict[str, dict[str, Any]]], record: dict[str, Any],
              known: RunFiles, fresh: list[FileResult], found: list[Problem],
              bank_files: tuple[Sequence[str], Callable[[Iterable[str]], list[FileResult]]],
              ) -> tuple[list[Problem], dict[str, Any], bytes] | None:
    """Every bank-wide problem after some summaries changed (``fresh`` holds the changed files, ``found``
    what the ``record`` found), the summaries to keep as pending, and the checksum of the kept
    indexes that agree with the files but for those; None when the whole pipeline must decide.

    The rules' kept indexes (``bank.bin``) are brought up to date with the files changed since
    they were made: first as those were on record (patched runs leave the indexes behind for a
    few files, and keep their summaries as pending), then as they are now. When the record names
    these very indexes, the files they are behind for are its pending ones; otherwise every
    file's fingerprint is compared. A rule that reads nothing those files changed keeps its
    problems and its index, unread. The other files whose bank-wide problems changed (the file a
    reworded question now repeats) are analysed again and added to ``fresh``, so that their own
    suppressions decide. ``bank_files`` are every file of the bank and how to analyse some again.
    """
    key, bank_wide, prepared = bank
    files, rescan = bank_files
    kept = KeptIndexes.load(root, key)
    if kept is None or not all(s.rule.keeps_memo for s in bank_wide):
        return None
    pending = _pending(record)
    if pending is None:
        return None
    mine = {r.path: r for r in fresh}

    def recorded(path: str) -> bytes:
        return known[path][1] if path in known else b""

    if kept.checksum and record.get("indexes") == kept.checksum:
        behind = {path: entry[2] for path, entry in pending.items()}  # path -> its fingerprint in the indexes
    else:
        prints = kept.prints()
        if prints is None:
            return None
        table = {path: fingerprint for path, fingerprint in known.fingerprints().items() if fingerprint}
        behind = {path: prints.get(path, b"") for path in changed_since(prints, table)}

    def then(path: str) -> bytes:
        return behind[path] if path in behind else recorded(path)

    def now(path: str) -> bytes:
        return mine[path].fingerprint if path in mine else recorded(path)

    moved = {r.path for r in fresh if r.fingerprint != recorded(r.path)}
    since = {path for path in moved.union(behind) if then(path) != now(path)}
    if len(since) > PATCH_UPTO:
        return None

    def stirred(setting: RuleSetting) -> bool:
        """Whether what the rule reads of a file differs between its index and now, or between the record and now."""
        keys = setting.rule.reads(prepared[setting.rule.name])
        return any(not same_parts(then(path), now(path), keys) for path in since) or \
            any(not same_parts(recorded(path), now(path), keys) for path in moved)

    active = [s for s in bank_wide if stirred(s)]
    memos: dict[str, dict[str, Any]] = {}
    for setting in active:
        memo = kept.memo(setting.rule.name)
        if memo is None:
            return None
        memos[setting.rule.name] = memo
    fresh += rescan(path for path in since.difference(mine) if path in known)
    results = {r.path: r for r in fresh if r.path in since or r.path in moved}
    # A moved file the indexes were left behind for: its summary on record was kept as pending; without
    # it, which files its edit touched is unknown, and every file is judged again.
    again = {path for path in moved if then(path) != recorded(path)}
    earlier = [r.summary for path, r in results.items() if path not in moved and r.summary is not None]
    earlier += [entry[1] for path in again if (entry := pending.get(path)) is not None and entry[1] is not None]
    unknown = any(path not in pending or pending[path][0] != recorded(path) for path in again)
    summaries = [r.summary for r in results.values() if r.summary is not None]
    unread = {path for path in record["broken"] if path not in mine and not recorded(path)}
    unread.update(r.path for r in fresh if r.summary is None)
    quiet = {s.rule.name for s in bank_wide}.difference(memos)
    problems = [p for p in found if p.code in quiet]
    problems += bank_problems_after(active, summaries, prepared, set(files).difference(unread), memos, earlier,
                                    since.difference(moved) | again, moved, None if unknown else found)
    left_behind = {path: (*_summary_entry(results.get(path)), then(path)) for path in since}
    if len(since) >= REWRITE_FROM:
        prints = kept.prints()
        if prints is None:
            return None
        for path in since:
            if now(path):
                prints[path] = now(path)
            else:
                prints.pop(path, None)
        kept.save(prints, {name: dumped(memo) for name, memo in memos.items()})
        left_behind = {}
    affected = _differing(found, problems).difference(r.path for r in fresh)
    if len(affected) > PATCH_UPTO:
        return None
    fresh += rescan(affected)
    return problems, left_behind, kept.checksum


def _differing(before: Iterable[Problem], after: Iterable[Problem]) -> set[str]:
    """The paths whose problems differ between two lists (in any order)."""
    count: Counter[Problem] = Counter(before)
    count.subtract(after)
    return {problem.path for problem, n in count.items() if n}


def validate_only(path: str, data: bytes) -> FileResult:
    """The analyser of ``qtool validate``: load and schema problems only."""
    loaded = load_bytes(data, path)
    if isinstance(loaded, LoadError):
        return FileResult(path, [loaded.problem()], True, None)
    problems = validate_question(loaded)
    broken = any(p.severity is Severity.ERROR for p in problems)
    return FileResult(path, problems, broken, loaded.summary())


def load_and_validate(files: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Checked:
    """Load every file and validate it against the schema; one bad file never stops the rest."""
    return collect(scan(files, validate_only, max_bytes=max_bytes), files)


def scan(files: Sequence[str], analyser: Analyser = validate_only, *, max_bytes: int = DEFAULT_MAX_BYTES,
         cache: CheckCache | None = None, jobs: int | None = None, contents: Mapping[str, bytes] | None = None,
         progress: Callable[[int], None] | None = None,
         signatures: Sequence[tuple[int, ...]] = (), hashing: bool = False,
         each: Callable[[FileResult], None] | None = None,
         meanwhile: Callable[[list[FileResult]], None] | None = None,
         rest: Callable[[Rest], tuple[list[Problem], list[Suppression]]] | None = None) -> list[FileResult]:
    """Analyse every file (in order), using the cache where a file is unchanged and all cores for many files.

    ``signatures`` are the files' stat signatures when the caller has taken them already;
    with a cache (or ``hashing``), fresh results carry their digest, signature and fingerprint.
    ``each`` is called with every result, in the files' order, as soon as it and those before it are in.
    ``meanwhile`` is called with every result once all are in; with ``rest`` (``analyse_rest`` of the
    analyser, which is then ``analyse``), the workers run the per-file rules of the last files while it
    runs, and it sees those files' summaries and schema problems only.
    """
    results: list[FileResult | None] = [None] * len(files)
    todo: list[int] = []
    for index, name in enumerate(files):
        hit = cache.lookup(name, signatures[index] if signatures else None) if cache is not None else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    if progress is not None and len(todo) < len(files):
        progress(len(files) - len(todo))
    names = [files[i] for i in todo]
    in_order = _InOrder(results, todo, each) if each is not None else None
    taken = {files[i]: signatures[i] for i in todo} if signatures else {}
    later = Later(_work_first, _work_rest, joined, min(int(len(names) * PUT_OFF_SHARE), PUT_OFF_UPTO)) \
        if rest is not None and meanwhile is not None else None
    positions = itertools.count()
    unstored: list[int] = []  # fresh results (by position) whose per-file rules come in later: cached then

    def take(result: FileResult) -> None:
        if cache is not None:
            position = next(positions)
            if later is not None and result.extra is None:
                unstored.append(position)
            else:
                cache.store(result)
        if in_order is not None:
            in_order(result)

    def filled(fresh: list[FileResult]) -> None:
        for index, result in zip(todo, fresh):
            results[index] = result
        if in_order is not None:
            in_order.flush()

    def then(fresh: list[FileResult]) -> None:
        filled(fresh)
        if meanwhile is not None:
            meanwhile(results)  # type: ignore[arg-type]

    with sharing((analyser, max_bytes, cache is not None or hashing, contents or {}, taken, rest)):
        fresh = parallel_map(_work, names, jobs, progress, take if cache is not None or in_order is not None else None,
                             meanwhile=then if meanwhile is not None else None, later=later)
    filled(fresh)
    if cache is not None:
        for position in unstored:
            cache.store(fresh[position])
    return results  # type: ignore[return-value]


class _InOrder:
    """Hands results to ``each`` in the files' order as they come in: the cache's at once, the others as workers finish them."""

    def __init__(self, results: list[FileResult | None], todo: list[int], each: Callable[[FileResult], None]) -> None:
        self.results, self.pending, self.each, self.handed = results, iter(todo), each, 0

    def __call__(self, result: FileResult) -> None:
        self.results[next(self.pending)] = result
        self.flush()

    def flush(self) -> None:
        results, handed = self.results, self.handed
        while handed < len(results) and (result := results[handed]) is not None:
            self.each(result)
            handed += 1
        self.handed = handed


def _work(path: str) -> FileResult:
    return _worked(path, False)[0]


def _work_first(path: str) -> tuple[FileResult, Rest | None]:
    """``_work`` up to what the bank stage needs: the per-file rules are left for ``_work_rest``."""
    return _worked(path, True)


def _work_rest(rest: Rest | None) -> tuple[list[Problem], list[Suppression]] | None:
    """The per-file rules ``_work_first`` left (None: nothing was left)."""
    *_, rules = shared()
    return rules(rest) if rest is not None else None


def _worked(path: str, first: bool) -> tuple[FileResult, Rest | None]:
    analyser, max_bytes, hashing, contents, taken, _ = shared()
    # The signature is taken before reading (here, or before the scan): a file changed meanwhile then looks changed next time.
    signature = (taken.get(path) or stat_signature(path)) if hashing else None
    if path.endswith(MISNAMED_SUFFIX):
        stem = os.path.basename(path)[: -len(MISNAMED_SUFFIX)]
        return FileResult(path, [Problem(path, 1, 1, Severity.ERROR, f"question files end in {SUFFIX}: rename it to {stem}{SUFFIX}", "parse")],
                          True, None, signature=signature), None
    data = contents[path] if path in contents else read_file(path, max_bytes)
    if isinstance(data, LoadError):
        return FileResult(path, [data.problem()], True, None, signature=signature), None
    rest = None
    if first:
        result, rest = analyse_first(path, data)
    else:
        result = analyser(path, data)
    if hashing:
        result.digest = digest(data)
        result.signature = signature
        result.fingerprint = result.summary.fingerprint() if result.summary is not None else b""
    return result, rest


def collect(results: Sequence[FileResult], files: Sequence[str]) -> Checked:
    """A Checked from the given files' results."""
    checked = Checked(list(files))
    statuses: dict[str, str] = {}
    for result in results:
        checked.problems.extend(result.problems)
        if result.broken:
            checked.broken.add(result.path)
        if result.summary is not None:
            checked.summaries[result.path] = result.summary
            if isinstance(result.summary.status, str):
                statuses[result.path] = result.summary.status
    checked.statuses = statuses
    return checked


def _begun(bank_wide: list[RuleSetting], prepared: dict[str, dict[str, Any]]) -> dict[str, Started]:
    """What each bank-wide rule that can take the summaries one by one begins with, by rule name."""
    begun = {s.rule.name: s.rule.begin(prepared[s.rule.name]) for s in bank_wide}
    return {name: started for name, started in begun.items() if started is not None}


def _taking(started: dict[str, Started]) -> Callable[[FileResult], None]:
    """A function giving each result's summary to every rule begun."""
    adders = [begun.add for begun in started.values()]

    def take(result: FileResult) -> None:
        if result.summary is not None:
            for add in adders:
                add(result.summary)
    return take


def _bank_stage(results: Sequence[FileResult], given: Sequence[FileResult], bank_wide: list[RuleSetting],
                prepared: dict[str, dict[str, Any]], store: CheckCache | None, root: Path,
                started: Mapping[str, Started]) -> tuple[dict[str, list[Problem]], bytes]:
    """Bank-wide problems by path (every file's summary is read, the given valid files are reported on), and
    the checksum of the kept indexes that now agree with every file's summary (b"": none is known to).

    With a cache, the rules' indexes kept from the last run are brought up to date with the files
    whose summary differs from those they were made from, and kept again. ``started`` holds what
    rules begun during the scan took (they finish it when they start afresh).
    """
    # Files that fail the schema or carry a wrong id are reported on too: a broken file must not hide a clash.
    report_on = [r.path for r in given if r.summary is not None]
    report_on += [path for s in bank_wide for path in s.rule.outside_paths(prepared[s.rule.name])]  # files deleted since the git base
    found: dict[str, list[Problem]] = {}
    indexes = b""
    if not bank_wide or not report_on:
        return found, indexes
    key = store.bank_key(results, report_on) + _base_tag(prepared) if store is not None else ""
    problems = store.bank_lookup(key) if store is not None else None
    if problems is None:
        summaries = [r.summary for r in results if r.summary is not None]
        if store is None:
            problems = bank_problems(bank_wide, summaries, prepared, set(report_on),
                                     {name: {STARTED: begun} for name, begun in started.items()} if started else None)
        else:
            prints = {r.path: r.fingerprint for r in results if r.summary is not None}
            kept = KeptIndexes.load(root, store.key)
            before = kept.prints() if kept is not None else None
            memos = kept.memos() if kept is not None and before is not None else {}
            for name, begun in started.items():
                memos.setdefault(name, {})[STARTED] = begun
            changed = changed_since(before, prints) if before is not None else None
            keeper = kept if kept is not None and before is not None else KeptIndexes.fresh(root, store.key)
            moving = changed is None or bool(changed)
            problems = bank_problems(bank_wide, summaries, prepared, set(report_on), memos, changed,
                                     keeper.write if moving else None)
            if moving:
                keeper.save(prints, memos)
            indexes = keeper.checksum
            store.bank_store(key, problems)
    for problem in problems:
        found.setdefault(problem.path, []).append(problem)
    return found, indexes


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
            problems += [Problem(result.path, line, column, severity[UNUSED], message, UNUSED)
                         for line, column, message in unused(result.summary, suppressions, set(settings), RULES)]
        out.extend(_with_severity(p, settings, severity, strict) for p in problems)
    # Bank-wide problems at paths no longer in the bank (guid-stable: files deleted since the base).
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


# The git base (guid-stable's "base" option) keys bank-wide and whole-run results only.
def _without_base(prepared: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in options.items() if k != "base"} for name, options in prepared.items()}


def _base_tag(prepared: dict[str, dict[str, Any]]) -> str:
    return "".join(repr(options["base"]) for options in prepared.values() if "base" in options)


def _encode_suppressions(suppressions: list[Suppression] | None) -> list[Any]:
    return [[s.line, s.column, s.directive, list(s.rules), s.target, sorted(s.used)] for s in suppressions or []]


def _decode_suppressions(rows: list[Any]) -> list[Suppression]:
    return [Suppression(line, column, directive, tuple(rules), target, set(used))
            for line, column, directive, rules, target, used in rows]


def _severity(setting: RuleSetting, strict: bool) -> Severity:
    if strict and setting.rule.strict_severity is not None:
        return setting.rule.strict_severity
    return setting.severity


def _bank(config: Config, cache: bool) -> list[str]:
    """Every file of the bank; with ``cache``, folders unchanged since the last walk are not listed again."""
    if not cache:
        return question_files((), config.root, config.exclude)
    listings = last_walk(config.root)
    files = question_files((), config.root, config.exclude, listings=listings)
    keep_walk(config.root, listings)
    return files


def _rest_of_bank(given: Sequence[str], config: Config, cache: bool) -> list[str]:
    """The bank's other files: what bank-wide rules compare the given files with."""
    bank = _bank(config, cache)
    if list(given) == bank:
        return []
    cwd = os.getcwd()
    identity = lambda name: os.path.normcase(os.path.normpath(os.path.join(cwd, name)))  # noqa: E731
    seen = {identity(name) for name in given}
    return [name for name in bank if identity(name) not in seen]


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
                           "to see them", "schema"))
    return out
