"""Speed of intake: read N returned forms with intake_pool.read_many against raw calamine.

Makes filled forms for a few units of the default plan (forms.write_form, filled with
openpyxl the way an officer would), copies them to N files, then times
  * raw:    calamine opening each file and reading the sheets intake needs, 2 processes;
  * intake: intake_pool.read_many (screen, identity, rows, rules), 2 workers.
The target: 10.000 files in <= 30 s on 2 cores, intake within 3x of raw.
Run: python bench/bench_intake.py [N]   (default 2000; the figures scale linearly)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from generator.forms import layout as formspec
from generator.forms.writer import write_form
from generator.intake import pool as intake_pool
from generator.intake import read as intake
from generator.intake.safety import screen
from generator.plan.default import DEFAULT_PLAN
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.vocab import STATUS_ONGOING

UNITS = ("STP", "SYT", "080", "02635")
KEY = bytes(range(32))
TARGET_PER_10K = 30.0
TARGET_RATIO = 3.0


def filled_form(plan, period, unit: str, path: Path) -> Path:
    write_form(plan, unit, period, KEY, path)
    book = openpyxl.load_workbook(path)
    sheet = book[formspec.SHEET_REPORT]
    labels = {formspec.REPORT_COLUMNS[k]: k for k in ("tt", "status", "result")}
    head = next(r for r in sheet.iter_rows() if any(c.value in labels for c in r))
    cols = {labels[c.value]: c.column for c in head if c.value in labels}
    tts = {t.tt for t, _ in plan.tasks_for(unit)}
    for row in range(head[0].row + 1, sheet.max_row + 1):
        if sheet.cell(row, cols["tt"]).value in tts:
            sheet.cell(row, cols["status"]).value = STATUS_ONGOING
            sheet.cell(row, cols["result"]).value = "Đã triển khai theo kế hoạch"
    book.save(path)
    return path


def raw_read(path: str) -> int:
    book = CalamineWorkbook.from_path(path)
    cells = 0
    for name in (formspec.SHEET_IDENTITY, formspec.SHEET_REPORT, formspec.SHEET_INDICATORS):
        cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python())
    return cells


def main(count: int = 2000) -> None:
    plan = load_plan(DEFAULT_PLAN)
    period = parse_period("2022-Q3")
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        bases = [filled_form(plan, period, u, folder / f"base-{u}.xlsx") for u in UNITS]
        paths = []
        for index in range(count):
            target = folder / f"f{index:05d}.xlsx"
            shutil.copyfile(bases[index % len(bases)], target)
            paths.append(target)
        begin = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as pool:
            list(pool.map(raw_read, [str(p) for p in paths], chunksize=64))
        raw = time.perf_counter() - begin
        begin = time.perf_counter()
        results = intake_pool.read_many(paths, plan, period, KEY, workers=2)
        wall = time.perf_counter() - begin
        sample = paths[:200]  # one process, same conditions: where the time goes
        serial = {}
        for label, step in (("raw", lambda p: raw_read(str(p))), ("screen", screen),
                            ("read_form", lambda p: intake.read_form(p, plan, period, KEY))):
            begin = time.perf_counter()
            for path in sample:
                step(path)
            serial[label] = 1000 * (time.perf_counter() - begin) / len(sample)
    accepted = sum(sub is not None for _p, sub, _f in results)
    per_10k = wall * 10_000 / count
    print(f"files:            {count} ({accepted} accepted)")
    print(f"raw calamine:     {raw:.2f} s ({1000 * raw / count:.2f} ms per file, 2 processes)")
    print(f"intake_pool.read_many: {wall:.2f} s ({1000 * wall / count:.2f} ms per file, 2 workers)")
    print(f"one process:      raw {serial['raw']:.2f} ms, read_form {serial['read_form']:.2f} ms "
          f"per file, of which safety.screen {serial['screen']:.2f} ms; read_form without "
          f"screen = {(serial['read_form'] - serial['screen']) / serial['raw']:.1f}x raw")
    print(f"ratio:            {wall / raw:.2f}x raw (target <= {TARGET_RATIO:.0f}x)")
    print(f"for 10.000 files: {per_10k:.1f} s (target <= {TARGET_PER_10K:.0f} s)")
    ok = per_10k <= TARGET_PER_10K and wall / raw <= TARGET_RATIO
    print("result:           " + ("OK" if ok else "SLOWER THAN TARGET"))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
