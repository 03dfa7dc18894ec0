"""Batch drafting's core, shared by file mode and API mode: a batch's state, its request lines, and applying results.

A batch's state is ``.qtool-cache/batches/<id>.json``, written (atomically) before anything else
happens and rewritten at each step, so Ctrl-C at any point leaves it usable. It maps each
``custom_id`` to the file it drafts, the file's content hash at submit, the parts asked for and
the draft cache key; results are matched through it, never by line order.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qtool.draft.batch import Outcome, Plan, drafted_text, iter_plans, plan_file, plan_loaded, write_draft
from qtool.draft.batchfile import BadLine, Result, content_hash, custom_id, parse_result, read_results, request_line
from qtool.draft.cache import Cache
from qtool.draft.client import DraftError
from qtool.draft.drafter import MAX_REPAIRS, Drafter, cached_reply, check_reply, draft_key, job_body
from qtool.draft.merge import is_missing, provenance
from qtool.draft.messages import build_messages, job_schema, prompt_version, repair_message
from qtool.draft.reply import Field, field_name, get_field
from qtool.draft.settings import LLMSettings
from qtool.errors import QtoolError
from qtool.files import CACHE_DIR, QUESTIONS_DIR
from qtool.model import Problem, Question, Severity

BATCHES = "batches"
#: A rough reply size per part asked for, for the budget estimate before a submit (prompt: characters / 4).
TOKENS_PER_PART = 250
TERMINAL = ("completed", "failed", "expired", "cancelled")


class BatchError(QtoolError):
    """A batch command cannot go on (unknown id, interrupted state, server error): one line, exit status 1."""


# -- state ---------------------------------------------------------------------------------------
@dataclass
class State:
    """One batch's state file: what was sent, where, and what came back."""

    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def folder(self) -> Path:
        """Where the batch's input and downloaded output files live while it is open."""
        return self.path.with_suffix("")

    @property
    def requests(self) -> dict[str, dict[str, Any]]:
        return self.data["requests"]  # type: ignore[no-any-return]

    @property
    def parts(self) -> list[dict[str, Any]]:
        return self.data["parts"]  # type: ignore[no-any-return]

    @property
    def open(self) -> bool:
        return self.data.get("mode") == "api" and self.data.get("status") != "collected"

    def names(self) -> list[str]:
        """The local id and every remote batch id: any of them names this batch."""
        return [self.id] + [p["batch_id"] for p in self.parts if p.get("batch_id")]

    def save(self) -> None:
        from qtool.fsutil import atomic_write

        atomic_write(self.path, json.dumps(self.data, ensure_ascii=False, separators=(",", ":")) + "\n")

    def discard(self) -> None:
        """Remove the state file and its folder (nothing was sent, or nothing is left to do)."""
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def batches_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / CACHE_DIR / BATCHES


def new_state(root: str | os.PathLike[str], mode: str, settings: LLMSettings, overwrite: bool,
              vocabulary: Iterable[str], **extra: Any) -> State:
    """A new batch's state, saved at once under a local id (remote ids are added as they come)."""
    now = datetime.now(timezone.utc)
    local = f"qb-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    state = State(batches_dir(root) / f"{local}.json", {
        "version": 1, "id": local, "mode": mode, "status": "preparing",
        "created_at": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "model": settings.model, "prompt_version": prompt_version(), "overwrite": overwrite,
        "vocabulary": list(vocabulary), "parts": [], "requests": {}, "invalid": {}, **extra})
    state.save()
    return state


def load_states(root: str | os.PathLike[str]) -> list[State]:
    """Every readable state file, oldest first; an unreadable one is skipped (it is a cache)."""
    out = []
    folder = batches_dir(root)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _well_formed(data):
            out.append(State(path, data))
    return out


