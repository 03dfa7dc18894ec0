#!/usr/bin/env python3
"""Time qtool against its peers on synthetic banks and print a Markdown table (run by hand, not in CI).

    python bench/run.py [--sizes 10000,100000] [--rounds 3] [--work DIR] [--seed 1]

For each size it builds (or reuses, from the work folder) a bank with ``bench/gen_corpus.py``,
then runs every command once per round, interleaved, and reports the median wall time, its
ratio to check-jsonschema over the same files (and to each command's own reference: the bare
genanki build for the Anki export, ``python -c "import click"`` for ``qtool --help``), the
peak RSS of the child process (``os.wait4``), the peak RSS of its whole process tree (sampled;
counts shared pages once per process), exit codes and problem counts. Each command is started
by a small launcher process (see LAUNCHER) and runs alone; the harness only samples /proc
meanwhile. Results also go to WORK/results-<time>.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import gen_corpus  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
CACHE_DIR = ".qtool-cache"
#: A sentence added to one answer for "check after one file changed" (two wordings, alternating by round).
CHANGE = " I would add one more detail here."


# -- running one child ---------------------------------------------------------------
@dataclass
class Sample:
    """One timed run of one command."""

    seconds: float
    maxrss_mib: float
    tree_mib: float
    status: int | str
    stdout: str
    stderr: str
    #: User and system time of the command and the processes it waited for (its workers), in seconds.
    cpu: float = 0.0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except OSError:
        pass
    return kids


def _tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(_children(current))
    return total


#: Runs in a fresh, small interpreter that starts the measured command and reports on it. Measuring
#: from run.py itself would be wrong: at exec, Linux records the exec'ing process's peak RSS as the
#: child's, so a child forked from a large harness inherits the harness's peak. The launcher's own
#: start-up is not in the timing either.
LAUNCHER = """
import json, os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(result, "w") as handle:
    json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
               "status": os.waitstatus_to_exitcode(status)}, handle)
