"""Batch drafting's steps: file mode (``--batch-out``/``--batch-in``) and the OpenAI Batch API (``--batch ...``).

API mode uses the ``openai`` client's ``files`` and ``batches``. Each step saves the batch's state
before and after every call to the server, so Ctrl-C leaves a state ``collect`` resumes from:
parts not yet uploaded or created are sent, outputs already downloaded are reused, and results
already written are recognised and not written twice.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from qtool.draft.batch import describe
from qtool.draft.batch_jobs import (
    PRUNE_DAYS,
    TERMINAL,
    Applied,
    Applier,
    BatchError,
    Drafting,
    Prepared,
    State,
    cost_line,
    find_state,
    load_states,
    new_state,
    pending_ids,
    prepare,
    prepare_repairs,
    prune_states,
)
from qtool.draft.batchfile import MAX_BYTES, MAX_REQUESTS, URL, PartWriter, part_name
from qtool.draft.drafter import Drafter
from qtool.model import Problem

#: collect polls after this many seconds, doubling up to POLL_CAP.
POLL_FIRST = 5.0
POLL_CAP = 300.0
COMPLETION_WINDOW = "24h"


class _Empty(Exception):
    """Nothing to write: abandon the atomic write of the requests file."""


# -- file mode -------------------------------------------------------------------------------------------
def batch_out(ctx: Drafting, files: Iterable[str], out: str, *, repair: bool = False, budget: int | None = None,
              max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES) -> int:
    """Write the request lines for every file that lacks parts to ``out`` (streamed); the state goes to the cache.

    Past ``max_requests`` or ``max_bytes`` the lines go on in ``STEM-2.jsonl``, ``STEM-3.jsonl``...
    (``part_name``). Every part stays a temp file until the state that matches its lines is saved,
    so an interrupted run leaves no part behind.
    """
    import contextlib

    from qtool.fsutil import atomic_writer

    _auto_prune(ctx)
    states = load_states(ctx.root)
    ours = {name for s in states for name in s.data.get("requests_files") or [s.data.get("requests_file")] if name}
    state = new_state(ctx.root, "file", ctx.settings, ctx.overwrite, ctx.vocabulary, requests_file=str(Path(out).resolve()))
    prepared = Prepared()
    try:
        with contextlib.ExitStack() as stack:
            def opener(number: int) -> tuple[str, Any]:
                name = part_name(out, number)
                if number > 1:
                    if Path(out).exists() and not Path(out).is_file():
                        raise BatchError(f"{out} is not a file, so the requests cannot go on in parts beside it "
                                         "(over the split limits): give a file name")
                    if os.path.lexists(name) and str(Path(name).resolve()) not in ours:
                        raise BatchError(f"{name} exists and was not written by qtool draft --batch-out: the requests "
                                         "go on there past the split limits; move it, or choose another file name")
                return name, stack.enter_context(atomic_writer(name, durable=False))

            writer = PartWriter(Path(out).parent, max_requests, max_bytes, opener=opener)
            writer.start()  # part 1 at once: an unwritable target is refused before any work
            prepared = (prepare_repairs(ctx, [s for s in states if s.data.get("invalid")], state, writer.write) if repair
                        else prepare(ctx, files, state, writer.write))
            if not prepared.requests:
                raise _Empty
            if budget is not None and prepared.estimate > budget:
                raise _Empty
            state.data.update(status="written", estimate=prepared.estimate,
                              requests_files=[str(Path(p["input"]).resolve()) for p in writer.parts])
            state.save()  # before any requests file appears: every line it holds can be matched
    except _Empty:
        state.discard()
        _report(prepared.problems, prepared.from_cache)
        if prepared.requests:
            return _over_budget(prepared.estimate, budget, "nothing written")
        click.echo(f"nothing to draft: no request to write{_cached(prepared)}", err=True)
        return _status(prepared.problems)
    except BaseException:  # an unwritable target (one line from returns_status), Ctrl-C: nothing kept
        state.discard()
        raise
    if repair:
        _clear_invalid(states, state)
    _report(prepared.problems, prepared.from_cache)
    where = (f"to {out}" if len(writer.parts) == 1 else
             f"in {len(writer.parts)} parts ({', '.join(p['input'] for p in writer.parts)})")
    apply = ("apply the results with qtool draft --batch-in RESULTS.jsonl" if len(writer.parts) == 1 else
             "apply each part's results with qtool draft --batch-in RESULTS.jsonl")
    click.echo(f"wrote {_n(prepared.requests, 'request')} {where} (batch {state.id}, {ctx.settings.model}){_cached(prepared)}; "
               f"about {prepared.estimate} tokens; {apply}", err=True)
    return _status(prepared.problems)


def batch_in(ctx: Drafting, results: str, *, repair_now: Drafter | None = None) -> int:
    """Apply a results file (``vllm run-batch -o``, or an OpenAI batch output) to the files it answers."""
    if not Path(results).is_file():
        raise BatchError(f"{results}: no such results file")
    applier = Applier(ctx, load_states(ctx.root), repair_now)
    try:
        applier.apply_file(results)
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{results}: cannot read ({exc})") from None
    for state in applier.done.touched.values():
        if state.data.get("mode") == "file":
            state.data["status"] = "collected"
        state.save()
    return _finish(ctx, applier.done, repair_now)


# -- API mode ---------------------------------------------------------------------------------------------
def submit(ctx: Drafting, files: Iterable[str], *, repair: bool = False, budget: int | None = None,
           max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES) -> int:
    """Prepare the request lines (split into parts past the limits), upload each part and create its batch."""
    _auto_prune(ctx)
    states = load_states(ctx.root)
    state = new_state(ctx.root, "api", ctx.settings, ctx.overwrite, ctx.vocabulary)
    writer = PartWriter(state.folder, max_requests, max_bytes)
    sources = [s for s in states if s.data.get("invalid")]
    try:
        if repair:
            prepared = prepare_repairs(ctx, sources, state, writer.write)
        else:
            pending = pending_ids(states)
            prepared = prepare(ctx, files, state, writer.write, skip=pending.__contains__)
    except BaseException:
        writer.close()
        state.discard()  # nothing was sent yet
        raise
    writer.close()
    _report(prepared.problems, prepared.from_cache)
    waiting = f"; {prepared.pending} already in an open batch" if prepared.pending else ""
    if not prepared.requests:
        state.discard()
        click.echo(f"nothing to submit{_cached(prepared)}{waiting}", err=True)
        return _status(prepared.problems)
    if budget is not None and prepared.estimate > budget:
        state.discard()
        return _over_budget(prepared.estimate, budget, "nothing submitted")
    state.data.update(status="prepared", parts=writer.parts, estimate=prepared.estimate)
    state.save()
    if repair:
        _clear_invalid(sources, state)
    try:
        _send(ctx, state)
    except BatchError as exc:
        raise BatchError(f"{exc}; batch {state.id} is kept: qtool draft --batch collect sends it, "
                         "--batch cancel drops it") from None
    parts = f" in {len(state.parts)} parts" if len(state.parts) > 1 else ""
    click.echo(f"submitted batch {state.id}: {_n(prepared.requests, 'request')}{parts} to {ctx.settings.endpoint} "
               f"({', '.join(p['batch_id'] for p in state.parts)}){_cached(prepared)}{waiting}; about {prepared.estimate} "
               f"tokens at batch prices; collect with qtool draft --batch collect", err=True)
    return _status(prepared.problems)


def status(ctx: Drafting, ident: str | None) -> int:
    """One line per batch (the named one, or every open one): its state and request counts."""
    states = [find_state(ctx.root, ident)] if ident else [s for s in load_states(ctx.root) if s.open]
    if not states:
        click.echo("no open batch", err=True)
        return 0
    client = None
    for state in states:
        if state.data.get("mode") == "api" and any(p.get("batch_id") for p in state.parts) and state.data["status"] != "collected":
            client = client or _client(ctx)
            _refresh(ctx, client, state)
        click.echo(_status_line(state))
    return 0


def collect(ctx: Drafting, ident: str | None, *, wait: bool = True, repair_now: Drafter | None = None) -> int:
    """Wait for the batch (capped exponential backoff), download its output and error files, apply every result."""
    state = find_state(ctx.root, ident)
    if state.data.get("mode") != "api":
        raise BatchError(f"batch {state.id} was written to a file: apply its results with qtool draft --batch-in RESULTS.jsonl")
    if state.data.get("status") == "preparing":
        state.discard()
        raise BatchError(f"batch {state.id} was interrupted before anything was sent; removed it: submit again")
    if state.data.get("status") == "collected":
        click.echo(f"batch {state.id} is already collected", err=True)
        return 0
    client = _client(ctx)
    if any(not p.get("batch_id") and p.get("status") != "cancelled" for p in state.parts):
        _send(ctx, state, resume=True)  # a submit interrupted after preparing: send what was not sent
    if not _wait(ctx, client, state, wait):
        click.echo(_status_line(state), err=True)
        return 0
    done = _apply(ctx, client, state, repair_now)
    for number, part in enumerate(state.parts, 1):
        counts = part.get("counts") or {}
        where = f"batch {state.id}" + (f" part {number}" if len(state.parts) > 1 else "")
        if part.get("status") in ("expired", "cancelled"):
            total = counts.get("total", part.get("requests", 0))
            click.echo(f"{where} {part['status']}: {counts.get('completed', 0)} of {total} requests finished "
                       "and were applied; qtool draft --batch submit sends the rest", err=True)
        elif part.get("status") == "failed":
            click.echo(f"{where} failed: {part.get('errors') or 'the server gave no reason'}", err=True)
    state.data["status"] = "collected"
    state.data["tokens"] = {"prompt": done.prompt_tokens, "completion": done.completion_tokens}
    state.save()
    _remove_folder(state)
    return _finish(ctx, done, repair_now, _server_usage(state))


def cancel(ctx: Drafting, ident: str | None) -> int:
    """Ask the server to stop the batch; ``collect`` then applies what finished."""
    state = find_state(ctx.root, ident)
    if state.data.get("mode") != "api" or not any(p.get("batch_id") for p in state.parts):
        if state.data.get("status") in ("preparing", "prepared"):
            state.discard()
            click.echo(f"batch {state.id} was never sent; removed it", err=True)
            return 0
        raise BatchError(f"batch {state.id} has nothing to cancel on a server")
    client = _client(ctx)
    for part in state.parts:
        if not part.get("batch_id"):
            part["status"] = "cancelled"  # never sent: collect must not send it now
            state.save()
        elif part.get("status") not in TERMINAL:
            batch = _call(ctx, client.batches.cancel, part["batch_id"])
            _update(part, batch)
            state.save()
    click.echo(f"cancelling batch {state.id}; qtool draft --batch collect applies what finished", err=True)
    return 0


def prune(root: str, ident: str | None, older_than: float = PRUNE_DAYS) -> int:
    """Remove the state of finished batches untouched for ``older_than`` days (or of the one named)."""
    removed = prune_states(root, older_than, ident)
    if ident is not None:
        click.echo(f"removed batch {removed[0].id}'s state", err=True)
    elif removed:
        click.echo(f"removed the state of {_batches(len(removed))} untouched for {older_than:g} days: "
                   f"{', '.join(s.id for s in removed)}", err=True)
    else:
        click.echo(f"no finished batch untouched for {older_than:g} days", err=True)
    return 0


def _auto_prune(ctx: Drafting) -> None:
    """Every submit and --batch-out removes finished batches' state untouched for PRUNE_DAYS (one line if any)."""
    removed = prune_states(ctx.root, PRUNE_DAYS)
    if removed:
        click.echo(f"removed the state of {_batches(len(removed))} untouched for {PRUNE_DAYS} days "
                   "(qtool draft --batch prune)", err=True)


