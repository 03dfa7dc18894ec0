"""qtool.export.site: safe pages, links that resolve, byte-identical builds, owned files only, no symlinks followed."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from helpers_site import bank_data, make_bank, qtool
from qtool.export.site import INDEX_TITLE_MAX, MANIFEST

#: Tags the site's own templates write; anything else in a page came from a bank text.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "a", "header", "nav", "ul", "ol", "li", "main", "footer",
    "p", "h1", "h2", "h3", "dl", "dt", "dd", "span", "code", "section", "details", "summary", "div", "pre", "article",
    "form", "label", "input", "select", "option", "button", "noscript", "table", "thead", "tbody", "tr", "th", "td",
    "svg", "g", "rect", "text", "em", "strong",
}


class Page(HTMLParser):
    """Every tag, attribute and link of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if dict(attrs).get("id"):
            self.ids.add(str(dict(attrs)["id"]))


def _parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return make_bank(tmp_path / "bank")


def _build(root: Path, *args: str) -> str:
    done = qtool(root, "export", "--to", "site", *args)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_no_raw_tag_from_the_bank_and_only_safe_links(bank: Path) -> None:
    _build(bank, "--include-drafts")
    site = bank / "exports" / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 12
    for path in pages:
        page = _parse(path)
        for tag, attrs in page.tags:
            assert tag in ALLOWED_TAGS, f"{path}: <{tag}> from a bank text"
            assert not any(name.startswith("on") for name in attrs), f"{path}: event handler attribute in <{tag}>"
            assert "style" not in attrs, f"{path}: inline style in <{tag}> (the CSP refuses it)"
            for name in ("href", "src"):
                value = (attrs.get(name) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:text", "vbscript:")), f"{path}: {name}={value}"
            if tag == "script":
                assert attrs.get("src") and not attrs["src"].startswith(("http:", "https:", "//")), f"{path}: script {attrs}"
    hostile = (site / "software-engineer" / "hostile-input" / "index.html").read_text(encoding="utf-8")
    # Shown as text: the raw HTML of the bank, escaped.
    assert "&lt;script&gt;alert('sample')&lt;/script&gt;" in hostile
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile
    assert "[click me](javascript:alert('link')) must not become a link" in hostile
    assert '<a href="https://example.com/docs">a safe link</a>' in hostile
    assert '<pre class="highlight"><code class="language-python">' in hostile
    assert "<li>Know the difference between escaping &lt;b&gt;output&lt;/b&gt; and filtering input.</li>" in hostile
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', hostile)
    assert csp and "script-src &#39;self&#39;" in csp.group(1) and "default-src &#39;self&#39;" in csp.group(1)
    index = (site / "search-index.js").read_text(encoding="utf-8")
    assert "<" not in index  # titles are data, never markup: '<' is \u003c
    assert "\\u003cscript>alert('title')" in index


def test_every_internal_link_resolves_to_a_file_in_the_site(bank: Path) -> None:
    _build(bank, "--include-drafts")
    site = (bank / "exports" / "site").resolve()
    checked = 0
    for path in sorted(site.rglob("*.html")):
        page = _parse(path)
        base = path.as_uri()
        for tag, attrs in page.tags:
            for name in ("href", "src"):
                value = attrs.get(name)
                if value is None or (tag == "link" and attrs.get("rel") == "icon"):
                    continue
                parts = urlsplit(value)
                if parts.scheme in ("http", "https", "mailto"):
                    assert tag == "a", f"{path}: <{tag} {name}={value}> loads from elsewhere"
                    continue
                assert not parts.scheme and not parts.netloc, f"{path}: {value}"
                if not parts.path:  # a fragment on the same page
                    assert parts.fragment in page.ids, f"{path}: #{parts.fragment} has no target"
                    continue
                target = Path(unquote(urlsplit(urljoin(base, value)).path)).resolve()
                assert target.is_file(), f"{path}: {value} -> {target} does not exist"
                assert site in target.parents, f"{path}: {value} leaves the site"
                if parts.fragment and target.suffix == ".html":
                    assert parts.fragment in _parse(target).ids, f"{path}: {value} has no such anchor"
                checked += 1
    assert checked > 300


def test_two_builds_are_byte_identical_and_a_rebuild_writes_nothing(bank: Path, tmp_path: Path) -> None:
    message = _build(bank)
    assert "0 unchanged, 0 removed" in message
    _build(bank, "--out", str(tmp_path / "other"))
    site = bank / "exports" / "site"
    first = _files(site)
    assert first == _files(tmp_path / "other")
    stamps = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    message = _build(bank)
    assert re.search(rf"0 files written, {len(first)} unchanged, 0 removed", message), message
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()} == stamps
    assert _files(site) == first


