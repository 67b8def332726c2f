"""Speed of intake and consolidation on many returns (issue 7's benchmark).

For each size N (default 1.000, 5.000, 10.000) the script builds a synthetic plan of N
communes (two-level hierarchy, province -> commune), each with 40 tasks and 60
indicators (55 entered, 5 ratios), writes one signed form with the real form writer,
and makes N filled returns from it (each with its own signed identity and distinct
values). Then, in a fresh child process per size (so peak memory is that size's own):

  pipeline  the intake half of `baocao collect` (collect.take_in: archive, read with a
            process pool over both cores, record in the ledger) and the consolidation
            (consolidate.from_ledger); wall time, peak memory, files per second;
  floor     python-calamine reading the same sheets of the same files, one process;
  baseline  pandas.read_excel(engine="openpyxl"), file by file, on a sample
            (extrapolated to N; the sample size is printed).

Targets: 10.000 returns in <= 30 s and <= 1,5 GiB; >= 10x the naive baseline; within
3x of the floor; time per file at 10.000 within 1,3x of 1.000.

Run: python bench/bench_collect.py [--sizes 1000,5000,10000] [--sample 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.forms import layout as formspec  # noqa: E402
from generator.plan.deadlines import parse_deadline  # noqa: E402
from generator.plan.periods import parse_period  # noqa: E402
from generator.plan.workbook import Indicator, Plan, Task, Unit  # noqa: E402

PERIOD = parse_period("2022-Q3")
TASKS, INDICATORS, RATIOS = 40, 60, 5
SENTINEL = "987654321"
VARIANTS = 64
GIB = 1 << 30


# --------------------------------------------------------------------------- synthetic data

def synthetic_plan(n_units: int) -> Plan:
    """N communes reporting on every task: the shape of a large two-level province."""
    units = {"SNV": Unit("SNV", "Sở Nội vụ", "Sở Nội vụ", "tinh", email="snv@example.vn")}
    for i in range(n_units):
        code = f"X{i:05d}"
        units[code] = Unit(code, f"UBND xã Thử Nghiệm {i}", f"Xã Thử Nghiệm {i}", "xa",
                           email=f"xa{i}@example.vn")
    codes = tuple(c for c in units if c != "SNV")
    dimensions = {d: (f"Nội dung thử nghiệm {d}", f"ND{d}") for d in range(1, 9)}
    phrases = ("Định kỳ hàng quý", "Thường xuyên", "Trước 30/9/2022", "Quý IV/2022")
    tasks = []
    for k in range(TASKS):
        tt = f"{k // 5 + 1}.{k % 5 + 1}"
        tasks.append(Task(tt, k // 5 + 1, f"Tổ chức thực hiện nhiệm vụ thử nghiệm số {k + 1} "
                          "về cải thiện chỉ số hiệu quả quản trị và hành chính công",
                          "UBND cấp xã", "", parse_deadline(phrases[k % 4]), leads=codes))
    indicators = []
    sums = INDICATORS - RATIOS
    for j in range(sums):
        indicators.append(Indicator(f"CT{j + 1:02d}", tasks[j % TASKS].tt,
                                    f"Số hồ sơ thử nghiệm loại {j + 1}", "hồ sơ", "sum"))
    for r in range(RATIOS):
        num, den = indicators[2 * r], indicators[2 * r + 1]
        indicators.append(Indicator(f"TL{r + 1}", num.task, f"Tỷ lệ thử nghiệm {r + 1}", "%",
                                    "ratio", num.code, den.code))
    details = {"number": "999/KH-TN", "date": dt.date(2022, 6, 30), "issuer": "UBND tỉnh Thử",
               "title": "Kế hoạch thử nghiệm", "focal_code": "SNV",
               "focal_email": "snv@example.vn"}
    return Plan(details, dimensions, tasks, units, indicators)


def _identity_fields(plan_version: str, plan_number: str, code: str, key: bytes) -> dict:
    fields = {"form_id": formspec.form_id(code, PERIOD.id, plan_version),
              "plan_number": plan_number, "plan_version": plan_version, "unit": code,
              "period": PERIOD.id, "template_version": formspec.TEMPLATE_VERSION}
    fields[formspec.SIGNATURE_FIELD] = formspec.sign(key, fields)
    return fields


def make_parts(plan: Plan, template: Path, seed: int = 1) -> dict:
    """The template's zip members plus VARIANTS filled report/indicator sheets, built once;
    each return then only needs its identity and one distinct value written in."""
    # Imported here, not at the top: the pool's workers (spawned) import this script, and
    # `baocao collect`'s workers import only the command line, not the demo and its pandas.
    from generator.demo import simulate

    form = simulate.FormParts(template)
    unit = plan.units["X00000"]
    first = next(i.code for i in plan.indicators if i.agg == "sum" and not any(
        r.num == i.code or r.den == i.code for r in plan.indicators if r.agg == "ratio"))
    variants = []
    for v in range(VARIANTS):
        values = simulate.plan_return(plan, unit, PERIOD, seed + v, simulate.ON_TIME,
                                      PERIOD.deadline("xa"))
        values["indicators"][first] = float(SENTINEL)
        variants.append(form.filled(values))
    identity = form.sheets[formspec.SHEET_IDENTITY]
    marks = {k: f"@@{k}@@" for k in ("form_id", "unit", formspec.SIGNATURE_FIELD)}
    id_xml = form.filled(identity=marks)[identity]
    infos, files = form.infos, form.files
    # The report sheet names its unit ("(mã đơn vị X00000)", intake's evidence against the
    # identity): each return names its own.
    shown = files["xl/sharedStrings.xml"].decode("utf-8")
    shown = shown.replace(f"(mã đơn vị {unit.code})", "(mã đơn vị @@unit@@)")
    shown = shown.replace(f">{unit.name.upper()}<", ">@@name@@<")
    return {"infos": infos, "files": files, "variants": variants, "identity": identity,
            "id_xml": id_xml, "version": plan.version, "number": plan.number,
            "strings": shown}


_PARTS: dict = {}


def _init_writer(parts, key):
    _PARTS.update(parts, key=key)


def _write_chunk(job) -> int:
    folder, start, stop = job
    p = _PARTS
    sent = dt.datetime(2022, 9, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
    for i in range(start, stop):
        code = f"X{i:05d}"
        fields = _identity_fields(p["version"], p["number"], code, p["key"])
        members = dict(p["files"])
        variant = p["variants"][i % VARIANTS]
        for member, xml in variant.items():
            members[member] = xml.replace(f"<v>{SENTINEL}</v>", f"<v>{i % 997 + 1}</v>")
        id_xml = p["id_xml"]
        for name in ("form_id", "unit", formspec.SIGNATURE_FIELD):
            id_xml = id_xml.replace(f"@@{name}@@", fields[name])
        members[p["identity"]] = id_xml
        members["xl/sharedStrings.xml"] = p["strings"].replace("@@unit@@", code).replace(
            "@@name@@", f"UBND XÃ THỬ NGHIỆM {i}")
        path = Path(folder) / f"{code}_xa-thu-nghiem_{PERIOD.id}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in p["infos"]:
                data = members[info.filename]
                out.writestr(info, data.encode("utf-8") if isinstance(data, str) else data,
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        os.utime(path, (sent, sent))
    return stop - start


def generate(root: Path, n: int) -> tuple[Path, float]:
    """A workspace with N returns in input/<period>/; (folder, seconds)."""
    from generator.forms import writer as forms
    from generator.workspace import find_workspace, init_workspace

    begin = time.perf_counter()
    init_workspace(root)
    ws = find_workspace(explicit=root)
    plan = synthetic_plan(n)
    template = forms.write_form(plan, "X00000", PERIOD, ws.secret_key(),
                                root / "mau" / "X00000.xlsx")
    parts = make_parts(plan, template)
    folder = ws.input_dir(PERIOD)
    folder.mkdir(parents=True, exist_ok=True)
    step = 250
    jobs = [(str(folder), s, min(n, s + step)) for s in range(0, n, step)]
    with ProcessPoolExecutor(2, initializer=_init_writer,
                             initargs=(parts, ws.secret_key())) as pool:
        assert sum(pool.map(_write_chunk, jobs)) == n
    return folder, time.perf_counter() - begin


# --------------------------------------------------------------------------- measuring

def peak_bytes() -> int:
    """Peak resident memory of this process and of its largest child (ru_maxrss, KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) * 1024  # both pool workers peak alike; this is an upper bound


