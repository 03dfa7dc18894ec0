"""A static, searchable site of the bank: a page per question, indexes, a coverage page, no server needed.

Pages are Jinja2 templates (autoescaped) shipped in ``export/site/templates``; a bank may override
any of them with its own folder. Every text of the bank goes through ``qtool.markup.render``
(raw HTML escaped, only http(s)/mailto links). Links are relative and name ``index.html``, so
the site works from ``file://`` as well as from a web server; search runs on a small generated
index loaded as a script (``search-index.js``), since browsers refuse ``fetch`` from ``file://``.
A Content-Security-Policy forbids inline script and anything fetched from elsewhere.

Output is byte-identical for an unchanged bank; pages whose bytes did not change are not
rewritten, and pages the site owned for questions that are gone are removed (the folder keeps a
manifest of what it wrote). The output folder is never written through a symbolic link.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtool.export import PACK_FROM, ExportError, Progress
from qtool.export.coverage import strings_of, text_of
from qtool.files import SLUG_LENGTH, slug
from qtool.fsutil import atomic_create, atomic_write
from qtool.importer import SECTION_HEADINGS
from qtool.model import STATUSES, TIERS, Question

if TYPE_CHECKING:
    from jinja2 import Environment

    from qtool.config import Config

#: Where ``--format site`` writes by default, relative to the bank root.
SITE_DIR = "exports/site"
#: The list of files the site owns, kept in the output folder.
MANIFEST = ".qtool-site.json"
MANIFEST_FORMAT = "qtool-site"
#: ``[tool.qtool.site]`` keys.
SETTINGS_KEYS = ("title", "base-url", "templates", "pagefind")
DEFAULT_TITLE = "Interview questions"
#: Titles in the search index are cut to about this many characters (pages show them whole).
INDEX_TITLE_MAX = 100
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: The shipped templates and static files.
ASSETS = Path(__file__).resolve().parent / "site"
STATIC = "_static"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'"
#: Where Pagefind writes its index and its script, inside the site.
PAGEFIND_DIR = "_pagefind"
LEVELS = ("junior", "intermediate", "senior")
TIER_LABELS = {
    "sample": ("Sample answer", SECTION_HEADINGS["sample.critique"].rstrip(":")),
    "solid": ("Solid answer", SECTION_HEADINGS["solid.critique"].rstrip(":")),
    "exceptional": ("Exceptional answer", SECTION_HEADINGS["exceptional.critique"].rstrip(":")),
}


@dataclass(frozen=True)
class SiteSettings:
    """``[tool.qtool.site]``: the site's title, the base URL it is published at, a folder of template overrides."""

    title: str = DEFAULT_TITLE
    base_url: str = ""
    templates: Path | None = None
    pagefind: bool = False


def site_settings(config: Config) -> SiteSettings:
    """Read ``[tool.qtool.site]`` (its shape is checked by the configuration schema; the templates folder here).

    A ConfigError (a problem line at the key, exit 2) for a value the schema cannot judge.
    """
    table = config.raw.get("site", {})
    if not isinstance(table, dict):
        raise config.error("site", "must be a table")
    unknown = sorted(set(table) - set(SETTINGS_KEYS))
    if unknown:
        raise config.error(f"site.{unknown[0]}", f"unknown key {unknown[0]!r} in site; allowed keys: {', '.join(SETTINGS_KEYS)}")
    for key in SETTINGS_KEYS:
        if key in table and not isinstance(table[key], bool if key == "pagefind" else str):
            raise config.error(f"site.{key}", "must be true or false" if key == "pagefind" else "must be a string")
    title = table.get("title", DEFAULT_TITLE).strip() or DEFAULT_TITLE
    base_url = table.get("base-url", "").strip().rstrip("/")
    if base_url and not base_url.lower().startswith(("http://", "https://")):
        raise config.error("site.base-url", f"must start with http:// or https://, got {base_url!r}")
    templates = None
    if table.get("templates"):
        templates = Path(config.root, table["templates"])
        if not templates.is_dir():
            raise config.error("site.templates", f"folder {table['templates']!r} does not exist")
    return SiteSettings(title=title, base_url=base_url, templates=templates, pagefind=table.get("pagefind", False))


