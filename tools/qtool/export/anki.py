"""The Anki export: one note per question in a dedicated note type, one deck per role, a compressed .apkg.

What keeps a learner's history across re-imports:

- The note GUID is the file's ``guid`` (else derived from ``id``), never the content, so an
  edited question updates the learner's note instead of adding a duplicate.
- Anki takes an incoming note only when it is newer than its own copy (same time: dropped as a
  duplicate, even with "always update"), so each note's time is its file's time (last git
  commit, else mtime; ``qtool.export.times``): an edited question arrives newer, and the same
  bank always builds the same bytes. Nothing reads the clock.
- The note type id, its field and template names, and the deck ids are constants; a test pins them.

Texts are Markdown, rendered to HTML here at build time by ``qtool.markup`` (fenced code
highlighted by Pygments into ``<pre>`` with classes, styled by the note type's CSS in light and
night mode; no script runs on a card); raw HTML in a text stays escaped text and only
http(s)/mailto links are made. Plain prose takes the renderer's fast path.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import os
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from functools import cache, lru_cache
from typing import IO, Any

from qtool import markup
from qtool.export import ExportError, Progress, effective_guid, question_paths
from qtool.fsutil import atomic_writer
from qtool.model import Question


def _highlight_css() -> str:
    """Code colours: Pygments' light style, and a dark one under ``.nightMode`` (Anki's night mode, desktop and mobile)."""
    return markup.highlight_css(".highlight", ".nightMode .highlight")

#: genanki model id of the "qtool interview question" note type. Never change it.
MODEL_ID = 2031460882
MODEL_NAME = "qtool interview question"
#: Field names, in order. Never rename or reorder: learners' notes are keyed by them.
FIELDS = (
    "Question",
    "Role",
    "Category",
    "Sample",
    "SampleCritique",
    "Solid",
    "SolidCritique",
    "Exceptional",
    "ExceptionalCritique",
    "PrepTips",
    "Competencies",
    "Related",
    "Id",
)
TEMPLATE_NAME = "Question > Answers"
#: Parent deck; each role gets ``Interview Questions::<Role>``.
DECK_ROOT = "Interview Questions"
#: Deck ids are this plus 32 bits of SHA-256 of the deck name, so a role always lands in the same deck.
DECK_ID_BASE = 1 << 32
#: When the template or CSS below last changed (seconds since the epoch). Bump it with any change
#: to them, so learners' copies of the note type update (Anki takes only newer note types).
NOTETYPE_TIME = 1796169600
#: zlib level for the .apkg. On the bank's prose, level 3 is ~10% larger than level 6 (zlib's
#: default) and ~2x faster; stored (genanki's way) is ~5x larger.
COMPRESS_LEVEL = 3

FRONT = """\
<div class="qt">
<div class="qt-meta"><span class="qt-role">{{Role}}</span> &middot; <span class="qt-category">{{Category}}</span></div>
<div class="qt-question">{{Question}}</div>
</div>"""

BACK = """\
{{FrontSide}}
<hr id="answer">
<div class="qt">
<section class="qt-tier qt-sample">
<h3>Sample answer</h3>
{{Sample}}
{{#SampleCritique}}<div class="qt-critique"><h4>Critique</h4>{{SampleCritique}}</div>{{/SampleCritique}}
</section>
<section class="qt-tier qt-solid">
<h3>A more solid answer</h3>
{{Solid}}
<div class="qt-critique"><h4>Why this is a more solid answer</h4>{{SolidCritique}}</div>
</section>
<section class="qt-tier qt-exceptional">
<h3>An exceptional answer</h3>
{{Exceptional}}
<div class="qt-critique"><h4>Why this is an exceptional answer</h4>{{ExceptionalCritique}}</div>
</section>
<section class="qt-list qt-prep">
<h3>How to prepare for this question</h3>
{{PrepTips}}
</section>
<section class="qt-list qt-competencies">
<h3>What interviewers are evaluating</h3>
{{Competencies}}
</section>
{{#Related}}<section class="qt-list qt-related"><h3>Related questions</h3>{{Related}}</section>{{/Related}}
<div class="qt-id">{{Id}}</div>
</div>"""

CSS = """\
.card {
  --qt-text: #1f2328;
  --qt-muted: #59636e;
  --qt-back: #ffffff;
  --qt-panel: #f6f8fa;
  --qt-rule: #d1d9e0;
  --qt-sample: #8c959f;
  --qt-solid: #0969da;
  --qt-exceptional: #1a7f37;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 18px;
  line-height: 1.55;
  text-align: left;
  color: var(--qt-text);
  background-color: var(--qt-back);
}
.card.nightMode, .nightMode .card, .card.night_mode {
  --qt-text: #e6edf3;
  --qt-muted: #9198a1;
  --qt-back: #1f1f1f;
  --qt-panel: #2a2d31;
  --qt-rule: #3d444d;
  --qt-sample: #9198a1;
  --qt-solid: #4493f8;
  --qt-exceptional: #3fb950;
}
.qt { max-width: 42em; margin: 0 auto; padding: 0 0.75em; }
.qt-meta { color: var(--qt-muted); font-size: 0.8em; letter-spacing: 0.02em; margin-bottom: 0.5em; }
.qt-category { text-transform: capitalize; }
.qt-question { font-size: 1.3em; font-weight: 600; line-height: 1.35; }
hr#answer { border: 0; border-top: 1px solid var(--qt-rule); margin: 1.2em 0; }
.qt h3 { font-size: 1em; margin: 0 0 0.4em; }
.qt h4 { font-size: 0.85em; margin: 0 0 0.3em; color: var(--qt-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.qt p { margin: 0 0 0.7em; }
.qt-tier { border-left: 4px solid var(--qt-sample); padding: 0.2em 0 0.2em 0.9em; margin: 0 0 1.4em; }
.qt-solid { border-left-color: var(--qt-solid); }
.qt-exceptional { border-left-color: var(--qt-exceptional); }
.qt-sample h3 { color: var(--qt-sample); }
.qt-solid h3 { color: var(--qt-solid); }
.qt-exceptional h3 { color: var(--qt-exceptional); }
.qt-critique { background: var(--qt-panel); border-radius: 6px; padding: 0.6em 0.8em; font-size: 0.92em; }
.qt-critique p:last-child { margin-bottom: 0; }
.qt-list { margin: 0 0 1.2em; }
.qt-list ul { margin: 0; padding-left: 1.3em; }
.qt-list li { margin: 0.15em 0; }
.qt-id { color: var(--qt-muted); font-size: 0.7em; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin-top: 2em; }
.qt code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; background: var(--qt-panel); border-radius: 4px; padding: 0.05em 0.3em; }
.qt pre.highlight { font-size: 0.85em; line-height: 1.45; padding: 0.7em 0.9em; border-radius: 6px; overflow-x: auto; white-space: pre; tab-size: 4; margin: 0 0 0.8em; }
.qt pre.highlight code { background: none; padding: 0; font-size: 1em; }
.qt table { border-collapse: collapse; margin: 0 0 0.8em; }
.qt th, .qt td { border: 1px solid var(--qt-rule); padding: 0.25em 0.6em; text-align: left; }
.qt blockquote { margin: 0 0 0.7em; padding-left: 0.8em; border-left: 3px solid var(--qt-rule); color: var(--qt-muted); }
.qt a { color: var(--qt-solid); }
"""
#: Pygments styles for fenced code: light, and dark under Anki's night mode.
CSS += _highlight_css()

#: Fixed zip entry attributes so the .apkg's bytes depend on its content only.
_ZIP_UNIX = 3
_ZIP_MODE = 0o644 << 16
_ZIP_EPOCH = 315532800  # 1980-01-01, the earliest date a zip entry can carry
#: How a ZipInfo carries its compression level: public from Python 3.13, private before.
_LEVEL_ATTRIBUTE = "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel"


# -- fields, tags, decks ---------------------------------------------------------
def text_html(text: str | None) -> str:
    """A Markdown text as HTML (``qtool.markup``): paragraphs, lists, tables, highlighted code; raw HTML escaped."""
    if not text or not text.strip():
        return ""
    return markup.render_fast(text).rstrip("\n")


def list_html(items: Sequence[str], markdown: bool = False) -> str:
    """A list as a ``<ul>``, its items escaped (rendered inline when they are Markdown); empty for no items, so ``{{#Field}}`` hides it."""
    if not items:
        return ""
    item_html = markup.render_inline if markdown else _plain
    return "<ul>" + "".join(f"<li>{item_html(item)}</li>" for item in items) + "</ul>"


def note_fields(question: Question) -> list[str]:
    """The note's field values, in ``FIELDS`` order, all HTML-escaped."""
    sample, solid, exceptional = (question.answer(t) for t in ("sample", "solid", "exceptional"))
    if not (sample and solid and exceptional):
        raise ExportError(f"{question.path}: not a valid question (run qtool check)")
    return [
        markup.render_inline(question.question),
        _plain(question.role),
        _plain(question.category),
        text_html(sample.text),
        text_html(sample.critique),
        text_html(solid.text),
        text_html(solid.critique),
        text_html(exceptional.text),
        text_html(exceptional.critique),
        list_html(question.prep_tips, markdown=True),
        list_html(question.competencies),
        list_html(question.related),
        _plain(question.id),
    ]


def _plain(text: str | None) -> str:
    return html.escape(text or "", quote=False)


@lru_cache(maxsize=4096)
def slug(text: str) -> str:
    """A tag-safe slug: Latin accents dropped, lower case, letters and digits of any script kept, other runs one ``-``."""
    if text.isascii():
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"[\W_]+", "-", "".join(_fold(ch) for ch in unicodedata.normalize("NFC", text.lower()))).strip("-")


def _fold(ch: str) -> str:
    """``é`` -> ``e``: a character that is an ASCII letter plus accents; any other character unchanged (``が`` stays)."""
    if ch.isascii():
        return ch
    parts = unicodedata.normalize("NFKD", ch)
    if parts[:1].isascii() and all(unicodedata.combining(c) for c in parts[1:]):
        return parts[:1]
    return ch


def note_tags(question: Question) -> list[str]:
    """``category::<slug>``, ``competency::<slug>`` for each competency, ``level::<level>``, ``status::draft`` for drafts."""
    tags = [f"category::{slug(question.category or '')}"]
    tags += [f"competency::{s}" for s in dict.fromkeys(slug(c) for c in question.competencies) if s]
    level = question.data.get("level")
    if isinstance(level, str) and slug(level):
        tags.append(f"level::{slug(level)}")
    if question.status == "draft":
        tags.append("status::draft")
    return tags


def deck_name(role: str) -> str:
    """``Interview Questions::<Role>`` (a ``::`` inside a role would make a subdeck, so it becomes ``:``)."""
    return f"{DECK_ROOT}::{' '.join(role.replace('::', ':').split())}"


def deck_id(name: str) -> int:
    """A deck id derived from the deck's name only: the same role always maps to the same deck."""
    return DECK_ID_BASE + int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")


# -- genanki ---------------------------------------------------------------------
@cache
def _genanki() -> tuple[Any, Any, Any]:
    """genanki's model for qtool notes, a Note that carries its own time, a Deck that makes its notes as it writes them."""
    import genanki

    model = genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": TEMPLATE_NAME, "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
        sort_field_index=0,
    )

    class TimedNote(genanki.Note):
        """A note whose (and whose cards') modification time is its file's, not the package's."""

        def __init__(self, *args: Any, mod: int, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mod = mod

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            super().write_to_db(cursor, self.mod, deck_id, id_gen)

    class StreamingDeck(genanki.Deck):
        """A deck whose notes are made one at a time while it is written, so a large bank is never held twice."""

        def __init__(self, deck_id: int, name: str, make_notes: Callable[[], Iterator[Any]]) -> None:
            super().__init__(deck_id, name)
            self.add_model(model)
            self.make_notes = make_notes

        def write_to_db(self, cursor: Any, timestamp: float, id_gen: Any) -> None:
            super().write_to_db(cursor, timestamp, id_gen)  # the deck and note type; ``notes`` is empty
            for note in self.make_notes():
                note.write_to_db(cursor, timestamp, self.deck_id, id_gen)

    return model, TimedNote, StreamingDeck


def package_time(times: Mapping[str, int], paths: Sequence[str]) -> int:
    """The package's timestamp: the newest note (or template) time, so it too comes from the bank."""
    return max([NOTETYPE_TIME, *(times[path] for path in paths)])


def build_database(
    questions: Sequence[Question],
    times: Mapping[str, int],
    path: str | os.PathLike[str],
    progress: Progress | None = None,
) -> None:
    """Write the package's ``collection.anki2`` (an SQLite file) at ``path`` with genanki."""
    import genanki

    model, note_class, deck_class = _genanki()
    seen: dict[str, str] = {}
    by_deck: dict[str, list[int]] = {}  # positions, not questions: a packed bank stays packed
    for index, question in enumerate(questions):
        guid = effective_guid(question)
        if guid in seen:
            raise ExportError(f"{question.path} and {seen[guid]} have the same Anki GUID {guid!r}; give one a new guid")
        seen[guid] = question.path
        by_deck.setdefault(deck_name(question.role or ""), []).append(index)

    def notes(members: list[int]) -> Iterator[Any]:
        for index in members:
            question = questions[index]
            yield note_class(
                model=model,
                fields=note_fields(question),
                sort_field=question.question,
                tags=note_tags(question),
                guid=effective_guid(question),
                mod=times[question.path],
            )
            if progress:
                progress(1)

    decks = [deck_class(deck_id(name), name, lambda members=by_deck[name]: notes(members)) for name in sorted(by_deck)]
    stamp = package_time(times, question_paths(questions))
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        genanki.Package(decks).write_to_db(conn.cursor(), stamp, itertools.count(stamp * 1000))
        conn.commit()
    finally:
        conn.close()


def write_package(database: str | os.PathLike[str], stamp: int, out: IO[bytes]) -> None:
    """A compressed .apkg holding the database file, written to a seekable binary file.

    Entry dates and attributes are fixed, so the bytes are reproducible.
    """
    when = datetime.fromtimestamp(max(stamp, _ZIP_EPOCH), timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for name, source in (("collection.anki2", database), ("media", None)):
            info = zipfile.ZipInfo(name, date_time=when)
            info.create_system = _ZIP_UNIX
            info.external_attr = _ZIP_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            setattr(info, _LEVEL_ATTRIBUTE, COMPRESS_LEVEL)
            with archive.open(info, "w") as entry:
                if source is None:
                    entry.write(b"{}")  # no media
                else:
                    with open(source, "rb") as handle:
                        shutil.copyfileobj(handle, entry, 1 << 20)


#: Build folders in the temp dir are named ``qtool-anki-PID-...``: a killed export's are recognised and removed.
BUILD_PREFIX = "qtool-anki-"


def remove_stale_builds() -> int:
    """Remove build folders that exports killed mid-build left in the temp dir (their process is gone)."""
    import re
    import shutil

    from qtool.fsutil import process_alive

    removed = 0
    folder = tempfile.gettempdir()
    for name in os.listdir(folder):
        match = re.match(re.escape(BUILD_PREFIX) + r"(\d+)-", name)
        if match and not process_alive(int(match.group(1))):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
            removed += 1
    return removed


def write_anki(
    questions: Sequence[Question],
    target: str | os.PathLike[str] | IO[bytes],
    times: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the questions as an .apkg to a path (atomically) or a binary stream.

    ``times`` maps each question's path to its modification time; by default it is read from
    the bank (``qtool.export.times.file_times``).
    """
    if times is None:
        from qtool.export.times import file_times

        times = file_times(question_paths(questions))
    remove_stale_builds()
    with tempfile.TemporaryDirectory(prefix=f"{BUILD_PREFIX}{os.getpid()}-") as folder:
        database = os.path.join(folder, "collection.anki2")
        build_database(questions, times, database, progress)
        stamp = package_time(times, question_paths(questions))
        if isinstance(target, (str, os.PathLike)):
            with atomic_writer(target) as handle:
                write_package(database, stamp, handle)
        else:  # a stream may not seek: build the package in memory first
            buffer = io.BytesIO()
            write_package(database, stamp, buffer)
            target.write(buffer.getvalue())
