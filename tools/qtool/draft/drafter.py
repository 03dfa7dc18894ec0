"""One draft from request to validated reply: cache, budget, the client, and repair rounds."""

from __future__ import annotations

import threading
from typing import Any

from qtool.draft.cache import Cache, cache_key
from qtool.draft.client import ChatClient, DraftError, Stats
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

    def draft(self, job: DraftJob) -> dict[str, Any]:
        """The reply for ``job``, fitting its schema; DraftError (one line) when none could be had."""
        messages = build_messages(job)
        schema = job.schema
        key = cache_key(model=self.settings.model, temperature=self.settings.temperature,
                        messages=messages, schema=schema)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and not reply_errors(hit, schema):
                self.stats.add(cached=1)
                return hit
        wire = wire_schema(schema)
        errors: list[str] = []
        for attempt in range(MAX_REPAIRS + 1):
            self._check_budget()
            if attempt:
                self.stats.add(retries=1)
            content = self.client().complete(messages, wire)
            try:
                reply = trim_reply(clean_reply(parse_reply(content)), schema)
                errors = reply_errors(reply, schema)
            except ValueError as exc:
                errors = [str(exc)]
            if not errors:
                if self.cache is not None:
                    self.cache.put(key, reply)
                return reply
            messages = [*messages, {"role": "assistant", "content": content or ""}, repair_message(errors)]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DraftError(f"the model's reply did not fit the question schema after {MAX_REPAIRS + 1} attempts: {errors[0]}{more}")

    def _check_budget(self) -> None:
        if self.budget is not None and self.stats.tokens >= self.budget:
            raise BudgetSpent(f"token budget spent ({self.stats.tokens} of {self.budget} tokens used)")
