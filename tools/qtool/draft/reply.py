"""The shape of a drafting reply, derived from the packaged question schema, and its validation.

The question schema is the one source of truth: the reply schema takes its ``answers``,
``prep_tips`` and ``competencies`` parts, inlines their ``$ref``s, keeps only what the
contract requires (so every property is required, as strict structured output wants) and
prunes it to the fields a request asks for.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from qtool.model import path_str

Field = tuple[str, ...]

#: ``--only`` choices -> the fields they fill, in canonical order.
PARTS: dict[str, tuple[Field, ...]] = {
    "answers": (("answers", "sample", "text"), ("answers", "solid", "text"), ("answers", "exceptional", "text")),
    "critiques": (("answers", "solid", "critique"), ("answers", "exceptional", "critique")),
    "prep-tips": (("prep_tips",),),
    "competencies": (("competencies",),),
}
_ORDER = [f for fields in (PARTS["answers"][:1], PARTS["answers"][1:2], PARTS["critiques"][:1],
                           PARTS["answers"][2:], PARTS["critiques"][1:], PARTS["prep-tips"], PARTS["competencies"])
          for f in fields]
#: Every field a draft can fill, in file order.
ALL_FIELDS: tuple[Field, ...] = tuple(_ORDER)
#: Keywords strict structured output rejects on some servers; jsonschema still checks them here.
_WIRE_DROP = {"minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "pattern", "format", "title"}


def fields_for(only: Iterable[str] = ()) -> tuple[Field, ...]:
    """The fields the ``--only`` choices name (all of them when none), in file order."""
    chosen = set(only) or set(PARTS)
    wanted = {f for part in chosen for f in PARTS[part]}
    return tuple(f for f in ALL_FIELDS if f in wanted)


@lru_cache(maxsize=1)
def full_reply_schema() -> dict[str, Any]:
    """The strict schema of a reply that fills every field, built from the question schema."""
    from qtool.schema import load_schema

    question = load_schema()
    defs = question.get("$defs", {})
    parts = {key: _strict(_inline(question["properties"][key], defs)) for key in ("answers", "prep_tips", "competencies")}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(parts),
        "properties": parts,
    }


def reply_schema(fields: Iterable[Field], competencies: Sequence[str] = ()) -> dict[str, Any]:
    """The full reply schema pruned to ``fields`` (every one required, nothing else allowed).

    With ``competencies`` (the bank's vocabulary), competencies must be picked from that list.
    """
    wanted = list(fields)
    if not wanted:
        raise ValueError("a reply needs at least one field")
    schema = _prune(full_reply_schema(), wanted)
    if competencies and "competencies" in schema["properties"]:
        schema = copy.deepcopy(schema)
        schema["properties"]["competencies"]["items"]["enum"] = list(competencies)
    return schema


def wire_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as sent in ``response_format``: without keywords strict mode may refuse."""
    if isinstance(schema, list):
        return [wire_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: wire_schema(sub) for name, sub in value.items()}
        elif key not in _WIRE_DROP:
            out[key] = wire_schema(value)
    return out


def reply_errors(data: Any, schema: dict[str, Any], limit: int = 10) -> list[str]:
    """Why ``data`` does not fit ``schema``: one short line per error, at most ``limit``.

    As ``qtool.schema`` does for files: a reply that fits (nearly all) is answered by the compiled
    validator; only one that does not pays for jsonschema's detailed errors.
    """
    from jsonschema import Draft202012Validator

    fast = _fast_validator(schema)
    if fast is not None and fast.is_valid(data):
        return []
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in errors[:limit]:
        where = path_str(list(error.absolute_path)) or "the reply"
        out.append(f"{where}: {_short(error.message)}")
    if len(errors) > limit:
        out.append(f"... and {len(errors) - limit} more")
    return out


#: Compiled validators by schema object (reply schemas are built once per set of parts: ``job_schema``).
_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _fast_validator(schema: dict[str, Any]) -> Any:
    """The compiled (Rust) validator for ``schema``, built once per schema object; None if unavailable."""
    entry = _COMPILED.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - optional speed-up
        return None
    if len(_COMPILED) > 256:
        _COMPILED.clear()
    compiled = jsonschema_rs.validator_for(schema)
    _COMPILED[id(schema)] = (schema, compiled)  # the schema is kept alive, so its id is not reused
    return compiled


def trim_reply(data: Any, schema: dict[str, Any]) -> Any:
    """``data`` without keys ``schema`` does not ask for: JSON-mode models often write every part."""
    if not isinstance(data, dict) or "properties" not in schema:
        return data
    props = schema["properties"]
    return {key: trim_reply(value, props[key]) for key, value in data.items() if key in props}


def parse_reply(content: str | None) -> Any:
    """The JSON object in a reply's text, tolerating a Markdown code fence around it; ValueError if none."""
    if content is None or not content.strip():
        raise ValueError("the reply was empty")
    text = content.strip()
    fenced = re.fullmatch(r"```[a-zA-Z]*\s*\n(.*?)\n?```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def get_field(data: Any, field: Field) -> Any:
    """The value at ``field`` in nested mappings, or None where any step is missing."""
    for key in field:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def set_field(data: dict[str, Any], field: Field, value: Any) -> None:
    """Set ``field`` in plain nested dicts, creating the mappings on the way."""
    for key in field[:-1]:
        data = data.setdefault(key, {})
    data[field[-1]] = value


def field_name(field: Field) -> str:
    return ".".join(field)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """A copy of ``node`` with every local ``$ref`` replaced by its target (merged with siblings)."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix):] not in defs:
            raise ValueError(f"cannot resolve $ref {ref!r} in the question schema")
        out.update(_inline(copy.deepcopy(defs[ref[len(prefix):]]), defs))
    for key, value in node.items():
        if key != "$ref":
            out[key] = _inline(value, defs)
    return out


def _strict(node: Any) -> Any:
    """Keep only required properties and forbid others, all the way down."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items() if key not in ("properties", "required")}
    if "properties" in node:
        required = [key for key in node["properties"] if key in node.get("required", [])]
        out["properties"] = {key: _strict(node["properties"][key]) for key in required}
        out["required"] = required
        out["additionalProperties"] = False
    return out


def _prune(schema: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    heads: dict[str, list[Field]] = {}
    for field in fields:
        heads.setdefault(field[0], []).append(field[1:])
    props = schema["properties"]
    out = {k: v for k, v in schema.items() if k not in ("properties", "required")}
    out["properties"] = {}
    for key in props:
        if key not in heads:
            continue
        rests = heads[key]
        out["properties"][key] = props[key] if any(not rest for rest in rests) else _prune(props[key], rests)
    unknown = set(heads) - set(props)
    if unknown:
        raise ValueError(f"not a draftable field: {', '.join(sorted(unknown))}")
    out["required"] = list(out["properties"])
    return out


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."
