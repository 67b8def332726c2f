"""Issue 18 end to end: no file and no fault stops the cycle. Each test mixes a bad file or a
fault with good returns, runs the real command in its own process (its real stderr, and a
timeout instead of a hang) and checks the finding or exit code, that the other files were
recorded and that the outputs were written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest
from conftest import requires_soffice
from test_collect import fill, stamp
from test_receive import nested
from test_safety import malformed_xls

from generator.findings import message_for
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.intake.mailbox import _read_period
from generator.ledger.status import status as unit_status
from generator.ledger.store import Ledger
from generator.office import convert, soffice_path
from generator.plan.periods import parse_period
from generator.vocab import unit_file_name

PERIOD = parse_period("2022-Q3")
KEY = bytes(range(32))
UNITS = ("STP", "SYT", "SCT", "STC", "SGDDT", "STNMT")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture(scope="module")
def made(tmp_path_factory, default_plan):
    folder = tmp_path_factory.mktemp("faults")
    out = {}
    for code in UNITS:
        path = folder / unit_file_name(default_plan.units[code], PERIOD)
        forms.write_form(default_plan, code, PERIOD, KEY, path)
        out[code] = fill(path, {t.tt for t, _ in default_plan.tasks_for(code)})
    return out


@pytest.fixture
def ws(workspace):
    (workspace.state_dir / "secret.key").write_text(KEY.hex())
    workspace.input_dir(PERIOD).mkdir(parents=True)
    return workspace


def baocao(ws, *args, env=None):
    return subprocess.run([sys.executable, "-m", "generator.cli.app", "-w", str(ws.root),
                           *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def put(ws, source, name=None, day=12):
    target = ws.input_dir(PERIOD) / (name or source.name)
    shutil.copyfile(source, target)
    return stamp(target, day)


def edited(source, target, cells=None, unset=None):
    """A copy of a filled form with cells set ({sheet: {ref: value}}) and a unit-level
    field emptied (unset: a UNIT_FIELDS key), which gives the file a content finding."""
    shutil.copyfile(source, target)
    book = openpyxl.load_workbook(target)
    report = book[formspec.SHEET_REPORT]
    if unset:
        label = formspec.UNIT_FIELDS[unset]
        cell = next(c for row in report.iter_rows() for c in row
                    if str(c.value or "").strip().rstrip(":") == label)
        report.cell(cell.row, cell.column + 1).value = None
    for sheet, values in (cells or {}).items():
        for ref, value in values.items():
            book[sheet][ref] = value
    book.save(target)
    return target


def status(ws) -> dict:
    done = baocao(ws, "--json", "status", "-p", PERIOD.id)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def outputs_written(ws) -> bool:
    folder = ws.output_dir(PERIOD)
    return (folder / "TongHop_2022-Q3.xlsx").is_file() and (folder / "BaoCao_2022-Q3.docx").is_file()


def test_far_cells_on_each_sheet_are_findings_and_every_other_file_goes_on(ws, made, tmp_path,
                                                                         default_plan):
    """1. A value in the last cell of a sheet: the reader would ask for 2^39 bytes (every
    sheet intake reads), the feedback walk for 2^34 cells (the guide)."""
    far = {"STP": (formspec.SHEET_REPORT, "XFD1048576"),
           "SYT": (formspec.SHEET_INDICATORS, "XFD1048576"),
           "STNMT": (formspec.SHEET_IDENTITY, "XFD1048576"),
           "SCT": (formspec.SHEET_GUIDE, "XFD1048576")}
    for code, (sheet, ref) in far.items():
        put(ws, edited(made[code], tmp_path / made[code].name, {sheet: {ref: "x"}},
                       unset="phone" if code == "SCT" else None))
    put(ws, made["STC"])
    put(ws, made["SGDDT"])
    checked = baocao(ws, "--json", "check", "-p", PERIOD.id)
    assert checked.returncode == 1, checked.stderr
    files = {f["unit"]: f for f in json.loads(checked.stdout)["files"]}
    for code, (sheet, ref) in far.items():
        (hit,) = [f for f in files[code]["findings"] if f["cell"] == ref]
        assert (hit["code"], hit["sheet"]) == ("F015" if code == "SCT" else "F014", sheet)
        assert files[code]["accepted"] == (code == "SCT")
    assert files["STP"]["findings"][0]["message"] == message_for(
        "F014", formspec.SHEET_REPORT, "XFD1048576", ref="XFD1048576", rows="20.000", cols="GR")

    collected = baocao(ws, "--json", "collect", "-p", PERIOD.id, "--no-pdf")
    assert collected.returncode == 0, collected.stderr
    assert (json.loads(collected.stdout)["accepted"], json.loads(collected.stdout)["rejected"]) \
        == (3, 3)
    assert outputs_written(ws)
    state = status(ws)
    assert {"SCT", "STC", "SGDDT"} <= set(state["on_time"])
    assert {"STP", "SYT", "STNMT"} <= set(state["rejected"])
    # The guide's stray cell is marked in the unit's own file; the others get the list.
    marked = openpyxl.load_workbook(ws.feedback_path(PERIOD, default_plan.units["SCT"]))
    assert marked[formspec.SHEET_GUIDE]["XFD1048576"].comment.author == "Sở Nội vụ"
    listed = openpyxl.load_workbook(ws.feedback_path(PERIOD, default_plan.units["STP"]))
    assert listed.sheetnames == ["Phản hồi"] and listed["Phản hồi"]["B6"].value == "F014"


@requires_soffice
def test_a_malformed_xls_named_like_a_units_file_is_that_files_finding(ws, made, tmp_path,
                                                                        default_plan):
    """2. msoffcrypto raised ParseError in the feedback step: every collect exited 3."""
    xls = convert(made["SCT"], "xls", tmp_path / "xls")
    put(ws, malformed_xls(xls, tmp_path / made["SCT"].with_suffix(".xls").name))
    put(ws, made["STP"])
    for _run in range(2):  # and every re-run
        collected = baocao(ws, "--json", "collect", "-p", PERIOD.id, "--no-pdf")
        assert collected.returncode == 0, collected.stderr
        assert "Traceback" not in collected.stderr
    assert outputs_written(ws)
    state = status(ws)
    assert "STP" in state["on_time"] and "SCT" in state["rejected"]
    listed = openpyxl.load_workbook(ws.feedback_path(PERIOD, default_plan.units["SCT"]))
    assert listed["Phản hồi"]["B6"].value == "F100"


def message(sender, attachments=(), raw=None):
    if raw is not None:
        return raw
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "snv@laocai.gov.vn"
    msg["Subject"], msg["Date"] = "Báo cáo quý III", "Mon, 12 Sep 2022 09:00:00 +0700"
    msg.set_content("Gửi kèm báo cáo.")
    for name, content in attachments:
        msg.add_attachment(content, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name)
    return bytes(msg)


def test_bad_messages_are_findings_archived_and_the_good_returns_recorded(ws, made):
    """3. and 8. A 212-character attachment name and a multipart nested 1.000 levels
    stopped all intake; a message with no workbook and an empty one were skipped silently."""
    inbox = ws.input_dir(PERIOD)
    long_name = ("Báo cáo kết quả thực hiện Kế hoạch số 239 cải thiện Chỉ số PAPI tỉnh Lào "
                 "Cai năm 2022 của Sở Tư pháp gửi Sở Nội vụ ") * 2 + "quý III năm 2022.xlsx"
    assert len(long_name) >= 212
    (inbox / "stp.eml").write_bytes(message("stp@laocai.gov.vn",
                                            [(long_name, made["STP"].read_bytes())]))
    (inbox / "syt.eml").write_bytes(nested(1000).replace(b"stp@", b"syt@"))
    (inbox / "stc.eml").write_bytes(message("stc@laocai.gov.vn"))  # no workbook
    (inbox / "sgddt.eml").write_bytes(b"")
    put(ws, made["SCT"])
    collected = baocao(ws, "collect", "-p", PERIOD.id, "--no-pdf")
    assert collected.returncode == 0, collected.stderr
    assert "5 tệp (5 tệp mới), 2 hợp lệ, 3 bị từ chối" in " ".join(collected.stdout.split())
    assert outputs_written(ws)
    with Ledger(ws) as ledger:
        receipts = {r.file_name: r for r in ledger.receipts(PERIOD.id)}
        kept = {name: ledger.archived(r).read_bytes() for name, r in receipts.items()}
    assert receipts[long_name].accepted and receipts[long_name].unit == "STP"
    assert [f.code for f in receipts["syt.eml"].findings] == ["F019"]
    assert "lồng nhau quá nhiều tầng" in receipts["syt.eml"].findings[0].message
    assert [f.code for f in receipts["stc.eml"].findings] == ["F018"]
    assert [f.code for f in receipts["sgddt.eml"].findings] == ["F019"]
    assert kept["syt.eml"] == (inbox / "syt.eml").read_bytes()  # the message is archived
    state = status(ws)
    assert {"STP", "SCT"} <= set(state["on_time"])
    assert {"SYT", "STC"} <= set(state["rejected"])  # put to the unit by its sender


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")
def test_links_and_special_files_are_refused_never_followed_nor_archived(ws, made, tmp_path):
    """8. and 9. A link named like a form copied its target (/etc/shadow) into the archive;
    a dangling link, a FIFO and a folder named x.xlsx were skipped without a word."""
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$khong-duoc-lo-ra:19000:0:99999:7:::\n")
    inbox = ws.input_dir(PERIOD)
    (inbox / made["STP"].name).symlink_to(secret)
    (inbox / made["SYT"].name).symlink_to(tmp_path / "khong-con.xlsx")
    os.mkfifo(inbox / made["STC"].name)
    (inbox / made["SGDDT"].name).mkdir()
    put(ws, made["SCT"])
    checked = baocao(ws, "--json", "check", "-p", PERIOD.id)
    assert checked.returncode == 1
    found = {f["file"]: [x["code"] for x in f["findings"]] for f in json.loads(checked.stdout)["files"]}
    assert found == {**{made[c].name: ["F017"] for c in ("STP", "SYT", "STC", "SGDDT")},
                     made["SCT"].name: []}
    collected = baocao(ws, "--json", "collect", "-p", PERIOD.id, "--no-pdf")
    assert collected.returncode == 0, collected.stderr
    document = json.loads(collected.stdout)
    assert document["accepted"] == 1
    assert sorted(r["file"] for r in document["refused"]) == sorted(
        made[c].name for c in ("STP", "SYT", "STC", "SGDDT"))
    archived = [p.read_bytes() for p in (ws.state_dir / "archive").rglob("*")
                if p.is_file() and p.suffix not in (".json", ".jsonl")]
    assert len(archived) == 1 and secret.read_bytes() not in archived
    assert outputs_written(ws)


def snapshot(ws, plan):
    with Ledger(ws) as ledger:
        receipts = [(r.file_name, r.unit, r.accepted, r.superseded, r.received_at,
                     [f.as_dict() for f in r.findings]) for r in ledger.receipts(PERIOD.id)]
        current = sorted((s.unit, s.form_id) for s in ledger.current_submissions(PERIOD.id))
    return receipts, current, unit_status(ws, plan, PERIOD).as_json()


def test_a_lost_ledger_is_detected_and_rebuilt_from_the_archive(ws, made, tmp_path, run,
                                                                default_plan):
    """6. A zero-length ledger read as "181 chưa nộp"; damaged pages gave exit 3. Both are
    refused with the way back, and the rebuilt ledger's status is the original's."""
    put(ws, made["STP"], day=9)
    put(ws, edited(made["STP"], tmp_path / "STP-lan-2.xlsx",
                   {formspec.SHEET_REPORT: {"A1": "Sở Tư pháp (bản sửa)"}}), day=13)
    put(ws, made["SYT"], day=16)  # late
    put(ws, edited(made["SCT"], tmp_path / "SCT-thieu.xlsx", unset="head"), day=11)
    (ws.input_dir(PERIOD) / "SGDDT_hong.xlsx").write_bytes(b"khong phai bang tinh")
    stamp(ws.input_dir(PERIOD) / "SGDDT_hong.xlsx", 10)
    (ws.input_dir(PERIOD) / "stc.eml").write_bytes(message("stc@laocai.gov.vn"))
    assert run(["collect", "-p", PERIOD.id, "--no-pdf"], ws).exit_code == 0
    with Ledger(ws) as ledger:
        ledger.record_mail("nhac-STC-2022-Q3", PERIOD.id, "remind", "STC", ["stc@laocai.gov.vn"])
    before = snapshot(ws, default_plan)
    assert [r[3] for r in before[0] if r[1] == "STP"] == [True, False]  # superseded, current
    assert before[2]["late"] == ["SYT"] and {"SGDDT", "STC"} <= set(before[2]["rejected"])

    # Asked for on a healthy ledger, a rebuild changes nothing, sent mail included.
    assert "6 tệp." in run(["ledger", "rebuild"], ws).output
    assert snapshot(ws, default_plan) == before
    with Ledger(ws) as ledger:
        assert ledger.mail_sent("nhac-STC-2022-Q3")

    db = ws.state_dir / "ledger.sqlite"
    for damage, commands in (("truncated", (["status"], ["report", "--no-pdf"])),
                             ("empty", (["status"], ["collect", "--no-pdf"]))):
        db.write_bytes(b"" if damage == "empty" else db.read_bytes()[:db.stat().st_size // 2])
        for command in commands:
            refused = run([command[0], "-p", PERIOD.id, *command[1:]], ws)
            assert refused.exit_code == 2, (damage, command, refused.output)
            assert "baocao ledger rebuild" in refused.stderr and "6 tệp" in refused.stderr
            assert "chưa nộp" not in refused.stdout
        rebuilt = run(["ledger", "rebuild"], ws)
        assert rebuilt.exit_code == 0, rebuilt.output
        assert "Đã dựng lại sổ theo dõi từ kho lưu trữ: 6 tệp." in rebuilt.stdout
        assert snapshot(ws, default_plan) == before
    kept = sorted(p.stat().st_size > 0 for p in ws.state_dir.glob("ledger-cu-*.sqlite*"))
    assert kept[0] is False and kept[-1] is True  # old files kept aside, never deleted
    assert run(["collect", "-p", PERIOD.id, "--no-pdf"], ws).exit_code == 0


def test_a_worker_that_dies_is_one_files_finding_and_its_words_stay_off_the_terminal(
        ws, made, tmp_path):
    """1. and 10. A file that still kills its reader (here: over a small memory limit) is
    that file's finding; calamine's abort message and openpyxl's warnings go to the log
    (--debug), never the terminal."""
    config = ws.root / "baocao.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "memory_mb = 1536", "memory_mb = 64"), encoding="utf-8")
    put(ws, edited(made["STP"], tmp_path / made["STP"].name,
                   {formspec.SHEET_REPORT: {"GR20000": "x"}}))  # 4 million cells to build
    put(ws, with_excel_extension(edited(made["SCT"], tmp_path / "sct.xlsx", unset="phone"),
                                 tmp_path / made["SCT"].name))
    put(ws, made["STC"])
    env = {"TMPDIR": str(tmp_path)}
    checked = baocao(ws, "--json", "check", "-p", PERIOD.id, env=env)
    files = {f["unit"]: f for f in json.loads(checked.stdout)["files"]}
    (died,) = files["STP"]["findings"]
    assert died["code"] == "F016" and "vượt giới hạn bộ nhớ 64 MB" in died["message"]
    assert checked.stderr == ""
    collected = baocao(ws, "--debug", "collect", "-p", PERIOD.id, "--no-pdf", env=env)
    assert collected.returncode == 0, collected.stderr
    assert "memory allocation" not in collected.stderr and "Data Validation" not in collected.stderr
    assert "Traceback" not in collected.stderr
    assert outputs_written(ws) and set(status(ws)["on_time"]) >= {"SCT", "STC"}
    logged = (tmp_path / "baocao-debug.log").read_text(encoding="utf-8")
    # The dying reader's last words (Rust's "memory allocation of … failed", or Python's
    # MemoryError, depending on which allocation crossed the limit) and openpyxl's warning.
    assert "baocao.workers: tiến trình đọc" in logged
    assert "memory allocation of" in logged or "MemoryError" in logged
    assert "Data Validation extension is not supported" in logged


EXTENSION = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://'
             b'schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations '
             b'count="0" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/></ext>'
             b'</extLst></worksheet>')


def with_excel_extension(source, target):
    """The form as Excel saves it with a cross-sheet dropdown: an x14 data validation
    extension, which openpyxl drops with an English warning."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"</worksheet>", EXTENSION)
            new.writestr(item, data)
    return target


