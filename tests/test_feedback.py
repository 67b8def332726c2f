"""Feedback workbooks on real forms: the exact cell's comment and fill, the list sheet,
the untouched identity, and the fixed file accepted again by intake."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from conftest import requires_soffice

from generator import office, vocab
from generator.findings import ERROR, WARNING, Finding, finding
from generator.forms import layout as formspec
from generator.forms.writer import write_form
from generator.intake import read as intake
from generator.plan.periods import parse_period
from generator.render.feedback import ACCEPTED, AUTHOR, HEADERS, SHEET, write_feedback
from generator.vocab import HELD, REJECTED, unit_file_name

PERIOD = parse_period("2022-Q3")
KEY = bytes(range(32))
REPORT = formspec.SHEET_REPORT


def cells(path, sheet=REPORT):
    book = openpyxl.load_workbook(path)
    return book, book[sheet]


def locate(sheet, tt: str, label: str) -> str:
    """The A1 address of a task row's cell, found by TT and column label."""
    for row in sheet.iter_rows():
        labels = {str(c.value).strip(): c.column_letter for c in row if c.value is not None}
        if formspec.REPORT_COLUMNS["tt"] in labels and label in labels:
            header = labels
            break
    for row in sheet.iter_rows():
        if str(row[0].value).strip() == tt:
            return f"{header[label]}{row[0].row}"
    raise AssertionError(tt)


def error(cell: str, text: str, code: str = "R001", sheet: str = REPORT) -> Finding:
    """A content finding as intake makes them: '[Sheet!Cell] what. How.'"""
    return Finding(ERROR, code, "STP.xlsx", sheet, cell, f"[{sheet}!{cell}] {text}")


@pytest.fixture(scope="module")
def form(tmp_path_factory, default_plan):
    path = tmp_path_factory.mktemp("form") / unit_file_name(default_plan.units["STP"],
                                                                  PERIOD)
    return write_form(default_plan, "STP", PERIOD, KEY, path)


@pytest.fixture
def unit(default_plan):
    return default_plan.units["STP"]


@pytest.fixture
def addresses(form):
    _, sheet = cells(form)
    return {"status": locate(sheet, "2.1", "Tình trạng"),
            "result": locate(sheet, "2.1", "Kết quả thực hiện")}


