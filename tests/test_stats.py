"""qtool stats: the coverage figures as tables and JSON, the same numbers as the site's coverage page."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers_site import make_bank, qtool
from qtool.loader import load_file


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return make_bank(tmp_path / "bank")


def _questions(root: Path) -> list[dict]:
    return [load_file(p).data for p in sorted((root / "questions").rglob("*.yaml"))]  # type: ignore[union-attr]


def test_json_counts_what_the_files_say(bank: Path) -> None:
    done = qtool(bank, "stats", "--format", "json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    shown = [q for q in _questions(bank) if q["status"] != "draft"]
    assert figures["questions"] == len(shown) == len(_questions(bank)) - 1
    roles = {r["role"]: r for r in figures["roles"]}
    assert sorted(roles) == sorted({q["role"] for q in shown})
    for role, row in roles.items():
        mine = [q for q in shown if q["role"] == role]
        assert row["questions"] == len(mine)
        assert {k: v for k, v in row["categories"].items() if v} == dict(Counter(q["category"] for q in mine))
        assert {k: v for k, v in row["competencies"].items() if v} == dict(Counter(c for q in mine for c in set(q["competencies"])))
        assert row["levels"] == {"unset": len(mine)}
    assert [d["id"] for d in figures["drafts"]] == ["software-engineer/draft-onboarding"]
    assert [d["id"] for d in figures["no_related"]] == sorted(q["id"] for q in shown if not q.get("related"))


def test_include_drafts_counts_them_and_still_lists_them(bank: Path) -> None:
    figures = json.loads(qtool(bank, "stats", "--format", "json", "--include-drafts").stdout)
    assert figures["questions"] == len(_questions(bank))
    assert [d["id"] for d in figures["drafts"]] == ["software-engineer/draft-onboarding"]


def test_level_is_counted_when_present(bank: Path) -> None:
    from qtool.export.coverage import figures
    from qtool.model import Question

    questions = [Question(f"{i}.yaml", {"id": f"r/q{i}", "role": "R", "category": "technical", "status": "reviewed",
                                        "competencies": ["A"], "level": level})
                 for i, level in enumerate(["senior", "junior", "senior", None, "guru"])]
    (row,) = figures(questions)["roles"]
    assert row["levels"] == {"junior": 1, "senior": 2, "unset": 2}


def test_text_table(bank: Path) -> None:
    done = qtool(bank, "stats")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    shown = [q for q in _questions(bank) if q["status"] != "draft"]
    lonely = sum(1 for q in shown if not q.get("related"))
    assert lines[0] == (f"{len(shown)} questions in {len({q['role'] for q in shown})} roles; 1 draft waiting for review; "
                        f"{lonely} questions without related links")
    mine = Counter(q["category"] for q in shown if q["role"] == "Software Engineer")
    header = lines[lines.index("Questions per category") + 1].split()
    row = [line for line in lines if line.startswith("Software Engineer ")][0].split()[2:]
    assert row == [str(mine[c]) for c in header[1:-1]] + [str(sum(mine.values()))]
    assert "Drafts waiting for review (1)" in lines
    assert "  software-engineer/draft-onboarding  questions/software-engineer/draft-onboarding.yaml" in lines


def test_files_with_errors_are_left_out_and_named(bank: Path) -> None:
    broken = bank / "questions" / "software-engineer" / "design-trade-off.yaml"
    broken.write_text(broken.read_text().replace("category: technical", "category: nonsense"))
    done = qtool(bank, "stats", "--format", "json")
    assert done.returncode == 0
    assert "qtool stats: left out questions/software-engineer/design-trade-off.yaml (1 error" in done.stderr
    assert json.loads(done.stdout)["questions"] == len(_questions(bank)) - 2


class _Tables(HTMLParser):
    """The cells of every <table> on a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_the_coverage_page_shows_the_same_figures(bank: Path) -> None:
    figures = json.loads(qtool(bank, "stats", "--format", "json").stdout)
    assert qtool(bank, "export", "--to", "site").returncode == 0
    parser = _Tables()
    parser.feed((bank / "exports" / "site" / "_coverage" / "index.html").read_text(encoding="utf-8"))
    heat, categories, levels = parser.tables
    roles = [r["role"] for r in figures["roles"]]
    assert heat[0] == ["Competency", *roles, "Total"]
    assert heat[1:] == [[name, *(str(r["competencies"][name]) for r in figures["roles"]), str(total)]
                        for name, total in figures["competencies"].items()]
    assert categories[1:] == [[r["role"], *(str(v) for v in r["categories"].values()), str(r["questions"])] for r in figures["roles"]]
    assert levels[1:] == [[r["role"], *(str(v) for v in r["levels"].values())] for r in figures["roles"]]
