"""Outputs from the ledger: `baocao report`, `collect --scope`, and the district's return
read back by the province's intake."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

import pytest
import smallplan as sp
from conftest import requires_soffice
from python_calamine import CalamineWorkbook

from generator.consolidate.build import from_ledger
from generator.errors import UsageError
from generator.ledger.store import Ledger
from generator.office import verify_pdf
from generator.plan.workbook import load_plan
from generator.render.outputs import build_outputs, rebuild
from generator.render.workbook import SHEETS
from generator.web import actions
from generator.web.jobs import Job
from generator.workspace import find_workspace, init_workspace


@pytest.fixture
def plan(workspace):
    """The small plan as the workspace's own plan workbook."""
    return sp.write_plan(workspace.plan_path)


@pytest.fixture
def filled(workspace, plan):
    sp.record(workspace, sp.submissions())
    return workspace


def sheet_values(path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_build_outputs_writes_the_workbook(filled, plan):
    paths = build_outputs(filled, plan, sp.PERIOD, pdf=False)
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3.xlsx"
    assert paths[0] == target and target.is_file()
    overview = sheet_values(target)[SHEETS["overview"]]
    assert ["Đơn vị phải báo cáo", 5] in [r[:2] for r in overview]  # not SNV: it compiles


def test_same_ledger_same_workbook(filled, plan):
    first = build_outputs(filled, plan, sp.PERIOD, pdf=False)[0].read_bytes()
    again = build_outputs(filled, plan, sp.PERIOD, pdf=False)[0].read_bytes()
    assert first == again


def test_report_command(filled, plan, run):
    result = run(["report", "-p", "2022-Q3", "--no-pdf"], filled)
    assert result.exit_code == 0, result.output
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3.xlsx"
    assert f"  đã ghi {target}" in result.output
    assert result.output.rstrip().endswith("tệp kết quả.")
    assert target.is_file()


def test_report_json(filled, plan, run):
    result = run(["--json", "report", "-p", "2022-Q3", "--no-pdf"], filled)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"period", "outputs"} and document["period"] == "2022-Q3"
    assert document["outputs"][0].endswith("TongHop_2022-Q3.xlsx")


def test_report_with_an_empty_ledger(workspace, plan, run):
    result = run(["report", "-p", "2022-Q3"], workspace)
    assert result.exit_code == 2
    assert result.stderr.startswith("Lỗi: Sổ theo dõi chưa có báo cáo nào của kỳ quý III năm "
                                    "2022 (2022-Q3). Chạy 'baocao collect -p 2022-Q3'")
    with pytest.raises(Exception, match="chưa có báo cáo nào"):
        rebuild(workspace, plan, sp.PERIOD)


def test_report_scope(filled, plan, run):
    result = run(["report", "-p", "2022-Q3", "--no-pdf", "--scope", "H1"], filled)
    assert result.exit_code == 0, result.output
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3_H1.xlsx"
    assert target.is_file()
    register = sheet_values(target)[SHEETS["submissions"]]
    assert [r[0] for r in register[5:]] == ["X1", "X2"]  # H1's Phòng Nội vụ compiles
    bad = run(["report", "-p", "2022-Q3", "--scope", "SA"], filled)
    assert bad.exit_code == 2
    assert "Mã 'SA' không phải đơn vị cấp huyện có đơn vị cấp xã trực thuộc" in bad.stderr


def test_collect_scope(filled, plan, run):
    """`collect --scope` with nothing new to read still rebuilds the district's return."""
    (filled.root / "input" / "2022-Q3").mkdir(parents=True)
    result = run(["--json", "collect", "-p", "2022-Q3", "--scope", "H1"], filled)
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.output)["outputs"]
    assert any(p.endswith("TongHop_2022-Q3_H1.xlsx") for p in outputs)
    bad = run(["collect", "-p", "2022-Q3", "--scope", "ZZ"], filled)
    assert bad.exit_code == 2 and "Mã 'ZZ'" in bad.stderr


