"""`baocao collect` (intake half) end to end: real forms, real intake, real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from email.message import EmailMessage

import openpyxl
import pytest
from conftest import header_columns

from generator.collect import collect
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.intake.receive import Incoming, guess_unit
from generator.ledger.store import ARRIVALS_LOG, Ledger, read_arrivals
from generator.plan.periods import parse_period
from generator.vocab import unit_file_name

PERIOD = parse_period("2022-Q3")
VN = dt.timezone(dt.timedelta(hours=7))
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def stamp(path, day: int, hour: int = 9):
    moment = dt.datetime(2022, 9, day, hour, tzinfo=VN).timestamp()
    os.utime(path, (moment, moment))
    return path


def fill(path, tts, result: str = "Đã tổ chức 2 hội nghị tuyên truyền"):
    """Fill a form the way a careful officer would: every task, indicator and signature."""
    book = openpyxl.load_workbook(path)
    cols = formspec.REPORT_COLUMNS
    report = book[formspec.SHEET_REPORT]
    head, at = header_columns(report, [cols["tt"], cols["status"], cols["result"]])
    for row in range(head + 1, report.max_row + 1):
        if str(report.cell(row, at[cols["tt"]]).value).strip() in tts:  # rows found by TT
            report.cell(row, at[cols["status"]]).value = "Đang thực hiện"
            report.cell(row, at[cols["result"]]).value = result
    values = {"preparer": "Nguyễn Thị Hoa", "phone": "0912 345 678", "head": "Lò Văn Sáng",
              "difficulties": "Không", "proposals": "Không"}
    for field, label in formspec.UNIT_FIELDS.items():
        for row in report.iter_rows():
            for cell in row:
                if str(cell.value or "").strip().rstrip(":") == label and field in values:
                    report.cell(cell.row, cell.column + 1).value = values[field]
    if formspec.SHEET_INDICATORS in book.sheetnames:
        sheet = book[formspec.SHEET_INDICATORS]
        icols = formspec.INDICATOR_COLUMNS
        head, at = header_columns(sheet, [icols["code"], icols["value"]])
        for row in range(head + 1, sheet.max_row + 1):
            if sheet.cell(row, at[icols["code"]]).value not in (None, ""):
                sheet.cell(row, at[icols["value"]]).value = 0
    book.save(path)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory, default_plan):
    """Filled forms for three units, made once, signed with a fixed key."""
    folder = tmp_path_factory.mktemp("forms")
    key = bytes(range(32))
    out = {}
    for code in ("STP", "SYT", "02635"):
        path = folder / unit_file_name(default_plan.units[code], PERIOD)
        forms.write_form(default_plan, code, PERIOD, key, path)
        out[code] = fill(path, {t.tt for t, _ in default_plan.tasks_for(code)})
    out["STP-v2"] = fill(shutil.copy(out["STP"], folder / "v2.xlsx"),
                         {t.tt for t, _ in default_plan.tasks_for("STP")},
                         "Đã tổ chức 5 hội nghị")
    return key, out


@pytest.fixture
def ws(workspace, made):
    key, _ = made
    (workspace.state_dir / "secret.key").write_text(key.hex())
    workspace.input_dir(PERIOD).mkdir(parents=True)
    return workspace


def put(ws, made, code, day, name=None):
    source = made[1][code]
    target = ws.input_dir(PERIOD) / (name or source.name)
    shutil.copyfile(source, target)
    return stamp(target, day)


def db_dump(ws):
    with Ledger(ws) as ledger:
        return ledger.dump()


def test_collect_records_archives_and_is_idempotent(ws, made, default_plan):
    put(ws, made, "STP", 12)
    put(ws, made, "SYT", 13)
    (ws.input_dir(PERIOD) / "SGDDT_hong.xlsx").write_bytes(b"day khong phai bang tinh")
    first = collect(ws, default_plan, PERIOD)
    assert [r.unit for r in first.accepted] == ["STP", "SYT"], [
        f.message for r in first.receipts for f in r.findings]
    assert [r.file_name for r in first.rejected] == ["SGDDT_hong.xlsx"]
    # The unit of the rejected file is told why, in a workbook holding only the list.
    (answer,) = first.feedback
    assert answer.name == unit_file_name(default_plan.units["SGDDT"], PERIOD)
    listing = openpyxl.load_workbook(answer)
    assert listing.sheetnames == ["Phản hồi"]
    assert listing["Phản hồi"]["B6"].value == "F003"
    dump = db_dump(ws)
    archive = sorted(p.relative_to(ws.state_dir) for p in (ws.state_dir / "archive").rglob("*.*"))
    log = ws.state_dir / "archive" / ARRIVALS_LOG
    # The rejected file is kept too, each with its arrival in the log (for `ledger rebuild`).
    assert len([p for p in archive if p.name != ARRIVALS_LOG]) == 3 and len(archive) == 4
    assert sorted(a["file_name"] for a in read_arrivals(log.parent)) == sorted(
        r.file_name for r in first.receipts)
    logged = log.read_bytes()

    answered = answer.read_bytes()
    again = collect(ws, default_plan, PERIOD, pdf=False)
    assert again.new == 0 and len(again.receipts) == 3
    assert again.feedback == [answer] and answer.read_bytes() == answered  # same bytes
    assert db_dump(ws) == dump
    assert sorted(p.relative_to(ws.state_dir)
                  for p in (ws.state_dir / "archive").rglob("*.*")) == archive
    assert log.read_bytes() == logged  # the same arrivals again: nothing appended
    with Ledger(ws) as ledger:
        subs = ledger.current_submissions(PERIOD.id)
        stored = {r.file_name: r for r in ledger.receipts(PERIOD.id)}
    assert [s.unit for s in subs] == ["STP", "SYT"]
    assert stored["SGDDT_hong.xlsx"].unit == "SGDDT" and not stored["SGDDT_hong.xlsx"].accepted
    assert stored["SGDDT_hong.xlsx"].findings  # the reason is kept with the file
    assert stored["SGDDT_hong.xlsx"].received_at.date() == dt.date.today()


def test_later_file_supersedes_and_same_file_twice_is_one(ws, made, default_plan):
    put(ws, made, "STP", 10)
    put(ws, made, "STP", 11, name="ban-sao.xlsx")  # same bytes under another name
    collect(ws, default_plan, PERIOD, pdf=False)
    put(ws, made, "STP-v2", 14)
    result = collect(ws, default_plan, PERIOD, pdf=False)
    assert result.new == 1
    with Ledger(ws) as ledger:
        subs = ledger.current_submissions(PERIOD.id)
        receipts = ledger.receipts(PERIOD.id)
    assert [(r.file_name, r.superseded) for r in receipts] == [
        (made[1]["STP"].name, True), ("v2.xlsx", False)]
    (stp,) = subs
    assert {t.result for t in stp.tasks.values()} == {"Đã tổ chức 5 hội nghị"}
    with Ledger(ws) as ledger:  # both files stay in the archive, byte for byte
        kept = [ledger.archived(r).read_bytes() for r in receipts]
    assert kept == [made[1]["STP"].read_bytes(), made[1]["STP-v2"].read_bytes()]


def test_collect_reads_saved_emails(ws, made, default_plan, tmp_path):
    msg = EmailMessage()
    msg["From"] = "Sở Y tế <syt@laocai.gov.vn>"
    msg["To"] = "snv@laocai.gov.vn"
    msg["Subject"] = "Báo cáo quý III"
    msg["Date"] = "Fri, 16 Sep 2022 07:45:00 +0700"
    msg.set_content("Gửi kèm báo cáo.")
    msg.add_attachment(made[1]["SYT"].read_bytes(), maintype=XLSX_TYPE[0],
                       subtype=XLSX_TYPE[1], filename="Báo cáo quý III Sở Y tế.xlsx")
    mails = tmp_path / "thu"
    mails.mkdir()
    (mails / "syt.eml").write_bytes(bytes(msg))
    result = collect(ws, default_plan, PERIOD, [mails], pdf=False)
    (receipt,) = result.accepted
    assert receipt.file_name == "Báo cáo quý III Sở Y tế.xlsx"
    assert receipt.received_at == dt.datetime(2022, 9, 16, 7, 45, tzinfo=VN)
    from generator.ledger.status import status
    assert status(ws, default_plan, PERIOD).codes("late") == ["SYT"]


def test_feedback_for_a_unit_whose_file_had_findings(ws, made, default_plan, tmp_path):
    broken = tmp_path / "broken.xlsx"
    shutil.copyfile(made[1]["SYT"], broken)
    book = openpyxl.load_workbook(broken)
    report = book[formspec.SHEET_REPORT]
    head, at = header_columns(report, [formspec.REPORT_COLUMNS["status"]])
    tt_col, status_col = at[formspec.REPORT_COLUMNS["tt"]], at[formspec.REPORT_COLUMNS["status"]]
    row = next(r for r in range(head + 1, report.max_row + 1)
               if "." in str(report.cell(r, tt_col).value or ""))  # the first task row
    report.cell(row, status_col).value = None
    address = report.cell(row, status_col).coordinate
    book.save(broken)
    stamp(shutil.copyfile(broken, ws.input_dir(PERIOD) / made[1]["SYT"].name), 12)
    result = collect(ws, default_plan, PERIOD, pdf=False)
    target = ws.output_dir(PERIOD) / "phan-hoi" / unit_file_name(
        default_plan.units["SYT"], PERIOD)
    assert result.feedback == [target] and target.is_file()
    (receipt,) = result.accepted  # a content error: recorded, and answered with feedback
    (missing,) = [f for f in receipt.findings if f.cell == address]
    marked = openpyxl.load_workbook(target)
    assert marked.sheetnames[0] == "Phản hồi"
    comment = marked[formspec.SHEET_REPORT][address].comment
    assert comment.author == "Sở Nội vụ"
    assert missing.message.removeprefix(f"[{formspec.SHEET_REPORT}!{address}] ") in comment.text
    listed = [r for r in marked["Phản hồi"].iter_rows(min_row=6, values_only=True)]
    assert (missing.code, formspec.SHEET_REPORT, address) in [r[1:4] for r in listed]
    # The unit fixes the file: its stale feedback goes away.
    put(ws, made, "SYT", 28, name="SYT-sua.xlsx")
    assert collect(ws, default_plan, PERIOD, pdf=False).feedback == []
    assert not target.exists()


def test_cli_collect_json_and_summary(ws, made, run):
    put(ws, made, "STP", 12)
    (ws.input_dir(PERIOD) / "rac.xlsx").write_bytes(b"")
    result = run(["--json", "collect", "-p", "2022-Q3"], ws)
    assert result.exit_code == 0, result.output  # a rejected file is not a failure
    document = json.loads(result.output)
    assert document["period"] == "2022-Q3"
    assert (document["accepted"], document["rejected"]) == (1, 1)
    assert isinstance(document["outputs"], list)
    text = run(["collect", "-p", "2022-Q3"], ws)
    assert text.exit_code == 0
    assert "2 tệp (0 tệp mới), 1 hợp lệ, 1 bị từ chối" in " ".join(text.output.split())


def test_cli_collect_without_input_folder_is_a_usage_error(workspace, run):
    result = run(["collect", "-p", "2022-Q4"], workspace)
    assert result.exit_code == 2
    assert "Chưa có thư mục" in result.output and "2022-Q4" in result.output


def test_two_collect_processes_at_once(ws, made):
    put(ws, made, "STP", 12)
    put(ws, made, "SYT", 13)
    put(ws, made, "02635", 9)
    cmd = [sys.executable, "-m", "generator.cli.app", "-w", str(ws.root), "--json",
           "collect", "-p", "2022-Q3"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(json.loads(out)["accepted"] == 3 for out, _ in outs)
    with Ledger(ws) as ledger:
        assert len(ledger.receipts(PERIOD.id)) == 3
        assert sorted(s.unit for s in ledger.current_submissions(PERIOD.id)) == [
            "02635", "STP", "SYT"]


def test_rejected_files_are_put_to_the_unit_by_name_or_sender(default_plan, tmp_path):
    def incoming(name, sender=""):
        return Incoming(tmp_path / name, name, dt.datetime(2022, 9, 9, tzinfo=VN), "", sender)

    assert guess_unit(default_plan, incoming("STP_so-tu-phap_2022-Q3.xlsx")) == "STP"
    assert guess_unit(default_plan, incoming("Báo cáo.xlsx", "SYT@LaoCai.gov.vn")) == "SYT"
    assert guess_unit(default_plan, incoming("02635_x.xls", "syt@laocai.gov.vn")) == "02635"
    assert guess_unit(default_plan, incoming("Báo cáo.xlsx", "ai@gmail.com")) is None


def test_collect_waits_for_a_run_holding_the_lock(ws, made, default_plan, tmp_path):
    """Another process holds the ledger lock: collect starts its work only after it ends."""
    from test_ledger import HOLDER

    put(ws, made, "STP", 12)
    log = tmp_path / "log.txt"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ws.root), str(log), "2"])
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and "start" in log.read_text()):
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.05)
        result = collect(ws, default_plan, PERIOD, pdf=False)
    finally:
        assert holder.wait(timeout=60) == 0
    released = float(log.read_text().split()[-1])
    assert [r.unit for r in result.accepted] == ["STP"]
    with Ledger(ws) as ledger:
        (receipt,) = ledger.receipts(PERIOD.id)
        archived_at = ledger.archived(receipt).stat().st_mtime
    # Archiving is collect's first step under the lock: it came after the release.
    assert archived_at >= released
