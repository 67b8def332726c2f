"""The consolidated workbook: cells against hand-computed figures, formula injection,
atomic writing, determinism, and the real LibreOffice opening it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
import smallplan as sp
from conftest import requires_soffice
from python_calamine import CalamineWorkbook

from generator.consolidate.build import from_ledger
from generator.forms import layout as formspec
from generator.office import convert
from generator.render import workbook
from generator.render.workbook import SHEETS, write_workbook
from generator.vocab import (
    LATE,
    MISSING,
    ONGOING,
    SUBMISSION_STATES,
    TASK_STATUSES,
)


@pytest.fixture
def plan(tmp_path):
    return sp.write_plan(tmp_path / "ke-hoach.xlsx")


@pytest.fixture
def cons(workspace, plan):
    sp.record(workspace, sp.submissions())
    return from_ledger(workspace, plan, sp.PERIOD)


@pytest.fixture
def book_path(cons, tmp_path):
    return write_workbook(cons, tmp_path / "TongHop_2022-Q3.xlsx")


def rows(path, sheet) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def row_of(table, first) -> list:
    return next(r for r in table if r and r[0] == first)


def test_sheets_in_order(book_path):
    names = CalamineWorkbook.from_path(str(book_path)).sheet_names
    # "So sánh các kỳ" only once an earlier period is closed (tests/test_trends.py).
    assert names == [name for key, name in SHEETS.items() if key != "trends"]


def test_overview_figures(book_path):
    table = rows(book_path, SHEETS["overview"])
    assert table[0][0] == "TỔNG HỢP KẾT QUẢ THỰC HIỆN QUÝ III NĂM 2022"
    assert "số liệu từ 15/06/2022 đến 14/09/2022" in table[2][0]
    # 5 units report to SNV (the compiler is not in its register), 4 received (1 on time,
    # 3 late), 1 missing; no task done (1.1: SNV done, H1 ongoing).
    assert row_of(table, "Đơn vị phải báo cáo")[1] == 5
    assert row_of(table, "Đã nộp báo cáo")[1] == 4
    assert row_of(table, MISSING.label)[1] == 1
    assert row_of(table, "Tỷ lệ đơn vị đã nộp")[1] == pytest.approx(4 / 5)
    assert row_of(table, "Tỷ lệ nhiệm vụ hoàn thành")[1] == 0
    assert row_of(table, "Chưa báo cáo (không đơn vị nào báo cáo)")[1] == 0
    # Dimension 1: 2 tasks, both ongoing; a column per status and one for "not reported".
    counts = {ONGOING.key: 2}
    assert row_of(table, "1. Tham gia của người dân")[1:4 + len(TASK_STATUSES)] == [
        2, *[counts.get(s.key, 0) for s in TASK_STATUSES], 0, 0.0]
    # Cấp tỉnh: SA late, SB missing.
    states = {LATE.key: 1, MISSING.key: 1}
    width = 3 + len(SUBMISSION_STATES) + 2
    assert row_of(table, "Cấp tỉnh")[1:width] == [
        2, 1, *[states.get(s.key, 0) for s in SUBMISSION_STATES], pytest.approx(1 / 2), 0]
    assert row_of(table, "Tổng cộng")[1:6] == [5, 4, 1, 3, 1]


def test_overview_has_native_charts_and_print_setup(book_path):
    with zipfile.ZipFile(book_path) as archive:
        names = archive.namelist()
        charts = [n for n in names if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        text = "".join(archive.read(n).decode() for n in charts)
    assert "Tỷ lệ nhiệm vụ hoàn thành theo nội dung" in text and "Nộp báo cáo theo cấp" in text
    sheet = openpyxl.load_workbook(book_path)[SHEETS["tasks"]]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.freeze_panes == "A6" and sheet.auto_filter.ref == "A5:P8"


def test_task_sheet(book_path):
    table = rows(book_path, SHEETS["tasks"])
    assert table[4][:3] == ["TT", "Nội dung", "Nhiệm vụ"]
    # 2.1: 3 units, SA ongoing, H1 done, SB nothing; due 30/11 -> due next period.
    assert row_of(table, "2.1")[3:15] == ["Sở A", "Trước 30/11/2022", 3, 1, 1, 0, 0, 1,
                                          pytest.approx(1 / 3), "Đang thực hiện", "", "Có"]
    # 1.1: SNV (lead) done, H1 (partner) ongoing: the status and its counts agree.
    assert row_of(table, "1.1")[12] == "Đang thực hiện"
    assert row_of(table, "1.1")[15] == "đang triển khai thực hiện, 1/2 đơn vị đã hoàn thành"


def test_matrix_and_colours(book_path):
    table = rows(book_path, SHEETS["matrix"])
    header = next(r for r in table if r[:2] == ["Mã", "Đơn vị"])
    assert header[3:] == ["1.1", "1.2", "2.1"]
    assert row_of(table, "SB")[3:] == ["", "", "Chưa BC"]
    assert row_of(table, "H1")[3:] == ["ĐTH", "", "HT"]
    sheet = openpyxl.load_workbook(book_path)[SHEETS["matrix"]]
    rules = [r for cf in sheet.conditional_formatting for r in cf.rules]
    assert {r.formula[0] for r in rules} >= {'"HT"', '"ĐTH"', '"Chưa BC"'}


def test_indicators_rollup_in_cells(book_path):
    table = rows(book_path, SHEETS["indicators"])
    header = next(r for r in table if r and r[0] == "Mã chỉ tiêu")
    assert header[5:] == ["Cấp báo cáo", "Toàn tỉnh Thử", "Số đơn vị báo cáo", "Huyện Một",
                          "Số đơn vị báo cáo", "Cách tính (Toàn tỉnh Thử)"]
    # CT1 = 3 + 1; CT3 = 5 + 2 (province: SB of SA, SB, H1 did not report), 2 (H1);
    # CT2r = 9/15 = 60%.
    assert row_of(table, "CT1")[6:10] == [4, "2/2", 4, "2/2"]
    assert row_of(table, "CT3")[6:10] == [7, "2/3", 2, "1/1"]
    assert row_of(table, "CT2r")[6:10] == [pytest.approx(0.6), "2/2", pytest.approx(0.6), "2/2"]
    assert row_of(table, "CT3")[10] == "Số phát sinh trong kỳ: cộng số của 3 đơn vị cấp tỉnh, " \
                                       "cấp huyện"
    sheet = openpyxl.load_workbook(book_path)[SHEETS["indicators"]]
    ct2r = next(r for r in sheet.iter_rows() if r[0].value == "CT2r")
    ct1 = next(r for r in sheet.iter_rows() if r[0].value == "CT1")
    assert ct2r[6].number_format == "0.0%" and ct1[6].number_format == "#,##0"
    units = rows(book_path, SHEETS["unit_indicators"])
    assert [r[7] for r in units if r[0] == "X2" and r[4] == "CT2r"] == [pytest.approx(0.2)]


def test_register_late_and_missing(book_path):
    table = rows(book_path, SHEETS["submissions"])
    sa, sb, x2 = row_of(table, "SA"), row_of(table, "SB"), row_of(table, "X2")
    assert sa[4:7] == [dt.date(2022, 9, 14), dt.datetime(2022, 9, 16, 9), "Trễ hạn"]
    assert sb[4:7] == [dt.date(2022, 9, 14), "", MISSING.label]
    assert x2[4] == dt.date(2022, 9, 10) and x2[6] == "Trễ hạn"
    assert not any(r and r[0] == "SNV" for r in table)  # the compiler reports to no one here


def test_results_notes_findings_sheets(book_path):
    results = rows(book_path, SHEETS["results"])
    sb = next(r for r in results if r[2] == "SB")
    assert sb[5] == "Chưa báo cáo"
    notes = rows(book_path, SHEETS["notes"])
    assert ["Chung của đơn vị", "Đề xuất, kiến nghị", "", "SA", "Sở A", "Bổ sung kinh phí"] \
        in notes
    assert rows(book_path, SHEETS["changes"])[3][0].startswith("Sổ theo dõi chưa có số liệu")
    assert rows(book_path, SHEETS["reconciliation"])[6][0] == "Không có chênh lệch."


def test_unit_text_never_becomes_a_formula(book_path):
    """SA's result starts with '=', X1's with '+', X2's with '-', a note with '@'."""
    book = openpyxl.load_workbook(book_path)
    sheet = book[SHEETS["results"]]
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://x.invalid","bấm")', "+ 3 hội nghị", "-1 hội nghị hoãn"):
        assert cells[text].data_type == "s"
    with zipfile.ZipFile(book_path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode()
    notes = rows(book_path, SHEETS["notes"])
    assert any(r[5] == "@ Đường xa" for r in notes)


def test_same_ledger_same_bytes(cons, tmp_path, workspace, plan):
    first = write_workbook(cons, tmp_path / "a.xlsx")
    again = write_workbook(from_ledger(workspace, plan, sp.PERIOD), tmp_path / "b.xlsx")
    assert first.read_bytes() == again.read_bytes()


def test_crash_keeps_the_previous_workbook(cons, book_path, monkeypatch):
    good = book_path.read_bytes()

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(workbook, "findings_sheet", broken)
    with pytest.raises(RuntimeError):
        write_workbook(cons, book_path)
    assert book_path.read_bytes() == good
    assert [p.name for p in book_path.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_district_return_sheets(workspace, plan, tmp_path):
    sp.record(workspace, sp.submissions())
    cons = from_ledger(workspace, plan, sp.PERIOD, scope="H1")
    path = write_workbook(cons, tmp_path / "TongHop_2022-Q3_H1.xlsx", key=workspace.secret_key())
    book = CalamineWorkbook.from_path(str(path))
    assert SHEETS["reconciliation"] not in book.sheet_names
    identity = dict(rows(path, formspec.SHEET_IDENTITY))
    assert identity["unit"] == "H1" and identity["period"] == "2022-Q3"
    assert formspec.verify(workspace.secret_key(), identity)
    assert openpyxl.load_workbook(path)[formspec.SHEET_IDENTITY].sheet_state == "veryHidden"
    report = rows(path, formspec.SHEET_REPORT)
    assert list(formspec.REPORT_COLUMNS.values()) in report
    assert row_of(report, "2.1")[4:7] == ["Đã hoàn thành", dt.date(2022, 9, 1),
                                          "Đã công khai 2 thủ tục"]
    assert row_of(rows(path, formspec.SHEET_INDICATORS), "CT3")[3] == 2
    children = rows(path, formspec.SHEET_CHILDREN)
    assert children[0] == list(formspec.CHILD_COLUMNS.values())
    assert ["X2", "Chỉ tiêu", "CT2b", "", "", "", 5.0] in children
    assert ["X1", "Nhiệm vụ", "1.2", "Đã hoàn thành", dt.date(2022, 9, 5), "+ 3 hội nghị", ""] \
        in children
    overview = rows(path, SHEETS["overview"])
    assert "Huyện Một" in overview[1][0] and row_of(overview, "Đơn vị phải báo cáo")[1] == 2


@requires_soffice
def test_libreoffice_opens_it(book_path, tmp_path):
    pdf = convert(book_path, "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "TỔNG HỢP KẾT QUẢ THỰC HIỆN QUÝ III NĂM 2022" in text
    assert "Tình hình nộp báo cáo theo cấp" in text or "Tình hình nộp báo cáo" in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf),
                        str(tmp_path / "page")], check=True)
        assert (tmp_path / "page-01.png").stat().st_size > 5000


