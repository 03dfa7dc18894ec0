"""The parsed data of the bank's files, kept between exports (``.qtool-cache/export.bin``).

An export loads every file the check let through, and parsing YAML is most of that work:
this cache keeps each file's data (what ``qtool.loader`` gives) under the file's stat
signature (size, mtime, ctime, inode: what the check cache trusts before re-reading a file),
so an export of an unchanged bank unpacks its data instead of parsing it again. It is valid
only for the same qtool code (``qtool.cache.context_key``); the file is one ``marshal``
document, zlib-compressed and headed by its checksum as the check cache's files are
(``qtool.cache.read_checked``): a damaged or edited cache is ignored, never trusted. A cache is
optional: any error reading or writing it is a miss.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from qtool.files import CACHE_DIR

NAME = "export.bin"
FORMAT = "qtool-export-data/1"


class DataCache:
    """Parsed data by path, each under the stat signature the file had when it was parsed."""

    def __init__(self, root: str | Path) -> None:
        from qtool.cache import context_key, read_checked

        self.path = Path(root) / CACHE_DIR / NAME
        self.key = context_key(FORMAT)
        self.entries: dict[str, tuple[tuple[int, ...], Any]] = {}
        self.changed = False
        document, _ = read_checked(self.path, compressed=True)
        if isinstance(document, dict) and document.get("format") == FORMAT and document.get("key") == self.key:
            files = document.get("files")
            if isinstance(files, dict):
                self.entries = files

    def get(self, path: str, signature: tuple[int, ...]) -> Any | None:
        """The data parsed from ``path`` when it had ``signature``; None when unknown or changed since."""
        entry = self.entries.get(path)
        if entry is None or signature[0] < 0 or tuple(entry[0]) != signature:
            return None
        return entry[1]

    def put(self, path: str, signature: tuple[int, ...], data: Any) -> None:
        """Remember ``data`` for ``path`` (data marshal cannot hold, e.g. a YAML date, is simply not kept)."""
        try:
            marshal.dumps(data)
        except ValueError:
            return
        self.entries[path] = (signature, data)
        self.changed = True

    def save(self, used: list[str]) -> None:
        """Write the cache when anything changed: the entries of ``used`` (this export's files), and of other files
        still there (an export of a few files keeps the others'); errors are ignored."""
        wanted = set(used)
        kept = {path: entry for path, entry in self.entries.items() if path in wanted or os.path.isfile(path)}
        if not self.changed and len(kept) == len(self.entries):
            return
        from qtool.cache import write_checked

        if self.path.parent.is_dir():  # the check cache made it (with its .gitignore); never make it here
            write_checked(self.path, {"format": FORMAT, "key": self.key, "files": kept}, compressed=True)
