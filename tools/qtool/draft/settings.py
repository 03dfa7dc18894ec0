"""Where and how to draft: ``[tool.qtool.llm]`` checked key by key, then the environment on top."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qtool.errors import UsageError

#: Placeholder key for servers that need none (Ollama, llama.cpp, vLLM without --api-key).
DUMMY_KEY = "no-key"

#: key -> (default, one-line description); the README's table is this table.
KEYS: dict[str, tuple[Any, str]] = {
    "model": ("gpt-4o-mini", "model name as the server knows it (env QTOOL_MODEL overrides)"),
    "base_url": (None, "server URL ending in /v1, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL overrides)"),
    "temperature": (None, "sampling temperature, 0 to 2 (default: the server's own; some models accept none)"),
    "timeout": (120.0, "seconds to wait for each reply before giving up on that attempt"),
    "max_retries": (3, "retries of one request on timeouts, 429 and 5xx, with backoff (honours Retry-After)"),
    "concurrency": (4, "requests in flight at once in `qtool draft` (--concurrency overrides)"),
    "max_reply_bytes": (524288, "largest reply accepted, in bytes (a bigger one is refused, never written)"),
}


class SettingsError(UsageError):
    """A bad ``[tool.qtool.llm]`` value or environment variable: one line, exit status 2."""


@dataclass(frozen=True)
class LLMSettings:
    """Everything the client needs; the key never appears in repr, logs or files."""

    model: str = KEYS["model"][0]
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float | None = KEYS["temperature"][0]
    timeout: float = KEYS["timeout"][0]
    max_retries: int = KEYS["max_retries"][0]
    concurrency: int = KEYS["concurrency"][0]
    max_reply_bytes: int = KEYS["max_reply_bytes"][0]

    @property
    def configured(self) -> bool:
        """An endpoint is configured when there is a key (OpenAI) or a base URL (any server)."""
        return bool(self.api_key or self.base_url)

    @property
    def endpoint(self) -> str:
        """The server's URL as shown in messages."""
        return self.base_url or "https://api.openai.com/v1"

    @property
    def client_key(self) -> str:
        """The key to hand the client: the real one, or a placeholder for keyless local servers."""
        return self.api_key or DUMMY_KEY


def resolve_settings(table: Mapping[str, Any] | None, env: Mapping[str, str] | None = None,
                     source: str = "[tool.qtool.llm]") -> LLMSettings:
    """Check the ``[tool.qtool.llm]`` table, then let OPENAI_BASE_URL, OPENAI_API_KEY, QTOOL_MODEL override it."""
    env = os.environ if env is None else env
    table = dict(table or {})
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        hint = " (put the key in the OPENAI_API_KEY environment variable, never in a file)" if "api_key" in unknown else ""
        raise SettingsError(f"{source}: unknown key {', '.join(map(repr, unknown))}{hint}; known keys: {', '.join(KEYS)}")
    values = {key: default for key, (default, _) in KEYS.items()}
    for key, value in table.items():
        values[key] = _check(key, value, f"{source}: '{key}'")
    if env.get("QTOOL_MODEL"):
        values["model"] = _check("model", env["QTOOL_MODEL"], "QTOOL_MODEL")
    if env.get("OPENAI_BASE_URL"):
        values["base_url"] = _check("base_url", env["OPENAI_BASE_URL"], "OPENAI_BASE_URL")
    api_key = env.get("OPENAI_API_KEY") or None
    if api_key is not None and (api_key != api_key.strip() or any(ord(c) < 32 or ord(c) == 127 for c in api_key)):
        raise SettingsError("OPENAI_API_KEY contains spaces or control characters")
    return LLMSettings(api_key=api_key, **values)


def llm_source(config_source: str | None) -> str:
    """Where the llm table came from, for messages: ``pyproject.toml:[tool.qtool.llm]``."""
    if not config_source:
        return "[tool.qtool.llm]"
    if config_source.endswith(":[tool.qtool]"):
        return config_source[: -len(":[tool.qtool]")] + ":[tool.qtool.llm]"
    return f"{config_source}:[llm]"


def _check(key: str, value: Any, where: str) -> Any:
    if key == "model":
        if not isinstance(value, str) or not value.strip() or any(ord(c) < 32 for c in value):
            raise SettingsError(f"{where} must be a model name, got {value!r}")
        return value.strip()
    if key == "base_url":
        if not isinstance(value, str) or not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
            raise SettingsError(f"{where} must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")
    if key == "temperature":
        if not _number(value) or not 0 <= value <= 2:
            raise SettingsError(f"{where} must be a number from 0 to 2, got {value!r}")
        return float(value)
    if key == "timeout":
        if not _number(value) or value <= 0:
            raise SettingsError(f"{where} must be a positive number of seconds, got {value!r}")
        return float(value)
    if key == "max_retries":
        if not _integer(value) or not 0 <= value <= 20:
            raise SettingsError(f"{where} must be a whole number from 0 to 20, got {value!r}")
        return value
    if key == "concurrency":
        if not _integer(value) or not 1 <= value <= 64:
            raise SettingsError(f"{where} must be a whole number from 1 to 64, got {value!r}")
        return value
    if key == "max_reply_bytes":
        if not _integer(value) or value < 1024:
            raise SettingsError(f"{where} must be a whole number of bytes, at least 1024, got {value!r}")
        return value
    raise AssertionError(key)  # pragma: no cover - KEYS and _check agree


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def settings_table() -> str:
    """The ``[tool.qtool.llm]`` keys as a Markdown table (for the README and --help)."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, (default, text) in KEYS.items():
        shown = f"`{default}`" if default is not None else "(none)"
        rows.append(f"| `{key.replace('_', '-')}` | {shown} | {text} |")
    return "\n".join(rows)
