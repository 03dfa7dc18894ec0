"""The question schema, compiled once, and its errors as Problems at the right line and column."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from typing import Any

from qtool.errors import closest
from qtool.model import Problem, Question, Severity, path_str

SCHEMA_NAME = "question.schema.json"
_TYPE_NAMES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def schema_text(name: str = SCHEMA_NAME) -> str:
    """The schema shipped inside the package (identical to the bank's schema/ copy)."""
    from importlib import resources  # here: a warm run answers from its report and never needs it

    return resources.files("qtool").joinpath("schema", name).read_text(encoding="utf-8")


@cache
def load_schema(name: str = SCHEMA_NAME) -> dict[str, Any]:
    return json.loads(schema_text(name))


@cache
def validator(name: str = SCHEMA_NAME) -> Any:
    """A jsonschema validator for the named packaged schema, built once per process."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def fast_validator(name: str = SCHEMA_NAME) -> Any:
    """A compiled (Rust) validator that only answers valid or not, ~100x faster; None if unavailable."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - optional speed-up
        return None
    return jsonschema_rs.validator_for(load_schema(name))


def schema_problems(question: Question) -> list[Problem]:
    """Every schema violation of one loaded file, one Problem each, in file order.

    Valid files (nearly all of a bank) are answered by the compiled validator; only
    invalid ones pay for jsonschema's detailed errors.
    """
    fast = fast_validator()
    if fast is not None and fast.is_valid(question.data):
        return []
    errors = validator().iter_errors(question.data)
    problems = [problem for error in errors for problem in error_problems(question, error)]
    return sorted(set(problems))


def error_problems(q: Question, error: Any) -> Iterator[Problem]:
    """One jsonschema error as Problems: plain words, at the offending key or value (or the mapping lacking a key)."""
    parts = list(error.absolute_path)
    where = path_str(parts)
    name = where or "the file"
    kind = error.validator
    value = error.instance

    def at(pos: tuple[int, int], message: str) -> Problem:
        return Problem(q.path, pos[0], pos[1], Severity.ERROR, message, "schema")

    if kind == "required":
        for key in error.validator_value:
            if isinstance(value, dict) and key not in value:
                inside = f" in {where}" if where else ""
                yield at(q.mapping_pos(where), f"'{key}' is required{inside}{_describe(error.schema, key)}")
        return
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for key in value:
            if key not in allowed:
                child = path_str(parts + [key])
                inside = f" in {where}" if where else ""
                close = closest(str(key), allowed)
                hint = f" (did you mean '{close}'?)" if close else ""
                yield at(q.key_pos(child), f"unknown key '{key}'{inside}{hint}; allowed keys: {', '.join(allowed)}")
        return
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        yield at(q.pos(where), f"{name} must be {want}, got {_kind(value)}")
        return
    if kind == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        yield at(q.pos(where), f"{name} must be one of: {options}; got {_show(value)}")
        return
    if kind == "pattern":
        hint = error.schema.get("description") or f"pattern {error.validator_value}"
        yield at(q.pos(where), f"{name} {_show(value)} is not in the expected form: {hint}")
        return
    if kind == "minLength":
        yield at(q.pos(where), f"{name} must not be empty")
        return
    if kind == "maxLength":
        yield at(q.pos(where), f"{name} is too long: {len(value)} characters, at most {error.validator_value}")
        return
    if kind == "minItems":
        yield at(q.pos(where), f"{name} must have at least {error.validator_value} item{'s' if error.validator_value != 1 else ''}")
        return
    if kind == "uniqueItems":
        seen: set[str] = set()
        for index, item in enumerate(value):
            marker = json.dumps(item, sort_keys=True)
            if marker in seen:
                yield at(q.pos(path_str(parts + [index])), f"{name} lists {_show(item)} more than once")
            seen.add(marker)
        return
    bound = _BOUNDS.get(kind)
    if bound is not None:
        yield at(q.pos(where), f"{name} must be {bound} {error.validator_value}, got {_show(value)}")
        return
    yield at(q.pos(where), f"{name}: {error.message}")


_BOUNDS = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}


def _describe(schema: dict[str, Any], key: str) -> str:
    sub = schema.get("properties", {}).get(key, {})
    title = sub.get("description")
    return f" ({title.rstrip('.')})" if title else ""


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def expected_id(path: str) -> str | None:
    """The id a file must carry: its path under the nearest ``questions/`` folder, without .yaml."""
    parts = tuple(path.split("/"))
    # A plain relative path that names the folder itself (as the walk gives) needs no absolute form, nor a getcwd call.
    if os.sep != "/" or path[:1] == "/" or "questions" not in parts or "" in parts or "." in parts or ".." in parts:
        parts = tuple(os.path.abspath(path).split(os.sep))
    if "questions" not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index("questions")
    rest = parts[index + 1:]
    if not rest:
        return None
    last = rest[-1]
    stem = last[: -len(".yaml")] if last.endswith(".yaml") else last.rsplit(".", 1)[0]
    return "/".join((*rest[:-1], stem))


def id_problems(question: Question) -> list[Problem]:
    """The id must equal the file's path under questions/: nothing else can be trusted otherwise."""
    expected = expected_id(question.path)
    actual = question.id
    if expected is None or actual is None or actual == expected:
        return []
    line, column = question.pos("id")
    return [Problem(question.path, line, column, Severity.ERROR,
                    f"id '{actual}' does not match the file's path: expected '{expected}' (rename the file or fix the id)",
                    "id-path")]


def validate_question(question: Question) -> list[Problem]:
    """Schema problems plus the id/path check: everything `qtool validate` reports for a loaded file."""
    return schema_problems(question) + id_problems(question)
