"""A small OpenAI-compatible chat server for the drafting tests: real sockets on 127.0.0.1.

Each POST to ``/v1/chat/completions`` is recorded (path, headers, JSON body) and answered
by the next scripted Reply, or, when the script is empty, by ``default`` (a callable that
gets the recorded request). A Reply can be delayed, can hang until the server stops, and
can carry any status, body and headers.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Union

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "draft"


@dataclass
class Recorded:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    #: When the server received it (time.monotonic()): gaps between requests show client-side waits.
    at: float = field(default_factory=time.monotonic)

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON Schema sent in response_format, when the request asked for structured output."""
        fmt = (self.body or {}).get("response_format") or {}
        return (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return (self.body or {}).get("messages", [])


@dataclass
class Reply:
    """What the server sends back for one request."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False


Responder = Union[Reply, Callable[[Recorded], Reply]]


def chat(content: str, prompt_tokens: int = 100, completion_tokens: int = 50, model: str = "test-model") -> Reply:
    """A successful chat completion whose message text is ``content``."""
    return Reply(body={
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })


def error(status: int, message: str, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
    """An error reply in OpenAI's shape."""
    return Reply(status=status, body={"error": {"message": message, "type": "test_error", "code": None}},
                 headers=headers or {}, **kw)


def good_values() -> dict[str, Any]:
    """A complete, realistic reply (answers with critiques, prep tips, competencies)."""
    return json.loads((FIXTURES / "data-analyst-reply.json").read_text(encoding="utf-8"))


def shaped(schema: dict[str, Any] | None, values: Any) -> Any:
    """``values`` cut to the shape ``schema`` asks for: what a schema-following model would reply."""
    if schema and schema.get("type") == "array" and "enum" in schema.get("items", {}):
        allowed = schema["items"]["enum"]
        return [v for v in values if v in allowed] or allowed[:3]
    if not schema or schema.get("type") != "object" or not isinstance(values, dict):
        return values
    return {key: shaped(sub, values[key]) for key, sub in schema.get("properties", {}).items() if key in values}


def schema_model(values: dict[str, Any] | None = None, delay: float = 0.0, **usage: int) -> Callable[[Recorded], Reply]:
    """A responder that answers every request with ``values`` in exactly the shape it asked for."""
    values = values if values is not None else good_values()

    def respond(request: Recorded) -> Reply:
        reply = chat(json.dumps(shaped(request.schema, values)), **usage)
        reply.delay = delay
        return reply

    return respond


class LLMServer:
    """The server, run in a background thread; use as a context manager."""

    def __init__(self, script: list[Responder] | None = None, default: Responder | None = None) -> None:
        self.script: list[Responder] = list(script or [])
        self.default: Responder = default or schema_model()
        self.requests: list[Recorded] = []
        #: The most requests the server was handling at the same moment.
        self.max_in_flight = 0
        #: Requests the server is holding unanswered (``hang`` replies) right now.
        self.held = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "LLMServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            responder = self.script.pop(0) if self.script else self.default
        return responder(request) if callable(responder) else responder

    def _hold(self, delta: int) -> None:
        with self._lock:
            self.held += delta

    def _busy(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    reply = error(404, f"no route {self.path}")
                    owner.requests.append(request)
                else:
                    reply = owner._next(request)
                if reply.hang:
                    owner._hold(1)
                    owner._release.wait(timeout=60)
                    owner._hold(-1)
                    return
                if reply.delay:
                    owner._busy(1)
                    time.sleep(reply.delay)
                    owner._busy(-1)  # only delayed replies overlap long enough to count
                payload = reply.body if isinstance(reply.body, (bytes, str)) else json.dumps(reply.body)
                data = payload.encode("utf-8") if isinstance(payload, str) else payload
                try:
                    self.send_response(reply.status)
                    content_type = "application/json" if not isinstance(reply.body, (bytes, str)) else "text/plain"
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