def test_an_edited_question_rewrites_its_pages_and_a_deleted_one_is_removed(bank: Path) -> None:
    _build(bank)
    site = bank / "exports" / "site"
    keep = site / "notes.txt"  # a file the site does not own stays
    manifest = json.loads((site / MANIFEST).read_text())
    assert "software-engineer/hostile-input/index.html" in manifest["files"]
    (bank / "questions" / "software-engineer" / "hostile-input.yaml").unlink()
    keep.write_text("mine")
    message = _build(bank)
    assert re.search(r"[1-9]\d* files written, \d+ unchanged, 1 removed", message), message
    assert not (site / "software-engineer" / "hostile-input").exists()
    assert keep.read_text() == "mine"
    assert "software-engineer/hostile-input/index.html" not in json.loads((site / MANIFEST).read_text())["files"]
    assert "hostile-input" not in (site / "search-index.js").read_text()
    assert (site / "software-engineer" / "design-trade-off" / "index.html").is_file()


def test_drafts_are_left_out_but_listed_as_waiting(bank: Path) -> None:
    _build(bank)
    site = bank / "exports" / "site"
    assert not (site / "software-engineer" / "draft-onboarding").exists()
    coverage = (site / "_coverage" / "index.html").read_text(encoding="utf-8")
    assert "<h3 id=\"drafts\">Drafts waiting for review (1)</h3>" in coverage
    assert "<code>software-engineer/draft-onboarding</code>" in coverage
    shown = [q for q in bank_data(bank) if q["status"] != "draft"]
    roles = len({q["role"] for q in shown})
    lonely = sum(1 for q in shown if not q.get("related"))
    assert f"{len(shown)} questions in {roles} roles · 1 draft waiting for review · {lonely} questions without related links" in coverage


def test_coverage_svg_draws_the_counts_of_the_bank(bank: Path) -> None:
    from qtool.loader import load_file

    _build(bank)
    coverage = (bank / "exports" / "site" / "_coverage" / "index.html").read_text(encoding="utf-8")
    counts: dict[tuple[str, str], int] = {}
    for path in sorted((bank / "questions").rglob("*.yaml")):
        data = load_file(path).data  # type: ignore[union-attr]
        if data["status"] == "draft":
            continue
        for name in set(data["competencies"]):
            counts[data["role"], name] = counts.get((data["role"], name), 0) + 1
    cells = dict(((role, name), int(n)) for role, name, n in re.findall(r"<title>([^<]+?) × ([^<]+?): (\d+)</title>", coverage))
    assert {key: n for key, n in cells.items() if n} == counts
    assert cells["Software Engineer", "Technical expertise"] >= 1


def test_search_index_is_small_and_complete_and_workers_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    from conftest import REPO
    from qtool.commands._common import checked_through_cache
    from qtool.config import load_config
    from qtool.export.coverage import from_selection
    from qtool.export.gate import select
    from qtool.export.site import PARALLEL_FROM, SiteSettings, write_site
    from qtool.files import question_files

    root = tmp_path / "gen"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_corpus.py"), "300", str(root)], check=True, capture_output=True)
    message = _build(root)
    monkeypatch.chdir(root)
    config = load_config(root)
    selection = select(question_files([], root), config, checked_through_cache)
    assert len(selection.questions) == 300 >= PARALLEL_FROM
    figures = from_selection(selection, config.max_file_size)
    for workers in (1, 2):
        write_site(selection.questions, tmp_path / f"workers-{workers}", SiteSettings(), figures, workers=workers)
    assert _files(tmp_path / "workers-1") == _files(tmp_path / "workers-2") == _files(root / "exports" / "site")
    index = (root / "exports" / "site" / "search-index.js").read_text(encoding="utf-8")
    data = json.loads(index.removeprefix("window.QTOOL_INDEX = ").removesuffix(";\n"))
    assert len(data["q"]) == 300
    assert len(index.encode("utf-8")) / 300 < 200, message
    for folder, slug, title, *_ in data["q"]:
        assert (root / "exports" / "site" / data["dirs"][folder] / slug / "index.html").is_file()
        assert len(title) <= INDEX_TITLE_MAX + 1


# -- refusals ------------------------------------------------------------------------------