def pipeline(root: Path, n: int) -> dict:
    """The real intake half of `baocao collect` (collect.take_in: archive, read on both
    cores, ledger) and the consolidation (consolidate.from_ledger), timed by phase."""
    from generator.collect import take_in
    from generator.consolidate.build import from_ledger
    from generator.ledger.store import Ledger
    from generator.workspace import find_workspace

    ws = find_workspace(explicit=root)
    plan = synthetic_plan(n)
    files = sorted(ws.input_dir(PERIOD).glob("*.xlsx"))
    times = {}
    begin = time.perf_counter()
    with Ledger(ws) as ledger, ledger.lock():
        receipts, _new = take_in(ledger, ws, plan, PERIOD, [ws.input_dir(PERIOD)])
    times["intake"] = time.perf_counter() - begin
    rejected = sum(1 for r in receipts if not r.accepted)
    mark = time.perf_counter()
    cons = from_ledger(ws, plan, PERIOD)
    times["consolidation"] = time.perf_counter() - mark
    wall = time.perf_counter() - begin
    return {"n": n, "files": len(files), "rejected": rejected, "wall": wall, **times,
            "received": int(cons.key["units_received"]), "peak": peak_bytes()}


def floor(files: list[Path]) -> float:
    """python-calamine reading the same sheets (every cell), one process; seconds."""
    from python_calamine import CalamineWorkbook

    begin = time.perf_counter()
    for path in files:
        book = CalamineWorkbook.from_path(str(path))
        for name in (formspec.SHEET_REPORT, formspec.SHEET_INDICATORS,
                     formspec.SHEET_IDENTITY):
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - begin


