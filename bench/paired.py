#!/usr/bin/env python3
"""Compare two revisions of qtool on one bank, run against run (by hand, not in CI).

    python bench/paired.py REV_A REV_B [--rounds 10] [--size 10000] [--shape similar] [--bank DIR] [-- ARGS...]

A shared machine's speed drifts by a third within the hour, so two medians taken minutes apart
cannot tell a 3% change from the drift; runs taken back to back can. Each round runs both
revisions one after the other, A then B in odd rounds and B then A in even ones (neither always
runs second), each cold (``.qtool-cache/`` removed first, unless ``--warm``); the report gives each
revision's median wall and CPU time (user + system, its workers included) and the median of the
rounds' differences B - A, with the number of rounds B was quicker.

A revision is anything git names (a commit, a branch, ``HEAD~2``) or ``.``, the working tree
as it is. Its ``tools/`` is exported from git into a temporary folder and run with this
interpreter (``python -m qtool ARGS``, default ``check``), so both revisions share every
installed library. The bank is ``--bank``, else one ``run.py`` builds (``--size``, ``--shape``, ``--seed``).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import run as harness  # noqa: E402

#: The revision that means the working tree, uncommitted changes included.
WORKING_TREE = "."


class PairedError(Exception):
    """The comparison cannot run: one line for the user, exit status 2."""


@dataclass(frozen=True)
class Comparison:
    """What the rounds of two revisions show."""

    median_a: float
    median_b: float
    cpu_a: float
    cpu_b: float
    #: The median and mean of the rounds' wall-time differences B - A (negative: B is quicker).
    median_difference: float
    mean_difference: float
    quicker: int
    rounds: int


def compare(walls_a: Sequence[float], walls_b: Sequence[float], cpus_a: Sequence[float], cpus_b: Sequence[float]) -> Comparison:
    """The medians of each revision's rounds and of their paired differences (round i of A with round i of B)."""
    if not walls_a or len(walls_a) != len(walls_b):
        raise ValueError("both revisions need the same number of rounds, at least one")
    differences = [b - a for a, b in zip(walls_a, walls_b)]
    return Comparison(statistics.median(walls_a), statistics.median(walls_b), statistics.median(cpus_a),
                      statistics.median(cpus_b), statistics.median(differences), statistics.fmean(differences),
                      sum(d < 0 for d in differences), len(differences))


def report(name_a: str, name_b: str, result: Comparison) -> str:
    """The comparison as a small Markdown table and one closing line."""
    share = result.median_difference / result.median_a if result.median_a else 0.0
    return "\n".join([
        "| revision | median wall s | median CPU s |",
        "|---|---:|---:|",
        f"| A {name_a} | {result.median_a:.3f} | {result.cpu_a:.3f} |",
        f"| B {name_b} | {result.median_b:.3f} | {result.cpu_b:.3f} |",
        "",
        f"B - A, paired by round: median {result.median_difference:+.3f} s ({share:+.1%}), mean "
        f"{result.mean_difference:+.3f} s; B quicker in {result.quicker} of {result.rounds} rounds.",
    ])


def export(revision: str, into: Path) -> Path:
    """The folder holding ``revision``'s package (``tools/``): the working tree's own, or one exported from git into ``into``."""
    if revision == WORKING_TREE:
        return REPO / "tools"
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", revision, "tools"], capture_output=True)
    if archive.returncode != 0:
        why = archive.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PairedError(f"cannot export {revision!r} from git: {why[-1] if why else 'git archive failed'}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)  # git's own archive of this repository
    return into / "tools"


def rounds_of(run: Callable[[Path], harness.Sample], trees: tuple[Path, Path], rounds: int,
              log: Callable[[str], None]) -> tuple[list[harness.Sample], list[harness.Sample]]:
    """Each revision's samples, round by round: A then B in odd rounds, B then A in even ones."""
    samples: tuple[list[harness.Sample], list[harness.Sample]] = ([], [])
    for number in range(1, rounds + 1):
        order = (0, 1) if number % 2 else (1, 0)
        for side in order:
            sample = run(trees[side])
            if isinstance(sample.status, str):
                raise PairedError(f"revision {'AB'[side]} did not finish: {sample.status}")
            samples[side].append(sample)
            log(f"round {number}: {'AB'[side]} {sample.seconds:.3f} s, CPU {sample.cpu:.3f} s, exit {sample.status}")
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs=2, metavar="REV", help="the two revisions (git names, or '.' for the working tree)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds, each running both revisions (default 10)")
    parser.add_argument("--bank", default=None, help="the bank's root (default: the bank run.py builds for --size and --shape)")
    parser.add_argument("--size", type=int, default=10000, help="files in the bank run.py builds (default 10000)")
    parser.add_argument("--shape", choices=harness.gen_corpus.SHAPES, default="varied", help="its shape (default varied)")
    parser.add_argument("--seed", type=int, default=1, help="its seed (default 1)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "qtool-bench"),
                        help="where run.py keeps its banks (default: %(default)s)")
    parser.add_argument("--warm", action="store_true", help="keep .qtool-cache/ between runs (default: remove it before each)")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)  # qtool's own arguments follow "--" (default: check)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:] or ["check"]
    if args.rounds < 1 or args.size < 10:
        parser.error("--rounds must be at least 1 and --size at least 10")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        bank = Path(args.bank).resolve() if args.bank else harness.build_bank(args.size, Path(args.work).resolve(), args.seed, args.shape)[0]
        if not (bank / "questions").is_dir():
            raise PairedError(f"{bank} holds no questions/ folder")
        env = harness.tool_env()
        with tempfile.TemporaryDirectory(prefix="qtool-paired-") as folder:
            trees = (export(args.revisions[0], Path(folder) / "a"), export(args.revisions[1], Path(folder) / "b"))

            def run(tree: Path) -> harness.Sample:
                if not args.warm:
                    shutil.rmtree(bank / harness.CACHE_DIR, ignore_errors=True)
                return harness.run_child([sys.executable, "-m", "qtool", *command], bank, None, {**env, "PYTHONPATH": str(tree)})

            for tree in trees:  # one run each first, not counted: byte code compiled, the bank in the page cache
                run(tree)
            load = harness.load_average()
            first, second = rounds_of(run, trees, args.rounds, log)
    except PairedError as exc:
        print(f"paired: {exc}", file=sys.stderr)
        return 2
    result = compare([s.seconds for s in first], [s.seconds for s in second], [s.cpu for s in first], [s.cpu for s in second])
    print(f"qtool {' '.join(command)} on {bank} ({'warm' if args.warm else 'cold'}), {args.rounds} rounds, load average "
          f"at start {load}.\n")
    print(report(*args.revisions, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