# -- the server ---------------------------------------------------------------------------------------------
def _client(ctx: Drafting) -> Any:
    from qtool.draft.client import openai_client

    return openai_client(ctx.settings)


def _call(ctx: Drafting, call: Any, *args: Any, **kwargs: Any) -> Any:
    """One call to the Batch API; its failure is one line without the key."""
    import openai

    from qtool.draft.client import describe_error

    try:
        return call(*args, **kwargs)
    except openai.OpenAIError as exc:
        raise BatchError(describe_error(ctx.settings, exc)) from None


def _send(ctx: Drafting, state: State, resume: bool = False) -> None:
    """Upload each part not yet uploaded and create each batch not yet created, saving the state after each.

    On ``resume`` a batch the server may have created before Ctrl-C (its id never saved) is looked
    up by the metadata it was created with, so it is not created, and paid for, twice.
    """
    client = _client(ctx)
    for number, part in enumerate(state.parts, 1):
        if part.get("status") == "cancelled":
            continue
        if not part.get("file_id"):
            path = state.folder / part["input"]
            if not path.is_file():
                raise BatchError(f"batch {state.id}: {path} is missing; discard it with --batch cancel and submit again")
            with open(path, "rb") as handle:
                uploaded = _call(ctx, client.files.create, file=(f"{state.id}-{part['input']}", handle), purpose="batch")
            part["file_id"] = uploaded.id
            state.save()
        if not part.get("batch_id") and resume:
            found = _created_before(ctx, client, state, number)
            if found is not None:
                part["batch_id"] = found.id
                _update(part, found)
                state.save()
        if not part.get("batch_id"):
            batch = _call(ctx, client.batches.create, input_file_id=part["file_id"], endpoint=URL,
                          completion_window=COMPLETION_WINDOW, metadata={"qtool_batch": state.id, "part": str(number)})
            part["batch_id"] = batch.id
            _update(part, batch)
            state.save()
    state.data["status"] = "submitted"
    state.save()


