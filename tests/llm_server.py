"""A small OpenAI-compatible chat server for the drafting tests: real sockets on 127.0.0.1.

Each POST to ``/v1/chat/completions`` is recorded (path, headers, JSON body) and answered
by the next scripted Reply, or, when the script is empty, by ``default`` (a callable that
gets the recorded request). A Reply can be delayed, can hang until the server stops, and
can carry any status, body and headers.

It also serves the Batch API: ``POST /v1/files`` (multipart upload), ``GET /v1/files/{id}/content``,
``POST /v1/batches``, ``GET /v1/batches/{id}`` and ``POST /v1/batches/{id}/cancel``. Each created
batch follows the next BatchScript (its status sequence, one step per retrieve); when it reaches a
final status its lines are answered by the same responders (recorded in ``batch_requests``), and
its output and error files are written with their lines shuffled.
"""

from __future__ import annotations

import email.parser
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
    #: Seconds between bytes of the body: a server (or proxy) that drips its reply.
    drip: float = 0.0


Responder = Reply | Callable[[Recorded], Reply]


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


@dataclass
class BatchScript:
    """How the server runs one created batch."""

    #: The status after creation, then one step per retrieve; the last one is final.
    statuses: tuple[str, ...] = ("validating", "in_progress", "finalizing", "completed")
    #: How many of the batch's lines finish (None: all): an expired or cancelled batch has partial output.
    finished: int | None = None
    #: How a failed request is reported: "error" (``error`` set, ``response`` null) or "body" (``error`` null,
    #: ``response.status_code`` 400 and the error in ``response.body.error``).
    error_shape: str = "error"
    #: Whether the batch object reports its token usage.
    usage: bool = True
    #: A batch-level failure (status "failed"): the message in ``errors``.
    fail_message: str | None = None


@dataclass
class Uploaded:
    """A file uploaded to ``/v1/files`` (or written by a batch)."""

    id: str
    purpose: str
    filename: str
    data: bytes

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.data.decode("utf-8").splitlines() if line.strip()]