def test_cells_are_marked_and_listed(form, unit, addresses, tmp_path):
    status, result = addresses["status"], addresses["result"]
    found = [
        finding("F010", file="STP.xlsx"),
        error(status, "Thiếu tình trạng thực hiện. Chọn một giá trị trong danh sách."),
        finding("F020", file="STP.xlsx", sheet=REPORT, cell=result, encoding="TCVN3",
                text="Đã tổ chức"),
        error(status, "Tình trạng 'xong' không hợp lệ. Chọn một giá trị trong danh sách.",
              code="R002"),
        error("B7", "Chữ ký không khớp.", code="F102", sheet=formspec.SHEET_IDENTITY),
    ]
    target = tmp_path / "phan-hoi" / form.name
    assert write_feedback(form, found, unit, PERIOD, target) == target

    book, sheet = cells(target)
    source = openpyxl.load_workbook(form)
    assert book.sheetnames == [SHEET, *source.sheetnames]
    assert book.active.title == SHEET

    comment = sheet[status].comment
    assert comment.author == AUTHOR
    assert comment.text == (
        "Lỗi R001: Thiếu tình trạng thực hiện. Chọn một giá trị trong danh sách.\n"
        "Lỗi R002: Tình trạng 'xong' không hợp lệ. Chọn một giá trị trong danh sách.")
    assert sheet[status].fill.fgColor.rgb == "00FFC7CE"
    assert sheet[result].comment.text == (
        f"{vocab.WARNING.label} F020: Văn bản gõ bằng bảng mã cũ TCVN3 đã được chuyển sang Unicode: "
        "'Đã tổ chức'. Kiểm tra lại nội dung; lần sau gõ bằng bảng mã Unicode (phông Times "
        "New Roman).")
    assert sheet[result].fill.fgColor.rgb == "00FFEB9C"
    untouched = [c.coordinate for row in sheet.iter_rows() for c in row
                 if c.comment is not None]
    assert sorted(untouched) == sorted([status, result])

    listing = book[SHEET]
    assert listing["A1"].value == "PHẢN HỒI VỀ BÁO CÁO QUÝ III NĂM 2022 CỦA SỞ TƯ PHÁP"
    assert listing["A2"].value == f"Tệp đã nhận: {form.name}. Kết quả kiểm tra: 3 lỗi, " \
                                  "2 lưu ý."
    rows = [tuple(c.value for c in row) for row in listing.iter_rows(min_row=5)]
    assert rows == [
        HEADERS,
        ("Lỗi", "R001", REPORT, status,
         "Thiếu tình trạng thực hiện. Chọn một giá trị trong danh sách."),
        ("Lỗi", "R002", REPORT, status,
         "Tình trạng 'xong' không hợp lệ. Chọn một giá trị trong danh sách."),
        ("Lỗi", "F102", formspec.SHEET_IDENTITY, "B7", "Chữ ký không khớp."),
        (vocab.WARNING.label, "F010", None, None,
         "Tệp có macro (VBA): macro bị bỏ qua, không chạy. Lần sau lưu biểu mẫu dạng .xlsx "
         "(Excel Workbook), không có macro."),
        (vocab.WARNING.label, "F020", REPORT, result, sheet[result].comment.text.split(": ", 1)[1]),
    ]
    assert listing["D6"].hyperlink.location == f"'{REPORT}'!{status}"
    assert listing["D8"].hyperlink is None  # the identity sheet is not marked
    assert listing.column_dimensions["E"].width == 95
    assert listing["E6"].alignment.wrap_text


