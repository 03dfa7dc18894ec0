#!/usr/bin/env python3
"""The peer for ``qtool check``: check-jsonschema over many files in ONE process.

    python bench/peer_check_jsonschema.py LIST SCHEMA [check-jsonschema options...]

LIST is a file holding one instance path per line. The list goes to
``check_jsonschema.main`` in-process, as if typed on the command line, so that a 100,000-file
bank is neither split by ARG_MAX nor run as several processes. Exits with
check-jsonschema's own status; the last line on stderr is a JSON summary (file count, status,
whether ruamel.yaml's C parser is what check-jsonschema uses) so the harness can check that
every file was really handed over.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    list_file, schema, extra = argv[0], argv[1], argv[2:]
    with open(list_file, encoding="utf-8") as handle:
        files = [line.rstrip("\n") for line in handle if line.strip()]
    from check_jsonschema import main as check_jsonschema
    from check_jsonschema.parsers.yaml import construct_yaml_implementation

    c_parser = "CParser" in getattr(construct_yaml_implementation().Parser, "__name__", "")
    try:
        status = check_jsonschema.main(args=["--schemafile", schema, *extra, *files],
                                       prog_name="check-jsonschema", standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - click may still exit on its own errors
        status = exc.code
    status = 0 if status is None else int(status)
    sys.stdout.flush()
    print(json.dumps({"files": len(files), "status": status, "c_parser": c_parser}), file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
