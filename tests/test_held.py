"""Identity against evidence: a copied form or a lost identity sheet holds the file for the
officer's confirmation (`baocao confirm`), never replacing another unit's report; `check`
exits 1 on any error-level finding. Real forms, a real ledger, the real command line."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
from email.message import EmailMessage

import openpyxl
import pytest
from docx import Document
from test_intake import UNIT_VALUES, Form, edit_identity

from generator.collect import collect
from generator.consolidate.build import from_ledger
from generator.findings import CATALOGUE, message_for
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.ledger.rebuild import rebuild
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.mail import outgoing
from generator.plan.periods import parse_period
from generator.signoff import close
from generator.vocab import HELD, STATUS_ONGOING, workbook_name

PERIOD = parse_period("2022-Q3")
OWNER, COPIER = "STC", "SGDDT"  # Sở Tài chính, Sở Giáo dục và Đào tạo (report to Sở Nội vụ)
OWN_TEXT = "Sở Tài chính tổ chức 4 hội nghị công khai ngân sách"
COPIED_TEXT = "Sở Giáo dục và Đào tạo tiếp 12 lượt công dân tại trụ sở"
COPIED_NAME = "SGDDT_so-gd-dt_2022-Q3.xlsx"


def fill_unit(path, plan, unit, result):
    form = Form(path)
    for task, _role in plan.tasks_for(unit):
        form.set(task.tt, status=STATUS_ONGOING, result=result)
    for field, value in UNIT_VALUES.items():
        form.field_cell(field).value = value
    return form.save()


def stamp(path, day, hour=9):
    moment = dt.datetime(2022, 9, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def mail(path, sender, attachment, name, date="Fri, 09 Sep 2022 10:15:00 +0700"):
    message = EmailMessage()
    message["From"], message["Date"] = sender, date
    message["Subject"] = "Báo cáo quý III"
    message.set_content("Kính gửi Phòng Nội vụ, xã gửi báo cáo.")
    message.add_attachment(attachment.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename=name)
    path.write_bytes(bytes(message))
    return path


def f110(evidence, claimed=OWNER, found=COPIER, plan=None, source="trang nhận dạng"):
    names = {u.code: u.name for u in plan.units.values()}
    return ("error", "F110", "", "", message_for(
        "F110", source=source, claimed=claimed, claimed_name=names[claimed], evidence=evidence,
        found=found, found_name=names[found]))


def results(submission) -> set[str]:
    return {t.result for t in submission.tasks.values()}


def tuples(found):
    return [(f.severity, f.code, f.sheet, f.cell, f.message) for f in found]


@pytest.fixture
def copied(workspace, default_plan, tmp_path):
    """STC's genuine return (8/9), and STC's form filled by SGDDT with its own answers,
    named as SGDDT's file and emailed from SGDDT's address (9/9)."""
    key = workspace.secret_key()
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    form = forms.write_form(default_plan, OWNER, PERIOD, key, tmp_path / "mau.xlsx")
    own = fill_unit(shutil.copyfile(form, folder / "STC_so-tai-chinh_2022-Q3.xlsx"),
                    default_plan, OWNER, OWN_TEXT)
    stamp(own, 8)
    other = fill_unit(shutil.copyfile(form, tmp_path / COPIED_NAME), default_plan, OWNER,
                      COPIED_TEXT)
    mail(folder / "thu-SGDDT.eml", f"Sở GD&ĐT <{default_plan.units[COPIER].email}>", other,
         COPIED_NAME)
    return folder


def test_copied_form_is_held_and_never_replaces_the_units_own_return(
        copied, workspace, default_plan, run):
    result = collect(workspace, default_plan, PERIOD, pdf=False)
    assert [r.unit for r in result.accepted] == [OWNER] and not result.rejected
    (held,) = result.held
    assert (held.file_name, held.unit, held.accepted) == (COPIED_NAME, COPIER, False)
    assert tuples(held.findings) == [
        f110(f"tên tệp '{COPIED_NAME}'", plan=default_plan),
        f110(f"địa chỉ gửi thư {default_plan.units[COPIER].email}", plan=default_plan)]
    with Ledger(workspace) as ledger:
        (current,) = ledger.current_submissions(PERIOD.id)
    assert current.unit == OWNER and results(current) == {OWN_TEXT}
    report = status(workspace, default_plan, PERIOD)
    assert OWNER in report.codes("on_time") and report.codes("held") == [COPIER]
    document = json.loads(run(["status", "-p", "2022-Q3", "--json"], workspace).output)
    assert document["held"] == [COPIER] and OWNER in document["on_time"]
    table = run(["status", "-p", "2022-Q3"], workspace).output  # a narrow table folds names
    assert "Chờ xác nhận:" in table and COPIED_NAME[:10] in table and "baocao confirm" in table
    book = openpyxl.load_workbook(workspace.output_dir(PERIOD) / workbook_name(PERIOD))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert any(OWN_TEXT in c for c in cells) and not any(COPIED_TEXT in c for c in cells)
    checked = run(["check", "-p", "2022-Q3"], workspace)
    assert checked.exit_code == 1 and "Chờ xác nhận" in checked.output
    # The feedback to the sender names its file as sent, and the email that brought it.
    unit = default_plan.units[COPIER]
    answer = openpyxl.load_workbook(workspace.feedback_path(PERIOD, unit))["Phản hồi"]
    assert answer["A2"].value.startswith(
        f"Tệp đã nhận: {COPIED_NAME} (đính kèm thư của {unit.email} gửi lúc 10:15 ngày 9 "
        "tháng 9 năm 2022). Kết quả kiểm tra: 2 lỗi")
    assert answer["A3"].value.startswith("Tệp đang chờ Sở Nội vụ xác nhận là báo cáo của đơn vị")


def test_a_held_unit_is_accounted_for_in_the_report_and_the_workbook(copied, workspace,
                                                                     default_plan):
    """Every unit of the register is counted once: the held one is neither received nor
    missing, and the report's sentences, Phụ lục II's subtotal, the key figures and the
    register's colours say so."""
    collect(workspace, default_plan, PERIOD, pdf=False)
    cons = from_ledger(workspace, default_plan, PERIOD)
    key = cons.key
    assert (key["units_held"], key["units_received"]) == (1, 1)
    assert key["units_on_time"] + key["units_late"] + key["units_missing"] + \
        key["units_rejected"] + key["units_held"] == key["units_expected"]
    body = "\n".join(p.text for p in Document(workspace.report_path(PERIOD)).paragraphs)
    copier = default_plan.units[COPIER].name
    assert (f"; {key['units_missing']} đơn vị chưa gửi báo cáo; 1 đơn vị gửi tệp đang chờ xác "
            "nhận (thông tin nhận dạng trong tệp không khớp với tên tệp, địa chỉ gửi hoặc tên "
            "đơn vị ghi trên biểu mẫu; Sở Nội vụ đang xác minh với đơn vị).") in body
    assert f"; 1 đơn vị gửi tệp đang chờ xác nhận (cấp tỉnh: {copier}) (danh sách" in body
    assert not re.search(r"(?<![\d.])0 đơn vị", body)  # a state with no unit is not named
    cells = [c.text for t in Document(workspace.report_path(PERIOD)).tables
             for r in t.rows for c in r.cells]
    (subtotal,) = {c for c in cells if c.startswith("Cộng:") and "/20 " in c}
    counts = re.search(r"\((.*)\)", subtotal).group(1).split(", ")
    assert "1 chờ xác nhận" in counts
    assert sum(int(c.split()[0]) for c in counts) == 20  # every unit of the level, once
    book = openpyxl.load_workbook(workspace.workbook_path(PERIOD))
    overview = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r[0]}
    assert overview[f"{HELD.label} (thông tin nhận dạng trong tệp không khớp)"] == 1
    register = book["Tình hình nộp báo cáo"]
    row = next(r for r in register.iter_rows() if r[0].value == COPIER)
    assert row[6].value == HELD.label
    rules = [r for rng in register.conditional_formatting for r in rng.rules]
    assert any(r.formula == [f'"{HELD.label}"'] for r in rules)  # coloured like the others
    # The email that carries the report to UBND tỉnh counts it the same way.
    (draft,) = outgoing.run("report", workspace, default_plan, PERIOD).drafts
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert (f"Đến nay, 1/{key['units_expected']} đơn vị đã gửi báo cáo (1 đúng hạn); "
            f"{key['units_missing']} đơn vị chưa gửi báo cáo; 1 đơn vị gửi tệp đang chờ xác "
            "nhận.") in message.get_body(("plain",)).get_content()


