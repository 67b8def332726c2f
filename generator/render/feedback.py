"""Feedback workbook: the unit's own file with its findings marked, sent back to be fixed.

A copy of the file the unit sent (openpyxl, macros dropped; an .xls or .ods is converted
to .xlsx by LibreOffice, or rebuilt from its values when LibreOffice is absent), each
offending cell filled and carrying a comment by "Sở Nội vụ", and a first sheet
"Phản hồi" listing every finding. The identity sheet is left exactly as it was, so
the fixed file is accepted as the unit's form again. A file that cannot be opened
safely (rejected by safety.screen, or unreadable) gets a workbook holding only the list.

The work is bounded by what the file holds, never by its extent: only cells that exist
are visited (a stray value in XFD1048576 costs one cell, not 2^34), and collect runs each
feedback in a worker process under a memory and time limit (intake.pool), falling back to
the list alone for a file that exhausts it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import coordinate_from_string, range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink

from generator import office
from generator.errors import BaocaoError
from generator.excel import (
    FIXED_CREATED,
    atomic_path,
    system_temp_prefix,
    verify_zip,
    wrapped_lines,
)
from generator.findings import ERROR, WARNING, location
from generator.forms import layout as formspec
from generator.forms.writer import CHARS_PER_WIDTH as FORM_CHARS_PER_WIDTH
from generator.forms.writer import LINE_HEIGHT as FORM_LINE_HEIGHT
from generator.intake import safety
from generator.text import fmt_date_long, nfc
from generator.vocab import HELD, REJECTED, SEVERITY_BY_KEY

SHEET = "Phản hồi"
AUTHOR = "Sở Nội vụ"
COLORS = {s.key: s.colour.lstrip("#") for s in SEVERITY_BY_KEY.values()}
HEADERS = ("Mức", "Mã", "Trang tính", "Ô", "Nội dung")
WIDTHS = (11, 8, 18, 8, 95)
HEADER_ROW = 5
FIXED_ZIP_TIME = (2022, 1, 1, 0, 0, 0)
CONVERT_SECONDS = 60  # an .xls to .xlsx by LibreOffice, within the worker's own time limit
ACCEPTED = "accepted"  # a file taken into the consolidation (with its findings)


def write_feedback(source_path, findings, unit, period, target, file_name: str | None = None,
                   mailed_at: dt.datetime | None = None, sender: str = "",
                   own: bool = True, state: str = ACCEPTED) -> Path:
    """Write the feedback workbook for one unit's file; returns target. file_name: the
    file's name as the unit sent it (the archive names it by hash); mailed_at and sender:
    the email that brought it, when it came by mail. own=False: the list alone, without
    opening the unit's file. state: what intake made of the file (ACCEPTED, or the
    submission state REJECTED or HELD), which decides what the unit is told to do."""
    source_path, target = Path(source_path), Path(target)
    findings = sorted(findings, key=lambda f: f.severity != ERROR)  # errors first, stable
    with tempfile.TemporaryDirectory(prefix=system_temp_prefix("phan-hoi")) as tmp:
        book, own = open_copy(source_path, Path(tmp)) if own else (_blank(), False)
        marked = mark_cells(book, findings) if own else set()
        received = received_text(file_name or source_path.name, mailed_at, sender)
        summary_sheet(book, findings, unit, period, received, own, marked, state)
        with atomic_path(target, verify=verify_zip) as part:
            book.save(part)
            make_deterministic(part)
    return target


def received_text(file_name: str, mailed_at: dt.datetime | None, sender: str) -> str:
    """'02776_….xlsx (đính kèm thư của x@… gửi lúc 16:30 ngày 15/9/2022)'."""
    if mailed_at is None:
        return file_name
    who = f" của {sender}" if sender else ""
    return (f"{file_name} (đính kèm thư{who} gửi lúc {mailed_at:%H:%M} "
            f"{fmt_date_long(mailed_at.date())})")


def write_in_worker(job: dict) -> Path | BaocaoError:
    """write_feedback(**job) for a worker process (intake.pool.run_each): a usage error
    (the target locked, the disk full) comes back as a value, to be reported."""
    try:
        return write_feedback(**job)
    except BaocaoError as exc:
        return exc


# --------------------------------------------------------------------------- opening

def open_copy(source: Path, tmp: Path) -> tuple[openpyxl.Workbook, bool]:
    """(workbook, True) for the unit's own file; (empty workbook, False) when it cannot
    be opened safely: then the feedback is the list alone."""
    if safety.is_rejected(safety.screen(source)):
        return _blank(), False
    try:
        suffix = _converted_format(source)
        if suffix:
            return _from_other(source, tmp, suffix), True
        with open(source, "rb") as stream:  # a stream: openpyxl then ignores the extension
            book = openpyxl.load_workbook(stream, keep_vba=False, keep_links=False)
        _drop_previous_feedback(book)
        return book, True
    except Exception:  # noqa: BLE001 - any reader failure means: send the list alone
        return _blank(), False


def _blank() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.created = FIXED_CREATED  # openpyxl would stamp the current time
    book.properties.creator = AUTHOR
    return book


def _converted_format(source: Path) -> str | None:
    """'.xls' or '.ods' for a file openpyxl cannot open (LibreOffice converts it first)."""
    with open(source, "rb") as stream:
        head = stream.read(8)
    if head == safety.OLE_MAGIC:
        return ".xls"
    with zipfile.ZipFile(source) as archive:
        if safety.ODS_CONTENT in archive.namelist() and \
                archive.read("mimetype").strip() == safety.ODS_MIME:
            return ".ods"
    return None


def _from_other(source: Path, tmp: Path, suffix: str) -> openpyxl.Workbook:
    """An .xls or .ods as .xlsx: LibreOffice keeps styles and the hidden identity sheet;
    without it the values are rebuilt with calamine (formatting is lost, content is not)."""
    copy = tmp / f"nguon{suffix}"
    shutil.copyfile(source, copy)
    try:
        converted = office.convert(copy, "xlsx", tmp / "xlsx", timeout=CONVERT_SECONDS)
    except BaocaoError:
        book = _rebuild(copy)
    else:
        book = openpyxl.load_workbook(converted, keep_vba=False, keep_links=False)
        _drop_previous_feedback(book)
    # .xls, .ods (and LibreOffice) know no "very hidden": the identity sheet came back merely
    # hidden; hide it as the form had it.
    if formspec.SHEET_IDENTITY in book.sheetnames:
        book[formspec.SHEET_IDENTITY].sheet_state = "veryHidden"
    return book


def _rebuild(path: Path) -> openpyxl.Workbook:
    from python_calamine import CalamineWorkbook

    states = {"Visible": "visible", "Hidden": "hidden", "VeryHidden": "veryHidden"}
    source = CalamineWorkbook.from_path(str(path))
    book = _blank()
    for meta in source.sheets_metadata:
        if meta.name == SHEET:
            continue
        sheet = book.create_sheet(meta.name)
        sheet.sheet_state = states.get(str(meta.visible).rsplit(".", 1)[-1], "visible")
        rows = source.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value not in ("", None):
                    sheet.cell(r, c).value = value
    return book


def _drop_previous_feedback(book) -> None:
    """A unit often sends back the feedback file itself: last round's list and marks go."""
    if SHEET in book.sheetnames:
        book.remove(book[SHEET])
    for sheet in book.worksheets:
        # The cells the sheet holds, not iter_rows(): that creates every cell of the used
        # range, 2^34 of them when a stray value sits in XFD1048576.
        for cell in list(sheet._cells.values()):
            if cell.comment is not None and cell.comment.author == AUTHOR:
                cell.comment = None
                if _fill_color(cell) in COLORS.values():
                    cell.fill = PatternFill(fill_type=None)


