"""Closing a period after sign-off, returns that arrive later, reopening with a reason, and the
corrections a unit's later file makes (issue 15), on real forms and a real ledger."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from python_calamine import CalamineWorkbook
from test_collect import fill, stamp

from generator.collect import collect
from generator.forms import writer as forms
from generator.ledger.history import unit_changes
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.render.workbook import SHEETS
from generator.signoff import close
from generator.vocab import unit_file_name

PERIOD = parse_period("2022-Q3")


@pytest.fixture(scope="module")
def made(tmp_path_factory, default_plan):
    folder = tmp_path_factory.mktemp("forms")
    key = bytes(range(32))
    out = {}
    for code in ("STP", "SYT"):
        path = folder / unit_file_name(default_plan.units[code], PERIOD)
        forms.write_form(default_plan, code, PERIOD, key, path)
        out[code] = fill(path, {t.tt for t, _ in default_plan.tasks_for(code)})
    out["STP-v2"] = fill(shutil.copy(out["STP"], folder / "STP_sua.xlsx"),
                         {t.tt for t, _ in default_plan.tasks_for("STP")},
                         "Đã tổ chức 5 hội nghị")
    return key, out


@pytest.fixture
def ws(workspace, made):
    (workspace.state_dir / "secret.key").write_text(made[0].hex())
    workspace.input_dir(PERIOD).mkdir(parents=True)
    return workspace


def put(ws, made, code, day):
    source = made[1][code]
    return stamp(shutil.copyfile(source, ws.input_dir(PERIOD) / source.name), day)


def digests(paths) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def outputs_of(ws):
    return [ws.workbook_path(PERIOD.id), ws.report_path(PERIOD.id)]


def test_closed_period_keeps_its_outputs_and_lists_what_came_after(ws, made, default_plan, run):
    put(ws, made, "STP", 12)
    collect(ws, default_plan, PERIOD, pdf=False)
    signed = digests(outputs_of(ws))
    closing = close(ws, PERIOD, number="125/BC-SNV", date="16/9/2022", who="Hoa")
    assert closing.outputs == signed and closing.number == "125/BC-SNV"

    late = put(ws, made, "SYT", 20)
    result = run(["--json", "collect", "-p", "2022-Q3", "--no-pdf"], ws)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["after_close"] == [late.name] and document["accepted"] == 2
    assert digests(outputs_of(ws)) == signed  # byte for byte as signed
    with Ledger(ws) as ledger:  # the late file is archived and recorded all the same
        (receipt,) = ledger.after_closing(PERIOD.id)
        assert receipt.unit == "SYT" and ledger.archived(receipt).is_file()

    status = json.loads(run(["--json", "status", "-p", "2022-Q3"], ws).output)
    assert status["closed"]["who"] == "Hoa" and status["after_close"] == [late.name]
    text = run(["status", "-p", "2022-Q3"], ws).output
    assert "Kỳ đã chốt ngày" in text and "báo cáo số 125/BC-SNV" in text
    assert "Nhận sau khi chốt (1 tệp, đã lưu trữ):" in text and late.name in text

    refused = run(["report", "-p", "2022-Q3", "--no-pdf"], ws)
    assert refused.exit_code == 2
    assert "đã chốt ngày" in refused.output and "baocao reopen -p 2022-Q3" in refused.output
    assert digests(outputs_of(ws)) == signed


def test_reopen_needs_a_reason_and_lets_the_report_be_rewritten(ws, made, default_plan, run):
    put(ws, made, "STP", 12)
    collect(ws, default_plan, PERIOD, pdf=False)
    close(ws, PERIOD, who="Hoa")
    assert run(["close", "-p", "2022-Q3"], ws).exit_code == 2  # already closed
    put(ws, made, "SYT", 20)
    collect(ws, default_plan, PERIOD, pdf=False)
    no_reason = run(["reopen", "-p", "2022-Q3", "--ly-do", "  "], ws)
    assert no_reason.exit_code == 2 and "Ghi lý do mở lại kỳ" in no_reason.output
    opened = run(["reopen", "-p", "2022-Q3", "--ly-do", "Sở Y tế gửi muộn", "--nguoi", "Lan"],
                 ws)
    assert opened.exit_code == 0 and "Đã mở lại kỳ quý III năm 2022" in opened.output
    with Ledger(ws) as ledger:
        history = ledger.closings(PERIOD.id)
        assert [(c.action, c.who, c.reason) for c in history] == [
            ("close", "Hoa", ""), ("reopen", "Lan", "Sở Y tế gửi muộn")]
        assert ledger.closing(PERIOD.id) is None
    before = digests(outputs_of(ws))
    assert run(["report", "-p", "2022-Q3", "--no-pdf"], ws).exit_code == 0
    assert digests(outputs_of(ws)) != before  # the late unit is now counted


def test_a_later_file_lists_the_values_it_changed(ws, made, default_plan, run):
    first = put(ws, made, "STP", 12)
    collect(ws, default_plan, PERIOD, pdf=False)
    second = put(ws, made, "STP-v2", 13)
    collect(ws, default_plan, PERIOD, pdf=False)
    with Ledger(ws) as ledger:
        found = unit_changes(ledger, PERIOD.id, "STP")
    tts = [t.tt for t, _ in default_plan.tasks_for("STP")]
    assert [c.where for c in found] == [f"Nhiệm vụ {tt} – Kết quả thực hiện" for tt in
                                        sorted(tts)]
    change = found[0]
    assert (change.old, change.new) == ("Đã tổ chức 2 hội nghị tuyên truyền",
                                        "Đã tổ chức 5 hội nghị")
    assert (change.old_file, change.new_file) == (first.name, second.name)
    assert change.new_received.day == 13 and change.row > 0

    # The consolidated workbook lists the same corrections, with both files' dates.
    sheet = CalamineWorkbook.from_path(str(ws.workbook_path(PERIOD.id))).get_sheet_by_name(
        SHEETS["corrections"]).to_python()
    row = next(r for r in sheet if r[0] == "STP" and r[4] == "Đã tổ chức 5 hội nghị")
    assert row[3] == "Đã tổ chức 2 hội nghị tuyên truyền"
    assert (row[5], row[7]) == (first.name, second.name)
    assert (row[6].day, row[8].day) == (12, 13)

    text = run(["history", "-u", "STP", "-p", "2022-Q3"], ws).output
    assert "Đã được thay thế" in text and "Đang dùng" in text
    assert "Kết quả thực hiện" in text and "Tệp cũ → tệp mới" in " ".join(text.split())
    document = json.loads(run(["--json", "history", "-u", "STP", "-p", "2022-Q3"], ws).output)
    assert [v["file"] for v in document["versions"]] == [first.name, second.name]
    assert document["changes"][0]["new"] == "Đã tổ chức 5 hội nghị"


def _docx_text(path) -> str:
    from docx import Document
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_the_report_after_reopening_says_what_it_replaces_and_what_changed(
        ws, made, default_plan, run):
    put(ws, made, "STP", 12)
    collect(ws, default_plan, PERIOD, pdf=False)
    close(ws, PERIOD, number="125/BC-SNV", date="16/9/2022", who="Hoa")
    put(ws, made, "STP-v2", 13)
    put(ws, made, "SYT", 20)
    collect(ws, default_plan, PERIOD, pdf=False)
    signed = _docx_text(ws.report_path(PERIOD.id))
    assert "thay thế" not in signed  # the signed report is left as it was
    assert run(["reopen", "-p", "2022-Q3", "--ly-do", "Sở Y tế gửi muộn"], ws).exit_code == 0
    assert run(["report", "-p", "2022-Q3", "--no-pdf"], ws).exit_code == 0
    text = " ".join(_docx_text(ws.report_path(PERIOD.id)).split())
    assert ("Báo cáo này thay thế Báo cáo số 125/BC-SNV ngày 16/9/2022 của Sở Nội vụ về kết "
            "quả thực hiện Kế hoạch quý III năm 2022") in text
    assert "lý do: sở Y tế gửi muộn" not in text and "lý do: Sở Y tế gửi muộn" in text
    assert "Những điểm thay đổi so với báo cáo đã ký" in text
    assert "- Nhận thêm báo cáo của Sở Y tế (nhận 20/9/2022);" in text
    tt = sorted(t.tt for t, _ in default_plan.tasks_for("STP"))[0]
    assert (f"Sở Tư pháp gửi lại báo cáo (nhận 13/9/2022), thay đổi: Nhiệm vụ {tt} – Kết quả "
            "thực hiện từ “Đã tổ chức 2 hội nghị tuyên truyền” thành “Đã tổ chức 5 hội nghị”"
            ) in text
    # The sentence comes before the opening, right under "Kính gửi".
    assert text.index("Báo cáo này thay thế") < text.index("Thực hiện Kế hoạch số")


def test_without_a_number_the_report_names_the_signed_report_by_its_date(
        ws, made, default_plan, run):
    put(ws, made, "STP", 12)
    collect(ws, default_plan, PERIOD, pdf=False)
    closing = close(ws, PERIOD, who="Hoa")
    assert run(["reopen", "-p", "2022-Q3", "--ly-do", "Soát lại"], ws).exit_code == 0
    assert run(["report", "-p", "2022-Q3", "--no-pdf"], ws).exit_code == 0
    text = " ".join(_docx_text(ws.report_path(PERIOD.id)).split())
    day = closing.at.date()
    assert f"Báo cáo này thay thế báo cáo ngày {day.day}/{day.month}/{day.year} của" in text
    assert "không có đơn vị gửi thêm hay gửi lại số liệu" in text