def test_confirm_settles_a_held_file_with_who_when_why(copied, workspace, default_plan, run):
    collect(workspace, default_plan, PERIOD, pdf=False)
    reason = "Sở GD&ĐT dùng nhầm biểu mẫu của Sở Tài chính; đã gọi điện xác nhận"
    before = dt.datetime.now().astimezone()
    result = run(["confirm", COPIED_NAME, "--unit", COPIER, "--nguoi", "Nguyễn Văn Bình",
                  "--ly-do", reason], workspace)
    assert result.exit_code == 0, result.output
    assert f"Đã xác nhận tệp {COPIED_NAME}" in " ".join(result.output.split())
    with Ledger(workspace) as ledger:
        (record,) = ledger.confirmations(PERIOD.id)
        current = {s.unit: s for s in ledger.current_submissions(PERIOD.id)}
        receipt = next(r for r in ledger.receipts(PERIOD.id) if r.file_name == COPIED_NAME)
    assert (record["unit"], record["confirmed_by"], record["reason"]) == (
        COPIER, "Nguyễn Văn Bình", reason)
    assert dt.datetime.fromisoformat(record["confirmed_at"]) >= before.replace(microsecond=0)
    assert [f.code for f in record["findings"]] == ["F110", "F110"]  # what had held it
    assert (receipt.accepted, receipt.held, receipt.unit) == (True, False, COPIER)
    assert results(current[COPIER]) == {COPIED_TEXT}
    assert results(current[OWNER]) == {OWN_TEXT}  # the owner keeps its own return
    report = status(workspace, default_plan, PERIOD)
    assert {OWNER, COPIER} <= set(report.codes("on_time")) and report.codes("held") == []
    again = run(["confirm", COPIED_NAME, "--unit", COPIER], workspace)
    assert again.exit_code == 2 and "không có tệp nào chờ xác nhận" in again.output.lower()


