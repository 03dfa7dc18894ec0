"""The OpenAI-compatible chat client: structured output with a JSON-mode fallback, counted and redacted.

Retries of timeouts, 429 and 5xx (with backoff, honouring Retry-After) are the ``openai``
client's own; this module counts every HTTP attempt, falls back to JSON mode when a server
refuses ``json_schema``, and turns every failure into one DraftError line without the key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qtool.draft.messages import with_schema_text
from qtool.draft.settings import LLMSettings
from qtool.errors import QtoolError

SCHEMA_NAME = "question_draft"


class DraftError(QtoolError):
    """Drafting failed for one question: the message is one line, safe to print."""


@dataclass
class Stats:
    """Requests, retries and tokens across every thread and every file of one run."""

    requests: int = 0
    retries: int = 0
    cached: int = 0
    #: Replies that echoed the API key (scrubbed before anything was validated, cached or written).
    scrubbed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def summary(self) -> str:
        """One line for the end of a run."""
        def n(count: int, one: str, many: str) -> str:
            return f"{count} {one if count == 1 else many}"
        scrubbed = f"; the API key was scrubbed from {n(self.scrubbed, 'reply', 'replies')}" if self.scrubbed else ""
        return (f"{n(self.requests, 'request', 'requests')} ({n(self.retries, 'retry', 'retries')}), "
                f"{self.cached} from cache; tokens: {self.prompt_tokens} prompt + {self.completion_tokens} completion{scrubbed}")


class ChatClient:
    """One ``openai.OpenAI`` client shared by all threads of a run."""

    def __init__(self, settings: LLMSettings, stats: Stats) -> None:
        import openai

        self.settings = settings
        self.stats = stats
        self._local = threading.local()
        self._lock = threading.Lock()
        self.json_schema_ok = True
        http = openai.DefaultHttpxClient(event_hooks={"request": [self._on_request]},
                                         transport=guarded_transport(settings.timeout, settings.max_reply_bytes))
        self._client = openai_client(settings, http)

    def _on_request(self, request: Any) -> None:
        self._local.attempts = getattr(self._local, "attempts", 0) + 1

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> str | None:
        """Send one chat request asking for JSON that fits ``schema``; the reply's text (may be bad JSON)."""
        import openai

        try:
            try:
                if not self.json_schema_ok:
                    return self._create(with_schema_text(messages, schema), {"type": "json_object"})
                return self._create(messages, structured_format(schema))
            except openai.BadRequestError as exc:
                if not (self.json_schema_ok and _about_response_format(exc)):
                    raise
                with self._lock:
                    self.json_schema_ok = False
                self.stats.add(retries=1)
                return self._create(with_schema_text(messages, schema), {"type": "json_object"})
        except openai.OpenAIError as exc:
            raise DraftError(describe_error(self.settings, exc)) from None
        except ReplyRefused as exc:
            raise DraftError(f"{self.settings.endpoint}: {exc}") from None
        except ValueError as exc:  # a body that is not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
            raise DraftError(f"the reply from {self.settings.endpoint} is not UTF-8 JSON ({_first_line(str(exc), 80)})") from None

    def _create(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> str | None:
        self._local.attempts = 0
        try:
            completion = self._client.chat.completions.create(  # type: ignore[call-overload]
                **request_body(self.settings, messages, response_format))
        finally:
            attempts = self._local.attempts
            self.stats.add(requests=attempts, retries=max(0, attempts - 1))
        if isinstance(completion, str):  # the openai client hands back a body that is not JSON as text
            kind = "an HTML page" if "<html" in completion[:1000].lower() else "text, not JSON"
            raise DraftError(f"{self.settings.endpoint} answered with {kind}, not a chat completion: "
                             "is the URL right (it should end in /v1), or is a proxy in the way?")
        usage = getattr(completion, "usage", None)
        if usage is not None:
            self.stats.add(prompt_tokens=usage.prompt_tokens or 0, completion_tokens=usage.completion_tokens or 0)
        choices = getattr(completion, "choices", None) or []
        if not choices:
            return None
        choice = choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            return None
        if choice.finish_reason == "length":
            raise DraftError("the reply was cut off at the server's token limit")
        return message.content


class ReplyRefused(Exception):
    """A reply cut short by qtool: over its size bound, past its deadline, or compressed."""


def guarded_transport(deadline: float, max_bytes: int) -> Any:
    """An httpx transport that bounds each reply: a total deadline per attempt (a server that sends one
    byte a second cannot hold a run), a size bound, and no compressed bodies (a small gzip body could
    expand to gigabytes): qtool asks for ``identity`` and refuses anything else."""
    import importlib
    import time

    import openai

    # The HTTP library openai is built on (httpx, or its fork httpx2 in newer releases).
    httpx: Any = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.split(".")[0])

    class Bounded(httpx.SyncByteStream):
        def __init__(self, inner: Any, until: float) -> None:
            self.inner, self.until, self.seen = inner, until, 0

        def __iter__(self) -> Any:
            for chunk in self.inner:
                self.seen += len(chunk)
                if self.seen > max_bytes:
                    raise ReplyRefused(f"the reply is larger than {max_bytes} bytes (max-reply-bytes)")
                if time.monotonic() > self.until:
                    raise httpx.ReadTimeout(f"no whole reply within {deadline:g} s")
                yield chunk

        def close(self) -> None:
            self.inner.close()

    class Guarded(httpx.HTTPTransport):
        def handle_request(self, request: Any) -> Any:
            started = time.monotonic()
            request.headers["Accept-Encoding"] = "identity"
            response = super().handle_request(request)
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                response.close()
                raise ReplyRefused(f"the reply came compressed ({encoding}) although qtool asked for none: refused")
            response.stream = Bounded(response.stream, started + deadline)
            return response

    return Guarded()