def _well_formed(data: Any) -> bool:
    """A state file qtool wrote (a damaged or foreign one is skipped, as a cache entry would be)."""
    if not (isinstance(data, dict) and data.get("version") == 1 and isinstance(data.get("id"), str)
            and all(isinstance(data.get(k), str) for k in ("model", "prompt_version", "status"))
            and isinstance(data.get("requests"), dict) and isinstance(data.get("invalid"), dict)
            and isinstance(data.get("parts"), list) and all(isinstance(p, dict) for p in data["parts"])):
        return False
    return all(isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("path", "hash", "key"))
               and isinstance(e.get("fields"), list) and e["fields"] and all(isinstance(f, str) for f in e["fields"])
               for e in data["requests"].values())


def find_state(root: str | os.PathLike[str], ident: str | None) -> State:
    """The batch named ``ident`` (local or remote id), or the only open one; BatchError otherwise."""
    states = load_states(root)
    if ident:
        for state in states:
            if ident in state.names():
                return state
        raise BatchError(f"no batch {ident!r} in {batches_dir(root)}")
    candidates = [s for s in states if s.open]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise BatchError("no open batch: submit one with qtool draft --batch submit")
    raise BatchError(f"{len(candidates)} open batches ({', '.join(s.id for s in candidates)}): name one")


#: Finished batches' state files untouched this many days are pruned (``--batch prune``, and on every submit).
PRUNE_DAYS = 30


def finished(state: State) -> bool:
    """Nothing left to do with this state: collected, written to a file, or interrupted before anything was sent.

    A batch still on a server (not collected) is never finished here, nor one holding invalid
    replies that ``--repair`` would send again.
    """
    if state.data.get("invalid"):
        return False
    return state.data.get("mode") == "file" or state.data.get("status") in ("collected", "preparing")


def prune_states(root: str | os.PathLike[str], older_than_days: float = PRUNE_DAYS, ident: str | None = None) -> list[State]:
    """Remove finished batches' state files (and folders) untouched for ``older_than_days``, or the one named ``ident``."""
    import time

    cutoff = time.time() - older_than_days * 86400
    removed = []
    for state in load_states(root):
        if ident is not None and ident not in state.names():
            continue
        try:
            touched = state.path.stat().st_mtime
        except OSError:
            continue
        if finished(state) and (ident is not None or touched < cutoff):
            state.discard()
            removed.append(state)
    if ident is not None and not removed:
        named = [s for s in load_states(root) if ident in s.names()]
        if not named:
            raise BatchError(f"no batch {ident!r} in {batches_dir(root)}")
        raise BatchError(f"batch {ident} is not finished: collect it first (or cancel it)")
    return removed


# -- preparing request lines --------------------------------------------------------------------------
@dataclass
class Drafting:
    """What every batch step needs: where the bank is, the model settings, the parts and the cache."""

    root: str
    settings: LLMSettings
    fields: tuple[Field, ...]
    overwrite: bool
    vocabulary: tuple[str, ...]
    max_file_bytes: int
    cache: Cache | None


@dataclass
class Prepared:
    """What preparing a batch did: lines written, files drafted from the cache, problems, the token estimate."""

    requests: int = 0
    from_cache: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    estimate: int = 0
    pending: int = 0


def prepare(ctx: Drafting, files: Iterable[str], state: State, write: Callable[[str], None],
            skip: Callable[[str], bool] = lambda cid: False) -> Prepared:
    """Stream a request line for each file that lacks parts; files whose reply is cached are written at once.

    One file is held in memory at a time; ``skip`` drops requests already sent in an open batch.
    """
    out = Prepared()
    prov = provenance(ctx.settings.model, prompt_version())
    for item in iter_plans(files, ctx.fields, ctx.overwrite, ctx.max_file_bytes, ctx.vocabulary):
        if isinstance(item, Problem):
            out.problems.append(item)
            continue
        messages = build_messages(item.job)
        schema = item.job.schema
        key = draft_key(ctx.settings, messages, schema)
        hit = cached_reply(ctx.cache, key, schema) if ctx.cache is not None else None
        if hit is not None:
            outcome = write_draft(item, hit, prov)
            if outcome.problem is not None:
                out.problems.append(outcome.problem)
            else:
                out.from_cache.append(outcome)
            continue
        digest = content_hash(item.text)
        cid = custom_id(_question_id(item), item.job.fields, digest, prompt_version(), ctx.settings.model)
        if skip(cid):
            out.pending += 1
            continue
        if cid in state.requests:
            out.problems.append(_line(item.path, f"same question and text as {state.requests[cid]['path']}: drafted once",
                                      Severity.WARNING))
            continue
        line = request_line(cid, job_body(ctx.settings, messages, schema))
        write(line)
        state.requests[cid] = {"path": _stored_path(ctx.root, item.path), "hash": digest,
                               "fields": [sys.intern(field_name(f)) for f in item.job.fields], "key": key, "round": 0}
        out.requests += 1
        out.estimate += estimate_tokens(line, len(item.job.fields))
    return out