# -- what the pages show ------------------------------------------------------------
def render(text: str | None) -> str:
    """``qtool.markup.render(text)``, through its plain-prose fast path (the same HTML, much sooner)."""
    from qtool.markup import render_fast

    return render_fast(text)


def inline(text: str | None) -> str:
    """A one-line text (a question, a tip) as inline HTML by ``qtool.markup``: code, emphasis, safe links; no ``<p>``."""
    from qtool.markup import render_inline

    return render_inline(text)


class Slugs:
    """Distinct slugs for a set of names (``Problem solving`` and ``Problem-solving`` get two)."""

    def __init__(self, names: Iterable[str], fallback: str) -> None:
        self.of: dict[str, str] = {}
        taken: set[str] = set()
        for name in sorted(set(names)):
            base = slug(name) or fallback
            unique, number = base, 1
            while unique in taken:
                number += 1
                unique = f"{base}-{number}"
            taken.add(unique)
            self.of[name] = unique


@dataclass
class Entry:
    """What lists and the search index need of one question (its page is rendered and dropped)."""

    id: str
    dir: str  # "<role-slug>/<slug>", the page's folder
    title: str  # the question, rendered inline
    text: str  # the question as written (for the search index)
    role: str
    category: str
    level: str
    status: str
    competencies: list[str]


# What question and list pages show, as small objects: a template's ``tier.text`` is then one
# attribute lookup, where a dict's key is found only after a failed attribute lookup.
@dataclass(frozen=True)
class Tier:
    """One tier of answer on a question page: rendered text and critique (Markup), and its labels."""

    __slots__ = ("name", "label", "why", "text", "critique")
    name: str
    label: str
    why: str
    text: Any
    critique: Any


@dataclass(frozen=True)
class Related:
    """A related question: its id, and its page and title when it is on the site."""

    __slots__ = ("id", "href", "title")
    id: str
    href: str | None
    title: Any


@dataclass(frozen=True)
class Item:
    """A question in a list page: its entry and its rendered title (Markup)."""

    __slots__ = ("entry", "title")
    entry: Entry
    title: Any


def page_dir(question: Question, taken: set[str]) -> str:
    """A question's folder, ``<role-slug>/<slug>`` from its id (else from its role and question), unique."""
    parts = (question.id or "").split("/")
    if len(parts) != 2 or not all(_is_slug(part) for part in parts):
        parts = [slug(question.role or "") or "role", slug(question.question or "") or "question"]
    base = "/".join(parts)
    folder, number = base, 1
    while folder in taken:
        number += 1
        folder = f"{base}-{number}"
    taken.add(folder)
    return folder


#: Words of lower-case letters and digits joined by single hyphens: what ``slug`` gives back unchanged (up to SLUG_LENGTH).
_SLUG_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _is_slug(part: str) -> bool:
    """``slug(part) == part`` for a non-empty part, without transliterating the usual, already-slug, id parts."""
    if len(part) <= SLUG_LENGTH and _SLUG_PART.fullmatch(part):
        return True
    return bool(part) and slug(part) == part


# -- writing safely -----------------------------------------------------------------
@dataclass
class Built:
    """What one build did."""

    pages: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    index_bytes: int = 0
    files: list[str] = field(default_factory=list)
    #: Pages Pagefind indexed (None: not asked for).
    pagefind: int | None = None