def openai_client(settings: LLMSettings, http_client: Any = None) -> Any:
    """An ``openai.OpenAI`` client for ``settings`` (the chat path and the Batch API share it)."""
    import openai

    return openai.OpenAI(api_key=settings.client_key, base_url=settings.base_url, timeout=settings.timeout,
                         max_retries=settings.max_retries, http_client=http_client)


def structured_format(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``response_format`` asking for strict structured output that fits ``schema``."""
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True}}


def request_body(settings: LLMSettings, messages: list[dict[str, str]], response_format: dict[str, Any]) -> dict[str, Any]:
    """The body of one chat completion request: what the synchronous path sends and a batch line carries."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages, "response_format": response_format}
    if settings.temperature is not None:  # some models (OpenAI's reasoning ones) refuse any value
        body["temperature"] = settings.temperature
    return body


def describe_error(settings: LLMSettings, exc: Exception) -> str:
    """One line for a failed call to the server, without the key."""
    return redact(settings, _describe(settings, exc))


def redact(settings: LLMSettings, text: str) -> str:
    key = settings.api_key
    return text.replace(key, "***") if key and len(key) >= 4 else text


def _describe(settings: LLMSettings, exc: Exception) -> str:
    import openai

    where = settings.endpoint
    tries = settings.max_retries + 1
    if isinstance(exc, openai.APITimeoutError):
        return f"no reply from {where} within {settings.timeout:g} s (tried {tries} time{'s' if tries != 1 else ''})"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ReplyRefused):
            return f"{where}: {cause}"
        return f"cannot connect to {where}: {_first_line(str(cause) if cause else str(exc))}"
    if isinstance(exc, openai.AuthenticationError):
        return f"{where} refused the API key (HTTP 401): check OPENAI_API_KEY"
    if isinstance(exc, openai.NotFoundError):
        return (f"HTTP 404 from {where}: {_server_message(exc)} "
                f"(is model '{settings.model}' served there, and does the URL end in /v1?)")
    if isinstance(exc, openai.APIStatusError):
        after = f" after {tries} attempts" if exc.status_code in (408, 409, 429) or exc.status_code >= 500 else ""
        return f"HTTP {exc.status_code} from {where}{after}: {_server_message(exc)}"
    return _first_line(str(exc)) or type(exc).__name__


def _about_response_format(exc: Any) -> bool:
    """A 400 that blames the structured-output request, so JSON mode might still work."""
    text = f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}".lower()
    return any(word in text for word in ("response_format", "json_schema", "response format", "json schema"))


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return _first_line(str(message))
    return _first_line(getattr(exc, "message", "") or str(exc))


def _first_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.strip().split("\n")[0].split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
