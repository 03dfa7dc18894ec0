#!/usr/bin/env python3
"""The peer for ``qtool export --to anki``: a bare genanki build of the same notes.

    python bench/peer_genanki.py BANK OUT.apkg

What a user would write without qtool: read every ``BANK/questions/**/*.yaml`` with
ruamel.yaml's C safe loader, make one note per question with the same 13 HTML-escaped fields
as qtool's note type, the file's guid, tags from category and competencies, one deck per role,
and ``genanki.Package.write_to_file`` with a fixed timestamp (genanki stores the .apkg
uncompressed). No schema check, no lint, no atomic write. Prints the note count, the phase
times and the package size as one JSON line on stdout.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import sys
import time
from pathlib import Path

FIELDS = ["Question", "Role", "Category", "Sample", "SampleCritique", "Solid", "SolidCritique",
          "Exceptional", "ExceptionalCritique", "PrepTips", "Competencies", "Related", "Id"]
MODEL_ID = 1607392319
TIMESTAMP = 1795594800


def _paragraphs(text: str | None) -> str:
    if not text:
        return ""
    parts = re.split(r"\n\s*\n", html.escape(text.strip(), quote=False))
    return "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in parts if p.strip())


def _items(values: list[str] | None) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(v, quote=False)}</li>" for v in values) + "</ul>" if values else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    bank, out = Path(argv[0]), argv[1]
    started = time.perf_counter()
    import genanki
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    files = sorted(str(p) for p in (bank / "questions").rglob("*.yaml"))
    data = []
    for name in files:
        with open(name, "rb") as handle:
            data.append(yaml.load(handle))
    loaded = time.perf_counter()

    model = genanki.Model(MODEL_ID, "bare genanki interview question", fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{FrontSide}}<hr id=answer>{{Sample}}"
                                      "{{Solid}}{{SolidCritique}}{{Exceptional}}{{ExceptionalCritique}}{{PrepTips}}{{Competencies}}"}])
    decks: dict[str, genanki.Deck] = {}
    for q in data:
        answers = q["answers"]
        fields = [
            html.escape(q["question"], quote=False), html.escape(q["role"], quote=False), q["category"],
            _paragraphs(answers["sample"]["text"]), _paragraphs(answers["sample"].get("critique")),
            _paragraphs(answers["solid"]["text"]), _paragraphs(answers["solid"]["critique"]),
            _paragraphs(answers["exceptional"]["text"]), _paragraphs(answers["exceptional"]["critique"]),
            _items(q["prep_tips"]), _items(q["competencies"]), _items(q.get("related")), q["id"],
        ]
        tags = [f"category::{q['category']}"] + [f"competency::{_slug(c)}" for c in q["competencies"]]
        name = f"Interview Questions::{q['role']}"
        if name not in decks:
            decks[name] = genanki.Deck(int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") + (1 << 32), name)
        decks[name].add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=q["guid"], sort_field=q["question"]))
    built = time.perf_counter()
    genanki.Package(list(decks.values())).write_to_file(out, timestamp=TIMESTAMP)
    written = time.perf_counter()
    notes = sum(len(d.notes) for d in decks.values())
    print(json.dumps({"notes": notes, "decks": len(decks), "bytes": os.path.getsize(out),
                      "load_s": round(loaded - started, 3), "build_s": round(built - loaded, 3),
                      "write_s": round(written - built, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
