"""Competencies come from the bank's vocabulary (schema/competencies.yaml), with a did-you-mean."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qtool.config import ConfigError
from qtool.lint.rule import Rule, quote
from qtool.model import Problem, Question, Severity
from qtool.skeleton import SKELETON_MARKER

DEFAULT_VOCABULARY = "schema/competencies.yaml"


def read_vocabulary(path: Path) -> list[str]:
    """The competencies listed in a vocabulary file (a mapping with a ``competencies`` list)."""
    from qtool.loader import LoadError, load_file

    loaded = load_file(path)
    if isinstance(loaded, LoadError):
        raise ConfigError(f"{path}:{loaded.line}:{loaded.column}: cannot read the competency vocabulary: {loaded.message}")
    items = loaded.data.get("competencies")
    if not isinstance(items, list) or not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise ConfigError(f"{path}: the competency vocabulary must have a 'competencies' list of names")
    return items


class CompetencyVocabulary(Rule):
    name = "competency-vocabulary"
    description = f"competencies are listed in the bank's vocabulary ({DEFAULT_VOCABULARY}), with a did-you-mean"
    examples = ('competencies:\n  - Problem-solving   # listed in schema/competencies.yaml',
                'competencies:\n  - Problem solvng')
    default_severity = Severity.WARNING
    #: ``vocabulary``: the vocabulary file, relative to the bank's root (no file, no check).
    options = {"vocabulary": DEFAULT_VOCABULARY}

    def prepare(self, options: dict[str, Any], root: Path) -> dict[str, Any]:
        path = root / options["vocabulary"]
        if not path.is_file():
            if options["vocabulary"] != DEFAULT_VOCABULARY:
                raise ConfigError(f"rules.{self.name}: vocabulary file {path} does not exist")
            return {**options, "known": None}
        names = read_vocabulary(path)
        return {**options, "known": frozenset(names), "names": names, "guesses": {}}

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        known = options.get("known")
        items = q.data.get("competencies")
        if known is None or not isinstance(items, list):
            return
        for index, competency in enumerate(items):
            if not isinstance(competency, str) or not competency.strip() or competency in known or SKELETON_MARKER in competency:
                continue
            guess = _guess(competency, options)
            hint = f"did you mean {quote(guess)}? " if guess else ""
            yield self.at(q, q.pos(f"competencies[{index}]"),
                          f"competency {quote(competency)} is not in the bank's vocabulary ({options['vocabulary']}): "
                          f"{hint}use a listed name, or add a new one to the vocabulary")


def _guess(name: str, options: Mapping[str, Any]) -> str | None:
    guesses: dict[str, str | None] = options["guesses"]
    if name not in guesses:
        from rapidfuzz import fuzz, process, utils

        best = process.extractOne(name, options["names"], scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=80)
        guesses[name] = best[0] if best else None
    return guesses[name]


RULE = CompetencyVocabulary()
