"""``qtool draft``: fill the missing parts of question files with an LLM, keeping what people wrote."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from qtool.commands._common import config_or_exit, paths_argument
from qtool.errors import INTERRUPTED, UsageError, returns_status

ONLY_CHOICES = ("answers", "critiques", "prep-tips", "competencies")
BATCH_ACTIONS = ("submit", "status", "collect", "cancel", "prune")


@returns_status
def run_draft(paths: Sequence[str], *, only: Sequence[str] = (), overwrite: bool = False,
              concurrency: int | None = None, budget: int | None = None, no_cache: bool = False) -> int:
    """Draft what the files lack (default: the whole bank); returns the exit status."""
    from qtool.draft.batch import describe, draft_files, plan_files
    from qtool.draft.cache import Cache
    from qtool.draft.drafter import Drafter
    from qtool.draft.reply import fields_for
    from qtool.files import question_files
    from qtool.report import exit_code, report

    config, settings, vocabulary = _setup(paths)
    files = question_files(paths, config.root, config.exclude, config.force_exclude)
    plans, problems = plan_files(files, fields_for(only), overwrite, config.max_file_size, vocabulary)
    if not plans:
        if problems:
            report(problems, len(files))
        else:
            click.echo(f"nothing to draft: every chosen part is filled in {len(files)} file{'s' if len(files) != 1 else ''}", err=True)
        return exit_code(problems)

    drafter = Drafter(settings, cache=None if no_cache else Cache(config.root), budget=budget)
    workers = concurrency or settings.concurrency
    if sys.stderr.isatty() and len(plans) > 1:
        with click.progressbar(length=len(plans), label="drafting", file=sys.stderr) as bar:
            outcomes = draft_files(plans, drafter, workers, progress=lambda _: bar.update(1))
    else:
        outcomes = draft_files(plans, drafter, workers)
    drafted = [o for o in outcomes if o.problem is None]
    problems += [o.problem for o in outcomes if o.problem is not None]
    for outcome in drafted:
        click.echo(describe(outcome))
    if problems:
        report(problems, len(files))
    click.echo(f"drafted {len(drafted)} of {len(plans)} file{'s' if len(plans) != 1 else ''} with {settings.model}; "
               f"{drafter.stats.summary()}", err=True)
    return exit_code(problems)


def _setup(paths: Sequence[str]) -> tuple[Any, Any, tuple[str, ...]]:
    """The bank's config, the LLM settings and the competency vocabulary; a usage error when any is bad."""
    from qtool.commands.new import NO_ENDPOINT
    from qtool.draft.settings import llm_source, resolve_settings
    from qtool.draft.vocabulary import competency_vocabulary

    config = config_or_exit(paths)
    settings = resolve_settings(config.llm, source=llm_source(config.source))
    if not settings.configured:
        raise UsageError(f"{NO_ENDPOINT}: nothing to draft with")
    return config, settings, tuple(competency_vocabulary(config))


@returns_status
def run_batch(action: str, paths: Sequence[str], *, target: str | None = None, only: Sequence[str] = (),
              overwrite: bool = False, budget: int | None = None, no_cache: bool = False, repair: bool = False,
              repair_now: bool = False, wait: bool = True, max_requests: int | None = None,
              max_bytes: int | None = None, older_than: float | None = None) -> int:
    """Batch drafting: ``out``/``in`` (file mode), ``submit``/``status``/``collect``/``cancel`` (Batch API), ``prune``."""
    from qtool.draft import batch_api
    from qtool.draft.batch_jobs import PRUNE_DAYS, Drafting
    from qtool.draft.batchfile import MAX_BYTES, MAX_REQUESTS
    from qtool.draft.cache import Cache
    from qtool.draft.drafter import Drafter
    from qtool.draft.reply import fields_for
    from qtool.files import question_files

    if action == "prune":  # needs no model nor endpoint
        return batch_api.prune(str(config_or_exit(()).root), paths[0] if paths else None,
                               older_than if older_than is not None else PRUNE_DAYS)
    files_given = action in ("out", "submit")
    config, settings, vocabulary = _setup(paths if files_given else ())
    files = question_files(paths, config.root, config.exclude, config.force_exclude) if files_given else []
    cache = None if no_cache else Cache(config.root)
    ctx = Drafting(str(config.root), settings, fields_for(only), overwrite, vocabulary, config.max_file_size, cache)
    fixer = Drafter(settings, cache=cache, budget=budget) if repair_now else None
    ident = paths[0] if paths and not files_given else None
    try:
        if action == "out":
            assert target is not None
            return batch_api.batch_out(ctx, files, target, repair=repair, budget=budget,
                                       max_requests=max_requests or MAX_REQUESTS, max_bytes=max_bytes or MAX_BYTES)
        if action == "in":
            assert target is not None
            return batch_api.batch_in(ctx, target, repair_now=fixer)
        if action == "submit":
            return batch_api.submit(ctx, files, repair=repair, budget=budget,
                                    max_requests=max_requests or MAX_REQUESTS, max_bytes=max_bytes or MAX_BYTES)
        if action == "status":
            return batch_api.status(ctx, ident)
        if action == "collect":
            return batch_api.collect(ctx, ident, wait=wait, repair_now=fixer)
        return batch_api.cancel(ctx, ident)
    except KeyboardInterrupt:
        # Every write is atomic and the state is saved after every step.
        kept = " The batch's state is kept: qtool draft --batch collect resumes." if action in ("submit", "collect") else ""
        click.echo(f"Aborted!{kept}", err=True)
        return INTERRUPTED


