"""The collect benchmark of this tree against an earlier commit, on the same machine, in turns.

A time measured on another day is no yardstick on a shared machine: on 30/11/2026 the commit
that measured 25,4 s for 10.000 returns on 25/11 (9b671b2) measured 62 s. This script checks
"no regression" the only fair way: it checks the reference commit out into a temporary git
worktree, then runs bench/bench_collect.py of each tree in turn (reference, this tree,
reference, ...), so both meet the same machine, and prints each run and the medians.

Run: python bench/bench_against.py [--ref 9b671b2] [--size 10000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_collect import fmt  # Vietnamese number style, as the collect bench prints

ROOT = Path(__file__).resolve().parent.parent
# "  pipeline wall   62,3 s  (intake and ledger 50,5 s, consolidation 11,8 s)"
WALL = re.compile(r"pipeline wall\s+([\d.,]+) s\s+\(intake and ledger ([\d.,]+) s, "
                  r"consolidation ([\d.,]+) s\)")


def number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def run(tree: Path, size: int) -> tuple[float, float, float]:
    """(pipeline, intake, consolidation) seconds of one bench_collect run in `tree`."""
    out = subprocess.run([sys.executable, "bench/bench_collect.py", "--sizes", str(size),
                          "--sample", "1"], cwd=tree, capture_output=True, text=True,
                         check=True).stdout
    match = WALL.search(out)
    if match is None:
        raise SystemExit(f"no 'pipeline wall' line in the output of {tree}:\n{out}")
    return tuple(number(g) for g in match.groups())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="9b671b2", help="the commit to compare with")
    parser.add_argument("--size", type=int, default=10000, help="returns per run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each tree")
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        ref_tree = Path(tmp) / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", str(ref_tree), args.ref],
                       cwd=ROOT, capture_output=True, check=True)
        try:
            trees = {f"{args.ref} (tham chiếu)": ref_tree, f"{head} (cây này)": ROOT}
            times: dict[str, list[tuple[float, float, float]]] = {k: [] for k in trees}
            for round_ in range(1, args.rounds + 1):
                for label, tree in trees.items():
                    times[label].append(run(tree, args.size))
                    wall, intake, cons = times[label][-1]
                    print(f"lượt {round_}  {label:24s} {fmt(wall):>6s} s  (đọc và ghi sổ "
                          f"{fmt(intake)} s, tổng hợp {fmt(cons)} s)", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref_tree)], cwd=ROOT,
                           capture_output=True)
    print(f"\nTrung vị ở {fmt(args.size, 0)} tệp:")
    medians = {k: statistics.median(w for w, _i, _c in v) for k, v in times.items()}
    for label, value in medians.items():
        print(f"  {label:24s} {fmt(value):>6s} s")
    ref, this = medians.values()
    print(f"  cây này / tham chiếu = {this / ref:.2f}".replace(".", ",")
          + ("  (không chậm hơn)" if this <= ref else "  (CHẬM HƠN)"))


if __name__ == "__main__":
    main()
