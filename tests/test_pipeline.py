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
