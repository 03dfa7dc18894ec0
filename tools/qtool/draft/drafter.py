"""One draft from request to validated reply: cache, budget, the client, and repair rounds."""

from __future__ import annotations

import threading
from typing import Any

from qtool.draft.cache import Cache, cache_key
from qtool.draft.client import ChatClient, DraftError, Stats, request_body, structured_format
from qtool.draft.messages import DraftJob, build_messages, clean_reply, repair_message
from qtool.draft.reply import parse_reply, reply_errors, trim_reply, wire_schema
from qtool.draft.settings import LLMSettings

#: Replies that fail validation are sent back with their errors at most this many times.
MAX_REPAIRS = 2


class BudgetSpent(DraftError):
    """The run's token budget is spent: no new request starts."""


class Drafter:
    """Turns DraftJobs into validated replies; safe to share between threads."""

    def __init__(self, settings: LLMSettings, *, stats: Stats | None = None, cache: Cache | None = None,
                 budget: int | None = None) -> None:
        self.settings = settings
        self.stats = stats or Stats()
        self.cache = cache
        self.budget = budget
        self._client: ChatClient | None = None
        self._lock = threading.Lock()

    def client(self) -> ChatClient:
        with self._lock:
            if self._client is None:
                self._client = ChatClient(self.settings, self.stats)
            return self._client

    def draft(self, job: DraftJob, *, repair: tuple[str, list[str]] | None = None) -> dict[str, Any]:
        """The reply for ``job``, fitting its schema; DraftError (one line) when none could be had.

        ``repair`` (a reply's text and its errors, e.g. from a batch) starts at the first repair round.
        """
        messages = build_messages(job)
        schema = job.schema
        key = draft_key(self.settings, messages, schema)
        if self.cache is not None:
            hit = cached_reply(self.cache, key, schema)
            if hit is not None:
                self.stats.add(cached=1)
                return hit
        wire = wire_schema(schema)
        errors: list[str] = []
        first = 0
        if repair is not None:
            messages = [*messages, {"role": "assistant", "content": repair[0]}, repair_message(repair[1], schema)]
            first = 1
        for attempt in range(first, MAX_REPAIRS + 1):
            self._check_budget()
            if attempt:
                self.stats.add(retries=1)
            content = self.client().complete(messages, wire)
            if content and self.settings.api_key and self.settings.api_key in content:
                self.stats.add(scrubbed=1)
            reply, errors = check_reply(content, schema, self.settings.api_key)
            if not errors:
                if self.cache is not None:
                    self.cache.put(key, reply)
                return reply
            messages = [*messages, {"role": "assistant", "content": content or ""}, repair_message(errors, schema)]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DraftError(f"the model's reply did not fit the question schema after {MAX_REPAIRS + 1} attempts: {errors[0]}{more}")

    def _check_budget(self) -> None:
        if self.budget is not None and self.stats.tokens >= self.budget:
            raise BudgetSpent(f"token budget spent ({self.stats.tokens} of {self.budget} tokens used)")


def draft_key(settings: LLMSettings, messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
    """The draft cache's key for one request: model, temperature, messages and reply schema."""
    return cache_key(model=settings.model, temperature=settings.temperature, messages=messages, schema=schema)


def cached_reply(cache: Cache, key: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The cached reply under ``key`` when it still fits ``schema``."""
    hit = cache.get(key)
    return hit if hit is not None and not reply_errors(hit, schema) else None


def check_reply(content: str | None, schema: dict[str, Any], secret: str | None = None) -> tuple[Any, list[str]]:
    """A reply's text parsed, cleaned and trimmed to ``schema``, and why it does not fit (empty: it fits).

    The one validation of a model's reply: the synchronous path and batch results both use it.
    ``secret`` (the API key) is scrubbed from the text first, so an echoing server cannot get it
    into a question file, the draft cache or an export.
    """
    if content and secret and len(secret) >= 4:
        content = content.replace(secret, "***")
    try:
        reply = trim_reply(clean_reply(parse_reply(content)), schema)
    except ValueError as exc:
        return None, [str(exc)]
    return reply, reply_errors(reply, schema)


def job_body(settings: LLMSettings, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
    """The request body the synchronous path sends for these messages (structured output): a batch line's body."""
    return request_body(settings, messages, structured_format(wire_schema(schema)))
