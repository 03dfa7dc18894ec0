"""``qtool import``: question pages (plain text or Markdown) -> canonical question files in the bank."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from qtool.commands._common import config_or_exit, format_option
from qtool.errors import returns_status
from qtool.files import QUESTIONS_DIR
from qtool.model import CATEGORIES, STATUSES, Problem, Severity


@returns_status
def run_import(
    files: Sequence[str],
    *,
    role: str | None = None,
    category: str | None = None,
    status: str | None = None,
    out: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    fmt: str | None = None,
) -> int:
    """Import each page to ``OUT/<role-slug>/<slug>.yaml``; a failed page writes nothing, the rest go on."""
    from qtool.files import question_files
    from qtool.fmt import dump_question
    from qtool.fsutil import atomic_write
    from qtool.importer import CODE, import_pages
    from qtool.loader import LoadError, load_file
    from qtool.pipeline import check_files
    from qtool.report import exit_code, report

    config = config_or_exit()
    out = out if out is not None else os.path.join(config.root, QUESTIONS_DIR)
    bank = []
    if os.path.isdir(out):
        for name in question_files([out], config.root, config.exclude):
            loaded = load_file(name, max_bytes=config.max_file_size)
            if not isinstance(loaded, LoadError):
                bank.append(loaded)

    problems: list[Problem] = []
    written: dict[str, bytes] = {}
    printed = 0
    sources: list[tuple[str, bytes]] = []
    for name in files:
        data = _read(name, config.max_file_size)
        if isinstance(data, str):
            problems.append(Problem(name, 1, 1, Severity.ERROR, data, CODE))
        else:
            sources.append((name, data))

    for result in import_pages(sources, role=role, category=category, status=status, bank=bank):
        problems.extend(result.problems)
        if result.data is None:
            continue
        target = Path(out, *result.data["id"].split("/")).with_suffix(".yaml")
        if target.exists() and not force:
            verb = "would refuse" if dry_run else "refusing"
            problems.append(Problem(result.path, 1, 1, Severity.ERROR, f"{target} already exists: {verb} to overwrite it without --force", CODE))
            continue
        if target.exists():
            _keep_status_if_unchanged(result.data, target, config.max_file_size)
        try:
            text = dump_question(result.data)
        except ValueError as exc:  # fmt verifies its output loads back to the same data
            problems.append(Problem(result.path, 1, 1, Severity.ERROR, f"cannot write it as canonical YAML: {exc}", CODE))
            continue
        if dry_run:
            click.echo(f"would write {target}", err=True)
            click.echo(("---\n" if printed else "") + text, nl=False)  # one multi-document YAML stream
            printed += 1
            written[os.fspath(target)] = text.encode("utf-8")
            continue
        try:
            atomic_write(target, text)
        except OSError as exc:
            problems.append(Problem(result.path, 1, 1, Severity.ERROR, f"cannot write {target}: {exc.strerror or exc}", CODE))
            continue
        click.echo(f"wrote {target}", err=True)
        written[os.fspath(target)] = text.encode("utf-8")

    if written:  # what was written (or would be) is checked as `qtool check` would: the rules, not only the page format
        # Into another folder than the bank's questions/: compared with each other, not with the bank.
        inside = os.path.realpath(out) == os.path.realpath(os.path.join(config.root, QUESTIONS_DIR))
        bank_of_out = config if inside else dataclasses.replace(config, root=Path(out).parent)
        checked = check_files(list(written), bank_of_out, contents=written if dry_run else None)
        problems.extend(checked.problems)
    report(problems, len(files) + len(written), fmt, out=sys.stderr if dry_run else None)
    return exit_code(problems)


def _keep_status_if_unchanged(data: dict[str, Any], target: Path, max_bytes: int) -> None:
    """``import --force`` of a page whose texts did not change keeps the question's status (a reviewed one stays reviewed)."""
    from qtool.loader import LoadError, load_file

    current = load_file(target, max_bytes=max_bytes)
    if isinstance(current, LoadError) or "status" not in current.data:
        return
    ignored = ("status", "guid", "provenance")
    if {k: v for k, v in current.data.items() if k not in ignored} == {k: v for k, v in data.items() if k not in ignored}:
        data["status"] = current.data["status"]


def _read(name: str, max_bytes: int) -> bytes | str:
    """The page's bytes, or why they cannot be read (one line): qtool's one way to read a file."""
    from qtool.loader import LoadError, read_file

    data = read_file(name, max_bytes)
    return data.message if isinstance(data, LoadError) else data


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--role", help="The job title for every page (default: each page's '<Role> Interview Questions' line).")
@click.option("--category", type=click.Choice(CATEGORIES), help="Category for every page (default: the page's qtool comment, else behavioral).")
@click.option("--status", type=click.Choice(STATUSES), help="Status for every page (default: the page's qtool comment, else draft).")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="The bank's questions folder (default: questions/ at the bank's root).")
@click.option("--dry-run", is_flag=True, help="Print the files that would be written (to stdout) instead of writing them.")
@click.option("--force", is_flag=True, help="Overwrite question files that already exist.")
@format_option
def command(files: tuple[str, ...], role: str | None, category: str | None, status: str | None,
            out: str | None, dry_run: bool, force: bool, fmt: str | None) -> None:
    """Each FILE becomes OUT/<role-slug>/<slug>.yaml in canonical form with a fresh guid.
    Related questions listed by title are matched to the bank's ids. A page with a missing
    or doubled part is reported and writes nothing; the other pages go on.
    """
    raise SystemExit(run_import(files, role=role, category=category, status=status, out=out,
                                dry_run=dry_run, force=force, fmt=fmt))
