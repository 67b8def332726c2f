"""Speed of the file screen and the legacy-text check, the two things intake runs on
every file and every text cell.

  * screen: safety.screen on N copies of a real form (one process), per file and per
    10.000 files; plus one zip bomb (8 MB of zeros in KB), to show it is not decompressed;
  * legacy: legacy.detect_and_convert on Unicode, ASCII, TCVN3 and VNI cell texts.
Run: python bench/bench_safety.py [N]   (default 2000)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from generator.forms.writer import write_form
from generator.intake import safety
from generator.intake.legacy import detect_and_convert
from generator.plan.default import DEFAULT_PLAN
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan

TEXTS = {
    "ascii": "Da to chuc 2 hoi nghi tuyen truyen",
    "unicode": "Đã tổ chức 2 hội nghị tuyên truyền, phổ biến pháp luật cho người dân",
    "tcvn3": "§· tæ chøc 2 héi nghÞ tuyªn truyÒn, phæ biÕn ph¸p luËt cho ng\xadêi d©n",
    "vni": "Ñaõ toå chöùc 2 hoäi nghò tuyeân truyeàn, phoå bieán phaùp luaät cho ngöôøi daân",
}


def bench_screen(count: int, folder: Path) -> None:
    form = write_form(load_plan(DEFAULT_PLAN), "STP", parse_period("2022-Q3"),
                      bytes(32), folder / "form.xlsx")
    paths = [shutil.copyfile(form, folder / f"f{i}.xlsx") for i in range(count)]
    start = time.perf_counter()
    results = [safety.screen(p) for p in paths]
    elapsed = time.perf_counter() - start
    assert not any(results), results[0]
    print(f"screen: {count} forms in {elapsed:.2f} s = {elapsed / count * 1000:.2f} ms/file, "
          f"{elapsed / count * 10000:.1f} s per 10.000 files (1 process)")
    bomb = folder / "bomb.xlsx"
    with zipfile.ZipFile(form) as old, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, old.read(item.filename))
        new.writestr("xl/media/big.bin", b"\x00" * (8 << 20))
    start = time.perf_counter()
    codes = [f.code for f in safety.screen(bomb)]
    print(f"screen: zip bomb ({bomb.stat().st_size // 1024} KB holding 8 MB) -> {codes} in "
          f"{(time.perf_counter() - start) * 1000:.2f} ms")


def bench_legacy(rounds: int = 20000) -> None:
    for name, text in TEXTS.items():
        start = time.perf_counter()
        for _ in range(rounds):
            converted, encoding = detect_and_convert(text)
        elapsed = time.perf_counter() - start
        print(f"legacy: {name:8s} {elapsed / rounds * 1e6:7.2f} µs/cell -> {encoding}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory(prefix="baocao-bench-") as tmp:
        bench_screen(count, Path(tmp))
    bench_legacy()


if __name__ == "__main__":
    main()