def test_lost_identity_is_held_and_a_spoofed_signature_is_still_rejected(
        workspace, default_plan, run, tmp_path):
    key = workspace.secret_key()
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    form = forms.write_form(default_plan, "STP", PERIOD, key, tmp_path / "STP.xlsx")
    fill_unit(form, default_plan, "STP", "Đã ban hành 3 văn bản hướng dẫn")
    book = openpyxl.load_workbook(form)
    del book[formspec.SHEET_IDENTITY]  # content pasted into a new workbook
    book.save(folder / "bao-cao-stp.xlsx")
    stamp(folder / "bao-cao-stp.xlsx", 12)
    spoofed = shutil.copyfile(form, folder / "STP_gia.xlsx")
    edit_identity(spoofed, unit="SYT")  # another unit's code, signature not redone
    result = collect(workspace, default_plan, PERIOD, pdf=False)
    (held,) = result.held
    evidence = f"tên đơn vị ghi trên trang '{formspec.SHEET_REPORT}'"
    assert (held.unit, [f.code for f in held.findings]) == ("STP", ["F111"])
    assert held.findings[0].message == message_for(
        "F111", evidence=evidence, found="STP", found_name="Sở Tư pháp")
    (rejected,) = result.rejected
    assert [f.code for f in rejected.findings] == ["F102"]
    refused = run(["confirm", "STP_gia.xlsx", "--unit", "STP"], workspace)
    assert refused.exit_code == 2 and "bao-cao-stp.xlsx" in refused.output
    done = run(["--json", "confirm", str(folder / "bao-cao-stp.xlsx"), "--unit", "STP"],
               workspace)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["unit"] == "STP"
    assert status(workspace, default_plan, PERIOD).codes("on_time") == ["STP"]


