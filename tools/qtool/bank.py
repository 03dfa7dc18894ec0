"""Load and validate many question files: what validate, lint, check and export share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from qtool.loader import DEFAULT_MAX_BYTES, LoadError, load_file
from qtool.model import Problem, Question, Severity
from qtool.schema import validate_question


@dataclass
class Checked:
    """The outcome of loading and validating a set of files."""

    files: list[str]
    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Paths of files that failed to load or match the schema.
    broken: set[str] = field(default_factory=set)

    @property
    def valid(self) -> list[Question]:
        """Loaded questions with no load or schema errors: what rules and exports trust."""
        return [q for q in self.questions if q.path not in self.broken]


def load_and_validate(files: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Checked:
    """Load every file and validate it against the schema; one bad file never stops the rest."""
    checked = Checked(list(files))
    for name in files:
        loaded = load_file(name, max_bytes=max_bytes)
        if isinstance(loaded, LoadError):
            checked.problems.append(loaded.problem())
            checked.broken.add(name)
            continue
        checked.questions.append(loaded)
        problems = validate_question(loaded)
        if problems:
            checked.problems.extend(problems)
            if any(p.severity is Severity.ERROR for p in problems):
                checked.broken.add(name)
    return checked
