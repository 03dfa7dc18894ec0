"""The data model: one Question per file, the Problems found in files, and a check's results."""

from __future__ import annotations

import enum
import marshal
import string
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The contract's top-level keys, in canonical order (fmt writes them in this order).
KEY_ORDER = (
    "id",
    "guid",
    "role",
    "question",
    "category",
    "status",
    "level",
    "answers",
    "prep_tips",
    "competencies",
    "related",
    "provenance",
)
TIERS = ("sample", "solid", "exceptional")
#: The parts of one tier's answer, in canonical order.
ANSWER_PARTS = ("text", "critique")
#: Key order of every mapping the contract defines, by JSON path ("" is the root): the one
#: home of key order for fmt, drafting, import and every export.
KEY_ORDERS: dict[str, tuple[str, ...]] = {
    "": KEY_ORDER,
    "answers": TIERS,
    **{f"answers.{tier}": ANSWER_PARTS for tier in TIERS},
    "provenance": ("drafted_by", "drafted_at", "prompt_version"),
}
CATEGORIES = ("behavioral", "situational", "technical", "role-specific", "general")
STATUSES = ("draft", "reviewed")
#: What the bank-wide rules (and exports' filters) read of each file: its summary.
SUMMARY_KEYS = ("id", "guid", "role", "question", "status", "related")
#: Bytes of a summary fingerprint per summary key.
PART = 8
_PART = struct.Struct("<II").pack


def same_parts(first: bytes | None, second: bytes | None, keys: Iterable[str]) -> bool:
    """Whether two summary fingerprints agree on the parts of ``keys`` (no fingerprint: they do not)."""
    if not first or not second or len(first) != len(second):
        return False
    for key in keys:
        start = SUMMARY_KEYS.index(key) * PART
        if first[start:start + PART] != second[start:start + PART]:
            return False
    return True

#: The first line of every question file: editors use it to find the schema.
MODELINE_PREFIX = "# yaml-language-server: $schema="

Position = tuple[int, int]  # 1-based (line, column)