class Output:
    """The output folder: refuses symbolic links, writes only changed files, remembers what it owns.

    Each process remembers the folders it has checked (``lstat``: a real folder, not a link) and
    those it made (``mkdir`` never follows a link): a file in a folder made in this build is new,
    so it is created without looking for an old copy. A fresh build costs about one mkdir, one
    open, one write and one rename a page.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        if root.is_symlink():
            raise ExportError(f"refused: {root} is a symbolic link; the site is never written through one")
        if root.exists() and not root.is_dir():
            raise ExportError(f"refused: {root} is not a folder")
        self.previous = self._manifest()
        if self.previous is None and root.is_dir() and any(root.iterdir()):
            raise ExportError(f"refused: {root} is not empty and holds no {MANIFEST} (not a site qtool wrote); "
                              "choose an empty or new folder")
        #: A new or empty folder: nothing to compare with.
        self.fresh = self.previous is None
        root.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, None] = {}
        self.built = Built()
        #: Folders of the site ("" is the root) known to be real folders, and those made in this build.
        self._dirs: set[str] = {""}
        self._made: set[str] = {""} if self.fresh else set()

    def _manifest(self) -> list[str] | None:
        path = self.root / MANIFEST
        if path.is_symlink() or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
            return None
        return [f for f in data["files"] if isinstance(f, str)]

    @staticmethod
    def _check(rel: str) -> None:
        if not rel or rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/")):
            raise ExportError(f"refused: {rel!r} is not a path inside the site")

    def _link(self, rel: str) -> ExportError:
        return ExportError(f"refused: {self.root / rel} is a symbolic link; the site is never written through one")

    def _known(self, folder: str, info: os.stat_result) -> None:
        """Remember ``folder`` as a real folder, given its ``lstat``; refuse a link or a file in its place."""
        if stat.S_ISLNK(info.st_mode):
            raise self._link(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise ExportError(f"refused: {self.root / folder} is in the way (not a folder)")
        self._dirs.add(folder)

    def _folder(self, folder: str) -> bool:
        """Make sure site folder ``folder`` and its parents are real folders, making missing ones; True if made here."""
        if folder in self._dirs:
            return folder in self._made
        parent = folder.rpartition("/")[0]
        self._folder(parent)
        path = os.path.join(self.root, folder)
        if not self.fresh and parent not in self._made:  # most likely there already: one lstat
            try:
                self._known(folder, os.lstat(path))
                return False
            except FileNotFoundError:
                pass
        try:
            os.mkdir(path)
        except FileExistsError:
            self._known(folder, os.lstat(path))
            return False
        self._dirs.add(folder)
        self._made.add(folder)
        return True

    def _current(self, rel: str, size: int) -> bytes | None:
        """Up to ``size`` bytes of the site's file ``rel``, None when there is none; a link or a non-file is refused."""
        try:
            fd = os.open(os.path.join(self.root, rel), os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self._link(rel) from None
            raise
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                what = "a folder" if stat.S_ISDIR(mode) else "not a file"
                raise ExportError(f"refused: {self.root / rel} is in the way ({what})")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read(size)
        finally:
            os.close(fd)

    def write(self, rel: str, data: str | bytes) -> None:
        """Write one file of the site, unless it already holds exactly these bytes."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self._check(rel)
        new = self._folder(rel.rpartition("/")[0])
        self.files[rel] = None
        old = None if new else self._current(rel, len(payload) + 1)
        if old == payload:
            self.built.unchanged += 1
            return
        # Pages can be built again at any time: no fsync, but never half-written (temp file, rename).
        if old is None:
            atomic_create(os.path.join(self.root, rel), payload)
        else:
            atomic_write(self.root / rel, payload, durable=False)  # keeps the page's mode
        self.built.written += 1

    def _removable(self, rel: str) -> Path | None:
        """The path of site file ``rel`` to remove; None when it is gone or a folder on its way is a link or a file."""
        try:
            self._check(rel)
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in self._dirs:
                    self._known(folder, os.lstat(os.path.join(self.root, folder)))
            mode = os.lstat(os.path.join(self.root, rel)).st_mode
        except (ExportError, OSError):
            return None
        return self.root / rel if stat.S_ISREG(mode) or stat.S_ISLNK(mode) else None

    def finish(self) -> Built:
        """Remove the files a previous build owned and this one did not write; then write the manifest."""
        for rel in sorted(set(self.previous or ()) - set(self.files) - {MANIFEST}):
            target = self._removable(rel)
            if target is not None:  # else a name qtool would never have written, or gone: leave it
                target.unlink()
                self.built.removed += 1
                self._prune(target.parent)
        self.built.files = sorted(self.files)
        manifest = json.dumps({"format": MANIFEST_FORMAT, "files": self.built.files}, indent=0, ensure_ascii=False) + "\n"
        self.write(MANIFEST, manifest)
        return self.built

    def _prune(self, folder: Path) -> None:
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


# -- templates ------------------------------------------------------------------------
def environment(settings: SiteSettings) -> Environment:
    """Jinja2 with autoescape on; the bank's template folder (if any) first, then the shipped templates."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

    loaders = [FileSystemLoader(str(settings.templates))] if settings.templates else []
    loaders.append(FileSystemLoader(str(ASSETS / "templates")))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined, auto_reload=False, keep_trailing_newline=True)
    return env