def test_province_accepts_the_district_return(tmp_path, filled, plan):
    """Phòng Nội vụ of H1 builds its return; the province's intake reads it as H1's
    submission with X1 and X2 inside; X1 also reported directly with another CT1."""
    from generator.intake import read as intake
    district_return = build_outputs(filled, plan, sp.PERIOD, scope="H1", pdf=False)[0]
    # The province: its own workspace, same plan and signing key (communes' forms are
    # signed by the province, so the district works with the province's key).
    root = tmp_path / "tinh"
    init_workspace(root)
    shutil.copyfile(filled.state_dir / "secret.key", root / ".baocao" / "secret.key")
    province = find_workspace(explicit=root)
    shutil.copyfile(filled.plan_path, province.plan_path)
    province_plan = load_plan(province.plan_path)
    sub, found = intake.read_form(district_return, province_plan, sp.PERIOD,
                                  province.secret_key())
    assert sub is not None, [f.message for f in found]
    assert [f for f in found if f.severity == "error"] == []
    assert sub.unit == "H1" and sorted(c.unit for c in sub.children) == ["X1", "X2"]
    assert sub.tasks["2.1"].status == "Đã hoàn thành" and sub.indicators["CT3"] == 2
    x2 = next(c for c in sub.children if c.unit == "X2")
    assert x2.indicators == {"CT1": 1, "CT2a": 1, "CT2b": 5}
    others = sp.submissions()
    x1_own = others["X1"]
    x1_own.indicators = {"CT1": 6.0, "CT2a": 8.0, "CT2b": 10.0}  # disagrees with H1's 3
    with Ledger(province) as ledger:
        ledger.record(sp.PERIOD.id, "a" * 64, district_return.name, sp.at(14), sub, found)
        ledger.record(sp.PERIOD.id, "b" * 64, "X1.xlsx", sp.at(9), x1_own, [])
        ledger.record(sp.PERIOD.id, "c" * 64, "SA.xlsx", sp.at(14), others["SA"], [])
    cons = from_ledger(province, province_plan, sp.PERIOD)
    # Province CT1 = X1's own 6 + X2 (from H1's return) 1 = 7; CT3 = SA 5 + H1 2 = 7.
    values = cons.indicators[cons.indicators["area"] == ""].set_index("code")["value"]
    assert values["CT1"] == 7 and values["CT3"] == 7
    # H1's return has no CT1 of its own (not its task): nothing to reconcile for it; its
    # CT3 matches. Differences are only where the district reported a figure.
    assert cons.reconciliation.empty
    register = cons.submissions.set_index("unit")
    assert register.loc["X2", "state"] == "on_time" and register.loc["SB", "state"] == "missing"


def test_report_help_is_vietnamese(run):
    result = run(["report", "--help"])
    assert result.exit_code == 0
    assert "Viết lại bảng tổng hợp Excel và báo cáo Word" in result.output
    assert "Ví dụ:" in result.output and "baocao report -p 2022-Q3 --scope 080" in result.output
    assert "Cách dùng:" in result.output


# --------------------------------------------------------------------------- outputs that are
# what they say: written beside, checked, renamed; locked, read-only or full is exit 2


