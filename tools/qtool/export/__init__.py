"""Exports of the bank for downstream apps and learners: JSON, CSV and Anki decks (and Markdown pages).

Each exporter is a plain function over a list of valid ``Question`` objects (sorted by id)
that writes to the path or stream it is given; this package root stays light (no genanki),
so importing it costs nothing.
"""

from __future__ import annotations

import hashlib
import marshal
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from qtool.errors import QtoolError
from qtool.model import Question

#: Formats ``--format all`` writes, and where each goes by default (relative to the bank root).
DEFAULT_PATHS = {
    "json": "exports/questions.json",
    "csv": "exports/questions.csv",
    "anki": "exports/questions.apkg",
}
#: Markdown pages (written by ``qtool.export.markdown``) go to a folder.
MARKDOWN_DIR = "exports/pages"
#: The namespace genanki's ``guid_for`` hashes together with an id when a file has no ``guid``.
GUID_NAMESPACE = "qtool"

#: Called with the number of questions just written; drives a progress bar on a terminal.
Progress = Callable[[int], None]


class ExportError(QtoolError):
    """The bank cannot be exported as asked (e.g. two files share one Anki GUID); one line, exit 1."""


def effective_guid(question: Question) -> str:
    """The note GUID: the file's ``guid``, else one derived from its ``id`` (never from its content)."""
    return question.guid or guid_for(GUID_NAMESPACE, question.id or "")


_BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"


def guid_for(*values: str) -> str:
    """genanki's ``guid_for`` (SHA-256 of the values joined by ``__``, first 8 bytes in Anki's base91).

    Kept here so JSON and CSV exports need not import genanki, and so a change in genanki can
    never move a learner's notes; a test pins it to genanki's result.
    """
    number = int.from_bytes(hashlib.sha256("__".join(values).encode("utf-8")).digest()[:8], "big")
    digits = []
    while number > 0:
        number, rest = divmod(number, len(_BASE91))
        digits.append(_BASE91[rest])
    return "".join(reversed(digits))


def export_order(question: Question) -> tuple[str, str]:
    """The export order: by id, then path (ids are unique in a clean bank)."""
    return (question.id or "", question.path)


def sort_questions(questions: Iterable[Question]) -> list[Question]:
    """Questions in export order."""
    return sorted(questions, key=export_order)


def question_paths(questions: Sequence[Question]) -> list[str]:
    """The questions' file paths, without unpacking a PackedQuestions."""
    if isinstance(questions, PackedQuestions):
        return questions.paths()
    return [q.path for q in questions]


#: Banks with more questions than this are kept compressed in memory while exporting.
PACK_FROM = 20_000


class PackedQuestions(Sequence[Question]):
    """Questions in export order (by id); above PACK_FROM, kept compressed and unpacked one at a time.

    A 100,000-question bank's texts take about 750 MB as Python strings and about a third of
    that packed, and exporters stream through the questions. Unpacking costs some 30 µs a
    question per pass, so smaller banks, for which memory is no concern, stay unpacked.
    """

    def __init__(self, questions: Iterable[Question], pack: bool | None = None) -> None:
        """Keep ``questions`` (packed as they arrive when ``pack``; None: pack past PACK_FROM)."""
        if pack is None:
            questions = list(questions)
            pack = len(questions) > PACK_FROM
        self.packed = pack
        items = [(export_order(q), q.path, zlib.compress(marshal.dumps(q.data), 1) if pack else q.data) for q in questions]
        items.sort(key=lambda item: item[0])
        self._items: list[tuple[str, Any]] = [(path, stored) for _, path, stored in items]

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Question: ...

    @overload
    def __getitem__(self, index: slice) -> list[Question]: ...

    def __getitem__(self, index: int | slice) -> Question | list[Question]:
        if isinstance(index, slice):
            return [self._unpack(item) for item in self._items[index]]
        return self._unpack(self._items[index])

    def __iter__(self) -> Iterator[Question]:
        return map(self._unpack, self._items)

    def paths(self) -> list[str]:
        return [path for path, _ in self._items]

    def _unpack(self, item: tuple[str, Any]) -> Question:
        path, stored = item
        return Question(path, marshal.loads(zlib.decompress(stored)) if self.packed else stored)
