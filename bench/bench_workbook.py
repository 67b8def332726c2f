"""Time the consolidation and the consolidated workbook for the full default plan.

    /work/venv/bin/python bench/bench_workbook.py [--pdf] [--out DIR]

Simulated submissions for every unit of the default plan (182 units, 39 tasks) come
from bench_report.simulate (seeded). Prints the time to consolidate, to write
TongHop_<period>.xlsx (and, with --pdf, to open and print it in LibreOffice).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report import simulate, time_pdf  # noqa: E402

from generator.consolidate.build import consolidate  # noqa: E402
from generator.plan.default import DEFAULT_PLAN  # noqa: E402
from generator.plan.periods import parse_period  # noqa: E402
from generator.plan.workbook import load_plan  # noqa: E402
from generator.render.workbook import write_workbook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", action="store_true", help="also convert to PDF (timed apart)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    plan = load_plan(DEFAULT_PLAN)
    period = parse_period("2022-Q3")
    submissions, status = simulate(plan, period)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        start = time.perf_counter()
        cons = consolidate(plan, period, submissions, status)
        consolidated = time.perf_counter()
        target = write_workbook(cons, out / f"TongHop_{period.id}.xlsx")
        written = time.perf_counter()
        print(f"units: {len(status.units)}, submissions: {len(submissions)}, "
              f"tasks: {len(cons.tasks)}, task-unit rows: {len(cons.task_units)}")
        print(f"consolidate:    {consolidated - start:.2f} s")
        print(f"write workbook: {written - consolidated:.2f} s, "
              f"{target.stat().st_size // 1024} KiB")
        if args.pdf:
            time_pdf(target, out)


if __name__ == "__main__":
    main()
