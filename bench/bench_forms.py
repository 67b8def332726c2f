"""Speed of `baocao forms`: every form of the default plan into a temporary workspace.

Prints the figures; the target is under 10 s for the ~181 units of the default plan.
Run: python bench/bench_forms.py [PERIOD]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from generator.forms.writer import write_forms
from generator.plan.default import DEFAULT_PLAN
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.workspace import find_workspace, init_workspace

TARGET_SECONDS = 10.0


def main(period_id: str = "2022-Q3") -> None:
    period = parse_period(period_id)
    started = time.perf_counter()
    plan = load_plan(DEFAULT_PLAN)
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        workspace = find_workspace(explicit=root)
        begin = time.perf_counter()
        paths = write_forms(workspace, plan, period)
        wall = time.perf_counter() - begin
        size = sum(p.stat().st_size for p in paths)
    print(f"plan load:      {loaded - started:.2f} s")
    print(f"units (forms):  {len(paths)}")
    print(f"wall time:      {wall:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    print(f"per form:       {1000 * wall / max(len(paths), 1):.1f} ms")
    print(f"total size:     {size / 1024:.0f} KiB")
    print("result:         " + ("OK" if wall < TARGET_SECONDS else "SLOWER THAN TARGET"))


if __name__ == "__main__":
    main(*sys.argv[1:2])