def test_a_killed_collect_leaves_nothing_the_next_run_keeps(ws, made, tmp_path):
    """10. kill -9 midway: no worker stays, no temporary file survives the next run."""
    for index in range(12):
        put(ws, made[UNITS[index % len(UNITS)]], name=f"{UNITS[index % len(UNITS)]}_{index}.xlsx")
    cmd = [sys.executable, "-m", "generator.cli.app", "-w", str(ws.root), "collect", "-p",
           PERIOD.id, "--no-pdf"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    deadline = dt.datetime.now() + dt.timedelta(seconds=120)
    while not list(tmp_path.glob("baocao-*")) and dt.datetime.now() < deadline:
        time.sleep(0.02)  # until its work folder appears: intake is under way
    proc.kill()
    proc.wait()
    again = baocao(ws, "collect", "-p", PERIOD.id, "--no-pdf", env={"TMPDIR": str(tmp_path)})
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob("baocao-*")) and not list(ws.root.rglob(".tmp-*"))
    assert outputs_written(ws)


def test_mail_fetch_never_reads_an_attachment_the_screen_refuses(made, tmp_path):
    """`mail fetch` reads a workbook attachment's identity to find its period: a form with a
    far cell (here an .ods, LibreOffice's format, once let through unscreened) is not
    opened there; intake names the cell later."""
    limit = 20 * 1024 * 1024
    assert _read_period(made["STP"], limit) == PERIOD.id
    far = edited(made["STP"], tmp_path / "STP.xlsx", {formspec.SHEET_REPORT: {"A1048576": "x"}})
    assert _read_period(far, limit) is None
    if soffice_path() is not None:
        ods = convert(far, "ods", tmp_path / "ods")
        assert _read_period(ods, limit) is None
        assert _read_period(convert(made["STP"], "ods", tmp_path / "ok"), limit) == PERIOD.id