def _batch_action(batch: str | None, batch_out: str | None, batch_in: str | None, paths: Sequence[str], repair: bool,
                  repair_now: bool, no_wait: bool, overwrite: bool, older_than: float | None = None) -> str | None:
    """Which batch step the options ask for (None: synchronous drafting); a usage error for options that clash."""
    chosen = [name for name, value in (("--batch", batch), ("--batch-out", batch_out), ("--batch-in", batch_in)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be combined: use one")
    action = batch or ("out" if batch_out else "in" if batch_in else None)
    if repair and action not in ("submit", "out"):
        raise click.UsageError("--repair goes with --batch submit or --batch-out")
    if repair_now and action not in ("collect", "in"):
        raise click.UsageError("--repair-now goes with --batch collect or --batch-in")
    if no_wait and action != "collect":
        raise click.UsageError("--no-wait goes with --batch collect")
    if older_than is not None and action != "prune":
        raise click.UsageError("--older-than goes with --batch prune")
    if overwrite and action in ("status", "collect", "cancel", "prune", "in"):
        raise click.UsageError("--overwrite is given at submit (or --batch-out), where it is recorded for collect")
    if action in ("status", "collect", "cancel", "prune") and len(paths) > 1:
        raise click.UsageError(f"--batch {action} takes at most one batch ID")
    if action == "in" and paths:
        raise click.UsageError("--batch-in applies the results to the files they were prepared for: give no PATH")
    return action


@click.command("draft")
@paths_argument
@click.option("--only", multiple=True, type=click.Choice(ONLY_CHOICES),
              help="Fill only these parts (repeat for several; default: all).")
@click.option("--overwrite", is_flag=True, help="Replace the chosen parts even where a person wrote them.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Requests in flight at once (default: [tool.qtool.llm] concurrency, else 4).")
@click.option("--budget", type=click.IntRange(1), default=None, metavar="TOKENS",
              help="Start no new request once this many tokens (prompt + completion) are used; "
                   "a batch estimated above it is not sent.")
@click.option("--no-cache", is_flag=True, help="Ask the server even for drafts already cached.")
@click.option("--batch-out", metavar="FILE", default=None,
              help="Write the requests as a JSONL batch file (for vllm run-batch or any batch runner) instead of sending them.")
@click.option("--batch-in", metavar="FILE", default=None, type=click.Path(dir_okay=False),
              help="Apply a batch results file (vllm run-batch -o, or a Batch API output) to the files it answers.")
@click.option("--batch", type=click.Choice(BATCH_ACTIONS), default=None,
              help="OpenAI Batch API: submit [PATH...], or status|collect|cancel [ID] (ID optional when one batch is open); "
                   "prune [ID] removes finished batches' state.")
@click.option("--repair", is_flag=True, help="With --batch submit or --batch-out: send the replies that failed validation back with their errors.")
@click.option("--repair-now", is_flag=True, help="With --batch collect or --batch-in: repair replies that failed validation synchronously.")
@click.option("--no-wait", is_flag=True, help="With --batch collect: check once and return if the batch is not finished.")
@click.option("--batch-max-requests", type=click.IntRange(1), default=None, metavar="N",
              help="Split a submit or --batch-out into parts of at most N requests (default 50,000, the Batch API's limit).")
@click.option("--batch-max-bytes", type=click.IntRange(1), default=None, metavar="BYTES",
              help="Split a submit or --batch-out into parts of at most BYTES each (default 200 MB, the Batch API's limit).")
@click.option("--older-than", type=click.FloatRange(0), default=None, metavar="DAYS",
              help="With --batch prune: remove finished batches' state untouched this many days (default 30).")
def command(paths: tuple[str, ...], only: tuple[str, ...], overwrite: bool, concurrency: int | None,
            budget: int | None, no_cache: bool, batch_out: str | None, batch_in: str | None, batch: str | None,
            repair: bool, repair_now: bool, no_wait: bool, batch_max_requests: int | None,
            batch_max_bytes: int | None, older_than: float | None) -> None:
    """Missing means absent, empty or still a `qtool new` skeleton text. Every value and comment a
    person wrote stays unless --overwrite; provenance is updated and status set to draft.
    """
    action = _batch_action(batch, batch_out, batch_in, paths, repair, repair_now, no_wait, overwrite, older_than)
    if action is None:
        status = run_draft(paths, only=only, overwrite=overwrite, concurrency=concurrency, budget=budget, no_cache=no_cache)
    else:
        status = run_batch(action, paths, target=batch_out or batch_in, only=only, overwrite=overwrite, budget=budget,
                           no_cache=no_cache, repair=repair, repair_now=repair_now, wait=not no_wait,
                           max_requests=batch_max_requests, max_bytes=batch_max_bytes, older_than=older_than)
    if status == INTERRUPTED:
        # Every write is atomic and made in this thread, so each file is whole; requests still in
        # flight are abandoned rather than waited for (the pool's threads would hold exit for minutes).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)
