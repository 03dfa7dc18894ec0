"""The JSONL batch format shared by ``vllm run-batch`` and the OpenAI Batch API: request lines out, result lines in.

A request line is ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``; a
result line is ``{"id", "custom_id", "response": {"status_code", "body"}, "error"}``. Results are
matched by ``custom_id`` (never by line order), and every error shape seen in practice is read:
``error`` set (OpenAI's error file; vLLM's inline errors, a string or an object), or ``error``
null with the error in ``response.body.error`` and a non-200 status.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from qtool.draft.reply import Field, field_name

URL = "/v1/chat/completions"
#: The OpenAI Batch API's limits per input file; past either, a submit is split.
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024


def content_hash(text: str) -> str:
    """The digest of a file's text as read: a result is written only while the file still has it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def custom_id(question_id: str, fields: Iterable[Field], file_hash: str, prompt_version: str, model: str,
              round_: int = 0) -> str:
    """A short stable id for one request: question, parts, file content, prompt version, model (and repair round)."""
    blob = json.dumps([question_id, [field_name(f) for f in fields], file_hash, prompt_version, model, round_],
                      ensure_ascii=False, separators=(",", ":"))
    return "qtool-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def request_line(cid: str, body: dict[str, Any]) -> str:
    """One line of a batch input file (ends with a newline)."""
    return json.dumps({"custom_id": cid, "method": "POST", "url": URL, "body": body}, ensure_ascii=False,
                      separators=(",", ":")) + "\n"


@dataclass
class Result:
    """One result line: the reply's text (status 200) or the error, and the tokens it used."""

    custom_id: str
    content: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class BadLine(ValueError):
    """A result line that cannot be read: one line, printed at the file's line."""


def parse_result(line: str) -> Result:
    """The Result in one line of a results or error file; BadLine when it is not one."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadLine(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("custom_id"), str):
        raise BadLine("not a batch result: no custom_id")
    result = Result(data["custom_id"])
    response: dict[str, Any] = data["response"] if isinstance(data.get("response"), dict) else {}
    body: Any = response.get("body")
    if isinstance(body, str):  # some runners store the body as text
        try:
            body = json.loads(body)
        except ValueError:
            pass
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        result.prompt_tokens = _count(usage.get("prompt_tokens"))
        result.completion_tokens = _count(usage.get("completion_tokens"))
    status = response.get("status_code")
    problem = _error_text(data.get("error"))
    if problem is None and isinstance(body, dict) and body.get("error"):
        problem = _error_text(body["error"])
    if problem is None and status not in (None, 200):
        problem = f"HTTP {status}"
    if problem is not None:
        prefixed = isinstance(status, int) and status != 200 and not problem.startswith("HTTP")
        result.error = f"HTTP {status}: {problem}" if prefixed else problem
        return result
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        result.error = "the result has no reply (no choices)"
        return result
    choice: dict[str, Any] = choices[0]
    message: dict[str, Any] = choice["message"] if isinstance(choice.get("message"), dict) else {}
    if choice.get("finish_reason") == "length":
        result.error = "the reply was cut off at the server's token limit"
    elif message.get("refusal"):
        result.error = "the model refused: " + _first_line(str(message["refusal"]))
    else:
        content = message.get("content")
        result.content = content if isinstance(content, str) else None
    return result


def read_results(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a results file with their 1-based numbers, read one at a time."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


@dataclass
class PartWriter:
    """Request lines in parts, a new part past ``max_requests`` or ``max_bytes``: ``folder/part-N.jsonl``,
    or wherever ``opener`` says (part number -> its name and a handle the opener closes itself)."""

    folder: Path
    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES
    parts: list[dict[str, Any]] = field(default_factory=list)
    opener: Callable[[int], tuple[str, IO[bytes]]] | None = None
    _handle: IO[bytes] | None = None

    def write(self, line: str) -> None:
        data = line.encode("utf-8")
        current = self.parts[-1] if self.parts else None
        if current is None or current["requests"] >= self.max_requests or \
                (current["requests"] and current["bytes"] + len(data) > self.max_bytes):
            self._next()
            current = self.parts[-1]
        assert self._handle is not None
        self._handle.write(data)
        current["requests"] += 1
        current["bytes"] += len(data)

    def start(self) -> None:
        """Open the first part now rather than at the first line."""
        if not self.parts:
            self._next()

    def _next(self) -> None:
        self.close()
        if self.opener is not None:
            name, self._handle = self.opener(len(self.parts) + 1)
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{len(self.parts) + 1}.jsonl"
            self._handle = open(self.folder / name, "wb")  # noqa: SIM115 - closed in close()
        self.parts.append({"input": name, "requests": 0, "bytes": 0})

    def close(self) -> None:
        if self._handle is not None and self.opener is None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        self._handle = None


def part_name(out: str, number: int) -> str:
    """Where ``--batch-out OUT`` writes part ``number``: part 1 is OUT itself, then ``STEM-2.jsonl``, ``STEM-3.jsonl``..."""
    if number == 1:
        return out
    folder, name = os.path.split(out)
    stem, dot, suffix = name.rpartition(".")
    return os.path.join(folder, f"{stem}-{number}.{suffix}" if dot and stem else f"{name}-{number}")


def _error_text(error: Any) -> str | None:
    """The message of an error in any shape: a string, {"message"}, or {"error": {"message"}}."""
    if error is None or error == "" or error == {}:
        return None
    if isinstance(error, str):
        return _first_line(error)
    if isinstance(error, dict):
        inner = error.get("error")
        if isinstance(inner, (dict, str)) and inner:
            return _error_text(inner)
        message = error.get("message")
        code = error.get("code")
        if message:
            return _first_line(str(message)) + (f" ({code})" if isinstance(code, str) and code else "")
        return _first_line(json.dumps(error, ensure_ascii=False))
    return _first_line(str(error))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _first_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.strip().split("\n")[0].split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
