"""``qtool draft``'s core: which parts each file lacks, drafting them concurrently, and writing them in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from qtool.draft.client import DraftError
from qtool.draft.drafter import BudgetSpent, Drafter
from qtool.draft.merge import MergeError, context_of, fields_to_fill, fill_data, fill_text, kept_intact, provenance
from qtool.draft.messages import DraftJob, prompt_version
from qtool.draft.reply import Field, field_name
from qtool.model import Problem, Question, Severity


@dataclass(frozen=True)
class Plan:
    """One file to draft: its text as read, and the job for the model."""

    path: str
    text: str
    data: dict[str, Any]
    job: DraftJob


@dataclass(frozen=True)
class Outcome:
    """What happened to one planned file: drafted (written), or a Problem saying why not."""

    path: str
    filled: tuple[Field, ...] = ()
    problem: Problem | None = None


def plan_files(files: Sequence[str], fields: Sequence[Field], overwrite: bool, max_bytes: int,
               vocabulary: Sequence[str] = ()) -> tuple[list[Plan], list[Problem]]:
    """A Plan for each file that lacks any of ``fields``; Problems for files that cannot be drafted."""
    plans: list[Plan] = []
    problems: list[Problem] = []
    for item in iter_plans(files, fields, overwrite, max_bytes, vocabulary):
        if isinstance(item, Plan):
            plans.append(item)
        else:
            problems.append(item)
    return plans, problems


def iter_plans(files: Iterable[str], fields: Sequence[Field], overwrite: bool, max_bytes: int,
               vocabulary: Sequence[str] = ()) -> Iterator[Plan | Problem]:
    """``plan_files`` one file at a time, so a caller that streams holds one file in memory."""
    for path in files:
        item = plan_file(path, fields, overwrite, max_bytes, vocabulary)
        if item is not None:
            yield item


def plan_file(path: str, fields: Sequence[Field], overwrite: bool, max_bytes: int,
              vocabulary: Sequence[str] = ()) -> Plan | Problem | None:
    """The Plan for one file, a Problem saying why it cannot be drafted, or None when nothing is missing."""
    from qtool.loader import LoadError, load_file

    loaded = load_file(path, max_bytes=max_bytes)
    if isinstance(loaded, LoadError):
        return loaded.problem()
    return plan_loaded(loaded, fields, overwrite, vocabulary)


def plan_loaded(loaded: Question, fields: Sequence[Field], overwrite: bool,
                vocabulary: Sequence[str] = ()) -> Plan | Problem | None:
    """``plan_file`` for a file already loaded."""
    filling = fields_to_fill(loaded.data, fields, overwrite)
    if not filling:
        return None
    missing = [key for key in ("role", "question") if not (isinstance(loaded.data.get(key), str) and loaded.data[key].strip())]
    if missing:
        return _problem(loaded, f"cannot draft without {' and '.join(map(repr, missing))}: write them first")
    category = loaded.data.get("category")
    job = DraftJob(loaded.data["role"].strip(), loaded.data["question"].strip(),
                   category if isinstance(category, str) else None, filling, context_of(loaded.data, filling),
                   tuple(vocabulary))
    return Plan(loaded.path, loaded.text, loaded.data, job)


def draft_files(plans: Sequence[Plan], drafter: Drafter, concurrency: int,
                progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Draft every plan with up to ``concurrency`` requests in flight; write each file as its reply arrives.

    Worker threads only talk to the server; replies are merged and written here, in the
    calling thread (ruamel.yaml objects are not thread-safe). On Ctrl-C no new request
    starts and no further file is written; every write is atomic, so none is half-written.
    """
    prov = provenance(drafter.settings.model, prompt_version())
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="qtool-draft")
    try:
        futures = {pool.submit(_request, plan, drafter): plan for plan in plans}
        for future in as_completed(futures):
            plan = futures[future]
            reply = future.result()
            outcome = reply if isinstance(reply, Outcome) else write_draft(plan, reply, prov)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    order = {plan.path: index for index, plan in enumerate(plans)}
    return sorted(outcomes, key=lambda o: order[o.path])


def _request(plan: Plan, drafter: Drafter) -> dict[str, Any] | Outcome:
    """The validated reply for one plan, or the Outcome saying why there is none."""
    try:
        return drafter.draft(plan.job)
    except BudgetSpent as exc:
        return Outcome(plan.path, problem=_line(plan.path, f"not drafted: {exc}", Severity.WARNING))
    except DraftError as exc:
        return Outcome(plan.path, problem=_line(plan.path, f"could not draft: {exc}; file left as it was"))


def write_draft(plan: Plan, reply: dict[str, Any], prov: dict[str, str]) -> Outcome:
    """Fill the reply into the file as read, prove nothing else changed, and replace the file (the sync path)."""
    from qtool.fsutil import atomic_write

    text = drafted_text(plan, reply, prov)
    if isinstance(text, Problem):
        return Outcome(plan.path, problem=text)
    if _current_text(plan.path) != plan.text:
        return Outcome(plan.path, problem=_line(plan.path, "the file changed while drafting; run qtool draft again"))
    atomic_write(plan.path, text)
    return Outcome(plan.path, filled=plan.job.fields)


def drafted_text(plan: Plan, reply: dict[str, Any], prov: dict[str, str]) -> str | Problem:
    """The file's new text with the reply filled in, in canonical form; a Problem when it cannot be made safely.

    The one merge of a reply into a file, for ``qtool draft`` and for batch results alike. A file
    without comments is merged as data and written by fmt's writer (loaded back and compared);
    a file with comments is edited in place by ruamel.yaml's round trip, which keeps them. Either
    way, every value the draft does not fill is proven unchanged.
    """
    from qtool.fmt import FormatError, dump_question, has_comments
    from qtool.loader import LoadError, load_text

    fields = plan.job.fields
    try:
        if not has_comments(plan.text):
            data = fill_data(plan.data, reply, fields, prov)
            try:
                text = dump_question(data)  # loads what it wrote and compares: ``data`` is what the file holds
            except (TypeError, FormatError):
                text = None
            if text is not None:
                return _checked(plan, data, text)
        text = _formatted(fill_text(plan.text, reply, fields, prov), plan.path)
    except MergeError as exc:
        return _line(plan.path, f"could not fill in the draft: {exc}")
    after = load_text(text, plan.path)
    if isinstance(after, LoadError):  # pragma: no cover - fill_text writes YAML the loader reads
        return _line(plan.path, f"the drafted file would not load ({after.message}); file left as it was")
    return _checked(plan, after.data, text)


def _checked(plan: Plan, after: dict[str, Any], text: str) -> str | Problem:
    """``text`` when the data it holds (``after``) keeps every value the draft did not fill."""
    changed = kept_intact(plan.data, after, plan.job.fields)
    if changed:  # pragma: no cover - a guard: both merges keep what they do not fill
        return _line(plan.path, f"drafting would change {', '.join(changed)}; file left as it was")
    return text


def _formatted(text: str, path: str) -> str:
    """The canonical form when fmt can produce it; else the round-trip text as it is."""
    from qtool.fmt import FormatError, format_text

    try:
        return format_text(text, path)
    except FormatError:
        return text


def _current_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _problem(q: Question, message: str) -> Problem:
    line, column = q.pos("")
    return Problem(q.path, line, column, Severity.ERROR, message, "draft")


def _line(path: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(path, 1, 1, severity, message, "draft")


def describe(outcome: Outcome) -> str:
    """One line for a drafted file: what was filled."""
    return f"{outcome.path}: drafted {', '.join(field_name(f) for f in outcome.filled)}"
