"""Time the Word report for the full default plan with simulated submissions.

    /work/venv/bin/python bench/bench_report.py [--pdf] [--out DIR]

Every unit of the default plan (182 units, 39 tasks, 101 indicators) gets a
submission built in code with a seeded random (most on time, some late, missing or
rejected); the script prints the time to consolidate, to build the context (text
and charts) and to render the .docx (target: render under 3 s, PDF excluded).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.consolidate.build import consolidate  # noqa: E402
from generator.demo import simulate as sim  # noqa: E402
from generator.ledger.status import StatusReport, UnitStatus  # noqa: E402
from generator.model import Receipt, Submission, TaskReport  # noqa: E402
from generator.plan.default import DEFAULT_PLAN  # noqa: E402
from generator.plan.periods import parse_period  # noqa: E402
from generator.plan.workbook import load_plan  # noqa: E402
from generator.render import wordreport  # noqa: E402
from generator.vocab import LATE, MISSING, ON_TIME, REJECTED  # noqa: E402
from generator.workspace import find_workspace, init_workspace  # noqa: E402


def simulate(plan, period, seed: int = 2022):
    """(submissions, status report) for every unit with tasks: the demo's simulated values
    (generator.simulate), as the ledger would hold them, without writing any file."""
    codes = [code for code in plan.units if plan.tasks_for(code)]
    kinds = sim.assign_kinds(codes, seed, xls=False)
    submissions, statuses = [], []
    for code in codes:
        unit, kind = plan.units[code], kinds[code]
        deadline = period.deadline(unit.level)
        if kind == sim.MISSING:
            statuses.append(UnitStatus(code, MISSING.key, deadline))
            continue
        values = sim.plan_return(plan, unit, period, seed, kind, deadline)
        state = {sim.LATE: LATE, sim.REJECTED: REJECTED}.get(kind, ON_TIME).key
        receipt = Receipt(f"{code}_{period.id}.xlsx", f"{code:0>64}"[:64], period.id,
                          values["received_at"], code, state != REJECTED.key)
        statuses.append(UnitStatus(code, state, deadline, receipt))
        if state == REJECTED.key:
            continue
        tasks = {tt: TaskReport(tt, role, **values["tasks"][tt])
                 for tt, role in ((t.tt, r) for t, r in plan.tasks_for(code))}
        submissions.append(Submission(code, period.id, tasks=tasks,
                                      indicators=values["indicators"], **values["fields"]))
    return submissions, StatusReport(period.id, statuses)


def time_pdf(target: Path, out: Path) -> None:
    """Convert with the real LibreOffice and print how long it took."""
    from generator import office

    start = time.perf_counter()
    pdf = office.convert(target, "pdf", out)
    print(f"pdf (LibreOffice): {time.perf_counter() - start:.2f} s -> {pdf}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", action="store_true", help="also convert to PDF (timed apart)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    plan = load_plan(DEFAULT_PLAN)
    period = parse_period("2022-Q3")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        root = Path(tmp) / "ws"
        init_workspace(root)
        workspace = find_workspace(explicit=root)
        submissions, status = simulate(plan, period)
        start = time.perf_counter()
        cons = consolidate(plan, period, submissions, status)
        consolidated = time.perf_counter()
        config = {**workspace.section("report"), "deadline_days": workspace.deadline_days}
        context = wordreport.build_context(cons, config)
        built = time.perf_counter()
        data = wordreport.render(workspace.template("bao-cao.docx"), context)
        rendered = time.perf_counter()
        target = out / f"BaoCao_{period.id}.docx"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"units: {len(status.units)}, submissions: {len(submissions)}, "
              f"tasks: {len(plan.tasks)}, indicators: {len(plan.indicators)}")
        print(f"consolidate:   {consolidated - start:.2f} s")
        print(f"build_context: {built - consolidated:.2f} s (text and 3 charts)")
        print(f"render docx:   {rendered - built:.2f} s")
        print(f"report total:  {rendered - consolidated:.2f} s (target < 3 s), "
              f"{len(data) // 1024} KiB")
        if args.pdf:
            time_pdf(target, out)


if __name__ == "__main__":
    main()