FINAL = ("completed", "expired", "cancelled", "failed")


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-reply (qtool refusing a reply) is the test's point, not a server error to print."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


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
        #: Batch API: uploaded and written files, batches by id, the scripts for batches yet to be created.
        self.files: dict[str, Uploaded] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_scripts: list[BatchScript] = []
        #: Every Batch API call (method and path), and the chat requests run inside batches.
        self.api_calls: list[tuple[str, str]] = []
        self.batch_requests: list[Recorded] = []
        self.shuffle = random.Random(15)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> LLMServer:
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

    @property
    def uploads(self) -> list[Uploaded]:
        """The files qtool uploaded for batches, in order."""
        return [f for f in self.files.values() if f.purpose == "batch"]

    # -- Batch API ---------------------------------------------------------------------------------
    def _file(self, data: bytes, purpose: str, filename: str) -> dict[str, Any]:
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = Uploaded(file_id, purpose, filename, data)
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": filename, "purpose": purpose, "status": "processed"}

    def _create_batch(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("input_file_id") not in self.files:
            return 400, {"error": {"message": f"no file {body.get('input_file_id')}", "type": "invalid_request_error"}}
        with self._lock:
            script = self.batch_scripts.pop(0) if self.batch_scripts else BatchScript()
            batch_id = f"batch_{len(self.batches) + 1}"
            self.batches[batch_id] = {"script": script, "step": 0, "object": {
                "id": batch_id, "object": "batch", "endpoint": body.get("endpoint"), "errors": None,
                "input_file_id": body["input_file_id"], "completion_window": body.get("completion_window"),
                "status": script.statuses[0], "output_file_id": None, "error_file_id": None,
                "created_at": int(time.time()), "metadata": body.get("metadata"),
                "request_counts": {"total": len(self.files[body["input_file_id"]].lines), "completed": 0, "failed": 0}}}
        return 200, self.batches[batch_id]["object"]

    def _retrieve_batch(self, batch_id: str, cancel: bool = False) -> tuple[int, Any]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return 404, {"error": {"message": f"no batch {batch_id}", "type": "invalid_request_error"}}
        obj = batch["object"]
        if obj["status"] in FINAL:
            return 200, obj
        if cancel:
            obj["status"] = "cancelling"
            batch["cancelled"] = True
            return 200, obj
        if batch.get("cancelled"):
            status = "cancelled"
        else:
            batch["step"] = min(batch["step"] + 1, len(batch["script"].statuses) - 1)
            status = batch["script"].statuses[batch["step"]]
        obj["status"] = status
        if status in FINAL:
            self._finish(batch, status)
        return 200, obj

    def _finish(self, batch: dict[str, Any], status: str) -> None:
        """Answer the batch's lines (all, or the scripted part) and write its shuffled output and error files."""
        script: BatchScript = batch["script"]
        obj = batch["object"]
        if status == "failed":
            obj["errors"] = {"object": "list", "data": [{"code": "invalid_file", "message": script.fail_message or "failed",
                                                         "line": 1}]}
            return
        lines = self.files[obj["input_file_id"]].lines
        finished = len(lines) if script.finished is None else script.finished
        if status == "cancelled" and script.finished is None:
            finished = 0
        outputs, errors, prompt, completion = [], [], 0, 0
        for number, line in enumerate(lines[:finished]):
            raw = json.dumps(line["body"]).encode("utf-8")
            request = Recorded(line["url"], {}, line["body"], raw)
            with self._lock:
                self.batch_requests.append(request)
                responder = self.script.pop(0) if self.script else self.default
            reply = responder(request) if callable(responder) else responder
            ids = {"id": f"batch_req_{number}", "custom_id": line["custom_id"]}
            if reply.status == 200:
                usage = (reply.body or {}).get("usage") or {}
                prompt += usage.get("prompt_tokens", 0)
                completion += usage.get("completion_tokens", 0)
                outputs.append({**ids, "response": {"status_code": 200, "request_id": f"req_{number}", "body": reply.body},
                                "error": None})
            elif script.error_shape == "body":
                errors.append({**ids, "response": {"status_code": reply.status, "request_id": f"req_{number}",
                                                    "body": reply.body}, "error": None})
            else:
                message = ((reply.body or {}).get("error") or {}).get("message", "failed")
                errors.append({**ids, "response": None, "error": {"code": "server_error", "message": message}})
        self.shuffle.shuffle(outputs)
        self.shuffle.shuffle(errors)
        for key, rows in (("output_file_id", outputs), ("error_file_id", errors)):
            if rows:
                data = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")
                obj[key] = self._file(data, "batch_output", f"{obj['id']}_{key}.jsonl")["id"]
        obj["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
        if script.usage:
            obj["usage"] = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
                            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
                            "total_tokens": prompt + completion}

    def _api(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        """One Batch API call: (status, JSON body or bytes)."""
        with self._lock:
            self.api_calls.append((method, path))
        route = path.split("?")[0].rstrip("/")
        if method == "POST" and route.endswith("/v1/files"):
            message = email.parser.BytesParser().parsebytes(
                b"Content-Type: " + headers.get("content-type", "").encode() + b"\r\n\r\n" + raw)
            fields: dict[str, Any] = {}
            for part in message.get_payload() if message.is_multipart() else []:
                name = part.get_param("name", header="content-disposition")
                fields[name] = (part.get_filename(), part.get_payload(decode=True))
            if "file" not in fields:
                return 400, {"error": {"message": "no file in the upload", "type": "invalid_request_error"}}
            purpose = (fields.get("purpose") or (None, b""))[1].decode()
            return 200, self._file(fields["file"][1], purpose, fields["file"][0] or "upload.jsonl")
        match = re.fullmatch(r".*/v1/files/([\w-]+)/content", route)
        if method == "GET" and match:
            found = self.files.get(match.group(1))
            return (200, found.data) if found else (404, {"error": {"message": "no such file"}})
        if method == "POST" and route.endswith("/v1/batches"):
            return self._create_batch(json.loads(raw))
        if method == "GET" and route.endswith("/v1/batches"):
            newest = [b["object"] for b in reversed(list(self.batches.values()))]
            return 200, {"object": "list", "data": newest, "has_more": False,
                         "first_id": newest[0]["id"] if newest else None, "last_id": newest[-1]["id"] if newest else None}
        match = re.fullmatch(r".*/v1/batches/([\w-]+)(/cancel)?", route)
        if match and (method == "GET") == (match.group(2) is None):
            return self._retrieve_batch(match.group(1), cancel=match.group(2) is not None)
        return 404, {"error": {"message": f"no route {method} {path}"}}

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

            def _send_api(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._send_api(*owner._api("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b""))

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                if "/files" in self.path or "/batches" in self.path:
                    self._send_api(*owner._api("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                    return
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
                    if "Content-Type" not in reply.headers:
                        self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if not reply.drip:
                        self.wfile.write(data)
                    for index in range(len(data) if reply.drip else 0):
                        self.wfile.write(data[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
