"""One slug for every command: readable for any script, meaning kept, never a hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import FIXTURES

from qtool.files import slug


@pytest.mark.parametrize(("text", "expected"), [
    ("Marketing Specialist", "marketing-specialist"),
    ("Tell us about a time when you had to manage a crisis on social media. How did you handle it?",
     "tell-us-about-a-time-when-you-had-to-manage-a-crisis-on"),
    ("Café crème: what's the company's ROI?", "cafe-creme-whats-the-companys-roi"),
    ("Director's Assistant", "directors-assistant"),
    ("C++ Developer", "cpp-developer"),
    ("C# developer", "csharp-developer"),
    ("UX/UI Designer", "ux-ui-designer"),
    ("x" * 70, "x" * 60),
    ("面试问题", "mian-shi-wen-ti"),
    ("Инженер данных", "inzhener-dannykh"),
    ("  Data   Analyst!! ", "data-analyst"),
])
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected
    assert len(slug(text)) <= 60


def test_new_and_import_agree_on_a_role(empty_bank: Path, run) -> None:
    made = run("new", "--role", "Director's Assistant", "--question", "How do you plan a week?",
               "--category", "behavioral", "--no-llm")
    assert made.exit_code == 0, made.stderr
    page = (FIXTURES / "import" / "good" / "marketing-specialist-social-media-crisis.txt").read_text()
    (empty_bank / "page.txt").write_text(page.replace("Marketing Specialist Interview Questions",
                                                      "Director's Assistant Interview Questions"))
    imported = run("import", "page.txt")
    assert sorted(p.name for p in (empty_bank / "questions").iterdir()) == ["directors-assistant"], imported.stderr


def test_role_with_a_slash_and_role_slug_override(empty_bank: Path, run) -> None:
    assert run("new", "--role", "UX/UI Designer", "--question", "How do you test a design?", "--category",
               "Technical", "--no-llm").exit_code == 0
    assert run("new", "--role", "Инженер", "--role-slug", "engineer-ru", "--slug", "first",
               "--question", "Как вы тестируете?", "--category", "technical", "--no-llm").exit_code == 0
    assert sorted(p.relative_to(empty_bank / "questions").as_posix() for p in (empty_bank / "questions").rglob("*.yaml")) == [
        "engineer-ru/first.yaml", "ux-ui-designer/test-design.yaml"]


@pytest.mark.parametrize(("role", "folder"), [("../outside", "outside"), ("Data/Analyst", "data-analyst"), ("/etc", "etc")])
def test_a_role_is_a_title_not_a_path(empty_bank: Path, run, role: str, folder: str) -> None:
    result = run("new", "--role", role, "--question", "What is a join?", "--category", "technical", "--no-llm")
    assert result.exit_code == 0, result.stderr
    assert [p.relative_to(empty_bank).as_posix() for p in empty_bank.rglob("*.yaml")] == [f"questions/{folder}/join.yaml"]


def test_non_regular_files_and_misnamed_files_are_problems(empty_bank: Path, run) -> None:
    """A FIFO named *.yaml must not hang a check; a .yml file is reported, not skipped."""
    import os

    folder = empty_bank / "questions" / "role"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")
    (folder / "misnamed.yml").write_text("id: role/misnamed\n")
    result = run("check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "questions/role/misnamed.yml:1:1: error: question files end in .yaml: rename it to misnamed.yaml [parse]",
        "questions/role/pipe.yaml:1:1: error: not a regular file (a FIFO, device or socket): a question is a plain file [parse]",
    ]


def test_an_unreadable_folder_is_reported(tmp_path_factory) -> None:
    import os
    import shutil
    import tempfile

    from qtool.files import question_files
    from qtool.loader import LoadError, read_file

    base = Path(tempfile.mkdtemp())
    base.chmod(0o755)  # reachable by the unprivileged uid used below
    locked = base / "questions" / "locked"
    locked.mkdir(parents=True)
    (base / "questions").chmod(0o755)
    (locked / "q.yaml").write_text("id: locked/q\n")
    locked.chmod(0)
    dropped = os.geteuid() == 0
    if dropped:  # root lists anything: drop to an unprivileged effective uid
        os.seteuid(65534)
    try:
        found = question_files([], base)
        read = read_file(found[0]) if found else None
    finally:
        if dropped:
            os.seteuid(0)
        locked.chmod(0o755)
        shutil.rmtree(base)
    assert [Path(name).name for name in found] == ["locked"]
    assert isinstance(read, LoadError) and read.message == (
        "permission denied: cannot read this folder, so its question files are not checked")


def test_the_walk_finds_question_files_and_only_those(tmp_path: Path) -> None:
    """Files ending in .yaml or .yml, in any folder below questions/, sorted; not hidden files or folders, not a
    folder named like a question file, and not what a link to a folder points at (it could leave the bank)."""
    import os

    from qtool.files import question_files

    questions = tmp_path / "questions"
    for name in ("b/two.yaml", "a/one.yaml", "a/deep/three.yml", "a/notes.txt", ".hidden/four.yaml",
                 "a/.five.yaml", "a/folder.yaml/six.yaml"):
        (questions / name).parent.mkdir(parents=True, exist_ok=True)
        (questions / name).write_text("id: x\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "seven.yaml").write_text("id: x\n")
    (questions / "linked").symlink_to(outside, target_is_directory=True)
    (questions / "b" / "link.yaml").symlink_to(questions / "b" / "two.yaml")
    found = question_files([], tmp_path)
    relative = [os.path.relpath(name, tmp_path) for name in found]
    assert relative == ["questions/a/deep/three.yml", "questions/a/folder.yaml/six.yaml", "questions/a/one.yaml",
                        "questions/b/link.yaml", "questions/b/two.yaml"]


def test_the_walk_lists_files_in_the_order_of_their_paths(tmp_path: Path) -> None:
    """Each folder is sorted by itself, a folder's name taken with the separator after it: the order is still the
    order of the whole paths ("a-b/" before "a.yaml" before "a/", as "-" < "." < "/")."""
    import os

    from qtool.files import question_files

    questions = tmp_path / "questions"
    names = ["a/x.yaml", "a-b/y.yaml", "a.yaml", "a0.yaml", "a/b/z.yaml", "a/b.yaml", "a/b-c.yml", "A/q.yaml"]
    for name in names:
        (questions / name).parent.mkdir(parents=True, exist_ok=True)
        (questions / name).write_text("id: x\n")
    found = [os.path.relpath(name, tmp_path) for name in question_files([], tmp_path)]
    assert found == sorted(f"questions/{name}" for name in names)


def test_a_big_bank_is_stated_on_two_cores_as_on_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From STAT_SPLIT_FROM files a forked child stats half of them: the signatures are the same, in the same order,
    gone files included; and when no child can be forked, this process stats them all."""
    import os

    from qtool import files

    names = []
    for number in range(40):
        path = tmp_path / f"q{number}.yaml"
        path.write_text("x" * number)
        names.append(str(path))
    names.insert(7, str(tmp_path / "gone.yaml"))
    serial = [files.stat_signature(name) for name in names]
    monkeypatch.setattr(files, "STAT_SPLIT_FROM", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forks: list[int] = []
    fork = os.fork

    def counted() -> int:
        forks.append(1)
        return fork()

    monkeypatch.setattr(os, "fork", counted)
    assert files.stat_signatures(names) == serial and forks == [1]

    def refused() -> int:
        raise OSError("no more processes")

    monkeypatch.setattr(os, "fork", refused)
    assert files.stat_signatures(names) == serial


def _moved_on(folder: Path, seconds: int) -> None:
    """Set a folder's modification time to a moment of its own, as an edit in a later tick of the clock would."""
    import os

    moment = 1_700_000_000_000_000_000 + seconds * 1_000_000_000
    os.utime(folder, ns=(moment, moment))


def test_a_folder_as_it_was_at_the_last_walk_is_not_listed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only folders whose stat signature moved are listed; the walk is the same as a fresh one, a new file included."""
    import os

    from qtool import files

    questions = tmp_path / "questions"
    for name in ("a/one.yaml", "a/deep/two.yaml", "b/three.yaml", "four.yaml"):
        (questions / name).parent.mkdir(parents=True, exist_ok=True)
        (questions / name).write_text("id: x\n")
    monkeypatch.setattr(files, "SETTLED_NS", 0)  # the folders were made a moment ago: remember them all the same
    first = files.Listings({})
    assert files.question_files([], tmp_path, listings=first) == files.question_files([], tmp_path)
    assert first.changed and len(first.now) == 4
    listed: list[str] = []
    scandir = os.scandir

    def counted(path):  # type: ignore[no-untyped-def]
        listed.append(os.path.relpath(path, tmp_path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counted)
    again = files.Listings(first.now)
    before = files.question_files([], tmp_path, listings=again)
    assert listed == [] and not again.changed and again.now == first.now
    (questions / "a" / "new.yaml").write_text("id: y\n")
    _moved_on(questions / "a", 1)
    after = files.Listings(again.now)
    found = files.question_files([], tmp_path, listings=after)
    assert listed == ["questions/a"] and after.changed
    assert found == sorted([*before, os.path.join(os.path.relpath(questions), "a", "new.yaml")])
    listed.clear()
    (questions / "b" / "three.yaml").rename(questions / "b" / "gone.txt")
    _moved_on(questions / "b", 2)
    assert files.question_files([], tmp_path, listings=files.Listings(after.now)) == \
        [name for name in found if not name.endswith("three.yaml")]
    assert listed == ["questions/b"]


def test_a_folder_changed_a_moment_ago_is_listed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose last change is younger than SETTLED_NS is not remembered: a change in the same tick of the
    clock would not move its times."""
    import os

    from qtool import files

    (tmp_path / "questions" / "a").mkdir(parents=True)
    (tmp_path / "questions" / "a" / "one.yaml").write_text("id: x\n")
    listings = files.Listings({})
    files.question_files([], tmp_path, listings=listings)
    assert listings.now == {} and listings.changed
    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(path) or scandir(path))
    files.question_files([], tmp_path, listings=files.Listings(listings.now))
    assert len(listed) == 2