def test_two_level_plan_workbook(workspace, tmp_path):
    plan = sp.write_plan(tmp_path / "hai-cap.xlsx", two_level=True)
    subs = sp.submissions()
    del subs["H1"]
    sp.record(workspace, subs)
    path = write_workbook(from_ledger(workspace, plan, sp.PERIOD), tmp_path / "TongHop.xlsx")
    overview = rows(path, SHEETS["overview"])
    assert [r[0] for r in overview if r and r[0].startswith("Cấp ")] == ["Cấp tỉnh", "Cấp xã"]
    indicators = rows(path, SHEETS["indicators"])
    assert next(r for r in indicators if r[0] == "Mã chỉ tiêu")[6:] == [
        "Toàn tỉnh Thử", "Số đơn vị báo cáo", "Cách tính (Toàn tỉnh Thử)"]
    # CT3 = SA 5 (no district any more; SB silent); CT2r = 9/15.
    assert row_of(indicators, "CT3")[6:8] == [5, "1/2"]
    assert row_of(indicators, "CT2r")[6] == pytest.approx(0.6)


def test_open_in_excel_is_a_clear_message(cons, book_path, monkeypatch):
    from generator.errors import UsageError

    def locked(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("generator.excel.os.replace", locked)
    with pytest.raises(UsageError, match="tệp đang mở trong chương trình khác"):
        write_workbook(cons, book_path)
