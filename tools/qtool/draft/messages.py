"""The chat messages of a drafting request, rendered from the plain prompt files in ``prompts/``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from string import Template
from typing import Any

from qtool.draft.reply import ALL_FIELDS, Field, field_name, reply_schema

PROMPT_FILES = ("system.md", "example.md", "request.md", "repair.md")


@cache
def prompt_text(name: str) -> str:
    """One prompt file as shipped in the package."""
    return resources.files("qtool.draft").joinpath("prompts", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def prompt_version() -> str:
    """A short digest of every prompt file: it changes whenever a prompt is edited."""
    digest = hashlib.sha256()
    for name in PROMPT_FILES:
        digest.update(name.encode() + b"\0" + prompt_text(name).encode("utf-8") + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class DraftJob:
    """One request: the question, the fields to write, and the parts already written to stay consistent with."""

    role: str
    question: str
    category: str | None
    fields: tuple[Field, ...]
    context: dict[str, Any] = field(default_factory=dict)
    #: The bank's competency vocabulary: competencies are picked from it (empty: free names).
    vocabulary: tuple[str, ...] = ()

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON Schema a reply to this job must match (shared between jobs: do not change it)."""
        return job_schema(self.fields, self.vocabulary)


@lru_cache(maxsize=64)
def job_schema(fields: tuple[Field, ...], vocabulary: tuple[str, ...]) -> dict[str, Any]:
    """Built once per set of parts: a batch of thousands of files asks for a handful of shapes."""
    return reply_schema(fields, vocabulary)


@lru_cache(maxsize=1)
def example_exchange() -> tuple[DraftJob, dict[str, Any]]:
    """The worked example in ``prompts/example.md``: its job and the reply a model should give."""
    from qtool.loader import LoadError, load_text

    match = re.search(r"```yaml\n(.*?)```", prompt_text("example.md"), flags=re.S)
    loaded = load_text(match.group(1) if match else "", "prompts/example.md")
    if isinstance(loaded, LoadError):
        raise ValueError(f"the packaged prompts/example.md has no usable YAML block: {loaded.message}")
    data = loaded.data
    reply = {key: data[key] for key in ("answers", "prep_tips", "competencies")}
    job = DraftJob(data["role"], data["question"], data.get("category"), ALL_FIELDS)
    return job, clean_reply(reply)


def clean_reply(reply: Any) -> Any:
    """Texts without surrounding blank space (the file writer decides line endings), lists without repeats.

    The wire schema cannot ask for unique items (strict structured output forbids ``uniqueItems``),
    so a server that follows it exactly may repeat a competency: that is tidied here, not refused.
    """
    if isinstance(reply, dict):
        return {k: clean_reply(v) for k, v in reply.items()}
    if isinstance(reply, list):
        cleaned = [clean_reply(v) for v in reply]
        if all(isinstance(v, str) for v in cleaned):
            return list(dict.fromkeys(cleaned))
        return cleaned
    return reply.strip() if isinstance(reply, str) else reply


#: Categories whose answers are Markdown with fenced code; every other category is plain prose.
MARKDOWN_CATEGORIES = ("technical",)


def format_text(category: str | None) -> str:
    """The request's format rule: Markdown with fenced code for technical questions, plain prose otherwise."""
    name = "format-markdown.md" if category in MARKDOWN_CATEGORIES else "format-prose.md"
    return prompt_text(name).strip()


def request_text(job: DraftJob) -> str:
    """The user message for one job, rendered from ``request.md``."""
    context = ""
    if job.context:
        context = ("The author already wrote these parts; keep them as they are and stay consistent with them:\n"
                   + json.dumps(job.context, ensure_ascii=False, indent=1) + "\n")
    vocabulary = ""
    if job.vocabulary and any(f[0] == "competencies" for f in job.fields):
        vocabulary = "Pick the competencies from this list only (the bank's vocabulary): " + "; ".join(job.vocabulary) + ".\n"
    return render("request.md",
        vocabulary=vocabulary,
        role=job.role,
        category=job.category or "(not given)",
        question=job.question,
        context=context,
        fields=", ".join(field_name(f) for f in job.fields),
        format=format_text(job.category),
    )


def build_messages(job: DraftJob) -> list[dict[str, str]]:
    """System prompt, the worked example as one exchange, then this job's request."""
    example_job, example_reply = example_exchange()
    return [
        {"role": "system", "content": prompt_text("system.md")},
        {"role": "user", "content": request_text(example_job)},
        {"role": "assistant", "content": json.dumps(example_reply, ensure_ascii=False)},
        {"role": "user", "content": request_text(job)},
    ]


def repair_message(errors: list[str], schema: dict[str, Any]) -> dict[str, str]:
    """The follow-up that feeds a bad reply's problems back to the model, with the schema in words.

    The schema travels as ``response_format``; a server that ignored it gets it here as text.
    """
    listed = "\n".join(f"- {error}" for error in errors)
    return {"role": "user", "content": render("repair.md", errors=listed, schema=schema_text(schema))}


def with_schema_text(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    """``messages`` with the schema written into the last request: for a server that takes JSON mode only."""
    *head, last = messages
    content = f"{last['content']}\nThe object must match this JSON Schema:\n{schema_text(schema)}"
    return [*head, {**last, "content": content}]


def schema_text(schema: dict[str, Any]) -> str:
    """The reply schema as a prompt shows it (titles dropped: the descriptions say it all)."""
    return json.dumps(_drop_titles(schema), ensure_ascii=False)


def render(name: str, **values: str) -> str:
    """A prompt file with its ``$placeholders`` filled; a misspelled or missing one is an error, never left as text."""
    return Template(prompt_text(name)).substitute(values)


def _drop_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_drop_titles(v) if k != "properties" else {n: _drop_titles(s) for n, s in v.items()})
                for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_drop_titles(v) for v in node]
    return node
