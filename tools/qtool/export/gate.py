"""Which questions an export may use: the gate that refuses a bank with errors, and the draft filter."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtool.config import Config
from qtool.export import PACK_FROM, PackedQuestions
from qtool.model import Checked, Problem, Question, Severity

if TYPE_CHECKING:
    from qtool.loader import LoadError


@dataclass
class Selection:
    """What the gate let through, and what it held back."""

    #: In export order (by id), packed: read them by iterating.
    questions: Sequence[Question] = field(default_factory=list)
    #: Errors in the files the export would use (empty when the bank is clean).
    problems: list[Problem] = field(default_factory=list)
    #: Path -> number of errors, for files with errors (skipped under ``force``).
    broken: dict[str, int] = field(default_factory=dict)
    #: Drafts left out.
    drafts: int = 0
    #: Their paths, sorted (the site's coverage page and ``qtool stats`` list them as waiting for review).
    draft_paths: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.broken)


#: How the gate checks files: ``qtool.pipeline.check_files`` (given by the caller, which sits above both).
Check = Callable[[Sequence[str], Config], Checked]


def select(files: Sequence[str], config: Config, check: Check, *, include_drafts: bool = False) -> Selection:
    """The valid questions to export (``check`` says which files have errors), and the errors that block the export.

    Drafts are left out unless ``include_drafts``; their problems then block nothing, since
    ``qtool new`` writes drafts full of placeholders. A file that cannot be read is always broken.
    The check keeps only summaries, so the selected files are loaded again here (see ``_load_all``).
    """
    checked = check(files, config)
    drafts = set()
    if not include_drafts:
        drafts = {path for path, status in checked.statuses.items() if status == "draft"}
    errors = [p for p in checked.problems if p.severity is Severity.ERROR and p.path not in drafts]
    counts = Counter(p.path for p in errors)
    for path in checked.broken - drafts:
        counts.setdefault(path, 1)
    selection = Selection(problems=errors, broken=dict(sorted(counts.items())), drafts=len(drafts), draft_paths=sorted(drafts))
    chosen = [path for path in checked.files if path in checked.statuses and path not in drafts and path not in counts]
    del checked  # its summaries are not needed any more: free them before loading whole files
    _load_all(chosen, config.max_file_size, pack=len(chosen) > PACK_FROM, into=selection, root=config.root)
    return selection


def _load_all(paths: Sequence[str], max_bytes: int, *, pack: bool, into: Selection, root: Any = None) -> None:
    """Load ``paths`` into ``into.questions`` (a LoadError becomes a problem that breaks its file).

    The collector is paused meanwhile: loading makes only plain dicts, lists and strings, and its
    passes over a growing bank cost more than they find. A bank that is packed (past PACK_FROM)
    is read in this process, packed as it loads, so its texts never sit in memory all at once;
    a smaller one comes from the export data cache under ``root`` (``qtool.export.datacache``)
    for the files unchanged since the last export, the others read by one worker a core.
    """
    import gc

    def kept(results: Iterable[Question | LoadError]) -> Iterator[Question]:
        for loaded in results:
            if isinstance(loaded, Question):
                yield loaded
            else:
                into.problems.append(loaded.problem())
                into.broken[loaded.path] = 1

    enabled = gc.isenabled()
    gc.disable()
    try:
        if pack:
            into.questions = PackedQuestions(kept(_load(path, max_bytes) for path in paths), pack=True)
        else:
            into.questions = PackedQuestions(kept(_cached(paths, max_bytes, root)), pack=False)
    finally:
        if enabled:
            gc.enable()


def _cached(paths: Sequence[str], max_bytes: int, root: Any) -> list[Question | LoadError]:
    """Every file's question, from the export data cache where the file is unchanged, else loaded by the workers."""
    from qtool.export.datacache import DataCache
    from qtool.files import stat_signature
    from qtool.workers import parallel_map

    cache = DataCache(root if root is not None else ".")
    signatures = {path: stat_signature(path) for path in paths}
    found: dict[str, Question | LoadError] = {}
    for path in paths:
        data = cache.get(path, signatures[path])
        if data is not None:
            found[path] = Question(path, data)
    missing = [path for path in paths if path not in found]
    for path, loaded in zip(missing, parallel_map(functools.partial(_load, max_bytes=max_bytes), missing)):
        found[path] = loaded
        if isinstance(loaded, Question):
            cache.put(path, signatures[path], loaded.data)
    cache.save(list(paths))
    return [found[path] for path in paths]


def _load(path: str, max_bytes: int) -> Question | LoadError:
    """One file's question (its data only: exports need no positions or text), or why it cannot be read."""
    from qtool.loader import load_file

    loaded = load_file(path, max_bytes=max_bytes)
    return Question(loaded.path, loaded.data) if isinstance(loaded, Question) else loaded
