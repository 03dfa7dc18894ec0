#!/usr/bin/env python3
"""Answer a batch requests file offline, as ``vllm run-batch -o`` would, for the batch-drafting benchmark.

    python bench/batch_results.py requests.jsonl results.jsonl [--seed 1]

Each line's reply fits the JSON Schema its ``response_format`` asks for (the same texts every
time, competencies from the schema's list when it has one); the results are written in vLLM's
format and shuffled, since runners do not keep the input order. Streams: one line in memory.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from typing import Any

TEXT = ("In my last role I led the work end to end: I found the root cause in the data, agreed a plan with the "
        "people who owned the decision, measured the result against a baseline and changed our process so the same "
        "problem would not come back.")
CRITIQUE = "This answer names specific actions and measured impact; it could still say more about the trade-offs weighed."
TIPS = ["Prepare one story with numbers you can explain.", "Practise saying what you did, not what the team did."]
COMPETENCIES = ["Problem-solving", "Stakeholder management"]


def fill(schema: dict[str, Any], name: str = "") -> Any:
    """A value that fits ``schema`` (the reply schemas qtool sends: objects, strings, lists of strings)."""
    kind = schema.get("type")
    if kind == "object":
        return {key: fill(sub, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            return items["enum"][:2]
        return list(TIPS if name == "prep_tips" else COMPETENCIES)
    return CRITIQUE if name == "critique" else TEXT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests")
    parser.add_argument("results")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    offsets = []
    with open(args.requests, "rb") as handle:  # first pass: where each line starts (for the shuffle)
        position = 0
        for line in handle:
            if line.strip():
                offsets.append(position)
            position += len(line)
    rng.shuffle(offsets)
    with open(args.requests, "rb") as source, open(args.results, "w", encoding="utf-8") as out:
        for offset in offsets:
            source.seek(offset)
            request = json.loads(source.readline())
            schema = request["body"]["response_format"]["json_schema"]["schema"]
            body = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "model": request["body"]["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": json.dumps(fill(schema))}}],
                    "usage": {"prompt_tokens": 3000, "completion_tokens": 900, "total_tokens": 3900}}
            out.write(json.dumps({"id": f"vllm-{uuid.uuid4().hex}", "custom_id": request["custom_id"],
                                  "response": {"status_code": 200, "request_id": f"vllm-batch-{uuid.uuid4().hex}",
                                               "body": body}, "error": None}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