"""


def run_child(argv: list[str], cwd: Path, timeout: float | None, env: dict[str, str]) -> Sample:
    """Run argv to completion; wall time, peak RSS (own, and of the process tree), status, output."""
    with tempfile.TemporaryDirectory(prefix="qtool-bench-run-") as folder:
        result = Path(folder) / "result.json"
        out_path, err_path = Path(folder) / "stdout", Path(folder) / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            launcher = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(result), *argv], cwd=cwd,
                                        stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            started = time.perf_counter()
            peak = [0]
            done = threading.Event()
            timed_out = [False]

            def sample() -> None:
                while not done.wait(0.05):
                    peak[0] = max(peak[0], sum(_tree_rss(kid) for kid in _children(launcher.pid)))
                    if timeout is not None and time.perf_counter() - started > timeout and not timed_out[0]:
                        timed_out[0] = True
                        os.killpg(launcher.pid, 9)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            launcher.wait()
            done.set()
            sampler.join()
        stdout = out_path.read_text("utf-8", "replace")
        stderr = err_path.read_text("utf-8", "replace")
        if timed_out[0] or not result.exists():
            why = "timeout" if timed_out[0] else f"launcher failed ({launcher.returncode})"
            return Sample(time.perf_counter() - started, 0.0, peak[0] / 2**20, why, stdout, stderr)
        info = json.loads(result.read_text())
        maxrss = info["maxrss_kib"] / 1024
        return Sample(info["seconds"], maxrss, max(peak[0] / 2**20, maxrss), info["status"], stdout, stderr, info["cpu"])


# -- what is measured ---------------------------------------------------------------
@dataclass
class Case:
    """One row of the table: a command, how to prepare for it, and what it is compared with."""

    key: str
    label: str
    argv: list[str]
    prepare: Callable[[], None] = lambda: None
    reference: str | None = None  # key of the row this one is also compared with
    cwd: Path | None = None  # where it runs (default: the bank)
    describe: Callable[[list[Sample]], str] = lambda samples: ""
    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None


def _summary_counts(sample: Sample) -> str:
    """'0 errors, 26 warnings (near-duplicate 26)' from a text report."""
    codes: dict[str, int] = {}
    for line in sample.stdout.splitlines():
        match = re.search(r": (error|warning): .*\[([\w-]+)\]$", line)
        if match:
            codes[match.group(2)] = codes.get(match.group(2), 0) + 1
    tail = sample.stderr.strip().splitlines()[-1:] or [""]
    errors = re.search(r"(\d+) errors?", tail[0])
    warnings = re.search(r"(\d+) warnings?", tail[0])
    if "no problems" in tail[0]:
        return "no problems"
    if not (errors or warnings):
        return f"unexpected output: {tail[0][:120]!r}"
    text = f"{errors.group(1) if errors else 0} errors, {warnings.group(1) if warnings else 0} warnings"
    if codes:
        text += " (" + ", ".join(f"{code} {count}" for code, count in sorted(codes.items())) + ")"
    return text


def _warnings(samples: list[Sample]) -> str:
    """Loud notes for runs that cannot be trusted: a traceback, or exit codes that differ between rounds."""
    notes = []
    crashed = [number for number, s in enumerate(samples, 1) if "Traceback (most recent call last)" in s.stderr]
    if crashed:
        last = samples[crashed[-1] - 1].stderr.strip().splitlines()[-1][:150]
        notes.append(f"**traceback in round {', '.join(map(str, crashed))}: {last}**")
    if len({str(s.status) for s in samples}) > 1:
        notes.append("**exit status differs between rounds: the median mixes different work**")
    return "; ".join(notes) + ("; " if notes else "")


def _last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {}


def has_command(qtool: list[str], name: str, env: dict[str, str]) -> bool:
    """Whether ``qtool NAME --help`` works (the command exists and imports)."""
    result = subprocess.run([*qtool, name, "--help"], capture_output=True, env=env, cwd=REPO)
    return result.returncode == 0


def build_bank(size: int, work: Path, seed: int, shape: str = "varied") -> tuple[Path, dict, bool]:
    """The bank for ``size`` files, reused when its manifest says the same generator, size, seed and shape made it."""
    root = work / (f"bank-{size}" if shape == "varied" else f"bank-{size}-{shape}")
    manifest_path = root / gen_corpus.MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        if (manifest["n"], manifest["seed"], manifest.get("shape", "varied"), manifest["source_sha256"]) \
                == (size, seed, shape, gen_corpus.source_digest()):
            return root, manifest, True
    except (OSError, ValueError, KeyError):
        pass
    if root.exists():
        shutil.rmtree(root)
    # In a child, so that the harness stays small (see LAUNCHER).
    subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), str(size), str(root), "--seed", str(seed), "--shape", shape],
                   check=True, stdout=subprocess.DEVNULL)
    return root, json.loads(manifest_path.read_text()), False


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("qtool", "click", "ruamel.yaml", "ruamel.yaml.clib", "jsonschema", "rapidfuzz", "genanki", "check-jsonschema"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    try:
        from qtool import loader

        c_parser = loader.c_parser() is not None
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        c_parser = f"cannot tell: {exc}"
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    return {
        "cpu": model,
        "cores": f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "qtool commit": commit or "unknown",
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "qtool.loader.c_parser()": str(c_parser),
    }


def verify_peer(python: str, bank: Path, files: list[str], work: Path, env: dict[str, str]) -> str:
    """Prove the check-jsonschema shim really validates: a broken copy fails, the good files pass."""
    probe = work / "peer-probe"
    if probe.exists():
        shutil.rmtree(probe)
    (probe / "questions" / "probe").mkdir(parents=True)
    bad = probe / "questions" / "probe" / "broken.yaml"
    text = (bank / files[0]).read_text(encoding="utf-8")
    bad.write_text(re.sub(r"(?m)^category: .*$", "category: nonsense", text, count=1), encoding="utf-8")
    good = [str(bank / f) for f in files[:20]]
    listing = probe / "list.txt"
    schema = str(bank / "schema" / "question.schema.json")
    shim = str(HERE / "peer_check_jsonschema.py")
    listing.write_text("\n".join(good + [str(bad)]) + "\n")
    failing = subprocess.run([python, shim, str(listing), schema], capture_output=True, text=True, env=env)
    listing.write_text("\n".join(good) + "\n")
    passing = subprocess.run([python, shim, str(listing), schema], capture_output=True, text=True, env=env)
    ok = failing.returncode == 1 and str(bad) in failing.stdout and "nonsense" in failing.stdout and passing.returncode == 0
    shutil.rmtree(probe)
    if not ok:
        raise SystemExit(f"run.py: the check-jsonschema shim does not validate as expected:\n{failing.stdout}{failing.stderr}")
    return f"shim verified: a copy with a bad category fails (exit 1, named), 20 good files pass; C parser: {_last_json(failing.stderr).get('c_parser')}"


# -- one size -------------------------------------------------------------------------
def cases_for(size: int, bank: Path, work: Path, qtool: list[str], python: str, has: dict[str, bool],
              file_list: Path) -> tuple[list[Case], Callable[[], None]]:
    """Every row for one bank, in the order they run within a round, and how to undo the one-file edit."""
    out_dir = work / f"export-{size}"
    anki_out = work / f"anki-{size}"
    peer_out = work / f"peer-{size}"
    changed = sorted((bank / "questions").rglob("*.yaml"))[size // 2]
    original = changed.read_bytes()
    rounds = [0]

    def reset(folder: Path) -> Callable[[], None]:
        def prepare() -> None:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        return prepare

    def cold() -> None:
        shutil.rmtree(bank / CACHE_DIR, ignore_errors=True)

    def change_one() -> None:
        # Alternate between two edited versions so the file's content differs from the cached one every round.
        rounds[0] += 1
        text = original.decode("utf-8")
        marker = "    text: |\n      "
        start = text.index(marker) + len(marker)
        end = text.index(".", start) + 1
        extra = CHANGE if rounds[0] % 2 else CHANGE.replace("one more", "another")
        changed.write_bytes((text[:end] + extra + text[end:]).encode("utf-8"))

    reworded = sorted((bank / "questions").rglob("*.yaml"))[size // 3]
    reworded_original = reworded.read_bytes()
    rewordings = [0]

    def change_question() -> None:
        # A reworded question: the bank-wide rules (near-duplicate, duplicate-question) see a change.
        text = reworded_original.decode("utf-8")
        start = text.index("\nquestion: ") + len("\nquestion: ")
        rewordings[0] += 1
        extra = " Why?" if rewordings[0] % 2 else " And why?"
        end = text.index("\n", start)
        reworded.write_bytes((text[:end] + extra + text[end:]).encode("utf-8"))

    intended = {frozenset(f"questions/{i}.yaml" for i in pair) for pair in
                json.loads((bank / gen_corpus.MANIFEST).read_text())["near_duplicates"]}

    def checked(samples: list[Sample]) -> str:
        flagged = set()
        for line in samples[-1].stdout.splitlines():
            match = re.match(r"(.+?):\d+:\d+: warning: question is \d+% similar to (\S+) .*\[near-duplicate\]$", line)
            if match:
                flagged.add(frozenset((os.path.normpath(match.group(1)), os.path.normpath(match.group(2)))))
        counts = _summary_counts(samples[-1])
        if not has["check"]:
            return counts
        return f"{counts}; near-duplicate pairs flagged {len(flagged)}, intended found {len(flagged & intended)} of {len(intended)}"

    def export_note(samples: list[Sample]) -> str:
        last = samples[-1]
        if last.status != 0:
            return f"failed: {(last.stderr.strip().splitlines() or [''])[-1][:150]}"
        sizes = [f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out_dir.glob("*")) if p.is_file()]
        return ", ".join(sizes)

    def anki_note(samples: list[Sample]) -> str:
        target = anki_out / "questions.apkg"
        if samples[-1].status != 0 or not target.exists():
            return f"failed: {(samples[-1].stderr.strip().splitlines() or [''])[-1][:150]}"
        return f".apkg {target.stat().st_size / 1e6:.1f} MB"

    def peer_anki_note(samples: list[Sample]) -> str:
        info = _last_json(samples[-1].stdout)
        return f"{info.get('notes')} notes, .apkg {info.get('bytes', 0) / 1e6:.1f} MB (stored); load {info.get('load_s')} s, notes {info.get('build_s')} s, write {info.get('write_s')} s"

    def cjs_note(samples: list[Sample]) -> str:
        info = _last_json(samples[-1].stderr)
        if info.get("files") != size:
            return f"PROBLEM: the shim saw {info.get('files')} files, expected {size}"
        return f"{info['files']} files in one process, exit {info['status']}, C parser {info['c_parser']}"

    site_rows, site_done = site_cases(size, work, qtool)
    against = [*qtool, "check", "--against", "HEAD"]
    check = "check" if has["check"] else "validate"
    stand_in = "" if has["check"] else " (stand-in: no `check` yet)"
    cli = Path(python).parent / "check-jsonschema"
    arg_bytes = sum(len(line) + 1 for line in file_list.read_text().splitlines())
    invocations = -(-arg_bytes // 1_800_000)  # xargs -s 1900000 leaves room for the command and environment

    def cli_note(samples: list[Sample]) -> str:
        return (f"as a user runs it: `xargs -s 1900000 check-jsonschema --schemafile ...`, "
                f"{invocations} process{'es' if invocations != 1 else ''}; the ratios of every row are to this one")

    rows = [
        Case("cjs-cli", "check-jsonschema (peer, its own CLI)",
             ["sh", "-c", f'xargs -s 1900000 "{cli}" --schemafile schema/question.schema.json < "{file_list}"'],
             describe=cli_note),
        Case("cjs", "check-jsonschema in-process shim (one process)",
             [python, str(HERE / "peer_check_jsonschema.py"), str(file_list), "schema/question.schema.json"],
             describe=cjs_note),
        Case("check-cold", f"`qtool {check}` cold (no cache){stand_in}", [*qtool, check], prepare=cold, describe=checked),
        Case("check-warm", f"`qtool {check}` warm (nothing changed){stand_in}", [*qtool, check], describe=checked),
        Case("check-against", "`qtool check --against HEAD` warm (the bank committed in git)", against,
             prepare=lambda: commit_bank(bank, against), reference="check-warm", describe=checked),
        Case("check-one", f"`qtool {check}` after one file changed (an answer){stand_in}", [*qtool, check],
             prepare=change_one, reference="check-warm", describe=checked),
        Case("check-question", f"`qtool {check}` after one question reworded{stand_in}", [*qtool, check],
             prepare=change_question, reference="check-warm", describe=checked),
        Case("export-all", "`qtool export --to all`", [*qtool, "export", "--to", "all", "--out", str(out_dir)],
             prepare=reset(out_dir), describe=export_note),
        Case("export-anki", "`qtool export --to anki`",
             [*qtool, "export", "--to", "anki", "--out", str(anki_out / "questions.apkg")],
             prepare=reset(anki_out), reference="genanki", describe=anki_note),
        *site_rows,
        Case("genanki", "bare genanki build (peer)", [python, str(HERE / "peer_genanki.py"), str(bank),
                                                      str(peer_out / "questions.apkg")],
             prepare=reset(peer_out), describe=peer_anki_note),
        *fmt_cases(size, bank, work, qtool),
        *batch_cases(size, bank, work, qtool, python),
        Case("help", "`qtool --help`", [*qtool, "--help"], reference="click"),
        Case("click", '`python -c "import click"` (reference)', [python, "-c", "import click"]),
    ]
    if not cli.exists():
        rows[0].skipped = "n/a: no check-jsonschema command beside this Python"
    if not has["batch"]:
        for row in rows:
            if row.key.startswith("batch"):
                row.skipped = "n/a: no `qtool draft --batch-out`"
    if not has["check"] or shutil.which("git") is None:
        rows = [row for row in rows if row.key != "check-against"]
    if not has["export"]:
        for row in rows:
            if row.key.startswith("export"):
                row.skipped = "n/a: no `qtool export` command"

    def restore() -> None:
        changed.write_bytes(original)
        reworded.write_bytes(reworded_original)
        site_done()

    return rows, restore


def site_cases(size: int, work: Path, qtool: list[str]) -> tuple[list[Case], Callable[[], None]]:
    """The site's rows: a build into a new, empty folder, then the same build again (nothing changed).

    The previous round's site is renamed aside, not deleted, before each build, and the run
    deletes them all when it ends: on ext4 without a journal (this machine's file system) the
    kernel skips inodes freed in the last minute when it allocates new ones, so deleting 20,000
    files just before creating 20,000 bills the build for the deletion, whatever writes them.
    """
    out = work / f"site-{size}"
    aside = work / f"site-{size}-previous"
    loads: dict[str, list[str]] = {"export-site": [], "export-site-again": []}
    summary = [""]

    def clear() -> None:
        for folder in (out, aside):
            shutil.rmtree(folder, ignore_errors=True)
        os.sync()

    def new_folder() -> None:
        if out.exists():
            aside.mkdir(exist_ok=True)
            out.rename(aside / f"{time.time_ns()}")
        out.mkdir(parents=True)
        loads["export-site"].append(_load_now())

    def again() -> None:
        # The folder the last build wrote, summed up now: the run deletes it before the table is made.
        files = [p for p in out.rglob("*") if p.is_file()]
        index = out / "search-index.js"
        summary[0] = (f"{len(files):,} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB; search index "
                      f"{index.stat().st_size / size if index.exists() else 0:.0f} bytes a question")
        loads["export-site-again"].append(_load_now())

    def note(key: str) -> Callable[[list[Sample]], str]:
        def describe(samples: list[Sample]) -> str:
            last = samples[-1]
            if last.status != 0:
                return f"failed: {(last.stderr.strip().splitlines() or [''])[-1][:150]}"
            said = (last.stderr.strip().splitlines() or [""])[-1]
            written = re.search(r"\d+ files written, \d+ unchanged", said)
            return (f"{written.group(0) if written else said[:100]}; {summary[0]}; "
                    f"load average (1 min) at each round's start: {', '.join(loads[key])}")
        return describe

    clear()
    argv = [*qtool, "export", "--to", "site", "--out", str(out)]
    rows = [
        Case("export-site", "`qtool export --to site` (into a new, empty folder)", argv, prepare=new_folder,
             describe=note("export-site")),
        Case("export-site-again", "`qtool export --to site` again (nothing changed)", argv, prepare=again,
             reference="export-site", describe=note("export-site-again")),
    ]
    return rows, clear


def tool_env() -> dict[str, str]:
    """The environment every timed tool runs in: as users run it, with Python's byte-code cache
    (PYTHONDONTWRITEBYTECODE would make qtool, installed in place, compile its modules on every run,
    and the peers, installed with their byte code, not), outside CI, without colour."""
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "PYTHONDEVMODE", "PYTHONDONTWRITEBYTECODE")}
    env["NO_COLOR"] = "1"
    return env


def load_average() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, now."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _load_now() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def batch_cases(size: int, bank: Path, work: Path, qtool: list[str], python: str) -> list[Case]:
    """The batch-drafting rows: requests for every file (one file, then split into parts), and applying a result for each."""
    draft_bank = work / f"draft-bank-{size}"
    requests = work / f"batch-requests-{size}.jsonl"
    results = work / f"batch-results-{size}.jsonl"
    split = work / f"batch-split-{size}" / "requests.jsonl"

    def fresh_draft_bank() -> None:
        # A copy of the bank that batch drafting may write to (the check rows keep the original).
        shutil.rmtree(draft_bank, ignore_errors=True)
        shutil.copytree(bank / "questions", draft_bank / "questions")
        shutil.copytree(bank / "schema", draft_bank / "schema")
        (draft_bank / "pyproject.toml").write_text(
            '[tool.qtool.llm]\nbase-url = "http://127.0.0.1:9/v1"\nmodel = "bench-model"\n')  # never contacted in file mode

    def fresh_split() -> None:
        fresh_draft_bank()
        shutil.rmtree(split.parent, ignore_errors=True)
        split.parent.mkdir(parents=True)

    def answered() -> None:
        # The results a runner would write for this round's requests (same ids every round: same files).
        if not results.exists() or results.stat().st_mtime < requests.stat().st_mtime:
            subprocess.run([python, str(HERE / "batch_results.py"), str(requests), str(results)], check=True)

    def batch_note(samples: list[Sample]) -> str:
        last = samples[-1]
        tail = (last.stderr.strip().splitlines() or [""])[-1]
        return tail.split(";")[0][:150] if last.status == 0 else f"failed: {tail[:150]}"

    def split_note(samples: list[Sample]) -> str:
        parts = sorted(split.parent.glob("*.jsonl"))
        return f"{batch_note(samples)}; {', '.join(f'{p.name} {p.stat().st_size / 1e6:.0f} MB' for p in parts)}"

    return [
        Case("batch-split", "`qtool draft --batch-out` split at 40 MB (every file, --overwrite)",
             [*qtool, "draft", "--overwrite", "--batch-out", str(split), "--batch-max-bytes", str(40_000_000)],
             prepare=fresh_split, cwd=draft_bank, describe=split_note),
        Case("batch-out", "`qtool draft --batch-out` (every file, --overwrite)",
             [*qtool, "draft", "--overwrite", "--batch-out", str(requests)], prepare=fresh_draft_bank, cwd=draft_bank,
             describe=batch_note),
        Case("batch-in", "`qtool draft --batch-in` (a result for every file)",
             [*qtool, "draft", "--batch-in", str(results)], prepare=answered, cwd=draft_bank, describe=batch_note,
             reference="bare-replace"),
        Case("bare-replace", "bare atomic replace of every file (reference: temp file + rename, 8 at a time, one sync)",
             [python, str(HERE / "bare_replace.py"), str(draft_bank)], prepare=fresh_draft_bank, cwd=draft_bank,
             describe=lambda samples: (samples[-1].stderr.strip().splitlines() or [""])[-1]),
    ]


def fmt_cases(size: int, bank: Path, work: Path, qtool: list[str]) -> list[Case]:
    """``qtool fmt --check`` and ``qtool fmt`` on a fresh copy of the bank each round (the generator leaves some files
    not canonical: an unquoted ``drafted_at``), so every round has the same files to judge and to write."""
    fmt_bank = work / f"fmt-bank-{size}"

    def fresh_fmt_bank() -> None:
        shutil.rmtree(fmt_bank, ignore_errors=True)
        shutil.copytree(bank / "questions", fmt_bank / "questions")
        shutil.copytree(bank / "schema", fmt_bank / "schema")
        os.sync()  # the copy is on disk before the timed run: `qtool fmt`'s one sync must not flush the harness's copy

    def fmt_note(samples: list[Sample]) -> str:
        last = samples[-1]
        listed = sum(1 for line in last.stdout.splitlines() if line.strip())
        tail = (last.stderr.strip().splitlines() or [""])[-1][:150]
        return f"exit {last.status}; {listed} lines on stdout; {tail}"

    return [
        Case("fmt-check", "`qtool fmt --check` (a fresh copy of the bank)", [*qtool, "fmt", "--check"],
             prepare=fresh_fmt_bank, cwd=fmt_bank, describe=fmt_note),
        Case("fmt", "`qtool fmt` writing (a fresh copy of the bank)", [*qtool, "fmt"],
             prepare=fresh_fmt_bank, cwd=fmt_bank, reference="fmt-check", describe=fmt_note),
    ]


def commit_bank(bank: Path, warm: list[str]) -> None:
    """Make the bank a git repository with everything committed (once), then run ``warm`` untimed to fill the cache."""
    if not (bank / ".git").is_dir():
        env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com", GIT_CONFIG_GLOBAL=os.devnull)
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench bank"]):
            subprocess.run(["git", *args], cwd=bank, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(warm, cwd=bank, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(size: int, rounds: int, work: Path, seed: int, qtool: list[str], python: str, has: dict[str, bool],
            env: dict[str, str], timeout: float | None, log: Callable[[str], None], shape: str = "varied",
            only: frozenset[str] = frozenset()) -> dict:
    started = time.perf_counter()
    bank, manifest, reused = build_bank(size, work, seed, shape)
    log(f"bank {bank}: {size} files, {manifest['bytes'] / 1e6:.1f} MB, "
        f"{'reused' if reused else f'generated in {time.perf_counter() - started:.1f} s'}")
    files = sorted(p.relative_to(bank).as_posix() for p in (bank / "questions").rglob("*.yaml"))
    file_list = work / f"files-{size}.txt"
    file_list.write_text("\n".join(files) + "\n")
    peer_check = verify_peer(python, bank, files, work, env)
    for name in files:  # warm the page cache so the first timed row does not pay for the disk
        (bank / name).read_bytes()
    rows, restore = cases_for(size, bank, work, qtool, python, has, file_list)
    if only:
        rows = [row for row in rows if row.key in only or row.key in ("cjs-cli", "cjs")]
    try:
        for number in range(1, rounds + 1):
            for row in rows:
                if row.skipped:
                    continue
                row.prepare()
                sample = run_child(row.argv, row.cwd or bank, timeout, env)
                row.samples.append(sample)
                if row.key.startswith("export") and sample.status == 2:
                    row.skipped = f"n/a: usage error: {(sample.stderr.strip().splitlines() or [''])[-1][:150]}"
                log(f"  {size} round {number}: {row.key:<11} {sample.seconds:8.2f} s  {sample.maxrss_mib:7.0f} MiB  exit {sample.status}")
    finally:
        restore()
    table = table_of(rows)
    return {"size": size, "shape": shape, "bytes": manifest["bytes"], "intended_near_duplicate_pairs": len(manifest["near_duplicates"]),
            "rounds": rounds, "peer_check": peer_check, "rows": table}


def table_of(rows: list[Case]) -> list[dict]:
    """Each row's median, its ratios to the peer (of the medians, and of each round with the peer's run in it), memory and notes."""
    by_key = {row.key: row for row in rows}
    median = {row.key: statistics.median(s.seconds for s in row.samples) for row in rows if row.samples and not row.skipped}
    base = "cjs-cli" if median.get("cjs-cli") else "cjs"
    table = []
    for row in rows:
        if row.skipped or not row.samples:
            table.append({"key": row.key, "command": row.label, "skipped": row.skipped or "not run"})
            continue
        seconds = median[row.key]
        entry = {
            "key": row.key,
            "command": row.label,
            "median_s": seconds,
            "runs_s": [round(s.seconds, 3) for s in row.samples],
            "vs_check_jsonschema": seconds / median[base] if median.get(base) else None,
            # Each round's own ratio to the peer's run in that round: a target may bound the worst round too.
            "rounds_vs_check_jsonschema": [round(s.seconds / p.seconds, 3) for s, p in zip(row.samples, by_key[base].samples)]
            if median.get(base) and len(row.samples) == len(by_key[base].samples) and row.key != base else [],
            "vs_reference": seconds / median[row.reference] if row.reference and median.get(row.reference) else None,
            "reference": by_key[row.reference].label if row.reference else None,
            "peak_rss_mib": max(s.maxrss_mib for s in row.samples),
            "tree_peak_mib": max(s.tree_mib for s in row.samples),
            "exit": sorted({str(s.status) for s in row.samples}),
            "notes": _warnings(row.samples) + row.describe(row.samples),
        }
        table.append(entry)
    return table


# -- output -----------------------------------------------------------------------------
def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}x" if value >= 0.1 else f"1/{1 / value:.0f}" if value > 0 else "0"


def markdown(results: list[dict], info: dict[str, str], started: str, load: str) -> str:
    lines = [f"Benchmark run {started}, load average at start {load}.", ""]
    for key, value in info.items():
        lines.append(f"- {key}: {value}")
    for result in results:
        shape = "" if result.get("shape", "varied") == "varied" else f", {result['shape']} questions"
        lines += ["", f"### {result['size']:,} files ({result['bytes'] / 1e6:.1f} MB{shape}), median of {result['rounds']} rounds", "",
                  "| command | median s | vs check-jsonschema | vs own reference | peak RSS MiB | tree peak MiB | exit | notes |",
                  "|---|---:|---:|---:|---:|---:|---|---|"]
        for row in result["rows"]:
            if "skipped" in row:
                lines.append(f"| {row['command']} | {row['skipped']} | | | | | | |")
                continue
            own = f"{_ratio(row['vs_reference'])} of {row['reference'].split(' (')[0]}" if row["vs_reference"] is not None else ""
            each = row.get("rounds_vs_check_jsonschema") or []
            versus = _ratio(row["vs_check_jsonschema"]) + (f" (rounds {', '.join(_ratio(r) for r in each)})" if len(each) > 1 else "")
            lines.append(f"| {row['command']} | {row['median_s']:.2f} | {versus} | {own} | "
                         f"{row['peak_rss_mib']:.0f} | {row['tree_peak_mib']:.0f} | {', '.join(row['exit'])} | {row['notes']} |")
        lines += ["", f"Intended near-duplicate pairs in the bank: {result['intended_near_duplicate_pairs']}. {result['peer_check']}."]
    lines += ["", "Peak RSS is the child's own maximum (os.wait4); tree peak sums the RSS of the child and its "
              "descendants, sampled every 50 ms (shared pages counted once per process)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated bank sizes (default 10000,100000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; the table shows medians (default 3)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "qtool-bench"),
                        help="folder for banks (kept between runs), outputs and results (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--only", default="", metavar="KEY,...",
                        help="run only these rows (keys as in the log: check-cold, check-one, export-site, ...; the peer always runs)")
    parser.add_argument("--shape", choices=gen_corpus.SHAPES, default="varied",
                        help="corpus shape (default varied; similar: questions that share most of their words)")
    parser.add_argument("--timeout", type=float, default=None, help="kill any single run after this many seconds")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}")
    if not sizes or min(sizes) < 10 or args.rounds < 1:
        parser.error("each size must be at least 10 and --rounds at least 1")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    script = Path(python).parent / "qtool"
    qtool = [str(script)] if script.exists() else [python, "-m", "qtool"]
    env = tool_env()
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load = load_average()
    has = {name: has_command(qtool, name, env) for name in ("check", "export")}
    has["batch"] = "--batch-out" in subprocess.run([*qtool, "draft", "--help"], capture_output=True, text=True, env=env).stdout
    info = machine()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = []
    for size in sizes:
        results.append(measure(size, args.rounds, work, args.seed, qtool, python, has, env, args.timeout, log, args.shape,
                               frozenset(filter(None, args.only.split(",")))))
    report = markdown(results, info, started, load)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (work / f"results-{stamp}.md").write_text(report)
    (work / f"results-{stamp}.json").write_text(json.dumps({"machine": info, "load": load, "results": results}, indent=1))
    print(report)
    log(f"written to {work / f'results-{stamp}.md'} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
