"""``qtool draft``: fill the missing parts of question files with an LLM, keeping what people wrote."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from qtool.commands._common import config_or_exit, paths_argument
from qtool.errors import INTERRUPTED, UsageError, returns_status

ONLY_CHOICES = ("answers", "critiques", "prep-tips", "competencies")


@returns_status
def run_draft(paths: Sequence[str], *, only: Sequence[str] = (), overwrite: bool = False,
              concurrency: int | None = None, budget: int | None = None, no_cache: bool = False) -> int:
    """Draft what the files lack (default: the whole bank); returns the exit status."""
    from qtool.commands.new import NO_ENDPOINT
    from qtool.draft.batch import describe, draft_files, plan_files
    from qtool.draft.cache import Cache
    from qtool.draft.drafter import Drafter
    from qtool.draft.reply import fields_for
    from qtool.draft.settings import llm_source, resolve_settings
    from qtool.draft.vocabulary import competency_vocabulary
    from qtool.files import question_files
    from qtool.report import exit_code, report

    config = config_or_exit(paths)
    settings = resolve_settings(config.llm, source=llm_source(config.source))
    if not settings.configured:
        raise UsageError(f"{NO_ENDPOINT}: nothing to draft with")
    vocabulary = competency_vocabulary(config)
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


@click.command("draft")
@paths_argument
@click.option("--only", multiple=True, type=click.Choice(ONLY_CHOICES),
              help="Fill only these parts (repeat for several; default: all).")
@click.option("--overwrite", is_flag=True, help="Replace the chosen parts even where a person wrote them.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Requests in flight at once (default: [tool.qtool.llm] concurrency, else 4).")
@click.option("--budget", type=click.IntRange(1), default=None, metavar="TOKENS",
              help="Start no new request once this many tokens (prompt + completion) are used.")
@click.option("--no-cache", is_flag=True, help="Ask the server even for drafts already cached.")
def command(paths: tuple[str, ...], only: tuple[str, ...], overwrite: bool, concurrency: int | None,
            budget: int | None, no_cache: bool) -> None:
    """Missing means absent, empty or still a `qtool new` skeleton text. Every value and comment a
    person wrote stays unless --overwrite; provenance is updated and status set to draft.
    """
    status = run_draft(paths, only=only, overwrite=overwrite, concurrency=concurrency, budget=budget, no_cache=no_cache)
    if status == INTERRUPTED:
        # Every write is atomic and made in this thread, so each file is whole; requests still in
        # flight are abandoned rather than waited for (the pool's threads would hold exit for minutes).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)