def highlight_css() -> str:
    """Pygments' classes for highlighted code, light and (under prefers-color-scheme: dark) dark."""
    from pygments.formatters import HtmlFormatter
    from pygments.styles import get_all_styles

    dark_style = "github-dark" if "github-dark" in set(get_all_styles()) else "monokai"
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style=dark_style).get_style_defs(".highlight")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"/* Pygments: default (light) and {dark_style} (dark) */\n{light}\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"


# -- the build --------------------------------------------------------------------------
def build(selection: Any, out_dir: Path, config: Config, progress: Progress | None = None) -> Built:
    """Build the site for what the export gate selected (a ``qtool.export.gate.Selection``)."""
    from qtool.export.coverage import from_selection

    settings = site_settings(config)
    pagefind = pagefind_executable(settings)
    figures = from_selection(selection, config.max_file_size)
    built = write_site(selection.questions, out_dir, settings, figures, progress)
    if pagefind:
        built.pagefind = run_pagefind(pagefind, Path(out_dir))
    return built


def pagefind_executable(settings: SiteSettings) -> str | None:
    """The Pagefind binary when the site asks for it (the ``pagefind-bin`` package's, else ``pagefind`` on PATH).

    An ExportError (one line, exit 1, before anything is written) when it is asked for and missing.
    """
    if not settings.pagefind:
        return None
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found]

        return str(get_executable())
    except (ImportError, OSError):
        pass
    found = shutil.which("pagefind")
    if found is None:
        raise ExportError("site.pagefind is true, but Pagefind is not installed: pip install pagefind-bin "
                          "(or put a pagefind binary on PATH), or set pagefind = false")
    return found


