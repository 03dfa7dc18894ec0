"""``qtool new``'s core: where the file goes, and the text of the new question (drafted or skeleton)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtool.draft.naming import question_slug, unsafe
from qtool.errors import QtoolError
from qtool.files import QUESTIONS_DIR, SLUG_RE, SUFFIX
from qtool.files import slug as files_slug
from qtool.model import CATEGORIES


class NewError(QtoolError):
    """A value ``qtool new`` refuses: one line; ``usage`` marks bad input (exit 2) over bad state (exit 1)."""

    def __init__(self, message: str, usage: bool = True) -> None:
        super().__init__(message, exit_status=2 if usage else 1)
        self.usage = usage


@dataclass(frozen=True)
class Target:
    """The new question's identity and its file."""

    role: str
    question: str
    category: str
    id: str
    path: Path


def plan_target(root: str | os.PathLike[str], role: str, question: str, category: str,
                slug: str | None = None, force: bool = False, role_slug: str | None = None) -> Target:
    """Check the inputs and pick the file; NewError says what is wrong.

    The role is a job title, not a path: ``UX/UI Designer`` is fine (its folder is ``ux-ui-designer``).
    ``slug`` and ``role_slug`` override the names made from the question and the role.
    """
    role, question = role.strip(), question.strip()
    for name, value in (("role", role), ("question", question)):
        if not value:
            raise NewError(f"the {name} is empty")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise NewError(f"the {name} contains control characters (a line break?): give it on one line")
    if category not in CATEGORIES:
        raise NewError(f"category must be one of: {', '.join(CATEGORIES)}; got {category!r}")
    role_slug = _given_slug(role_slug, "--role-slug", QUESTIONS_DIR) if role_slug is not None else files_slug(role)
    if not role_slug:
        raise NewError(f"cannot make a folder name from role {role!r}: give one with --role-slug")
    if slug is not None:
        slug = _given_slug(slug, "--slug", f"{QUESTIONS_DIR}/{role_slug}")
    else:
        slug = question_slug(question)
        if not slug:
            raise NewError("cannot make a file name from the question: give one with --slug")
    bank = Path(root) / QUESTIONS_DIR
    if not bank.is_dir():
        raise NewError(f"no {QUESTIONS_DIR}/ folder in {os.path.abspath(root)}: start the bank with `qtool init`, or pass --root", usage=False)
    path = bank / role_slug / f"{slug}{SUFFIX}"
    if os.path.commonpath([os.path.abspath(path), os.path.abspath(bank)]) != os.path.abspath(bank):
        raise NewError(f"{path} would be outside {QUESTIONS_DIR}/")  # pragma: no cover - the checks above rule it out
    if path.exists() and not force:
        raise NewError(f"{path} already exists: pick another --slug, or pass --force to replace it", usage=False)
    return Target(role, question, category, f"{role_slug}/{slug}", path)


def question_text(target: Target, parts: dict[str, Any], prov: dict[str, str] | None) -> str:
    """The new file's canonical text: a fresh guid, status draft, the parts and (when drafted) provenance."""
    from qtool.draft.merge import new_question
    from qtool.fmt import dump_question
    from qtool.model import new_guid

    head = {"id": target.id, "guid": new_guid(), "role": target.role, "question": target.question,
            "category": target.category}
    return dump_question(new_question(head, parts, prov))


def _given_slug(value: str, option: str, inside: str) -> str:
    """A slug given on the command line, refused unless it is one safe path part in slug form."""
    why = unsafe(value)
    if why:
        raise NewError(f"{option} {value!r} {why}: it must stay inside {inside}/")
    if not SLUG_RE.match(value):
        raise NewError(f"{option} {value!r} is not in the expected form: lower-case letters, digits and single '-', "
                       f"e.g. {files_slug(value) or 'my-question'!r}")
    return value
