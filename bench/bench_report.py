"""Time the Word report for the full default plan with simulated submissions.

    /work/venv/bin/python bench/bench_report.py [--pdf] [--out DIR]

Every unit of the default plan (181 units, 39 tasks, 101 indicators) gets a
submission built in code with a seeded random (most on time, some late, missing or
rejected); the script prints the time to consolidate, to build the context (text
and charts) and to render the .docx (target: render under 3 s, PDF excluded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator import wordreport  # noqa: E402
from generator.collect import LATE, MISSING, ON_TIME, REJECTED, StatusReport, UnitStatus  # noqa: E402
from generator.consolidate import consolidate  # noqa: E402
from generator.default_plan import DEFAULT_PLAN  # noqa: E402
from generator.model import STATUSES, Receipt, Submission, TaskReport  # noqa: E402
from generator.periods import parse_period  # noqa: E402
from generator.plan import load_plan  # noqa: E402
from generator.workspace import find_workspace, init_workspace  # noqa: E402

RESULTS = ("Đã tổ chức {n} hội nghị tuyên truyền tại các thôn, bản với sự tham gia của "
           "người dân", "Đã niêm yết công khai {n} thủ tục hành chính tại bộ phận một cửa",
           "Đã ban hành {n} văn bản chỉ đạo, hướng dẫn triển khai", "")
DIFFICULTIES = ("Địa bàn rộng, giao thông đi lại khó khăn", "Thiếu kinh phí thực hiện",
                "Cán bộ kiêm nhiệm nhiều việc", "")


def simulate(plan, period, seed: int = 2022):
    """(submissions, status report) for every unit with tasks, from a seeded random."""
    rng = random.Random(seed)
    submissions, statuses = [], []
    for unit in plan.units.values():
        tasks = plan.tasks_for(unit.code)
        if not tasks:
            continue
        deadline = period.deadline(unit.level)
        state = rng.choices((ON_TIME, LATE, MISSING, REJECTED), (80, 8, 10, 2))[0]
        if state == MISSING:
            statuses.append(UnitStatus(unit.code, state, deadline))
            continue
        shift = rng.randint(-6, 0) if state != LATE else rng.randint(1, 5)
        at = dt.datetime.combine(deadline + dt.timedelta(days=shift), dt.time(9))
        receipt = Receipt(f"{unit.code}_{period.id}.xlsx", f"{unit.code:0>64}"[:64], period.id,
                          at, unit.code, state != REJECTED)
        statuses.append(UnitStatus(unit.code, state, deadline, receipt))
        if state == REJECTED:
            continue
        reports = {}
        for task, role in tasks:
            status = rng.choices(STATUSES, (55, 30, 12, 3))[0]
            result = rng.choice(RESULTS).format(n=rng.randint(1, 40))
            reports[task.tt] = TaskReport(task.tt, role, status, result=result,
                                          difficulty=rng.choice(DIFFICULTIES))
        values = {}
        for ind in plan.indicators_for(unit.code):
            if ind.agg != "ratio":
                values[ind.code] = float(rng.randint(0, 60))
        for ind in plan.indicators_for(unit.code):
            if ind.agg == "ratio" and ind.num in values and ind.den in values:
                values[ind.den] = values[ind.num] + float(rng.randint(0, 20))
        submissions.append(Submission(unit.code, period.id, tasks=reports, indicators=values,
                                      difficulties=rng.choice(DIFFICULTIES),
                                      proposals=rng.choice(("Đề nghị bổ sung kinh phí tuyên "
                                                            "truyền", "", ""))))
    return submissions, StatusReport(period.id, statuses)


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
            from generator import office

            start = time.perf_counter()
            pdf = office.convert(target, "pdf", out)
            print(f"pdf (LibreOffice): {time.perf_counter() - start:.2f} s -> {pdf}")


if __name__ == "__main__":
    main()
