"""``qtool new``: start a question file; an LLM drafts it, or a skeleton when there is no endpoint."""

from __future__ import annotations

import os
import sys

import click

from qtool.commands._common import config_or_exit
from qtool.errors import QtoolError, returns_status
from qtool.model import CATEGORIES
from qtool.report import note as inform

NO_ENDPOINT = ("no LLM endpoint configured (set OPENAI_API_KEY, or OPENAI_BASE_URL or base-url in "
               "[tool.qtool.llm] for a local server)")


@returns_status
def run_new(role: str, question: str, category: str, *, slug: str | None = None, force: bool = False,
            no_llm: bool = False, no_cache: bool = False, role_slug: str | None = None) -> int:
    """Write questions/<role>/<slug>.yaml (drafted, or a skeleton), then check it; returns the exit status."""
    from qtool.draft.create import plan_target, question_text
    from qtool.draft.settings import llm_source, resolve_settings
    from qtool.fsutil import atomic_write

    config = config_or_exit()
    settings = resolve_settings(config.llm, source=llm_source(config.source))
    target = plan_target(config.root, role, question, category, slug, force, role_slug)

    if no_llm or not settings.configured:
        from qtool.skeleton import skeleton_fields

        text = question_text(target, skeleton_fields(), None)
        why = "--no-llm" if no_llm else NO_ENDPOINT
        note = f"{why}: wrote a skeleton to {target.path}; replace every TODO(qtool) text"
    else:
        from qtool.draft.cache import Cache
        from qtool.draft.client import DraftError
        from qtool.draft.drafter import Drafter
        from qtool.draft.merge import provenance
        from qtool.draft.messages import DraftJob, prompt_version
        from qtool.draft.reply import ALL_FIELDS
        from qtool.draft.vocabulary import competency_vocabulary

        vocabulary = competency_vocabulary(config)
        drafter = Drafter(settings, cache=None if no_cache else Cache(config.root))
        job = DraftJob(target.role, target.question, target.category, ALL_FIELDS, vocabulary=vocabulary)
        if sys.stderr.isatty():
            click.echo(f"drafting {target.path} with {settings.model} at {settings.endpoint} ...", err=True)
        try:
            reply = drafter.draft(job)
        except DraftError as exc:
            failed = f"could not draft {target.path}: {exc}"
            # At a terminal, what the author typed is not lost: offer the skeleton instead.
            if not (sys.stdin.isatty() and click.confirm(f"{failed}\nWrite a skeleton to fill by hand instead?",
                                                         default=True, err=True)):
                raise QtoolError(f"{failed}; nothing written (--no-llm writes a skeleton to fill by hand)") from None
            from qtool.skeleton import skeleton_fields

            text = question_text(target, skeleton_fields(), None)
            note = f"wrote a skeleton to {target.path}; replace every TODO(qtool) text"
        else:
            text = question_text(target, reply, provenance(settings.model, prompt_version()))
            note = (f"wrote {target.path}, drafted by {settings.model} ({drafter.stats.summary()}); "
                    "read and edit it, then set status: reviewed")
    if target.path.exists() and not force:  # made by someone else while the model was drafting
        raise QtoolError(f"{target.path} appeared while drafting: pick another --slug, or pass --force to replace it")
    atomic_write(target.path, text)
    inform(note)
    _check(os.fspath(target.path))
    return 0


def _check(path: str) -> None:
    """Show the new file's problems, as `qtool check` reports them (informational: the file is written)."""
    from qtool.commands.check import run_check

    run_check([path])


@click.command("new")
@click.option("--role", prompt="Role (job title)", help="The job title, e.g. 'Data Analyst'.")
@click.option("--question", prompt="Question", help="The interview question, ending with '?'.")
@click.option("--category", prompt="Category", type=click.Choice(CATEGORIES, case_sensitive=False), help="The kind of question.")
@click.option("--slug", default=None, help="File name under questions/<role>/ (default: from the question's words).")
@click.option("--role-slug", default=None, help="Folder name under questions/ (default: from the role's words).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option("--no-llm", is_flag=True, help="Write a skeleton to fill by hand, even with an endpoint configured.")
@click.option("--no-cache", is_flag=True, help="Ask the server even for a draft already cached.")
def command(role: str, question: str, category: str, slug: str | None, role_slug: str | None, force: bool, no_llm: bool,
            no_cache: bool) -> None:
    """The file gets a fresh guid and status: draft.

    With an endpoint (OPENAI_API_KEY, OPENAI_BASE_URL or [tool.qtool.llm] base-url) an LLM
    drafts the answers, critiques, prep tips and competencies; without one (or with --no-llm)
    you get a skeleton to fill in. Then the file is checked and its problems shown.
    """
    raise SystemExit(run_new(role, question, category, slug=slug, force=force, no_llm=no_llm, no_cache=no_cache,
                             role_slug=role_slug))
