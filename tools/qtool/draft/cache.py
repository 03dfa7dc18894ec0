"""Drafts already paid for: ``.qtool-cache/draft/``, one JSON file per model + prompt + input, or many in a pack.

A batch's replies go into one pack file (``packs/*.jsonl``, a line ``KEY<TAB>{"reply": ...}`` each)
rather than a file each: thousands of small files cost more to create than the rest of applying
the batch. ``get`` looks for the key's own file first, then in the packs (indexed on first use).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qtool.files import CACHE_DIR
from qtool.fsutil import atomic_write

PACKS = "packs"


def cache_key(**parts: Any) -> str:
    """A stable digest of everything that shapes a reply (model, messages, schema, temperature)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    """Validated replies on disk; an unreadable entry is a miss, never an error."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.folder = Path(root) / CACHE_DIR / "draft"
        self._packed: dict[str, tuple[Path, int]] | None = None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))["reply"]
        except FileNotFoundError:
            return self._from_pack(key)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, reply: Any) -> None:
        try:
            # No fsync: an entry lost to a crash is a miss, and whole-or-absent is all a cache needs.
            atomic_write(self._path(key), json.dumps({"reply": reply}, ensure_ascii=False, indent=1) + "\n", durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs a request next time

    def put_many(self, entries: Iterable[tuple[str, Any]]) -> None:
        """Many replies in one new pack file (whole or absent, like every entry)."""
        text = "".join(f"{key}\t{json.dumps({'reply': reply}, ensure_ascii=False)}\n" for key, reply in entries)
        if not text:
            return
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.jsonl"
        try:
            atomic_write(self.folder / PACKS / name, text, durable=False)
        except OSError:
            return
        self._packed = None  # indexed again when next needed

    def _from_pack(self, key: str) -> Any | None:
        where = self._index().get(key)
        if where is None:
            return None
        try:
            with open(where[0], "rb") as handle:
                handle.seek(where[1])
                line = handle.readline().decode("utf-8")
            stored, _, blob = line.partition("\t")
            return json.loads(blob)["reply"] if stored == key else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _index(self) -> dict[str, tuple[Path, int]]:
        """Where each packed key's line starts (the newest pack wins), read once per Cache."""
        if self._packed is None:
            self._packed = {}
            folder = self.folder / PACKS
            for pack in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
                try:
                    with open(pack, "rb") as handle:
                        offset = 0
                        for line in handle:
                            key = line.split(b"\t", 1)[0]
                            if len(key) == 64:
                                self._packed[key.decode("ascii", "replace")] = (pack, offset)
                            offset += len(line)
                except OSError:
                    continue
        return self._packed