@requires_soffice
def test_each_finding_row_is_tall_enough_for_its_message(form, unit, addresses, tmp_path):
    """Wrapped messages get rows of their own height: no spreadsheet program grows a row
    for wrapped text when it opens a file, so in LibreOffice a long message ran over the
    next row. A one-line message keeps one line; the received line grows with a long
    sender too. Checked where the officer sees it: the PDF LibreOffice prints."""
    long_text = ("Theo trang nhận dạng, đây là biểu mẫu của đơn vị 'STP' (Sở Tư pháp), nhưng "
                 "theo tên tệp 'SNNPTNT_so-nn-ptnt_2022-Q3.xlsx' là của đơn vị 'SNNPTNT' (Sở "
                 "Nông nghiệp và Phát triển nông thôn): tệp được giữ lại chờ xác nhận. Nếu "
                 "đúng là báo cáo của đơn vị, Sở Nội vụ xác nhận; nếu không, đơn vị gửi lại "
                 "đúng biểu mẫu của mình.")
    found = [error(addresses["status"], "Thiếu tình trạng."),
             error(addresses["result"], long_text, "R007"),
             error(addresses["status"], "Ngày hoàn thành sai.", "R006")]
    target = write_feedback(form, found, unit, PERIOD, tmp_path / "out.xlsx",
                            sender="van.thu.so.nong.nghiep.phat.trien.nong.thon@laocai.gov.vn")
    listing = openpyxl.load_workbook(target)[SHEET]
    short, tall = (listing.row_dimensions[r].height for r in (6, 7))
    assert short < 20 and tall >= 2 * short  # 280 characters in a column of 95
    pdf = office.convert(target, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # Row 7's message lies wholly between row 6's line and row 8's: no line of print
    # holds words of two rows.
    (above,) = [n for n, line in enumerate(lines) if "Thiếu tình trạng." in line]
    (first,) = [n for n, line in enumerate(lines) if "Theo trang nhận dạng" in line]
    (last,) = [n for n, line in enumerate(lines) if "của mình." in line]
    (below,) = [n for n, line in enumerate(lines) if "Ngày hoàn thành sai." in line]
    assert above < first < last < below


def test_identity_sheet_is_left_exactly_as_it_was(form, unit, addresses, tmp_path):
    target = tmp_path / "out.xlsx"
    write_feedback(form, [error(addresses["status"], "Thiếu.")], unit, PERIOD, target)
    before = openpyxl.load_workbook(form)[formspec.SHEET_IDENTITY]
    after = openpyxl.load_workbook(target)[formspec.SHEET_IDENTITY]
    assert after.sheet_state == "veryHidden"
    assert list(after.values) == list(before.values)


def test_the_fixed_file_is_accepted_again(form, unit, addresses, default_plan, tmp_path):
    target = tmp_path / "out.xlsx"
    write_feedback(form, [error(addresses["status"], "Thiếu.")], unit, PERIOD, target)
    book, sheet = cells(target)
    sheet[addresses["status"]] = "Đã hoàn thành"  # the unit fixes that very file
    book.save(target)
    submission, found = intake.read_form(target, default_plan, PERIOD, KEY)
    assert submission is not None, [f.message for f in found]
    assert submission.unit == "STP"
    assert submission.tasks["2.1"].status == "Đã hoàn thành"


def test_same_inputs_same_bytes(form, unit, addresses, tmp_path):
    found = [error(addresses["status"], "Thiếu.")]
    first = write_feedback(form, found, unit, PERIOD, tmp_path / "a.xlsx").read_bytes()
    second = write_feedback(form, found, unit, PERIOD, tmp_path / "b.xlsx").read_bytes()
    assert first == second


def test_feedback_sent_back_is_answered_afresh(form, unit, addresses, tmp_path):
    first = write_feedback(form, [error(addresses["status"], "Thiếu.")], unit, PERIOD,
                           tmp_path / "1.xlsx")
    returned = shutil.copyfile(first, tmp_path / "gui-lai.xlsx")
    second = write_feedback(returned, [error(addresses["result"], "Trống.", code="R004")],
                            unit, PERIOD, tmp_path / "2.xlsx")
    book, sheet = cells(second)
    assert book.sheetnames.count(SHEET) == 1 and book.sheetnames[0] == SHEET
    assert sheet[addresses["status"]].comment is None  # last round's mark is gone
    assert sheet[addresses["status"]].fill.fill_type is None
    assert sheet[addresses["result"]].comment.text == "Lỗi R004: Trống."
    assert [r[1] for r in book[SHEET].iter_rows(min_row=6, values_only=True)] == ["R004"]


def test_merged_cell_gets_its_comment_on_the_top_left(form, unit, tmp_path):
    _, sheet = cells(form)
    merged = next(r for r in sheet.merged_cells.ranges if r.min_row > 20 and r.size["columns"] > 1)
    inner = f"{openpyxl.utils.get_column_letter(merged.min_col + 1)}{merged.min_row}"
    target = write_feedback(form, [error(inner, "Thiếu người lập biểu.", code="R010")], unit,
                            PERIOD, tmp_path / "m.xlsx")
    _, out = cells(target)
    top_left = out.cell(merged.min_row, merged.min_col)
    assert top_left.comment.text == "Lỗi R010: Thiếu người lập biểu."


def test_macros_are_dropped(form, unit, addresses, tmp_path):
    xlsm = tmp_path / "STP.xlsm"
    with zipfile.ZipFile(form) as old, zipfile.ZipFile(xlsm, "w") as new:
        for item in old.infolist():
            new.writestr(item, old.read(item.filename))
        new.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really vba")
    target = write_feedback(xlsm, [finding("F010", file="STP.xlsm")], unit, PERIOD,
                            tmp_path / "out.xlsx")
    with zipfile.ZipFile(target) as archive:
        assert "xl/vbaProject.bin" not in archive.namelist()
    assert openpyxl.load_workbook(target).sheetnames[0] == SHEET


@pytest.mark.parametrize(("state", "code", "told", "not_told"), [
    (ACCEPTED, "R001", "sửa trực tiếp các ô được tô màu", "chưa được đưa vào tổng hợp"),
    (ACCEPTED, "F010", "sửa theo từng dòng dưới đây", "tô màu"),  # no cell to colour
    (REJECTED.key, "F104", "Tệp chưa được đưa vào tổng hợp. Cách sửa: làm theo hướng dẫn",
     "tô màu"),
    (HELD.key, "F110", "Tệp đang chờ Sở Nội vụ xác nhận là báo cáo của đơn vị", "tô màu"),
])
def test_the_unit_is_told_what_to_do_with_this_file(form, unit, addresses, tmp_path, state,
                                                     code, told, not_told):
    """The line under the counts matches what intake made of the file: a rejected file
    has no coloured cell to fix and is not in the consolidation; a held one waits for Sở
    Nội vụ; an accepted one is fixed on its coloured cells (or row by row)."""
    found = [error(addresses["status"], "Thiếu tình trạng.")] if code == "R001" else \
        [Finding(ERROR if code != "F010" else WARNING, code, "STP.xlsx", "", "",
                 f"Nội dung của {code}.")]
    target = write_feedback(form, found, unit, PERIOD, tmp_path / "out.xlsx", state=state)
    line = openpyxl.load_workbook(target)[SHEET]["A3"].value
    assert told in line and not_told not in line


@pytest.mark.parametrize("content", [b"%PDF-1.4 not a workbook", b""])
def test_a_file_that_cannot_be_opened_gets_the_list_alone(unit, tmp_path, content):
    source = tmp_path / "STP.xlsx"
    source.write_bytes(content)
    found = [finding("F003", file="STP.xlsx", what="tài liệu PDF")]
    target = write_feedback(source, found, unit, PERIOD, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == [SHEET]
    assert book[SHEET]["A3"].value.startswith("Không mở được tệp đơn vị gửi")
    assert book[SHEET]["B6"].value == "F003"
    again = write_feedback(source, found, unit, PERIOD, tmp_path / "again.xlsx")
    assert again.read_bytes() == target.read_bytes()


@requires_soffice
def test_xls_is_converted_and_marked(form, unit, addresses, default_plan, tmp_path):
    xls = office.convert(form, "xls", tmp_path / "xls")
    target = write_feedback(xls, [error(addresses["status"], "Thiếu.")], unit, PERIOD,
                            tmp_path / "out.xlsx")
    book, sheet = cells(target)
    assert sheet[addresses["status"]].comment.text == "Lỗi R001: Thiếu."
    assert book[formspec.SHEET_IDENTITY].sheet_state == "veryHidden"
    submission, found = intake.read_form(target, default_plan, PERIOD, KEY)
    assert submission is not None, [f.message for f in found]


@requires_soffice
def test_xls_without_libreoffice_is_rebuilt_from_values(form, unit, addresses, tmp_path,
                                                        monkeypatch, default_plan):
    xls = office.convert(form, "xls", tmp_path / "xls")
    monkeypatch.setattr(office, "soffice_path", lambda: None)  # a machine without it
    target = write_feedback(xls, [error(addresses["status"], "Thiếu.")], unit, PERIOD,
                            tmp_path / "out.xlsx")
    book, sheet = cells(target)
    assert sheet[addresses["status"]].comment.text == "Lỗi R001: Thiếu."
    assert sheet["A9"].value == openpyxl.load_workbook(form)[REPORT]["A9"].value
    assert book[formspec.SHEET_IDENTITY].sheet_state == "veryHidden"
    submission, found = intake.read_form(target, default_plan, PERIOD, KEY)
    assert submission is not None, [f.message for f in found]


def test_warning_only_cell_and_unknown_sheet(form, unit, tmp_path):
    found = [Finding(WARNING, "R020", "STP.xlsx", "Trang lạ", "A1", "[Trang lạ!A1] Lạ.")]
    target = write_feedback(form, found, unit, PERIOD, tmp_path / "w.xlsx")
    book = openpyxl.load_workbook(target)
    assert "Trang lạ" not in book.sheetnames
    assert book[SHEET]["E6"].value == "Lạ."
    assert book[SHEET]["D6"].hyperlink is None