def baocao(workspace, *args, env=None):
    """The command in a real process: its own stderr, nothing swallowed."""
    return subprocess.run([sys.executable, "-m", "generator.cli.app", "-w", str(workspace.root),
                           *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def out_dir(workspace):
    return workspace.root / "output" / "2022-Q3"


def leftovers(folder):
    return sorted(p.name for p in folder.rglob(".tmp-*"))


def dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_outputs_share_one_mode_and_a_killed_runs_leftovers_go(filled, plan, run):
    folder = out_dir(filled)
    folder.mkdir(parents=True)
    gone = dead_pid()
    (folder / f".tmp-{gone}-a1b2.xlsx").write_bytes(b"half")
    (folder / f".tmp-{gone}-c3d4").mkdir()  # a PDF conversion's folder
    (folder / ".tmp-x7k2_q.xlsx").write_bytes(b"half")  # an older version's name
    mine = folder / f".tmp-{os.getpid()}-e5f6.docx"  # a run still going: kept
    mine.write_bytes(b"writing")
    result = run(["report", "-p", "2022-Q3", "--no-pdf"], filled)
    assert result.exit_code == 0, result.output
    assert leftovers(folder) == [mine.name]
    for name in ("TongHop_2022-Q3.xlsx", "BaoCao_2022-Q3.docx"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644


def test_a_report_that_cannot_be_replaced_is_named_and_the_rest_is_written(filled, plan, run,
                                                                           immutable):
    assert run(["report", "-p", "2022-Q3", "--no-pdf"], filled).exit_code == 0
    docx = out_dir(filled) / "BaoCao_2022-Q3.docx"
    before = docx.read_bytes()
    immutable(docx)  # as a file open in Word is on Windows
    result = baocao(filled, "report", "-p", "2022-Q3", "--no-pdf")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"Lỗi: Không ghi được {docx}: tệp đang mở trong chương "
                                    "trình khác? Đóng tệp rồi chạy lại")
    assert f"đã ghi {out_dir(filled) / 'TongHop_2022-Q3.xlsx'}" in result.stdout
    assert "BaoCao" not in result.stdout and "Traceback" not in result.stderr
    assert docx.read_bytes() == before and leftovers(out_dir(filled)) == []


@requires_soffice
def test_a_pdf_that_cannot_be_replaced_stays_old_and_is_named(filled, plan, run, immutable):
    assert run(["report", "-p", "2022-Q3", "--pdf"], filled).exit_code == 0
    pdf = out_dir(filled) / "BaoCao_2022-Q3.pdf"
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o644
    before = pdf.read_bytes()
    immutable(pdf)  # as a PDF open in a reader is on Windows
    result = baocao(filled, "report", "-p", "2022-Q3", "--pdf")
    assert result.returncode == 2
    assert f"Không ghi được {pdf}: tệp đang mở trong chương trình khác?" in result.stderr
    assert f"đã ghi {out_dir(filled) / 'BaoCao_2022-Q3.docx'}" in result.stdout
    assert ".pdf" not in result.stdout  # "đã ghi" only for what was written
    assert pdf.read_bytes() == before and leftovers(out_dir(filled)) == []


def test_a_read_only_output_folder_is_exit_2(filled, plan, small_disk):
    small_disk(filled.root / "output", 1024, read_only=True)
    result = baocao(filled, "report", "-p", "2022-Q3", "--no-pdf")
    assert result.returncode == 2, result.stderr
    assert "chỉ cho phép đọc" in result.stderr and "Traceback" not in result.stderr


def test_a_full_disk_is_exit_2_naming_the_folder(filled, plan, small_disk):
    small_disk(filled.root / "output", 16)
    result = baocao(filled, "report", "-p", "2022-Q3", "--no-pdf")
    assert result.returncode == 2, result.stderr
    assert f"ổ đĩa đã đầy (thư mục {out_dir(filled)})" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert not (out_dir(filled) / "TongHop_2022-Q3.xlsx").exists()
    assert leftovers(out_dir(filled)) == []


@requires_soffice
def test_a_disk_that_fills_during_the_pdf_leaves_no_pdf_and_says_so(filled, plan, run,
                                                                     small_disk, tmp_path):
    assert run(["report", "-p", "2022-Q3", "--pdf"], filled).exit_code == 0
    sizes = {p.suffix: p.stat().st_size for p in out_dir(filled).iterdir()}
    assert sizes[".pdf"] > 32 * 1024
    shutil.rmtree(filled.root / "output")
    room = sizes[".xlsx"] + sizes[".docx"] + 32 * 1024  # the workbook and report, not the PDF
    small_disk(filled.root / "output", room // 1024)
    result = baocao(filled, "report", "-p", "2022-Q3", "--pdf")
    assert result.returncode == 2, result.stderr
    pdf = out_dir(filled) / "BaoCao_2022-Q3.pdf"
    assert f"Không ghi được {pdf}: ổ đĩa đã đầy (thư mục {out_dir(filled)})" in result.stderr
    assert f"đã ghi {out_dir(filled) / 'BaoCao_2022-Q3.docx'}" in result.stdout
    assert not pdf.exists() and leftovers(out_dir(filled)) == []


def test_a_pdf_cut_short_is_never_taken(tmp_path):
    whole = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"x" * 20000
    cut = tmp_path / "BaoCao.pdf"
    cut.write_bytes(whole)  # no xref, no trailer: what a full disk leaves
    with pytest.raises(UsageError, match="BaoCao.pdf do LibreOffice tạo ra bị hỏng"):
        verify_pdf(cut)


def test_report_waits_for_a_collect_holding_the_lock(filled, plan, tmp_path):
    from test_ledger import HOLDER

    log = tmp_path / "log.txt"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(filled.root), str(log), "2"])
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and "start" in log.read_text()):
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.05)
        rebuild(filled, plan, sp.PERIOD, pdf=False)
        done = time.time()
    finally:
        assert holder.wait(timeout=60) == 0
    released = float(log.read_text().split()[-1])
    written = (out_dir(filled) / "TongHop_2022-Q3.xlsx").stat().st_mtime
    assert written >= released and done >= released


def test_the_pages_report_action_takes_the_lock_once(filled, plan):
    """The officer's page (issue 17) rebuilds through the same use case; report now takes
    the ledger lock itself, so the action must not hold it around the call (two holders in
    one process would wait for each other for ever)."""
    job = Job("x", "Viết lại", sp.PERIOD.id)
    worker = threading.Thread(target=actions.run_report, daemon=True,
                              args=(job, filled, plan, sp.PERIOD))
    worker.start()
    worker.join(120)
    assert not worker.is_alive()
    assert {p.name for p in job.files} >= {"TongHop_2022-Q3.xlsx", "BaoCao_2022-Q3.docx"}
