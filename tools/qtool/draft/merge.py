"""Put a reply into question data: a new file's plain data, or an existing file edited in place.

Existing files are edited with ruamel.yaml's round-trip mode, so every value the draft does
not fill keeps its text, its style and its comments; a check after the edit proves it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from qtool.draft.reply import ALL_FIELDS, Field, field_name, get_field, set_field
from qtool.errors import QtoolError
from qtool.model import KEY_ORDER, KEY_ORDERS, ordered_keys
from qtool.skeleton import SKELETON_MARKER


class MergeError(QtoolError):
    """The file cannot take the draft as it is (e.g. ``answers`` is not a mapping): one line."""


def is_missing(value: Any) -> bool:
    """Nothing a person wrote: absent, empty, blank, or still a ``qtool new`` skeleton marker."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip().startswith(SKELETON_MARKER)
    if isinstance(value, list):
        return all(is_missing(item) for item in value)
    return False


def fields_to_fill(data: dict[str, Any], fields: Iterable[Field], overwrite: bool = False) -> tuple[Field, ...]:
    """The chosen fields that are missing in ``data`` (all of them under ``overwrite``)."""
    return tuple(f for f in fields if overwrite or is_missing(get_field(data, f)))


def context_of(data: dict[str, Any], filling: Iterable[Field]) -> dict[str, Any]:
    """The parts a person already wrote and the draft keeps, as plain data for the prompt."""
    skip = set(filling)
    out: dict[str, Any] = {}
    for f in ALL_FIELDS:
        value = get_field(data, f)
        if f not in skip and not is_missing(value) and isinstance(value, (str, list)):
            set_field(out, f, [v for v in value if not is_missing(v)] if isinstance(value, list) else value.strip())
    return out


def provenance(model: str, prompt_version: str, now: datetime | None = None) -> dict[str, str]:
    """Who drafted the text and when (UTC, ISO 8601, to the second)."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {"drafted_by": model, "drafted_at": moment.isoformat().replace("+00:00", "Z"), "prompt_version": prompt_version}


def new_question(head: dict[str, Any], parts: dict[str, Any], prov: dict[str, str] | None) -> dict[str, Any]:
    """A new question's plain data in canonical key order: head (id, guid, role, ...), parts, provenance."""
    data = {**head, "status": "draft", **_texts(parts), **({"provenance": prov} if prov else {})}
    return {key: data[key] for key in ordered_keys(data)}


def fill_text(text: str, reply: dict[str, Any], filling: Iterable[Field], prov: dict[str, str]) -> str:
    """The file's text with ``filling`` taken from ``reply``, provenance updated and status back to draft."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    filling = tuple(filling)
    yaml = _round_trip()
    doc = yaml.load(text)
    if not isinstance(doc, CommentedMap):
        raise MergeError("the file's top level is not a mapping")
    for f in filling:
        value = get_field(reply, f)
        if isinstance(value, list):
            value = CommentedSeq(value)
        elif isinstance(value, str):
            value = LiteralScalarString(value.strip() + "\n")
        _put_path(doc, f, value)
    if filling:
        _put(doc, "status", "draft", KEY_ORDER)
        current = doc.get("provenance")
        if not isinstance(current, CommentedMap):
            current = CommentedMap()
            _put(doc, "provenance", current, KEY_ORDER)
        for key, value in prov.items():
            _put(current, key, value, KEY_ORDERS["provenance"])
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def fill_data(data: dict[str, Any], reply: dict[str, Any], filling: Iterable[Field], prov: dict[str, str]) -> dict[str, Any]:
    """``fill_text``'s edit made on plain loaded data (a copy): what a file without comments becomes."""
    filling = tuple(filling)
    out = dict(data)  # mappings on the way to a filled value are copied; everything else is shared, unchanged
    for f in filling:
        value = get_field(reply, f)
        node = out
        for depth, key in enumerate(f[:-1]):
            child = node.get(key)
            if child is None:
                child = {}
            elif not isinstance(child, dict):
                raise MergeError(f"{'.'.join(f[:depth + 1])} is not a mapping: fix it by hand before drafting")
            node[key] = child = dict(child)
            node = child
        node[f[-1]] = list(value) if isinstance(value, list) else value.strip() + "\n" if isinstance(value, str) else value
    if filling:
        out["status"] = "draft"
        current = out.get("provenance")
        out["provenance"] = {**(current if isinstance(current, dict) else {}), **prov}
    return out


def kept_intact(before: dict[str, Any], after: dict[str, Any], filling: Iterable[Field]) -> list[str]:
    """Names of top-level keys or draft fields whose value changed though the draft did not fill them."""
    skip = set(filling)
    changed = [field_name(f) for f in ALL_FIELDS if f not in skip and get_field(before, f) != get_field(after, f)]
    for key in before:
        if key not in ("answers", "prep_tips", "competencies", "provenance", "status") and before[key] != after.get(key):
            changed.append(key)
    return changed


def _texts(parts: dict[str, Any]) -> dict[str, Any]:
    """Answer texts end with one newline, as block scalars do; list items stay single lines."""
    out: dict[str, Any] = {}
    for f in ALL_FIELDS:
        value = get_field(parts, f)
        if value is None:
            continue
        set_field(out, f, [" ".join(v.split()) for v in value] if isinstance(value, list) else value.strip() + "\n")
    return out


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _put_path(doc: Any, field: Field, value: Any) -> None:
    from ruamel.yaml.comments import CommentedMap

    node = doc
    for depth, key in enumerate(field[:-1]):
        child = node.get(key)
        if child is None:
            child = CommentedMap()
            _put(node, key, child, KEY_ORDERS.get(".".join(field[:depth]), ()))
        elif not isinstance(child, CommentedMap):
            raise MergeError(f"{'.'.join(field[:depth + 1])} is not a mapping: fix it by hand before drafting")
        node = child
    _put(node, field[-1], value, KEY_ORDERS.get(".".join(field[:-1]), ()))


def _put(mapping: Any, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Set ``key``, inserting a new key at its canonical place among those present."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = len(mapping)
    for index, existing in enumerate(mapping):
        if existing in order and order.index(existing) > rank:
            position = index
            break
    mapping.insert(position, key, value)