def _fill_color(cell) -> str:
    color = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fgColor else ""
    return str(color)[-6:].upper() if isinstance(color, str) else ""


# --------------------------------------------------------------------------- marking

def _anchor(sheet, cell: str) -> str | None:
    """The cell that can hold a comment: a merged range's top-left cell."""
    try:
        column, row = coordinate_from_string(cell)
    except ValueError:
        return None
    coordinate = f"{column}{row}"
    for merged in sheet.merged_cells.ranges:
        if coordinate in merged:
            min_col, min_row, _, _ = range_boundaries(str(merged))
            return sheet.cell(min_row, min_col).coordinate
    return coordinate


def mark_cells(book, findings) -> set[tuple[str, str]]:
    """Fill and comment each finding's cell; the identity sheet is never touched."""
    notes: dict[tuple[str, str], list] = {}
    for item in findings:
        if not item.sheet or not item.cell or item.sheet == formspec.SHEET_IDENTITY:
            continue
        if item.sheet not in book.sheetnames:
            continue
        anchor = _anchor(book[item.sheet], item.cell)
        if anchor is not None:
            notes.setdefault((item.sheet, anchor), []).append(item)
    for (sheet_name, coordinate), items in notes.items():
        cell = book[sheet_name][coordinate]
        worst = ERROR if any(i.severity == ERROR for i in items) else WARNING
        cell.fill = PatternFill("solid", fgColor=COLORS[worst], bgColor=COLORS[worst])
        lines = [f"{SEVERITY_BY_KEY[i.severity].label} {i.code}: {_plain(i)}"
                 for i in items]
        text = "\n".join(lines)
        if cell.comment is not None and cell.comment.text:
            text = f"{text}\n\n{cell.comment.text}"
        comment = Comment(text, AUTHOR)
        comment.width = 320
        comment.height = min(400, 40 + 18 * sum(1 + len(line) // 45 for line in lines))
        cell.comment = comment
    return set(notes)


def _plain(item) -> str:
    """The message without its '[Sheet!A1] ' prefix (the comment sits on that cell)."""
    return item.message.removeprefix(location(item.sheet, item.cell))


# --------------------------------------------------------------------------- list sheet

def _what_to_do(state: str, own: bool, marked) -> str:
    """The line under the counts: what the unit does next, true to what was done with the
    file (a rejected file has no cell worth fixing; a held one waits for Sở Nội vụ)."""
    if state == REJECTED.key:
        return ("Tệp chưa được đưa vào tổng hợp. Cách sửa: làm theo hướng dẫn ở cột Nội dung "
                "dưới đây (thường là dùng đúng biểu mẫu của đơn vị, của kỳ này), rồi gửi lại "
                "Sở Nội vụ.")
    if state == HELD.key:
        return ("Tệp đang chờ Sở Nội vụ xác nhận là báo cáo của đơn vị (lý do ở cột Nội dung), "
                "chưa được đưa vào tổng hợp. Nếu tệp không phải báo cáo của đơn vị, gửi lại "
                "đúng biểu mẫu của đơn vị.")
    if not own:
        return ("Không mở được tệp đơn vị gửi nên không đánh dấu được ô nào. Sửa theo "
                "danh sách dưới đây, điền vào biểu mẫu gốc rồi gửi lại Sở Nội vụ.")
    if not marked:
        return ("Cách sửa: sửa theo từng dòng dưới đây trên chính tệp này, không sửa trang ẩn, "
                "lưu lại rồi gửi lại Sở Nội vụ.")
    return ("Cách sửa: sửa trực tiếp các ô được tô màu trên chính tệp này (di chuột vào ô để "
            "xem ghi chú), không sửa trang ẩn, lưu lại rồi gửi lại Sở Nội vụ.")


def summary_sheet(book, findings, unit, period, received: str, own: bool, marked,
                  state: str = ACCEPTED) -> None:
    sheet = book.create_sheet(SHEET, 0)
    for other in book.worksheets:
        other.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = 0
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    label = getattr(period, "label", str(period))
    sheet["A1"] = nfc(f"PHẢN HỒI VỀ BÁO CÁO {label.upper()} CỦA {unit.name.upper()}")
    counted = (f"{count} {SEVERITY_BY_KEY[key].label.lower()}"  # "3 lỗi, 2 lưu ý"
               for count, key in ((errors, ERROR), (warnings, WARNING)))
    sheet["A2"] = nfc(f"Tệp đã nhận: {received}. Kết quả kiểm tra: {', '.join(counted)}.")
    sheet["A3"] = _what_to_do(state, own, marked)
    sheet["A1"].font = Font(bold=True, size=13)
    for row in (1, 2, 3):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADERS))
        sheet.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 36
    sheet.row_dimensions[2].height = _height(sheet["A2"].value, sum(WIDTHS))
    sheet.row_dimensions[3].height = max(32, _height(sheet["A3"].value, sum(WIDTHS)))
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, (title, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(HEADER_ROW, column, title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[cell.column_letter].width = width
    for row, item in enumerate(findings, start=HEADER_ROW + 1):
        values = (SEVERITY_BY_KEY[item.severity].label, item.code, item.sheet,
                  item.cell, _plain(item))
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = border
        sheet.row_dimensions[row].height = max(_height(value, width) for value, width
                                               in zip(values, WIDTHS, strict=True))
        severity = sheet.cell(row, 1)
        severity.fill = PatternFill("solid", fgColor=COLORS.get(item.severity, "FFFFFF"))
        anchor = (item.sheet, _anchor(book[item.sheet], item.cell)) \
            if item.sheet in book.sheetnames and item.cell else None
        if anchor in marked:  # jump to the marked cell
            link = sheet.cell(row, 4)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{item.sheet}'!{anchor[1]}")
            link.font = Font(color="0563C1", underline="single")
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _height(text, width: float) -> float:
    """Points for a row of wrapped text (a spreadsheet program does not grow it when it
    opens the file). The sheet is added to the unit's own form, whose text is the form's
    Times New Roman 12: measured with the form's metrics (for Calibri 11, a little room
    to spare)."""
    return min(FORM_LINE_HEIGHT * wrapped_lines(text or "", width, FORM_CHARS_PER_WIDTH) + 3,
               409)


# --------------------------------------------------------------------------- determinism

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def make_deterministic(path: Path) -> None:
    """openpyxl stamps the save time into the zip entries and docProps/core.xml; fix both
    so the same inputs give the same bytes."""
    stamp = FIXED_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    rewritten = path.with_name(path.name + ".z")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(rewritten, "w",
                                                       zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(item.filename, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(info, data)
    rewritten.replace(path)
