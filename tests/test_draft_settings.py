"""``[tool.qtool.llm]`` and the environment: defaults, overrides, and one clear error per bad value."""

from __future__ import annotations

import pytest

from qtool.draft.settings import KEYS, LLMSettings, SettingsError, llm_source, resolve_settings, settings_table


def test_defaults_without_anything():
    settings = resolve_settings({}, {})
    assert settings == LLMSettings()
    assert not settings.configured
    assert (settings.model, settings.timeout, settings.max_retries, settings.concurrency) == ("gpt-4o-mini", 120.0, 3, 4)


def test_table_then_environment_override():
    table = {"model": "llama3.1", "base_url": "http://localhost:11434/v1/", "temperature": 0, "timeout": 30,
             "max_retries": 0, "concurrency": 2}
    settings = resolve_settings(table, {})
    assert settings.configured and settings.base_url == "http://localhost:11434/v1"
    assert settings.client_key == "no-key"  # Ollama needs none; the client needs something
    env = {"QTOOL_MODEL": "qwen2.5:7b", "OPENAI_BASE_URL": "http://gpu-box:8000/v1", "OPENAI_API_KEY": "sk-abc123"}
    settings = resolve_settings(table, env)
    assert (settings.model, settings.base_url, settings.client_key) == ("qwen2.5:7b", "http://gpu-box:8000/v1", "sk-abc123")
    assert settings.timeout == 30.0 and settings.concurrency == 2


def test_key_alone_means_openai():
    settings = resolve_settings({}, {"OPENAI_API_KEY": "sk-abc123"})
    assert settings.configured and settings.base_url is None and settings.endpoint == "https://api.openai.com/v1"


def test_key_never_in_repr():
    settings = resolve_settings({}, {"OPENAI_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings)


@pytest.mark.parametrize("key, value, message", [
    ("model", "", "'model' must be a model name"),
    ("model", 3, "'model' must be a model name"),
    ("base_url", "localhost:11434", "'base_url' must be an http:// or https:// URL"),
    ("base_url", "http://a b", "'base_url' must be an http:// or https:// URL"),
    ("temperature", 3, "'temperature' must be a number from 0 to 2"),
    ("temperature", True, "'temperature' must be a number from 0 to 2"),
    ("timeout", 0, "'timeout' must be a positive number of seconds"),
    ("timeout", "30", "'timeout' must be a positive number of seconds"),
    ("timeout", float("inf"), "'timeout' must be a positive number of seconds"),
    ("max_retries", -1, "'max_retries' must be a whole number from 0 to 20"),
    ("max_retries", 1.5, "'max_retries' must be a whole number from 0 to 20"),
    ("concurrency", 0, "'concurrency' must be a whole number from 1 to 64"),
    ("concurrency", 100, "'concurrency' must be a whole number from 1 to 64"),
])
def test_bad_values(key, value, message):
    with pytest.raises(SettingsError) as info:
        resolve_settings({key: value}, {}, source="pyproject.toml:[tool.qtool.llm]")
    assert str(info.value).startswith(f"pyproject.toml:[tool.qtool.llm]: {message}, got ")
    assert "\n" not in str(info.value)


def test_unknown_keys_and_keys_in_files():
    with pytest.raises(SettingsError, match=r"unknown key 'modle'; known keys: model, base_url"):
        resolve_settings({"modle": "x"}, {})
    with pytest.raises(SettingsError, match="OPENAI_API_KEY environment variable, never in a file") as info:
        resolve_settings({"api_key": "sk-in-file"}, {})
    assert "sk-in-file" not in str(info.value)


@pytest.mark.parametrize("env, message", [
    ({"OPENAI_BASE_URL": "ftp://x"}, "OPENAI_BASE_URL must be an http:// or https:// URL"),
    ({"QTOOL_MODEL": "a\x07b"}, "QTOOL_MODEL must be a model name"),
    ({"OPENAI_API_KEY": "sk-abc\n"}, "OPENAI_API_KEY contains spaces or control characters"),
])
def test_bad_environment(env, message):
    with pytest.raises(SettingsError) as info:
        resolve_settings({}, env)
    assert str(info.value).startswith(message)
    assert "sk-abc" not in str(info.value)


def test_sources_and_table():
    assert llm_source("/bank/pyproject.toml:[tool.qtool]") == "/bank/pyproject.toml:[tool.qtool.llm]"
    assert llm_source("/bank/.qtool.toml") == "/bank/.qtool.toml:[llm]"
    table = settings_table()
    assert all(f"| `{key.replace('_', '-')}` |" in table for key in KEYS)