def _created_before(ctx: Drafting, client: Any, state: State, number: int) -> Any:
    """The batch created for this part in an interrupted run, found among the newest by its metadata."""
    page = _call(ctx, client.batches.list, limit=100)
    for batch in getattr(page, "data", None) or []:
        metadata = getattr(batch, "metadata", None) or {}
        if metadata.get("qtool_batch") == state.id and metadata.get("part") == str(number):
            return batch
    return None


def _update(part: dict[str, Any], batch: Any) -> None:
    """Copy what collect needs from a Batch object into the part's state."""
    part["status"] = batch.status
    counts = getattr(batch, "request_counts", None)
    if counts is not None:
        part["counts"] = {"total": counts.total, "completed": counts.completed, "failed": counts.failed}
    for name in ("output_file_id", "error_file_id"):
        if getattr(batch, name, None):
            part[name] = getattr(batch, name)
    usage = getattr(batch, "usage", None)
    if usage is not None:
        part["usage"] = {"input": getattr(usage, "input_tokens", 0) or 0, "output": getattr(usage, "output_tokens", 0) or 0}
    errors = getattr(batch, "errors", None)
    data = getattr(errors, "data", None) or []
    if data:
        part["errors"] = "; ".join(f"{e.message}" + (f" (line {e.line})" if getattr(e, "line", None) else "") for e in data[:3])