def test_check_exits_1_on_any_error_finding_with_options_after_the_command(
        workspace, default_plan, run, tmp_path):
    key = workspace.secret_key()
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    form = forms.write_form(default_plan, "STP", PERIOD, key, tmp_path / "STP.xlsx")
    path = fill_unit(shutil.copyfile(form, folder / "STP_so-tu-phap_2022-Q3.xlsx"),
                     default_plan, "STP", "Đã ban hành 3 văn bản hướng dẫn")
    clean = run(["check", "-p", "2022-Q3", "--json"], workspace)
    assert clean.exit_code == 0 and json.loads(clean.output)["files"][0]["findings"] == []
    edited = Form(path)
    edited.set("2.1", status="Đã hoàn thành", completed_on=dt.datetime(2022, 9, 1), result="")
    edited.save()
    warned = run(["check", "-p", "2022-Q3", "--json"], workspace)
    (item,) = json.loads(warned.output)["files"]
    assert [f["code"] for f in item["findings"]] == ["R007"]
    assert CATALOGUE["R007"].severity == "warning" and warned.exit_code == 0
    edited.set("2.1", status="Xong rồi")
    edited.save()
    failed = run(["check", "-p", "2022-Q3", "--json", "--debug"], workspace)
    (item,) = json.loads(failed.output)["files"]
    assert item["accepted"] and "R002" in [f["code"] for f in item["findings"]]
    assert failed.exit_code == 1  # accepted, with an error the unit must fix
    assert "Thoát với mã 1 nếu có tệp có lỗi" in " ".join(
        run(["check", "--help"]).output.split())


def ledger_view(workspace, plan):
    """What the officer sees of a period: receipts, current returns, status, sign-off."""
    with Ledger(workspace) as ledger:
        receipts = [(r.file_name, r.unit, r.accepted, r.held, r.superseded, r.sender,
                     r.received_at, tuples(r.findings)) for r in ledger.receipts(PERIOD.id)]
        current = sorted((s.unit, sorted(results(s))) for s in
                         ledger.current_submissions(PERIOD.id))
        confirmed = [{k: v for k, v in c.items() if k != "id"}
                     for c in ledger.confirmations(PERIOD.id)]
        closings = [c.as_dict() for c in ledger.closings(PERIOD.id)]
        after = [r.file_name for r in ledger.after_closing(PERIOD.id)]
    return receipts, current, confirmed, closings, after, \
        status(workspace, plan, PERIOD).as_json()


def test_a_rebuilt_ledger_keeps_held_files_confirmations_and_the_sign_off(
        copied, workspace, default_plan, run, tmp_path):
    """Issue 18's rebuild on issue 11's and 15's records: a held file is held again (its
    sender kept in the archive's metadata), the officer's confirmation and the period's
    sign-off come over from the old ledger, and a file received after closing is still
    listed as such."""
    collect(workspace, default_plan, PERIOD, pdf=False)
    held_only = ledger_view(workspace, default_plan)
    assert held_only[0][-1][3] is True  # the emailed copy waits for the officer
    assert rebuild(workspace, default_plan).files == 2
    assert ledger_view(workspace, default_plan) == held_only

    assert run(["confirm", COPIED_NAME, "--unit", COPIER, "--nguoi", "Hoa", "--ly-do",
                "đã gọi điện"], workspace).exit_code == 0
    close(workspace, PERIOD, number="125/BC-SNV", date="16/9/2022", who="Hoa")
    late = workspace.input_dir(PERIOD) / "SYT_so-y-te_2022-Q3.xlsx"
    form = forms.write_form(default_plan, "SYT", PERIOD, workspace.secret_key(),
                            tmp_path / "syt.xlsx")
    stamp(fill_unit(shutil.copyfile(form, late), default_plan, "SYT", "Sở Y tế họp"), 20)
    collect(workspace, default_plan, PERIOD, pdf=False)
    before = ledger_view(workspace, default_plan)
    assert before[2][0]["confirmed_by"] == "Hoa" and before[4] == [late.name]

    result = rebuild(workspace, default_plan)
    assert (result.files, result.confirmations, result.closings) == (3, 1, 1)
    assert ledger_view(workspace, default_plan) == before
