"""Drafts already paid for: ``.qtool-cache/draft/``, one JSON file per model + prompt + input."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from qtool.files import CACHE_DIR
from qtool.fsutil import atomic_write


def cache_key(**parts: Any) -> str:
    """A stable digest of everything that shapes a reply (model, messages, schema, temperature)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    """Validated replies on disk; an unreadable entry is a miss, never an error."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.folder = Path(root) / CACHE_DIR / "draft"

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))["reply"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, reply: Any) -> None:
        try:
            # No fsync: an entry lost to a crash is a miss, and whole-or-absent is all a cache needs.
            atomic_write(self._path(key), json.dumps({"reply": reply}, ensure_ascii=False, indent=1) + "\n", durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs a request next time