def _refresh(ctx: Drafting, client: Any, state: State) -> None:
    for part in state.parts:
        if part.get("batch_id") and part.get("status") not in TERMINAL:
            _update(part, _call(ctx, client.batches.retrieve, part["batch_id"]))
    state.save()


def _wait(ctx: Drafting, client: Any, state: State, wait: bool) -> bool:
    """Poll until every part is finished (True), or once under ``--no-wait`` (False if not finished)."""
    delay = POLL_FIRST
    bar = None
    try:
        while True:
            _refresh(ctx, client, state)
            total = sum((p.get("counts") or {}).get("total", 0) for p in state.parts)
            finished = sum((p.get("counts") or {}).get("completed", 0) + (p.get("counts") or {}).get("failed", 0)
                           for p in state.parts)
            if wait and bar is None and total and sys.stderr.isatty():
                bar = click.progressbar(length=total, label=f"batch {state.id}", file=sys.stderr)
                bar.__enter__()
            if bar is not None:
                bar.update(max(0, min(finished, total) - bar.pos))
            if all(p.get("status") in TERMINAL for p in state.parts):
                return True
            if not wait:
                return False
            time.sleep(delay)
            delay = min(delay * 2, POLL_CAP)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _apply(ctx: Drafting, client: Any, state: State, repair_now: Drafter | None) -> Applied:
    """Download each part's output and error file (once) and apply every line, matched by custom_id."""
    applier = Applier(ctx, [state], repair_now)
    for number, part in enumerate(state.parts, 1):
        for kind in ("output_file_id", "error_file_id"):
            file_id = part.get(kind)
            if not file_id:
                continue
            target = state.folder / f"part-{number}.{kind.split('_')[0]}.jsonl"
            if not target.is_file():
                _call(ctx, _download, client, file_id, target)
            applier.apply_file(target, shown=f"{state.id}/{target.name}")
    state.save()
    return applier.done


