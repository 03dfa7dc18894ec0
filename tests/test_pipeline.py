"""The check pipeline keeps nothing alive after it returns: the export gate relies on freeing a check's summaries."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import qtool.workers
from qtool.config import load_config
from qtool.pipeline import check_files


def test_nothing_outlives_a_check(bank: Path) -> None:
    checked = check_files(None, load_config("."))
    assert checked.summaries, "the bank's files were summarised"
    alive = [weakref.ref(summary) for summary in checked.summaries.values()]
    del checked
    gc.collect()
    assert qtool.workers.shared() is None
    assert [ref for ref in alive if ref() is not None] == []


def test_sharing_is_scoped_and_nests() -> None:
    with qtool.workers.sharing("outer"):
        with qtool.workers.sharing("inner"):
            assert qtool.workers.shared() == "inner"
        assert qtool.workers.shared() == "outer"
    assert qtool.workers.shared() is None


def test_parallel_map_hands_each_result_in_order_as_it_comes(monkeypatch) -> None:
    items = list(range(qtool.workers.PARALLEL_FROM + 50))
    monkeypatch.setattr(qtool.workers, "worker_count", lambda jobs=None: 2)
    seen: list[int] = []
    assert qtool.workers.parallel_map(abs, items, each=seen.append) == items
    assert seen == items


def test_a_cold_check_finishes_the_near_duplicate_index_the_scan_fed(bank: Path, monkeypatch) -> None:
    """The bank's summaries reach near-duplicate as the files are read, in the bank's order, and the index is not made again."""
    import qtool.lint.rules.near_duplicate as nd

    finished: list[list[str]] = []
    real_finish = nd._Index.finish

    def finish(self, **kwargs):
        finished.append(list(self._offered))
        return real_finish(self, **kwargs)

    monkeypatch.setattr(nd._Index, "finish", finish)
    monkeypatch.setattr(nd._Index, "update", None)  # a fresh index made at once would call it
    cold = check_files(None, load_config("."), cache=True)
    assert len(finished) == 1 and sorted(finished[0]) == sorted(cold.summaries)
    monkeypatch.undo()
    again = check_files(None, load_config("."), cache=False)
    assert cold.problems == again.problems


def test_a_file_is_stat_once_when_the_caller_took_its_signature(bank: Path, monkeypatch) -> None:
    """A scan with a cache records the signature taken before it (taken before the file was read) instead of asking again."""
    import qtool.pipeline

    files = sorted(str(path) for path in Path("questions").rglob("*.yaml"))
    given = [(1, 2, 3, index) for index in range(len(files))]
    asked: list[str] = []
    monkeypatch.setattr(qtool.pipeline, "stat_signature", lambda name: asked.append(name) or (0,))
    results = qtool.pipeline.scan(files, hashing=True, signatures=given)
    assert [r.signature for r in results] == given and asked == []
    results = qtool.pipeline.scan(files, hashing=True)
    assert [r.signature for r in results] == [(0,)] * len(files) and asked == files


def test_a_first_run_takes_no_signatures_before_its_scan_and_a_later_one_does(bank: Path, monkeypatch) -> None:
    """With nothing in the cache to look up, each file's signature is taken by the scan, just before the file is read
    (on every core); once entries are kept, every file is looked at before any is read. Either way the next run is warm."""
    import qtool.pipeline

    taken: list[int] = []
    real = qtool.pipeline.stat_signatures
    monkeypatch.setattr(qtool.pipeline, "stat_signatures", lambda names: taken.append(len(names)) or real(names))
    first = check_files(None, load_config("."), cache=True)
    assert taken == []
    edited = sorted(Path("questions").rglob("*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    again = check_files(None, load_config("."), cache=True)
    assert taken == [len(first.files)] and again.problems == first.problems

    def analysed(*args: object) -> None:
        raise AssertionError(f"analysed again: {args[2]}")

    monkeypatch.setattr(qtool.pipeline, "analyse", analysed)  # the next run is warm: no file is analysed again
    assert check_files(None, load_config("."), cache=True).problems == first.problems
