"""YAML 1.2 core-schema reading of a plain scalar: the one meaning every reader and the formatter give it.

Only null, booleans, integers (decimal, 0o, 0x) and floats resolve; everything else (``yes``,
``no``, ``on``, dates) stays a string, as YAML 1.2 says.
"""

from __future__ import annotations

import re
from typing import Any

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
                   "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
                   "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
                   ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}
#: First characters a plain scalar needs to be anything but a string.
MAYBE_NOT_STR = frozenset("~nNtTfF0123456789+-.")


def plain_scalar(value: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar's text."""
    if value and value[0] not in MAYBE_NOT_STR:
        return value
    return resolve_plain(value)


def resolve_plain(value: str) -> Any:
    """The core-schema value of ``value`` (null, bool, int or float), or the string itself."""
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
        return float(value)
    if value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    return value