def test_refuses_a_symlinked_output_folder(bank: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (bank / "exports").mkdir()
    (bank / "exports" / "site").symlink_to(elsewhere)
    done = qtool(bank, "export", "--to", "site")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "Error: refused: exports/site is a symbolic link; the site is never written through one"
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("link", ["software-engineer", "software-engineer/design-trade-off/index.html", "_static"])
def test_refuses_to_write_through_a_symlink_inside_the_site(bank: Path, tmp_path: Path, link: str) -> None:
    _build(bank)
    site = bank / "exports" / "site"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("not yours")
    target = site / link
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    target.symlink_to(outside / "index.html" if link.endswith(".html") else outside)
    done = qtool(bank, "export", "--to", "site")
    assert done.returncode == 1
    assert f"refused: exports/site/{link} is a symbolic link" in done.stderr
    assert [p.name for p in outside.iterdir()] == ["index.html"]
    assert (outside / "index.html").read_text() == "not yours"


def test_refuses_a_folder_it_did_not_write(bank: Path) -> None:
    (bank / "mine").mkdir()
    (bank / "mine" / "thesis.tex").write_text("keep")
    done = qtool(bank, "export", "--to", "site", "--out", "mine")
    assert done.returncode == 1
    assert "refused: mine is not empty and holds no .qtool-site.json" in done.stderr
    assert os.listdir(bank / "mine") == ["thesis.tex"]


def test_site_needs_a_folder_not_standard_output(bank: Path) -> None:
    done = qtool(bank, "export", "--to", "site", "--out", "-")
    assert done.returncode == 2
    assert "needs a single file format, not site" in done.stderr


# -- configuration -------------------------------------------------------------------------

def _config(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text(f"[tool.qtool.site]\n{body}\n", encoding="utf-8")


def _built_with_templates(root: Path, body: str, templates: dict[str, str]) -> Path:
    """The site built with ``templates`` (name -> text) overriding the shipped ones, and ``body`` as further settings."""
    (root / "site-templates").mkdir()
    for name, text in templates.items():
        (root / "site-templates" / name).write_text(text)
    _config(root, f'{body}\ntemplates = "site-templates"'.lstrip())
    _build(root)
    return root / "exports" / "site"


def test_unknown_site_key_is_one_line_and_exit_2(bank: Path) -> None:
    _config(bank, 'title = "Bank"\ncolour = "red"')
    done = qtool(bank, "export", "--to", "site")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "pyproject.toml:3:1: error: unknown key 'colour' in site; allowed keys: title, base-url, templates, pagefind [config]"]
    assert not (bank / "exports").exists()


@pytest.mark.parametrize(("body", "message"), [
    ('base-url = "javascript:alert(1)"', "pyproject.toml:2:12: error: site.base-url 'javascript:alert(1)' is not in the expected form"),
    ('templates = "nowhere"', "pyproject.toml:2:1: error: site.templates: folder 'nowhere' does not exist [config]"),
    ("title = 3", "pyproject.toml:2:9: error: site.title must be a string, got a number (3) [config]"),
    ('pagefind = "yes"', "pyproject.toml:2:12: error: site.pagefind must be true or false, got a string ('yes') [config]"),
])
def test_bad_site_values_exit_2(bank: Path, body: str, message: str) -> None:
    _config(bank, body)
    done = qtool(bank, "export", "--to", "site")
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_title_base_url_and_template_override(bank: Path) -> None:
    site = _built_with_templates(bank, 'title = "Acme <Interview> Bank"\nbase-url = "https://example.org/bank/"', {
        "list.html": '{% extends "base.html" %}{% block title %}{{ name }}{% endblock %}'
                     '{% block main %}<h1>Custom list: {{ name }}</h1><p>{{ "<b>escaped</b>" }}</p>{% endblock %}\n'})
    role = (site / "software-engineer" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Custom list: Software Engineer</h1><p>&lt;b&gt;escaped&lt;/b&gt;</p>" in role
    assert '<link rel="canonical" href="https://example.org/bank/software-engineer/">' in role
    question = (site / "software-engineer" / "design-trade-off" / "index.html").read_text(encoding="utf-8")
    assert '<a class="brand" href="../../index.html">Acme &lt;Interview&gt; Bank</a>' in question  # shipped template, escaped
    assert '<link rel="canonical" href="https://example.org/bank/software-engineer/design-trade-off/">' in question


def test_level_shows_on_the_page_and_in_the_search_index(tmp_path: Path) -> None:
    """``level`` is optional (junior, intermediate, senior): shown when present, a facet of the search index."""
    from conftest import BANK
    from qtool.export.coverage import figures
    from qtool.export.site import SiteSettings, write_site
    from qtool.loader import load_file
    from qtool.model import Question

    loaded = [load_file(p) for p in sorted(BANK.rglob("*.yaml"))[:3]]
    questions = [Question(q.path, {**q.data, "level": level})  # type: ignore[union-attr]
                 for q, level in zip(loaded, ["senior", None, "junior"])]
    questions = [Question(q.path, {k: v for k, v in q.data.items() if v is not None}) for q in questions]
    write_site(questions, tmp_path / "site", SiteSettings(), figures(questions), workers=1)
    first = next((tmp_path / "site").glob(f"{questions[0].data['id']}/index.html")).read_text(encoding="utf-8")
    assert "<dt>Level</dt><dd>senior</dd>" in first
    second = (tmp_path / "site" / questions[1].data["id"] / "index.html").read_text(encoding="utf-8")
    assert "<dt>Level</dt>" not in second
    index = json.loads((tmp_path / "site" / "search-index.js").read_text().removeprefix("window.QTOOL_INDEX = ").removesuffix(";\n"))
    assert [index["level"][row[5]] for row in index["q"]] == ["senior", "", "junior"]
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<option value="junior">junior</option>\n<option value="senior">senior</option>' in home


# -- the work a build does ---------------------------------------------------------------

def _selection(root: Path, monkeypatch: pytest.MonkeyPatch):
    from qtool.commands._common import checked_through_cache
    from qtool.config import load_config
    from qtool.export.gate import select
    from qtool.files import question_files

    monkeypatch.chdir(root)
    config = load_config(root)
    return select(question_files([], root), config, checked_through_cache)


def test_a_fresh_build_creates_each_file_once_and_a_rebuild_only_reads_each_once(bank: Path, tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Into a new folder: a mkdir a folder, one temp file and one rename a file, no old copy looked for, no stat.

    A rebuild of the same bank opens each file once to compare it, and creates and renames nothing.
    """
    from qtool.export.coverage import figures
    from qtool.export.site import SiteSettings, write_site

    questions = list(_selection(bank, monkeypatch).questions)
    site = tmp_path / "site"
    calls: list[tuple[str, str, int]] = []

    def spy(name: str) -> None:
        real = getattr(os, name)

        def wrapper(path: object, *args: object, **kwargs: object) -> object:
            where = os.fspath(args[0] if name in ("replace", "rename") else path)  # type: ignore[call-overload]
            if where.startswith(str(site) + os.sep):
                flags = args[0] if name == "open" and args else 0
                calls.append((name, os.path.relpath(where, site), flags))  # type: ignore[arg-type]
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)

    for name in ("open", "stat", "lstat", "mkdir", "replace", "rename", "chmod"):
        spy(name)
    write_site(questions, site, SiteSettings(), figures(questions), workers=1)
    monkeypatch.undo()
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    folders = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir())
    assert len(files) > 20
    opened = [(rel, flags) for name, rel, flags in calls if name == "open"]
    assert all(flags & os.O_CREAT and flags & os.O_EXCL for _, flags in opened), "an old copy was looked for"
    assert len(opened) == len(files)
    assert sorted(rel for name, rel, _ in calls if name == "replace") == files
    assert sorted(rel for name, rel, _ in calls if name == "mkdir") == folders
    # Only the manifest is looked for (the build starts by reading it): no file or folder is stat-ed one by one.
    assert [call for call in calls if call[0] in ("stat", "lstat", "chmod", "rename") and call[1] != MANIFEST] == []

    calls.clear()
    for name in ("open", "stat", "lstat", "mkdir", "replace", "rename", "chmod"):
        spy(name)
    built = write_site(questions, site, SiteSettings(), figures(questions), workers=1)
    monkeypatch.undo()
    assert (built.written, built.unchanged) == (0, len(files))
    opened = [(rel, flags) for name, rel, flags in calls if name == "open"]
    assert sorted(rel for rel, _ in opened) == files
    assert not any(flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR) for _, flags in opened)
    assert [call for call in calls if call[0] in ("mkdir", "replace", "rename", "chmod")] == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo (POSIX)")
def test_a_fifo_in_place_of_a_page_is_refused_without_waiting(bank: Path) -> None:
    import subprocess
    import sys

    _build(bank)
    page = bank / "exports" / "site" / "software-engineer" / "design-trade-off" / "index.html"
    page.unlink()
    os.mkfifo(page)
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    # Opening a FIFO to read it would wait for a writer forever: the timeout only keeps such a failure from hanging the suite.
    done = subprocess.run([sys.executable, "-m", "qtool", "export", "--to", "site"], cwd=bank, capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: refused: exports/site/software-engineer/design-trade-off/index.html is in the way (not a file)")
    assert page.is_fifo()


def test_id_parts_are_recognised_as_slugs_exactly_as_slug_says() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qtool.export.site import _is_slug
    from qtool.files import SLUG_LENGTH, slug

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(st.text(alphabet="ab9-", max_size=SLUG_LENGTH + 8), st.text(max_size=12)))
    def same(part: str) -> None:
        assert _is_slug(part) == (bool(part) and slug(part) == part)

    same()
    assert _is_slug("a" * SLUG_LENGTH) and not _is_slug("a" * (SLUG_LENGTH + 1))


def test_overriding_templates_see_tiers_items_and_related_by_attribute_or_key(bank: Path) -> None:
    """Custom templates written for the dicts the site used to pass still work: ``tier["text"]`` and ``tier.text`` alike."""
    site = _built_with_templates(bank, "", {
        "list.html": '{% for item in items %}<li>{{ item["entry"].dir }}|{{ item.entry["role"] }}|{{ item["title"] }}</li>\n'
                     '{% endfor %}',
        "question.html": '{% for tier in tiers %}<section id="{{ tier["name"] }}">{{ tier.label }}|{{ tier["why"] }}|'
                         '{{ tier.text }}{{ tier["critique"] or "" }}</section>\n{% endfor %}'
                         '{% for item in related %}<a href="{{ item["href"] }}">{{ item.title }}</a>{{ item["id"] }}\n{% endfor %}'})
    role = (site / "software-engineer" / "index.html").read_text(encoding="utf-8")
    assert "<li>software-engineer/design-trade-off|Software Engineer|" in role
    question = (site / "software-engineer" / "hostile-input" / "index.html").read_text(encoding="utf-8")
    assert '<section id="sample">Sample answer|' in question
    assert "&lt;script&gt;alert(&#39;sample&#39;)&lt;/script&gt;" in question or "&lt;script&gt;alert('sample')&lt;/script&gt;" in question
    assert '<section id="solid">Solid answer|' in question


def test_pagefind_asked_for_but_missing_is_one_line_before_any_work(bank: Path) -> None:
    """No pagefind-bin to import and no pagefind on PATH: one line, exit 1, before the check, nothing written."""
    import subprocess
    import sys

    _config(bank, "pagefind = true")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["PATH"] = str(bank / "no-such-folder")
    # pagefind_bin made unimportable, as if the package were not installed.
    hide = "import sys; sys.modules['pagefind_bin'] = None; from qtool.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", hide, "export", "--to", "site"], cwd=bank, capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: site.pagefind is true, but Pagefind is not installed: pip install pagefind-bin "
        "(or put a pagefind binary on PATH), or set pagefind = false"]
    assert not (bank / "exports").exists()


def test_pagefind_indexes_the_question_pages_and_swaps_its_bundle_whole(bank: Path) -> None:
    from qtool.export.site import CSP, PAGEFIND_DIR

    pytest.importorskip("pagefind_bin", reason="no pagefind-bin (pip install pagefind-bin)")
    _config(bank, "pagefind = true")
    shown = [q for q in bank_data(bank) if q["status"] != "draft"]
    message = _build(bank)
    assert message.strip().endswith(f"Pagefind indexed {len(shown)} pages")
    site = bank / "exports" / "site"
    bundle = site / PAGEFIND_DIR
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-entry.json").is_file()
    fragments = sorted((bundle / "fragment").iterdir())
    assert len(fragments) == len(shown)  # question pages only: lists, home and coverage carry no data-pagefind-body
    # Pagefind's WebAssembly runs in its worker: every page keeps the one policy, the home page included.
    for rel in ("index.html", "software-engineer/hostile-input/index.html"):
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', (site / rel).read_text(encoding="utf-8"))
        assert csp and csp.group(1) == CSP.replace("'", "&#39;")
    page = (site / "software-engineer" / "hostile-input" / "index.html").read_text(encoding="utf-8")
    assert '<article class="question" data-pagefind-body>' in page

    (bank / "questions" / "software-engineer" / "hostile-input.yaml").unlink()
    message = _build(bank)
    assert message.strip().endswith(f"Pagefind indexed {len(shown) - 1} pages")
    assert len(list((bundle / "fragment").iterdir())) == len(shown) - 1  # the deleted question's text is gone
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(f".{PAGEFIND_DIR}")) == []
    assert PAGEFIND_DIR not in (site / MANIFEST).read_text()