def prepare_repairs(ctx: Drafting, sources: Iterable[State], state: State, write: Callable[[str], None]) -> Prepared:
    """Request lines that send each collected invalid reply back with its errors (the sync path's repair round)."""
    out = Prepared()
    for source in sources:
        for cid, bad in list(source.data.get("invalid", {}).items()):
            entry = source.requests.get(cid)
            if entry is None:
                continue
            path = _shown_path(ctx.root, entry["path"])
            plan = _plan_for(ctx, source, entry, path)
            if isinstance(plan, Problem):
                out.problems.append(plan)
                continue
            messages = [*build_messages(plan.job), {"role": "assistant", "content": bad["content"] or ""},
                        repair_message(bad["errors"], plan.job.schema)]
            round_ = int(entry.get("round", 0)) + 1
            new_cid = custom_id(_question_id(plan), plan.job.fields, entry["hash"], source.data["prompt_version"],
                                source.data["model"], round_)
            line = request_line(new_cid, job_body(ctx.settings, messages, plan.job.schema))
            write(line)
            state.requests[new_cid] = {**entry, "round": round_}
            out.requests += 1
            out.estimate += estimate_tokens(line, len(plan.job.fields))
    return out


def estimate_tokens(line: str, parts: int) -> int:
    """A rough token count for one request: its characters / 4 for the prompt plus a reply per part."""
    return len(line) // 4 + TOKENS_PER_PART * parts


# -- applying results -------------------------------------------------------------------------------
@dataclass
class Applied:
    """What applying results did, for the summary and the exit status."""

    written: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: int = 0
    failed: int = 0
    invalid: int = 0
    stale: int = 0
    already: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    touched: dict[str, State] = field(default_factory=dict)


@dataclass
class Step:
    """What applying one result did: computed wherever it runs (a worker, or here), merged by the Applier."""

    custom_id: str
    written: Outcome | None = None
    problem: Problem | None = None
    counter: str | None = None  # "failed", "invalid", "stale" or "already"
    #: The invalid reply to keep for a repair round (None: drop any kept before).
    invalid: dict[str, Any] | None = None
    #: The file's new text, and the digest of the bytes the file must still hold when it is replaced:
    #: the Applier writes it (``fsutil.write_all``: one sync for the chunk), in the parent, while workers compute.
    text: str | None = None
    expect: str | None = None
    #: (draft cache key, reply) for a reply that fits: cached even when the file is stale.
    cache: tuple[str, Any] | None = None


#: Results handed to the worker pool at a time (workers start only for PARALLEL_FROM items or more).
CHUNK = 2000