class Severity(str, enum.Enum):
    """How bad a problem is: errors fail the run, warnings only under --strict."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(order=True, unsafe_hash=True, slots=True)
class Problem:
    """One thing wrong in one file, at a 1-based line and column.

    Never changed once made (it is hashed; ``dataclasses.replace`` makes another), but not a frozen
    dataclass: a frozen one takes four times as long to make, and a big bank makes tens of thousands.
    """

    path: str
    line: int
    column: int
    severity: Severity
    message: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "message": self.message,
            "code": self.code,
        }


@dataclass
class Answer:
    """One tier of answer: the text and, for solid and exceptional, a critique."""

    text: str | None
    critique: str | None


def path_str(parts: tuple[Any, ...] | list[Any]) -> str:
    """Render a JSON path as the contract writes it: ``answers.solid.critique``, ``prep_tips[2]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Question:
    """A typed view of one question file's mapping, with where each value sits in the file.

    The view tolerates invalid files: an accessor whose value has the wrong type returns
    None (or an empty list), so lint rules can run on what is there.
    """

    path: str
    data: dict[str, Any]
    #: JSON path -> (line, column) of the value.
    values: dict[str, Position] = field(default_factory=dict)
    #: JSON path -> (line, column) of the key that holds the value (mappings only).
    keys: dict[str, Position] = field(default_factory=dict)
    #: The raw text of the file (for suppression comments and formatting).
    text: str = ""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields in order: quicker both ways than a dataclass's attribute dict (every summary crosses from a worker)."""
        return (type(self), (self.path, self.data, self.values, self.keys, self.text))

    # -- positions -------------------------------------------------------------
    def pos(self, path: str) -> Position:
        """Where the value at ``path`` sits; falls back to its nearest existing parent."""
        while True:
            if path in self.values:
                return self.values[path]
            if not path:
                return (1, 1)
            path = _parent(path)

    def key_pos(self, path: str) -> Position:
        """Where the key holding ``path`` sits (the value's position for list items and root)."""
        if path in self.keys:
            return self.keys[path]
        return self.pos(path)

    def mapping_pos(self, path: str) -> Position:
        """Where a mapping is named: its key if it has one, else its first value (root)."""
        if path and path in self.keys:
            return self.keys[path]
        return self.pos(path)

    def summary(self) -> Question:
        """A small Question with only what bank-wide rules and exports' filters read, positions included."""
        full, all_values, all_keys = self.data, self.values, self.keys
        data = {key: full[key] for key in SUMMARY_KEYS if key in full}
        paths = ["", *data]
        related = data.get("related")
        if isinstance(related, list):
            paths += [f"related[{index}]" for index in range(len(related))]
        values = {path: all_values[path] for path in paths if path in all_values}
        keys = {path: all_keys[path] for path in paths if path in all_keys}
        return Question(self.path, data, values, keys, "")

    def fingerprint(self) -> bytes:
        """A digest of what a summary holds and where: one part per summary key, so that two fingerprints
        also tell which keys differ (``same_parts``), and a bank-wide rule sees whether an edit changed what it reads.

        Each part is CRC-32 and Adler-32 of the key's value and positions: they tell an edited file from
        its earlier self (as a cache needs), at a fraction of a cryptographic digest's cost on small values.
        """
        data, values, keys, root = self.data, self.values, self.keys, self.values.get("")
        # A summary's positions are its root's, its keys' and their values', and the related list's items'.
        items = [position for path, position in values.items() if path.startswith("related[")]
        parts = []
        for key in SUMMARY_KEYS:
            seen = marshal.dumps((key in data, data.get(key), root, values.get(key), keys.get(key),
                                  items if key == "related" else None))
            parts.append(_PART(zlib.crc32(seen), zlib.adler32(seen)))
        return b"".join(parts)

    # -- typed accessors -------------------------------------------------------
    def _str(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    @property
    def id(self) -> str | None:
        return self._str("id")

    @property
    def guid(self) -> str | None:
        return self._str("guid")

    @property
    def role(self) -> str | None:
        return self._str("role")

    @property
    def question(self) -> str | None:
        return self._str("question")

    @property
    def category(self) -> str | None:
        return self._str("category")

    @property
    def status(self) -> str | None:
        return self._str("status")

    def answer(self, tier: str) -> Answer | None:
        answers = self.data.get("answers")
        if not isinstance(answers, dict) or not isinstance(answers.get(tier), dict):
            return None
        entry = answers[tier]
        text, critique = entry.get("text"), entry.get("critique")
        return Answer(
            text if isinstance(text, str) else None,
            critique if isinstance(critique, str) else None,
        )

    def _list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if not isinstance(value, list):
            return []
        return [item for item in value if isinstance(item, str)]

    @property
    def prep_tips(self) -> list[str]:
        return self._list("prep_tips")

    @property
    def competencies(self) -> list[str]:
        return self._list("competencies")

    @property
    def related(self) -> list[str]:
        return self._list("related")

    @property
    def provenance(self) -> dict[str, Any]:
        value = self.data.get("provenance")
        return value if isinstance(value, dict) else {}


@dataclass
class FileResult:
    """One file's outcome in a check: its problems, whether it is broken, and its summary."""

    path: str
    problems: list[Problem]
    broken: bool
    #: The bank-wide rules' view of the file (None when it did not load).
    summary: Question | None
    #: Per-file state a later stage needs (the lint engine keeps suppressions here).
    extra: Any = None
    #: The SHA-256 digest of the file's bytes ("" when it could not be read or no cache asked for it).
    digest: str = ""
    #: The file's stat signature when it was read (for the cache), else None.
    signature: tuple[int, ...] | None = None
    #: A digest of the summary (b"" without one or without a cache): equal digests, same bank-wide view.
    fingerprint: bytes = b""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields in order, as ``Question`` is: every file's result crosses from a worker."""
        return (type(self), (self.path, self.problems, self.broken, self.summary, self.extra, self.digest, self.signature,
                             self.fingerprint))


@dataclass
class Checked:
    """The outcome of checking a set of files."""

    files: list[str]
    problems: list[Problem] = field(default_factory=list)
    #: Paths of files with errors that make them untrustworthy (load, schema, id-path).
    broken: set[str] = field(default_factory=set)
    #: Path -> summary (id, guid, role, question, status, related, with positions) of each loaded file.
    summaries: dict[str, Question] = field(default_factory=dict)
    #: Path -> status (draft, reviewed) of each loaded file that has one.
    statuses: Mapping[str, str] = field(default_factory=dict)


class Statuses(Mapping[str, str]):
    """Each file's status by path, kept as a run report keeps them: a column beside the files asked about.

    A warm run of a big bank answers from the column without making a dict of 100,000 paths
    (``count``, ``column``); a dict is made only when a status is looked up by path.
    ``changed`` holds the files checked again since the column was stored (None: no status now).
    """

    #: More changed files than this are laid on the column through the dict (finding each one's row costs a search).
    FIND_UPTO = 64

    def __init__(self, files: Sequence[str], column: Sequence[str | None], changed: Mapping[str, str | None] = {}) -> None:
        self.files, self._column, self._changed = files, column, dict(changed)
        self._by_path: dict[str, str] | None = None

    def _mapping(self) -> dict[str, str]:
        if self._by_path is None:
            out = {name: status for name, status in zip(self.files, self._column) if status is not None}
            for path, status in self._changed.items():
                if status is None:
                    out.pop(path, None)
                else:
                    out[path] = status
            self._by_path = out
        return self._by_path

    def __getitem__(self, path: str) -> str:
        return self._mapping()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def column(self, given: Sequence[str]) -> list[str | None]:
        """The status of each file of ``given``, in its order (None: none)."""
        if len(self._changed) > self.FIND_UPTO or len(given) != len(self.files) or given != self.files:
            return [self.get(name) for name in given]
        out = list(self._column)
        for path, status in self._changed.items():
            try:
                out[self.files.index(path)] = status
            except ValueError:  # a file checked again but not asked about
                pass
        return out

    def count(self, status: str) -> int:
        """How many files have ``status``."""
        return (self.column(self.files) if self._changed else list(self._column)).count(status)


def column_of(statuses: Mapping[str, str], given: Sequence[str]) -> list[str | None]:
    """The status of each file of ``given``, in its order, as a run report keeps them."""
    return statuses.column(given) if isinstance(statuses, Statuses) else [statuses.get(name) for name in given]


def count_of(statuses: Mapping[str, str], status: str) -> int:
    """How many files have ``status`` (a ``Statuses`` column counts without making a dict)."""
    return statuses.count(status) if isinstance(statuses, Statuses) else sum(s == status for s in statuses.values())


def ordered_keys(data: Mapping[str, Any], path: str = "") -> list[str]:
    """The keys of the mapping at ``path`` in canonical order; keys the contract does not list follow, as they came."""
    order = KEY_ORDERS.get(path, ())
    return [key for key in order if key in data] + [key for key in data if key not in order]


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


_GUID_ALPHABET = string.ascii_letters + string.digits


def new_guid() -> str:
    """A fresh note GUID: 10 random letters and digits (Anki's own are 10 base91 chars)."""
    import secrets  # here: only new questions need it, and every command loads this module

    return "".join(secrets.choice(_GUID_ALPHABET) for _ in range(10))