def run_pagefind(executable: str, out_dir: Path) -> int:
    """Index the question pages (those marked ``data-pagefind-body``) into ``out_dir/_pagefind``; returns how many.

    Pagefind writes a new bundle beside the old one, which is then swapped in whole: a deleted
    question's text does not linger in it, and a server never mixes two bundles for long. Its
    files are Pagefind's (not in the site's manifest, not compared byte by byte); a symbolic
    link in their place is refused, as everywhere in the site.
    """
    bundle, new, old = (out_dir / name for name in (PAGEFIND_DIR, f".{PAGEFIND_DIR}.new", f".{PAGEFIND_DIR}.old"))
    for path in (bundle, new, old):
        if path.is_symlink():
            raise ExportError(f"refused: {path} is a symbolic link; the site is never written through one")
    for path in (new, old):
        shutil.rmtree(path, ignore_errors=True)  # a killed run's leftovers
    done = subprocess.run([executable, "--site", str(out_dir), "--output-path", str(new.resolve()), "--keep-index-url"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    said = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode != 0 or not new.is_dir():
        shutil.rmtree(new, ignore_errors=True)
        raise ExportError(f"pagefind failed (exit {done.returncode}): {said[-1] if said else 'no output'}")
    if bundle.exists():
        bundle.rename(old)
    new.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)
    counts = [int(m.group(1)) for line in said if (m := re.search(r"Indexed (\d+) pages?", line))]
    return counts[-1] if counts else 0


KINDS = {"role": "Role", "category": "Category", "competency": "Competency"}
#: Banks with at least this many questions are rendered by fork()ed workers, one a core...
PARALLEL_FROM = 200
#: ...up to the size from which exports pack questions to save memory: every worker would hold a
#: copy-on-write view of the whole parent, so the biggest banks are rendered in one process.
PARALLEL_UP_TO = PACK_FROM


class _Site:
    """The templates, the output folder and the facts every page needs (fork()ed workers inherit it)."""

    def __init__(self, out: Output, settings: SiteSettings) -> None:
        self.out = out
        self.settings = settings
        self.env = environment(settings)
        self.base: dict[str, Any] = {"site": settings, "csp": CSP, "static": STATIC}
        self.entries: list[Entry] = []
        self.by_id: dict[str, Entry] = {}
        #: The index pages: (kind, name, href, members), by kind and name.
        self.lists: list[tuple[str, str, str, list[Entry]]] = []

    def page(self, rel: str, template: str, **context: Any) -> str:
        """Render ``template`` into the site at ``rel``; links in it are relative to ``rel``'s folder."""
        folder = rel.rpartition("/")[0]
        base_url = self.settings.base_url
        canonical = f"{base_url}/{folder + '/' if folder else ''}" if base_url else ""
        html = self.env.get_template(template).render({**self.base, "root": "../" * rel.count("/"), "canonical": canonical, **context})
        self.out.write(rel, html)
        return rel

    def question_page(self, question: Question, entry: Entry) -> str:
        """The page of one question: every text through ``qtool.markup``, related questions as links."""
        from markupsafe import Markup

        data = question.data
        answers: dict[str, Any] = data["answers"] if isinstance(data.get("answers"), dict) else {}
        tiers = []
        for tier in TIERS:
            answer: dict[str, Any] = answers[tier] if isinstance(answers.get(tier), dict) else {}
            text, critique = answer.get("text"), answer.get("critique")
            if not isinstance(text, str) and not isinstance(critique, str):
                continue
            label, why = TIER_LABELS[tier]
            tiers.append(Tier(tier, label, why, Markup(render(text if isinstance(text, str) else "")),
                              Markup(render(critique)) if isinstance(critique, str) else None))
        related = []
        for ref in strings_of(data, "related"):
            target = self.by_id.get(ref)
            related.append(Related(ref, f"{target.dir}/index.html" if target else None, Markup(target.title) if target else None))
        return self.page(f"{entry.dir}/index.html", "question.html", q=entry, title=Markup(entry.title), tiers=tiers,
                         tips=[Markup(inline(tip)) for tip in strings_of(data, "prep_tips")], related=related)

    def list_page(self, number: int) -> str:
        """The index page of one role, category or competency."""
        from markupsafe import Markup

        kind, name, href, members = self.lists[number]
        items = [Item(e, Markup(e.title)) for e in members]
        return self.page(href, "list.html", kind=KINDS[kind], name=name, items=items)


def _pages(span: tuple[str, int, int]) -> tuple[int, int, list[str]]:
    """Render pages ``span`` (kind, start, end) of the current job: questions or lists; returns files written, unchanged, and which."""
    from qtool.workers import shared

    site, questions = shared()
    written, unchanged = site.out.built.written, site.out.built.unchanged
    kind, start, end = span
    if kind == "questions":
        rels = [site.question_page(question, entry) for question, entry in zip(questions[start:end], site.entries[start:end])]
    else:
        rels = [site.list_page(number) for number in range(start, end)]
    return site.out.built.written - written, site.out.built.unchanged - unchanged, rels


def _jobs(count: int, workers: int | None) -> int:
    from qtool.workers import can_fork, worker_count

    if workers is None and not PARALLEL_FROM <= count <= PARALLEL_UP_TO:
        return 1
    return worker_count(workers) if can_fork() else 1


def write_site(questions: Sequence[Question], out_dir: Path, settings: SiteSettings, figures: Mapping[str, Any],
               progress: Progress | None = None, workers: int | None = None) -> Built:
    """Write the whole site for ``questions`` (in export order) into ``out_dir``; ``workers`` None: one a core.

    The collector is paused meanwhile (workers inherit that): rendering makes next to no
    reference cycles, and its passes over the bank's texts cost more than they find.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _write_site(questions, out_dir, settings, figures, progress, workers)
    finally:
        if enabled:
            gc.enable()


def _write_site(questions: Sequence[Question], out_dir: Path, settings: SiteSettings, figures: Mapping[str, Any],
                progress: Progress | None, workers: int | None) -> Built:
    from qtool.workers import sharing, worker_pool

    out = Output(Path(out_dir))
    site = _Site(out, settings)
    jobs = _jobs(len(questions), workers)

    # Pass 1: where every page goes, and what lists need. Titles of plain words are rendered here;
    # the others need the Markdown parser, by the workers when there are many.
    from qtool.markup import plain_inline
    from qtool.workers import parallel_map

    taken: set[str] = set()
    texts = [text_of(q.data, "question") for q in questions]
    plain = [plain_inline(text) for text in texts]
    marked = [number for number, title in enumerate(plain) if title is None]
    rendered = dict(zip(marked, parallel_map(inline, [texts[number] for number in marked], jobs=jobs)))
    titles = [title if title is not None else rendered[number] for number, title in enumerate(plain)]
    entries = site.entries
    for question, title in zip(questions, titles):
        data = question.data
        entries.append(Entry(
            id=text_of(data, "id"), dir=page_dir(question, taken), title=title,
            text=" ".join(text_of(data, "question").split()), role=text_of(data, "role"), category=text_of(data, "category"),
            level=text_of(data, "level") if text_of(data, "level") in LEVELS else "", status=text_of(data, "status"),
            competencies=sorted(set(strings_of(data, "competencies"))),
        ))
    del texts, plain, rendered, titles
    site.by_id = {entry.id: entry for entry in entries if entry.id}
    roles = Slugs((e.role for e in entries), "role")
    categories = Slugs((e.category for e in entries), "category")
    competencies = Slugs((c for e in entries for c in e.competencies), "competency")

    def role_href(role: str) -> str:
        return f"{roles.of[role]}/index.html"

    def category_href(category: str) -> str:
        return f"_category/{categories.of[category]}/index.html"

    def competency_href(name: str) -> str:
        return f"_competency/{competencies.of[name]}/index.html"

    site.base.update({"role_href": role_href, "category_href": category_href, "competency_href": competency_href})
    page = site.page
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault(("role", entry.role), []).append(entry)
        groups.setdefault(("category", entry.category), []).append(entry)
        for name in entry.competencies:
            groups.setdefault(("competency", name), []).append(entry)
    hrefs = {"role": role_href, "category": category_href, "competency": competency_href}
    site.lists = [(kind, name, hrefs[kind](name), members) for (kind, name), members in sorted(groups.items())]

    # Pass 2: a page per question, then the index pages by role, category and competency, in
    # chunks (by fork()ed workers for a big bank).
    for name in ("question.html", "list.html", "home.html", "coverage.html", "browse.html"):
        site.env.get_template(name)  # compiled once, before any fork
    count = len(entries)
    size = max(1, min(500, count // (jobs * 8) or 1))
    spans = [("questions", start, min(start + size, count)) for start in range(0, count, size)]
    spans += [("lists", number, number + 1) for number in range(len(site.lists))]
    with sharing((site, questions)):
        if jobs > 1:
            with worker_pool(jobs) as pool:
                for span, (written, unchanged, rels) in zip(spans, pool.imap(_pages, spans)):
                    out.built.written += written
                    out.built.unchanged += unchanged
                    out.files.update(dict.fromkeys(rels))
                    if progress and span[0] == "questions":
                        progress(len(rels))
        else:
            for span in spans:
                _, _, rels = _pages(span)
                if progress and span[0] == "questions":
                    progress(len(rels))
    facets = {kind: sorted((name, len(members)) for (k, name), members in groups.items() if k == kind) for kind in KINDS}
    page("_browse/index.html", "browse.html", facets=facets)

    # The coverage page, its charts drawn here.
    page("_coverage/index.html", "coverage.html", figures=figures, charts=_charts(figures),
         pages={e.id: f"{e.dir}/index.html" for e in entries if e.id})

    # Home, search index, static files.
    index = search_index(entries, roles, categories, competencies)
    out.write("search-index.js", index)
    out.built.index_bytes = len(index.encode("utf-8"))
    levels_present = [level for level in LEVELS if any(e.level == level for e in entries)]
    page("index.html", "home.html", facets=facets, roles=roles.of, categories=categories.of,
         competencies=competencies.of, levels=levels_present, statuses=[s for s in STATUSES if any(e.status == s for e in entries)],
         count=len(entries))
    for name in sorted(os.listdir(ASSETS / "static")):
        out.write(f"{STATIC}/{name}", (ASSETS / "static" / name).read_bytes())
    out.write(f"{STATIC}/highlight.css", highlight_css())
    out.built.pages = len(entries)
    return out.finish()


def search_index(entries: Sequence[Entry], roles: Slugs, categories: Slugs, competencies: Slugs) -> str:
    """``search-index.js``: facets once, then one small array a question (folder, slug, title, facet numbers).

    Each question is ``[folder, slug, title, role, category, level, status, [competencies]]``:
    folder indexes ``dirs``, the facets index their lists (level 0 is none), and the title is
    cut at a word boundary to about INDEX_TITLE_MAX characters.
    """
    role_names, category_names, competency_names = sorted(roles.of), sorted(categories.of), sorted(competencies.of)
    number = {name: i for i, name in enumerate(role_names)}
    category_number = {name: i for i, name in enumerate(category_names)}
    competency_number = {name: i for i, name in enumerate(competency_names)}
    dirs = sorted({e.dir.rpartition("/")[0] for e in entries})
    dir_number = {d: i for i, d in enumerate(dirs)}
    levels = ["", *LEVELS]
    statuses = list(STATUSES)
    rows = []
    for e in entries:
        folder, _, slug = e.dir.rpartition("/")
        rows.append([dir_number[folder], slug, _cut(e.text), number[e.role], category_number[e.category],
                     levels.index(e.level), statuses.index(e.status) if e.status in statuses else 0,
                     [competency_number[c] for c in e.competencies]])
    data = {
        "dirs": dirs,
        "role": [roles.of[n] for n in role_names],
        "category": [categories.of[n] for n in category_names],
        "competency": [competencies.of[n] for n in competency_names],
        "level": levels,
        "status": statuses,
        "q": rows,
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One question a line keeps diffs of the file small; '<' escaped so the data never reads as markup.
    body = body.replace('],[', '],\n[').replace("<", "\\u003c")
    return f"window.QTOOL_INDEX = {body};\n"


def _cut(text: str) -> str:
    if len(text) <= INDEX_TITLE_MAX:
        return text
    head = text[:INDEX_TITLE_MAX].rsplit(" ", 1)[0]
    return head + "…"


def _charts(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage page's SVG pictures (markup, every text escaped by ``qtool.export.charts``)."""
    from markupsafe import Markup

    from qtool.export.charts import heatmap, stacked_bars

    roles = [r["role"] for r in figures["roles"]]
    rows = {r["role"]: r for r in figures["roles"]}
    waiting: dict[str, dict[str, int]] = {}
    for key in ("drafts", "no_related"):
        for item in figures[key]:
            waiting.setdefault(item["role"] or "(unreadable)", {}).setdefault(key, 0)
            waiting[item["role"] or "(unreadable)"][key] += 1
    labels = {"drafts": "drafts waiting for review", "no_related": "without related links"}
    return {
        "heatmap": Markup(heatmap(roles, list(figures["competencies"]), {r: rows[r]["competencies"] for r in roles},
                                  "heat", "Questions per role and competency")),
        "categories": Markup(stacked_bars(roles, figures["categories"], {r: rows[r]["categories"] for r in roles},
                                          "cat", "Questions per category, by role")),
        "levels": Markup(stacked_bars(roles, figures["levels"], {r: rows[r]["levels"] for r in roles},
                                      "lvl", "Questions per level, by role")),
        "waiting": Markup(stacked_bars(sorted(waiting), [labels["drafts"], labels["no_related"]],
                                       {r: {labels[k]: v for k, v in c.items()} for r, c in waiting.items()},
                                       "wait", "Drafts waiting for review and questions without related links, by role")),
    }