class Applier:
    """Applies result lines: validated as the sync path does, merged, written only where nothing changed.

    Results are read one at a time and applied in chunks, on every core when a chunk is large
    (``workers.parallel_map``); every file write is atomic, so Ctrl-C leaves each file whole.
    """

    def __init__(self, ctx: Drafting, states: Iterable[State], repair_now: Drafter | None = None) -> None:
        self.ctx = ctx
        self.index: dict[str, State] = {}
        for state in states:
            for cid in state.requests:
                self.index[cid] = state
        self.repair_now = repair_now
        self.done = Applied()
        self.owner = os.getpid()  # the process whose temp files an interruption leaves
        self._seen: set[str] = set()

    def apply_file(self, path: str | os.PathLike[str], shown: str | None = None) -> None:
        """Apply every line of a results (or error) file, streamed; Ctrl-C leaves no temp file behind."""
        from qtool.fsutil import remove_stale_temps

        try:
            self._apply_file(path, shown)
        except BaseException:
            remove_stale_temps(os.path.join(self.ctx.root, QUESTIONS_DIR), owner=self.owner)  # staged, not committed
            raise

    def _apply_file(self, path: str | os.PathLike[str], shown: str | None) -> None:
        """Each chunk's steps run on the workers while the previous chunk is committed here (its disk waits overlap)."""
        import contextlib

        from qtool.workers import PARALLEL_FROM, can_fork, sharing, worker_count, worker_pool

        jobs = worker_count()
        pending: tuple[list[Result], list[Step]] | None = None
        with contextlib.ExitStack() as stack:
            pool = None
            for chunk in self._chunks(path, shown):
                if pool is None and self.repair_now is None and len(chunk) >= PARALLEL_FROM and can_fork() and jobs > 1:
                    stack.enter_context(sharing(self))
                    pool = stack.enter_context(worker_pool(jobs))  # forked once, before any thread of the commit starts
                if pool is not None:
                    job = pool.map_async(_step_in_worker, chunk, chunksize=max(16, min(256, len(chunk) // (jobs * 8))))
                    if pending is not None:
                        self._settle(*pending)
                    pending = (chunk, job.get())
                else:  # few results, or repairs that talk to the server: one at a time, here
                    if pending is not None:
                        self._settle(*pending)
                    pending = (chunk, [self.step(result) for result in chunk])
            if pending is not None:
                self._settle(*pending)

    def _chunks(self, path: str | os.PathLike[str], shown: str | None) -> Iterator[list[Result]]:
        """The file's results to apply, CHUNK at a time (bad and unknown lines become problems here)."""
        chunk: list[Result] = []
        for number, line in read_results(path):
            try:
                result = parse_result(line)
            except BadLine as exc:
                self.done.problems.append(Problem(shown or str(path), number, 1, Severity.ERROR, str(exc), "draft"))
                continue
            if result.custom_id not in self.index:
                self.done.problems.append(Problem(shown or str(path), number, 1, Severity.ERROR,
                                                  f"unknown custom_id {result.custom_id!r}: not a request qtool prepared "
                                                  "in this bank", "draft"))
                continue
            if self._first(result):
                chunk.append(result)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def apply(self, result: Result) -> None:
        """Apply one result whose custom_id is known."""
        if self._first(result):
            self._settle([result], [self.step(result)])

    def _first(self, result: Result) -> bool:
        """Count a result once (e.g. given in both the output and the error file) and its tokens."""
        if result.custom_id in self._seen:
            return False
        self._seen.add(result.custom_id)
        state = self.index[result.custom_id]
        self.done.touched[state.id] = state
        self.done.results += 1
        self.done.prompt_tokens += result.prompt_tokens
        self.done.completion_tokens += result.completion_tokens
        return True

    def _merge(self, result: Result, step: Step) -> None:
        done = self.done
        if step.written is not None:
            done.written.append(step.written)
        if step.problem is not None:
            done.problems.append(step.problem)
        if step.counter is not None:
            setattr(done, step.counter, getattr(done, step.counter) + 1)
        if result.error is None:
            invalid = self.index[result.custom_id].data["invalid"]
            if step.invalid is not None:
                invalid[result.custom_id] = step.invalid
            else:
                invalid.pop(result.custom_id, None)

    def step(self, result: Result) -> Step:
        """What applying one result to its file takes: a Step with the new text to write and the reply to cache.

        Changes nothing on disk: the caller (``_settle``) writes and caches, so this runs in workers too.
        """
        from qtool.loader import LoadError, load_bytes, read_file

        state = self.index[result.custom_id]
        entry = state.requests[result.custom_id]
        path = _shown_path(self.ctx.root, entry["path"])
        step = Step(result.custom_id)
        if result.error is not None:
            step.counter = "failed"
            step.problem = _line(path, f"could not draft in batch {state.id}: {result.error}; file left as it was")
            return step
        fields = tuple(tuple(name.split(".")) for name in entry["fields"])
        schema = job_schema(fields, tuple(state.data.get("vocabulary", ())))
        reply, errors = check_reply(result.content, schema, self.ctx.settings.api_key)
        raw = read_file(path, self.ctx.max_file_bytes)  # read once: hashed, loaded, and compared again at commit
        if isinstance(raw, LoadError):
            step.problem = _line(path, f"the file is gone or unreadable; batch {state.id}'s draft skipped")
            return step
        loaded = load_bytes(raw, path)
        if not errors:
            step.cache = (entry["key"], reply)
        if isinstance(loaded, LoadError) or content_hash(loaded.text) != entry["hash"]:
            if not errors and not isinstance(loaded, LoadError) and _already_applied(loaded.data, reply, fields):
                step.counter = "already"
                return step
            return self._stale(step, path, state)
        if errors:
            return self._invalid(step, result, state, entry, loaded, raw, errors)
        return self._write(step, state, entry, loaded, raw, reply)

    def _invalid(self, step: Step, result: Result, state: State, entry: dict[str, Any], loaded: Question, raw: bytes,
                 errors: list[str]) -> Step:
        path = loaded.path
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        if self.repair_now is not None:
            plan = _plan_as_submitted(loaded, state, entry)
            if isinstance(plan, Problem):
                step.problem = plan
                return step
            try:
                reply = self.repair_now.draft(plan.job, repair=(result.content or "", errors))
            except DraftError as exc:
                step.problem = _line(path, f"could not repair batch {state.id}'s reply: {exc}; file left as it was")
                return step
            return self._write(step, state, entry, loaded, raw, reply)
        step.counter = "invalid"
        if int(entry.get("round", 0)) >= MAX_REPAIRS:
            step.problem = _line(path, f"the model's reply did not fit the question schema after {MAX_REPAIRS + 1} "
                                       f"attempts: {errors[0]}{more}; file left as it was")
            return step
        step.invalid = {"content": result.content, "errors": errors}
        step.problem = _line(path, f"batch {state.id}'s reply did not fit the question schema: {errors[0]}{more}; "
                                   "repair it with --repair (a second batch) or --repair-now")
        return step

    def _stale(self, step: Step, path: str, state: State) -> Step:
        step.counter = "stale"
        step.problem = _line(path, f"stale, skipped: the file changed after batch {state.id} was prepared; "
                                   "run qtool draft again", Severity.WARNING)
        return step

    def _write(self, step: Step, state: State, entry: dict[str, Any], loaded: Question, raw: bytes,
               reply: dict[str, Any]) -> Step:
        """Merge the reply as ``qtool draft`` does and stage the new text, to replace the file only if it still holds ``raw``."""
        from qtool.files import digest

        plan = _plan_as_submitted(loaded, state, entry)
        if isinstance(plan, Problem):
            step.problem = plan
            return step
        text = drafted_text(plan, reply, provenance(state.data["model"], state.data["prompt_version"]))
        if isinstance(text, Problem):
            step.problem = text
            return step
        step.text, step.expect = text, digest(raw)
        step.written = Outcome(plan.path, filled=plan.job.fields)
        return step

    def _settle(self, chunk: list[Result], steps: list[Step]) -> None:
        """Cache the chunk's good replies (one pack), put its staged files in place (one sync), count every step."""
        from qtool.fsutil import ChangedOnDisk, write_all

        if self.ctx.cache is not None:
            self.ctx.cache.put_many(step.cache for step in steps if step.cache is not None)
        writes = [step for step in steps if step.text is not None and step.written is not None]
        errors = write_all((step.written.path, step.text or "", step.expect) for step in writes if step.written is not None)
        for step, error in zip(writes, errors):
            step.text = None
            if error is None:
                continue
            path = step.written.path if step.written is not None else "?"
            step.written = None
            if isinstance(error, ChangedOnDisk):
                step.counter = "stale"
                step.problem = _line(path, "stale, skipped: the file changed while the results were applied; "
                                           "run qtool draft again", Severity.WARNING)
            else:
                message = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                step.problem = _line(path, f"cannot write the draft: {message}; file left as it was")
        for result, step in zip(chunk, steps):
            self._merge(result, step)


def _step_in_worker(result: Result) -> Step:
    """``Applier.step`` in a forked worker: the Applier is the shared state of the run."""
    from qtool.workers import shared

    applier: Applier = shared()
    return applier.step(result)


def pending_ids(states: Iterable[State]) -> set[str]:
    """custom_ids sent in batches still open: a new submit does not send them again."""
    return {cid for state in states if state.open for cid in state.requests}


def cost_line(prompt: int, completion: int, server: tuple[int, int] | None = None) -> str:
    """The tokens results used, and that batch prices apply."""
    text = f"tokens: {prompt} prompt + {completion} completion, at batch prices (the provider's batch rate, not its per-request one)"
    if server is not None:
        text += f"; the server counts {server[0]} input + {server[1]} output"
    return text


# -- helpers --------------------------------------------------------------------------------------------------
def _plan_for(ctx: Drafting, state: State, entry: dict[str, Any], path: str) -> Plan | Problem:
    """The file's plan as it was at submit, or a stale Problem when its text or missing parts changed."""
    fields = tuple(tuple(name.split(".")) for name in entry["fields"])
    plan = plan_file(path, fields, bool(state.data.get("overwrite")), ctx.max_file_bytes, state.data.get("vocabulary", ()))
    if isinstance(plan, Problem):
        return plan
    if plan is None or content_hash(plan.text) != entry["hash"] or plan.job.fields != fields:
        return _line(path, f"stale, skipped: the file changed after batch {state.id} was prepared; run qtool draft again",
                     Severity.WARNING)
    return plan


def _plan_as_submitted(loaded: Question, state: State, entry: dict[str, Any]) -> Plan | Problem:
    """The loaded file's plan, or a stale Problem when the parts it lacks are no longer those asked for."""
    fields = tuple(tuple(name.split(".")) for name in entry["fields"])
    plan = plan_loaded(loaded, fields, bool(state.data.get("overwrite")), state.data.get("vocabulary", ()))
    if isinstance(plan, Problem):
        return plan
    if plan is None or plan.job.fields != fields:
        return _line(loaded.path, f"stale, skipped: the file changed after batch {state.id} was prepared; "
                                  "run qtool draft again", Severity.WARNING)
    return plan


def _already_applied(data: dict[str, Any], reply: dict[str, Any], fields: tuple[Field, ...]) -> bool:
    """Whether the file already holds this reply in every part (a collect resumed after Ctrl-C)."""
    for f in fields:
        have, want = get_field(data, f), get_field(reply, f)
        if is_missing(have):
            return False
        if isinstance(want, str):
            if not isinstance(have, str) or have.strip() != want.strip():
                return False
        elif isinstance(want, list):
            if not isinstance(have, list) or [" ".join(str(v).split()) for v in have] != [" ".join(str(v).split()) for v in want]:
                return False
    return True


def _question_id(plan: Plan) -> str:
    qid = plan.data.get("id")
    return qid if isinstance(qid, str) and qid else plan.path


def _stored_path(root: str, path: str) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root))


def _shown_path(root: str, stored: str) -> str:
    return os.path.relpath(os.path.join(os.path.abspath(root), stored))


def _line(path: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(path, 1, 1, severity, message, "draft")