def baseline(files: list[Path]) -> float:
    """The naive way: pandas.read_excel with openpyxl, every sheet, file by file."""
    import pandas as pd

    begin = time.perf_counter()
    for path in files:
        pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
    return time.perf_counter() - begin


def child(root: Path, n: int, sample: int) -> None:
    """One size, in its own process: prints one JSON line."""
    result = pipeline(root, n)
    files = sorted((root / "input" / PERIOD.id).glob("*.xlsx"))
    result["floor"] = floor(files[:max(sample * 5, 1)]) * n / min(n, max(sample * 5, 1))
    result["baseline"] = baseline(files[:sample]) * n / min(n, sample)
    result["floor_sample"], result["baseline_sample"] = min(n, sample * 5), min(n, sample)
    print(json.dumps(result))


def fmt(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--sample", type=int, default=100,
                        help="files read by the baseline (the floor reads 5x as many)")
    parser.add_argument("--child", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.sample)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = []
    print(f"CPU: {os.cpu_count()} cores; {TASKS} tasks, {INDICATORS} indicators per return")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp:
            root = Path(tmp) / "ws"
            folder, made = generate(root, n)
            size = sum(p.stat().st_size for p in folder.iterdir())
            print(f"\nN = {fmt(n, 0)}: generated in {fmt(made)} s ({fmt(size / 1e6)} MB)",
                  flush=True)
            out = subprocess.run([sys.executable, __file__, "--child", str(root), str(n),
                                  "--sample", str(args.sample)], capture_output=True,
                                 text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            report(row)
    summary(rows)


def report(r: dict) -> None:
    n = r["n"]
    print(f"  pipeline wall   {fmt(r['wall'])} s  (intake and ledger {fmt(r['intake'])} s, "
          f"consolidation {fmt(r['consolidation'])} s)")
    print(f"  files/s         {fmt(n / r['wall'], 0)}   per file {fmt(1000 * r['wall'] / n, 2)} ms"
          f"   accepted {fmt(n - r['rejected'], 0)}, received in consolidation "
          f"{fmt(r['received'], 0)}")
    print(f"  peak memory     {fmt(r['peak'] / GIB, 2)} GiB (process + largest worker)")
    print(f"  floor (calamine, 1 process, {fmt(r['floor_sample'], 0)} files, extrapolated) "
          f"{fmt(r['floor'])} s  -> pipeline / floor = {fmt(r['wall'] / r['floor'], 2)}x")
    print(f"  baseline (pandas+openpyxl, {fmt(r['baseline_sample'], 0)} files, extrapolated) "
          f"{fmt(r['baseline'])} s  -> speed-up {fmt(r['baseline'] / r['wall'], 1)}x")


def summary(rows: list[dict]) -> None:
    by_n = {r["n"]: r for r in rows}
    print("\nTargets:")
    if 10000 in by_n:
        r = by_n[10000]
        print(f"  10.000 in <= 30 s:          {fmt(r['wall'])} s  "
              f"{'OK' if r['wall'] <= 30 else 'MISSED'}")
        print(f"  10.000 in <= 1,5 GiB:       {fmt(r['peak'] / GIB, 2)} GiB  "
              f"{'OK' if r['peak'] <= 1.5 * GIB else 'MISSED'}")
    for r in rows:
        speed = r["baseline"] / r["wall"]
        ratio = r["wall"] / r["floor"]
        print(f"  N={fmt(r['n'], 0)}: >= 10x baseline: {fmt(speed, 1)}x "
              f"{'OK' if speed >= 10 else 'MISSED'}; within 3x of floor: {fmt(ratio, 2)}x "
              f"{'OK' if ratio <= 3 else 'MISSED'}")
    if 1000 in by_n and 10000 in by_n:
        growth = (by_n[10000]["wall"] / 10000) / (by_n[1000]["wall"] / 1000)
        print(f"  per file 10.000 / 1.000 <= 1,3x: {fmt(growth, 2)}x "
              f"{'OK' if growth <= 1.3 else 'MISSED'}")


if __name__ == "__main__":
    main()
