#!/usr/bin/env python3
"""The floor under ``qtool draft --batch-in``: replace every question file atomically, doing nothing else.

    python bench/bare_replace.py BANK

Each file's bytes go to a temp file beside it and the temp file is renamed over it (the file keeps
its content), eight files at a time, with one ``sync`` at the end, as ``--batch-in`` writes. On a
machine where creating a file is slow, this is most of what applying results costs.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def replace(path: Path) -> None:
    data = path.read_bytes()
    temp = path.with_name(f".{path.name}.bare-tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temp, path)


def main(argv: list[str]) -> int:
    files = sorted(Path(argv[0], "questions").rglob("*.yaml"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(replace, files, chunksize=64))
    os.sync()
    print(f"{len(files)} files replaced", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