def _download(client: Any, file_id: str, target: Path) -> None:
    """Stream a file's content to ``target`` (atomically: a download cut short leaves no file)."""
    from qtool.fsutil import atomic_writer

    with client.files.with_streaming_response.content(file_id) as response, atomic_writer(target, durable=False) as handle:
        for chunk in response.iter_bytes():
            handle.write(chunk)


# -- output -------------------------------------------------------------------------------------------------
def _finish(ctx: Drafting, done: Applied, repair_now: Drafter | None, server: tuple[int, int] | None = None) -> int:
    from qtool.report import exit_code

    _report(done.problems, done.written)
    parts = [f"{len(done.written)} written"]
    for count, word in ((done.failed, "failed"), (done.invalid, "invalid"), (done.stale, "stale"),
                        (done.already, "already applied")):
        if count:
            parts.append(f"{count} {word}")
    click.echo(f"applied {_n(done.results, 'result')} with {ctx.settings.model}: {', '.join(parts)}; "
               f"{cost_line(done.prompt_tokens, done.completion_tokens, server)}", err=True)
    if repair_now is not None and repair_now.stats.requests:
        click.echo(f"repaired synchronously: {repair_now.stats.summary()}", err=True)
    return exit_code(done.problems)


def _report(problems: list[Problem], written: Iterable[Any]) -> None:
    from qtool.report import report

    for outcome in written:
        click.echo(describe(outcome))
    if problems:
        report(problems, len({p.path for p in problems}))


def _status(problems: list[Problem]) -> int:
    from qtool.report import exit_code

    return exit_code(problems)


def _over_budget(estimate: int, budget: int | None, what: str) -> int:
    click.echo(f"Error: the batch would use about {estimate} tokens, over --budget {budget}; {what} "
               "(a batch cannot be stopped part-way)", err=True)
    return 1


def _clear_invalid(sources: Iterable[State], into: State) -> None:
    """Invalid replies now sent again in ``into`` leave their old batch's list."""
    for source in sources:
        if source.data.get("invalid"):
            source.data["invalid"] = {}
            source.save()


def _status_line(state: State) -> str:
    parts = state.parts
    counts = [(p.get("counts") or {}) for p in parts]
    total = sum(c.get("total", 0) for c in counts) or sum(p.get("requests", 0) for p in parts)
    done = sum(c.get("completed", 0) for c in counts)
    failed = sum(c.get("failed", 0) for c in counts)
    statuses = sorted({str(p.get("status") or "not sent") for p in parts}) or ["empty"]
    where = state.data.get("status")
    if where == "preparing":
        return f"{state.id}: interrupted while preparing, nothing sent (collect or cancel removes it)"
    if state.data.get("mode") == "file":
        files = state.data.get("requests_files") or [state.data.get("requests_file")]
        split = f" in {len(files)} parts" if len(files) > 1 else ""
        return f"{state.id}: written to {', '.join(map(str, files))} ({_n(len(state.requests), 'request')}{split}), {where}"
    remote = ", ".join(p["batch_id"] for p in parts if p.get("batch_id"))
    if not remote:
        return f"{state.id}: not sent yet ({_n(total, 'request')}): collect sends it, cancel drops it"
    return f"{state.id}: {'/'.join(statuses)}, {done} of {total} done, {failed} failed ({remote}){', collected' if where == 'collected' else ''}"


def _server_usage(state: State) -> tuple[int, int] | None:
    usages = [p["usage"] for p in state.parts if p.get("usage")]
    if not usages:
        return None
    return sum(u["input"] for u in usages), sum(u["output"] for u in usages)


def _remove_folder(state: State) -> None:
    import shutil

    shutil.rmtree(state.folder, ignore_errors=True)


def _cached(prepared: Prepared) -> str:
    return f"; {len(prepared.from_cache)} drafted from cache" if prepared.from_cache else ""


def _batches(count: int) -> str:
    return f"{count} finished batch{'' if count == 1 else 'es'}"


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
