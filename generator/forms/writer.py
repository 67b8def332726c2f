"""One Excel form per reporting unit and period (`baocao forms`).

Layout per formspec.py: a guide sheet, the report sheet (one row per task of the unit,
grouped under the plan's dimensions, then the unit-level cells), the indicator sheet and
a very hidden, HMAC-signed identity sheet. Written with xlsxwriter through
excel.new_workbook, so the same plan, period and key give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from xlsxwriter.utility import xl_range
from xlsxwriter.worksheet import Worksheet

from generator import vocab
from generator.errors import UsageError
from generator.excel import atomic_path, new_workbook, wrapped_lines
from generator.forms import layout as S
from generator.model import Submission
from generator.plan.periods import Period
from generator.plan.workbook import ROLE_LEAD, Indicator, Plan, Unit
from generator.text import fmt_date, fmt_date_long, fmt_date_plain, roman
from generator.workspace import DEFAULT_DEADLINE_DAYS

LAST_DATE = dt.date(2030, 12, 31)
FONT = "Times New Roman"
INPUT_FILL = "#FFF7D6"  # pale yellow: the cells an officer fills
HEAD_FILL = "#D9E2F3"
GROUP_FILL = "#EDEDED"
DATE_FORMAT = "dd/mm/yyyy"
TEXT_FORMAT = "@"  # text cells: 0912345678 keeps its 0, "1/2" never becomes a date
LINE_HEIGHT = 16.0  # points per wrapped line of 12 pt text
CHARS_PER_WIDTH = 1.05  # Times New Roman 12 characters per column-width unit (measured)
# The workbook's default font sets the column-width unit: Times New Roman 12 (the cells'
# font) is about 8 px a unit in Excel and LibreOffice alike, where a Calibri default is
# 7 px in Excel but 9,4 px in a LibreOffice without Calibri.
DEFAULT_FONT = {"font_name": FONT, "font_size": 12}
UNIT_PX = 8  # pixels per column-width unit at 100 % (with DEFAULT_FONT)

# Report sheet: column widths (characters), in REPORT_COLUMNS order; 150 units, about
# 1.250 px, so the whole table shows on a 1366-px screen at 100 %.
REPORT_WIDTHS = {"tt": 5, "text": 36, "role": 9, "deadline": 12, "status": 16,
                 "completed_on": 12, "result": 38, "difficulty": 22}
FROZEN_COLUMNS = 2  # TT and Nội dung nhiệm vụ stay in view when scrolling right
# Print: A4 landscape, margins as in _page; points.
PRINT_WIDTH = 841.9 - (0.5 + 0.4) * 72
PRINT_HEIGHT = (595.3 - (0.6 + 0.6) * 72) * 0.92  # a margin for rows a little taller
GUIDE_WIDTHS = (24, 92)
INDICATOR_WIDTHS = {"code": 12, "name": 78, "unit": 14, "value": 16}
REPORT_KEYS = list(S.REPORT_COLUMNS)
INDICATOR_KEYS = list(S.INDICATOR_COLUMNS)



@dataclass(frozen=True)
class _Context:
    """What every form of one plan and period shares (computed once per batch)."""

    plan: Plan
    period: Period
    key: bytes
    plan_version: str
    deadline_days: dict


def write_form(plan: Plan, unit_code: str, period: Period, key: bytes, path,
               deadline_days: dict | None = None) -> Path:
    """Write the form of one unit for one period to path (atomically); returns path."""
    context = _Context(plan, period, key, plan.version,
                       {**DEFAULT_DEADLINE_DAYS, **(deadline_days or {})})
    return _write(context, _reporting_unit(plan, unit_code), Path(path))


def write_forms(workspace, plan: Plan, period: Period, units=None, progress=None) -> list[Path]:
    """Forms for every reporting unit (or the named codes) into output/<period>/bieu-mau/.

    progress, when given, is called as progress(done, total, unit_code) after each form.
    """
    chosen = reporting_units(plan, units)
    key = workspace.secret_key()
    context = _Context(plan, period, key, plan.version, workspace.deadline_days)
    written = []
    for index, unit in enumerate(chosen, 1):
        written.append(_write(context, unit, workspace.form_path(period, unit)))
        if progress is not None:
            progress(index, len(chosen), unit.code)
    return written


def reporting_units(plan: Plan, codes=None) -> list[Unit]:
    """Units with at least one task, in plan order; or the named codes, checked."""
    if not codes:
        return [u for u in plan.units.values() if plan.tasks_for(u.code)]
    return [_reporting_unit(plan, code) for code in dict.fromkeys(codes)]


def _reporting_unit(plan: Plan, code: str) -> Unit:
    if code not in plan.units:
        raise UsageError(
            f"Không có đơn vị mã '{code}' trong kế hoạch {plan.number}. Mã đơn vị ở cột "
            "'Mã đơn vị' của trang tính DonVi trong tệp kế hoạch (input/ke-hoach.xlsx); "
            "kiểm tra tệp kế hoạch bằng 'baocao plan check'.")
    if not plan.tasks_for(code):
        raise UsageError(f"Đơn vị {code} ({plan.units[code].name}) không chủ trì hay phối hợp "
                         "nhiệm vụ nào trong kế hoạch nên không có biểu mẫu.")
    return plan.units[code]


# --------------------------------------------------------------------------- writing


def _write(context: _Context, unit: Unit, target: Path) -> Path:
    with atomic_path(target) as tmp:
        # in_memory: no temp file per XML part, 2x faster.
        # A copy: xlsxwriter adds to the properties it is given.
        book = new_workbook(tmp, in_memory=True, default_format_properties=dict(DEFAULT_FONT))
        styles = Styles(book)
        _guide_sheet(book, styles, context, unit)
        _report_sheet(book, styles, context, unit)
        _indicator_sheet(book, styles, context, unit)
        _identity_sheet(book, context, unit)
        book.close()
    target.chmod(0o644)  # mkstemp makes 0600; a form is meant to be shared
    return target


def add_return_sheets(book, plan: Plan, period: Period, unit_code: str, key: bytes,
                      own: Submission | None, values: dict[str, float | None],
                      children: list[Submission]) -> None:
    """A filled return in the form layout, added to `book`: the unit's report and indicator
    sheets holding `own` and `values`, its children's detail (a district's communes) and
    its signed identity, so intake reads `book` as that unit's submission. The district's
    consolidated workbook is written this way: the same layout as the forms it received."""
    context = _Context(plan, period, key, plan.version, {})
    unit = plan.units[unit_code]
    styles = Styles(book)
    _report_sheet(book, styles, context, unit, own)
    _indicator_sheet(book, styles, context, unit, values)
    _children_sheet(book, styles, plan, children)
    _identity_sheet(book, context, unit)


class Styles:
    """The workbook's formats, made once per workbook."""

    def __init__(self, book):
        base = {"font_name": FONT, "font_size": 12, "valign": "top"}

        def fmt(**extra):
            return book.add_format({**base, **extra})

        cell = {"border": 1, "text_wrap": True}
        entry = {**cell, "locked": False, "bg_color": INPUT_FILL}
        self.plain = fmt(text_wrap=True)
        self.bold = fmt(bold=True, text_wrap=True)
        self.italic = fmt(italic=True, text_wrap=True)
        self.org = fmt(bold=True, align="center", text_wrap=True)
        self.org_top = fmt(align="center", text_wrap=True)
        self.motto = fmt(bold=True, align="center", underline=True)
        self.title = fmt(bold=True, font_size=14, align="center", valign="vcenter",
                         text_wrap=True)
        self.subtitle = fmt(italic=True, align="center", text_wrap=True)
        self.header = fmt(**cell, bold=True, align="center", valign="vcenter",
                          bg_color=HEAD_FILL)
        self.group = fmt(**cell, bold=True, bg_color=GROUP_FILL)
        self.group_tt = fmt(**cell, bold=True, align="center", bg_color=GROUP_FILL)
        self.cell = fmt(**cell)
        self.cell_date = fmt(**cell, align="center", num_format=DATE_FORMAT)
        self.cell_number = fmt(**cell, align="right", num_format="#,##0.##")
        self.center = fmt(**cell, align="center")
        self.note = fmt(**cell, italic=True, font_color="#404040")
        self.note_center = fmt(**cell, italic=True, align="center", font_color="#404040")
        self.entry = fmt(**entry)
        self.entry_text = fmt(**entry, num_format=TEXT_FORMAT)
        self.entry_date = fmt(**entry, align="center", num_format=DATE_FORMAT)
        self.entry_number = fmt(**entry, align="right", num_format="#,##0.##")
        self.ratio = fmt(**cell, italic=True, align="right", num_format="0.0%",
                         font_color="#404040")
        self.label = fmt(bold=True, text_wrap=True, valign="top")
        self.sign_label = fmt(bold=True, align="center")


def _height(cells, min_lines: int = 1) -> float:
    """Row height (points) fitting wrapped texts given as (text, column width) pairs.

    Set explicitly because LibreOffice (and Excel 2010 on some files) do not grow rows
    for wrapped text on opening; an officer can still resize rows.
    """
    lines = max([min_lines, *(wrapped_lines(text, width, CHARS_PER_WIDTH)
                              for text, width in cells)])
    return lines * LINE_HEIGHT + 4


def _protect(sheet) -> None:
    # No password: the lock prevents accidents (broken rows), it is not a secret.
    sheet.protect("", {"format_columns": True, "format_rows": True,
                       "select_locked_cells": True, "select_unlocked_cells": True})


def _page(sheet, repeat_row: int | None = None, scale: int | None = None) -> None:
    """A4 landscape; fit to the page's width, or at `scale` percent when the sheet sets its
    own page breaks (fit-to-width would make Excel ignore them)."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    if scale is None:
        sheet.fit_to_pages(1, 0)  # fit to width, as many pages tall as needed
    else:
        sheet.set_print_scale(scale)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.set_footer("&C&\"Times New Roman\"&10Trang &P/&N")
    if repeat_row is not None:
        sheet.repeat_rows(repeat_row)


def _recipient(plan: Plan, unit: Unit) -> tuple[str, str]:
    """(name, email) of whoever receives this unit's form."""
    parent = plan.units.get(unit.parent) if unit.parent else None
    email = plan.recipient_email(unit)
    if parent is not None and parent.email and parent.email == email:
        return parent.name, email
    return plan.focal.name, email


def _managing_body(plan: Plan, unit: Unit) -> str:
    parent = plan.units.get(unit.parent) if unit.parent else None
    body = (parent.name if parent else plan.details.get("issuer", "")).upper()
    # The province's own form (two-level plans) has no body above it.
    return "" if body == unit.name.upper() else body


def _title(plan: Plan) -> str:
    index = plan.details.get("index_name", "")
    suffix = f" CẢI THIỆN CHỈ SỐ {index.upper()}" if index else ""
    return f"BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH{suffix}"


def _plan_line(plan: Plan) -> str:
    return (f"(Thực hiện Kế hoạch số {plan.number} ngày {fmt_date_plain(plan.date)} "
            f"của {plan.details.get('issuer', '')})")


def _cutoff(period: Period) -> str:
    return f"số liệu từ ngày {fmt_date(period.cutoff_start)} đến ngày {fmt_date(period.cutoff_end)}"


def _guide_sheet(book, st: Styles, context: _Context, unit: Unit) -> None:
    plan, period = context.plan, context.period
    sheet = book.add_worksheet(S.SHEET_GUIDE)
    sheet.set_column(0, 0, GUIDE_WIDTHS[0])
    sheet.set_column(1, 1, GUIDE_WIDTHS[1])
    deadline = plan.deadline(unit.code, period, context.deadline_days)
    to_name, to_email = _recipient(plan, unit)
    tasks = plan.tasks_for(unit.code)
    leads = sum(1 for _, role in tasks if role == ROLE_LEAD)
    indicators = _indicator_rows(plan, unit.code)
    inputs = sum(1 for kind, _ in indicators if kind == "value")
    sheet.merge_range(0, 0, 0, 1, "HƯỚNG DẪN ĐIỀN BIỂU MẪU BÁO CÁO", st.title)
    sheet.set_row(0, 24)
    sheet.merge_range(1, 0, 1, 1, _plan_line(plan), st.subtitle)
    info = [
        ("Đơn vị báo cáo", f"{unit.name} (mã đơn vị {unit.code})"),
        ("Kỳ báo cáo", f"{period.label[0].upper()}{period.label[1:]} ({_cutoff(period)})"),
        ("Hạn gửi báo cáo", f"Chậm nhất {fmt_date_long(deadline)}"),
        ("Nơi gửi", f"{to_name}, thư điện tử {to_email} (gửi lại chính tệp này, "
                    "đính kèm thư; có thể đổi tên tệp nhưng giữ nguyên nội dung các trang tính)"),
        ("Nội dung phải báo cáo", f"{len(tasks)} nhiệm vụ ({leads} chủ trì, "
                                  f"{len(tasks) - leads} phối hợp) ở trang '{S.SHEET_REPORT}'; "
                                  f"{inputs} chỉ tiêu ở trang '{S.SHEET_INDICATORS}'."),
    ]
    row = 3
    row = _guide_block(sheet, st, 3, None, info)
    row = _guide_block(sheet, st, row + 1, f"Cách điền trang '{S.SHEET_REPORT}'",
                       list(_column_help(plan).items()))
    row = _guide_block(sheet, st, row + 1, "Giá trị của cột Tình trạng",
                       [(s.value, s.help[0].upper() + s.help[1:]) for s in vocab.TASK_STATUSES])
    row = _guide_block(sheet, st, row + 1, "Lưu ý", [("–", text) for text in _notes()])
    focal = plan.focal
    focal_email = plan.details.get("focal_email") or focal.email
    _guide_block(sheet, st, row + 1, None, [
        ("Liên hệ", f"Mọi vướng mắc khi điền biểu mẫu, liên hệ {focal.name} "
                    f"(cơ quan đầu mối), thư điện tử {focal_email}.")])
    _page(sheet)
    sheet.fit_to_pages(1, 1)  # the guide is read as one page
    _protect(sheet)
    sheet.activate()


def _guide_block(sheet, st: Styles, row: int, heading: str | None, lines) -> int:
    """A heading and (label, text) lines on the guide sheet; returns the next free row."""
    if heading:
        sheet.merge_range(row, 0, row, 1, heading, st.bold)
        row += 1
    for label, text in lines:
        sheet.write_string(row, 0, label, st.label)
        sheet.write_string(row, 1, text, st.plain)
        sheet.set_row(row, _height([(label, GUIDE_WIDTHS[0]), (text, GUIDE_WIDTHS[1])]))
        row += 1
    return row


def _column_help(plan: Plan) -> dict[str, str]:
    c = S.REPORT_COLUMNS
    return {
        c["tt"]: "Số thứ tự nhiệm vụ theo kế hoạch; dòng có số La Mã (I, II, …) là tên nội "
                 "dung. Không sửa, không xóa.",
        c["text"]: "Nhiệm vụ đơn vị được giao theo kế hoạch (không sửa).",
        c["role"]: f"{ROLE_LEAD}: đơn vị chịu trách nhiệm chính; Phối hợp: đơn vị phối hợp "
                   "với đơn vị chủ trì.",
        c["deadline"]: "Thời hạn hoàn thành theo kế hoạch (không sửa).",
        c["status"]: "Bắt buộc. Chọn một giá trị trong danh sách (nhấn vào ô, chọn mũi tên).",
        c["completed_on"]: "Chỉ ghi khi đã hoàn thành, dạng ngày/tháng/năm, ví dụ "
                           f"{fmt_date(dt.date(plan.date.year, 9, 14))}.",
        c["result"]: "Kết quả cụ thể trong kỳ: văn bản đã ban hành (số, ngày), số hội nghị, "
                     "số người tham dự…; nếu không phát sinh thì ghi lý do.",
        c["difficulty"]: "Khó khăn, vướng mắc khi thực hiện nhiệm vụ này (nếu có).",
        "Cuối trang": "Ghi khó khăn, vướng mắc chung, đề xuất, kiến nghị của đơn vị; họ tên, "
                      "số điện thoại người lập biểu, ngày lập và họ tên thủ trưởng đơn vị.",
        f"Trang '{S.SHEET_INDICATORS}'": "Ghi số liệu phát sinh trong kỳ vào cột Giá trị (số "
                                          "không âm: số nguyên với chỉ tiêu đếm như lượt người, "
                                          "hồ sơ; có thể thập phân với chỉ tiêu đo; để trống "
                                          "nếu không có số liệu). Dòng tỷ lệ được tính tự động "
                                          "từ hai chỉ tiêu thành phần, không phải nhập.",
    }


def _notes() -> list[str]:
    return [
        "Chỉ nhập vào các ô nền vàng; các ô khác được khóa để tránh sửa nhầm (trang tính được "
        "bảo vệ, không có mật khẩu; có thể nới rộng cột, dòng để dễ đọc).",
        "Không đổi tên, không xóa các trang tính; không chèn, xóa dòng trong bảng nhiệm vụ.",
        "Có thể mở và điền bằng Microsoft Excel (từ 2010) hoặc LibreOffice Calc; khi lưu, "
        "giữ định dạng Excel (.xlsx) hoặc định dạng của LibreOffice (.ods).",
        "Kết quả dài: xuống dòng ngay trong ô (Excel: Alt+Enter; LibreOffice: Ctrl+Enter), "
        "dòng tự giãn theo nội dung; không chèn thêm dòng.",
        "Biểu mẫu được lập riêng cho đơn vị và kỳ báo cáo này: không dùng biểu mẫu của đơn vị "
        "khác hoặc của kỳ trước.",
    ]


class FormSheet(Worksheet):
    """A worksheet that remembers the row heights it set (for page breaks) and writes the
    input rows' heights as a starting size only (no customHeight), so Excel and LibreOffice
    grow such a row as the officer types a long result into it."""

    def __init__(self):
        super().__init__()
        self.heights: dict[int, float] = {}
        self.growing: set[int] = set()
        self._growing_row = False

    def height(self, row: int, points: float, grow: bool = False) -> None:
        self.set_row(row, points)
        self.heights[row] = points
        if grow:
            self.growing.add(row)

    def _write_row(self, row, spans, row_info=None, empty_row=False):
        self._growing_row = row in self.growing
        try:
            super()._write_row(row, spans, row_info, empty_row)
        finally:
            self._growing_row = False

    def _xml_start_tag_unencoded(self, tag, attributes=None):
        super()._xml_start_tag_unencoded(tag, self._grown(tag, attributes))

    def _xml_empty_tag_unencoded(self, tag, attributes=None):
        super()._xml_empty_tag_unencoded(tag, self._grown(tag, attributes))

    def _grown(self, tag, attributes):
        if self._growing_row and tag == "row" and attributes:
            return [a for a in attributes if a[0] != "customHeight"]
        return attributes


def _report_sheet(book, st: Styles, context: _Context, unit: Unit,
                  filled: Submission | None = None) -> None:
    plan, period = context.plan, context.period
    sheet = book.add_worksheet(S.SHEET_REPORT, worksheet_class=FormSheet)
    last = len(REPORT_KEYS) - 1
    for col, key in enumerate(REPORT_KEYS):
        sheet.set_column(col, col, REPORT_WIDTHS[key])
    split = 3  # the left block (managing body, unit) spans columns A..C
    sheet.merge_range(0, 0, 0, split - 1, _managing_body(plan, unit), st.org_top)
    sheet.merge_range(1, 0, 1, split - 1, unit.name.upper(), st.org)
    # The unit's code on the visible sheet: intake's evidence when the identity sheet is lost.
    sheet.merge_range(2, 0, 2, split - 1, f"(mã đơn vị {unit.code})", st.org_top)
    sheet.merge_range(0, split + 1, 0, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st.org)
    sheet.merge_range(1, split + 1, 1, last, "Độc lập - Tự do - Hạnh phúc", st.motto)
    sheet.merge_range(3, 0, 3, last, _title(plan), st.title)
    sheet.height(3, 22)
    sheet.merge_range(4, 0, 4, last, f"Kỳ báo cáo: {period.label} ({_cutoff(period)})",
                      st.subtitle)
    sheet.merge_range(5, 0, 5, last, _plan_line(plan), st.subtitle)
    head = 7
    for col, key in enumerate(REPORT_KEYS):
        sheet.write_string(head, col, S.REPORT_COLUMNS[key], st.header)
    sheet.height(head, 32)
    row, headings = _task_rows(sheet, st, context, unit, head + 1, filled)
    end = _unit_fields(sheet, st, context, row + 1, filled)
    sheet.freeze_panes(head + 1, FROZEN_COLUMNS)
    scale = print_scale(REPORT_WIDTHS.values())
    sheet.set_h_pagebreaks(page_breaks(sheet.heights, head, end, headings, row - 1,
                                       PRINT_HEIGHT * 100 / scale))
    _page(sheet, head, scale)
    _protect(sheet)


def print_scale(widths) -> int:
    """Percent at which columns of these widths fill the printed page's width."""
    points = sum(int(w * UNIT_PX + 0.5) + 5 for w in widths) * 0.75
    return max(10, min(100, int(PRINT_WIDTH * 100 / points)))


def page_breaks(heights: dict[int, float], head: int, end: int, headings: set[int],
                last_task: int, page: float) -> list[int]:
    """Rows starting a new printed page: a dimension heading stays with the task below it,
    and the unit's block at the bottom (from the last task row on) stays on one page with
    that task. `page`: the printable height in points at 100 %; the header row repeats."""
    groups: list[tuple[int, float]] = []  # (first row, height) of rows kept together
    row = head + 1
    while row < end:
        stop = end if row >= last_task else row + 2 if row in headings else row + 1
        groups.append((row, sum(heights.get(r, 15.0) for r in range(row, stop))))
        row = stop
    breaks, used = [], sum(heights.get(r, 15.0) for r in range(head + 1))
    room = page - heights.get(head, 15.0)
    for first, height in groups:
        if used + height > room + heights.get(head, 15.0) * (not breaks) and used > 0:
            breaks.append(first)
            used = 0.0
        used += height
    return breaks


def _task_rows(sheet, st: Styles, context: _Context, unit: Unit, row: int,
               filled: Submission | None = None) -> tuple[int, set[int]]:
    """Dimension headings and task rows from `row`; (the row after them, heading rows)."""
    plan = context.plan
    col = {key: i for i, key in enumerate(REPORT_KEYS)}
    last = len(REPORT_KEYS) - 1
    first_task = row
    dimension = None
    headings: set[int] = set()
    for task, role in plan.tasks_for(unit.code):
        if task.dimension != dimension:
            dimension = task.dimension
            name = plan.dimensions.get(dimension, (f"Nội dung {dimension}", ""))[0]
            # Roman numeral, never a task-like "1.2": intake finds task rows by TT.
            sheet.write_string(row, 0, roman(dimension), st.group_tt)
            heading = f"Nội dung {dimension}: {name}"
            sheet.merge_range(row, 1, row, last, heading, st.group)
            sheet.height(row, _height([(heading, sum(REPORT_WIDTHS.values()) - 6)]))
            headings.add(row)
            row += 1
        sheet.write_string(row, col["tt"], task.tt, st.center)
        sheet.write_string(row, col["text"], task.text, st.cell)
        sheet.write_string(row, col["role"], role, st.center)
        deadline = task.deadline.phrase if task.deadline else ""
        sheet.write_string(row, col["deadline"], deadline, st.center)
        report = filled.tasks.get(task.tt) if filled else None
        _entry(sheet, row, col["status"], report.status if report else "", st.entry)
        _entry(sheet, row, col["completed_on"], report.completed_on if report else None,
               st.entry_date)
        result, difficulty = (report.result, report.difficulty) if report else ("", "")
        _entry(sheet, row, col["result"], result, st.entry_text)
        _entry(sheet, row, col["difficulty"], difficulty, st.entry_text)
        sheet.height(row, _height([(task.text, REPORT_WIDTHS["text"]),
                                   (role, REPORT_WIDTHS["role"]),
                                   (deadline, REPORT_WIDTHS["deadline"]),
                                   (result, REPORT_WIDTHS["result"]),
                                   (difficulty, REPORT_WIDTHS["difficulty"])], min_lines=2),
                     grow=True)
        row += 1
    _task_validations(sheet, context, first_task, row - 1, col)
    return row, headings


def _entry(sheet, row: int, col: int, value, style) -> None:
    """An input cell, blank on a form, holding the value in a filled return. Text is always
    written as text: a unit's "=…" never becomes a formula."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, style)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), style)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, style)
    else:
        sheet.write_string(row, col, str(value), style)


def _task_validations(sheet, context: _Context, first: int, last: int, col: dict) -> None:
    sheet.data_validation(first, col["status"], last, col["status"], {
        "validate": "list",
        "source": list(vocab.STATUSES),
        "input_title": "Tình trạng thực hiện",
        "input_message": "Chọn một giá trị: " + "; ".join(vocab.STATUSES) + ".",
        "error_title": "Giá trị không hợp lệ",
        "error_message": "Chỉ chọn một giá trị trong danh sách: " + "; ".join(vocab.STATUSES)
                         + ".",
    })
    first_day = context.plan.date
    sheet.data_validation(first, col["completed_on"], last, col["completed_on"], {
        "validate": "date",
        "criteria": "between",
        "minimum": first_day,
        "maximum": LAST_DATE,
        "input_title": "Ngày hoàn thành",
        "input_message": "Nhập ngày dạng ngày/tháng/năm, ví dụ 14/09/2022. Chỉ ghi khi "
                         "nhiệm vụ đã hoàn thành.",
        "error_title": "Ngày không hợp lệ",
        "error_message": f"Nhập một ngày từ {fmt_date(first_day)} đến {fmt_date(LAST_DATE)}, "
                         "dạng ngày/tháng/năm.",
    })


def _unit_fields(sheet, st: Styles, context: _Context, row: int,
                 filled: Submission | None = None) -> int:
    """The unit's own cells below the task table; returns the row after them."""
    last = len(REPORT_KEYS) - 1
    tall = {"difficulties": 60, "proposals": 60}
    wide = sum(REPORT_WIDTHS[k] for k in REPORT_KEYS[2:])
    for field, label in S.UNIT_FIELDS.items():
        # The label in column B, its value in the cell to the right (C, merged to the end).
        sheet.write_string(row, 1, label, st.label)
        value = getattr(filled, field) if filled else None
        if field == "prepared_on":
            sheet.merge_range(row, 2, row, 4, None, st.entry_date)
            _entry(sheet, row, 2, value, st.entry_date)
            sheet.data_validation(row, 2, row, 2, {
                "validate": "date", "criteria": "between", "minimum": context.plan.date,
                "maximum": LAST_DATE, "input_title": "Ngày lập báo cáo",
                "input_message": "Nhập ngày dạng ngày/tháng/năm, ví dụ 14/09/2022.",
                "error_title": "Ngày không hợp lệ",
                "error_message": "Nhập một ngày dạng ngày/tháng/năm."})
        else:
            end = last if field in tall else 4
            sheet.merge_range(row, 2, row, end, None, st.entry_text)
            _entry(sheet, row, 2, value, st.entry_text)
        # Merged cells never grow on their own: a filled return sizes them to its text.
        sheet.height(row, max(tall.get(field, 20), _height([(value or "", wide)])
                              if isinstance(value, str) else 0))
        row += 1
    return row


def _indicator_rows(plan: Plan, code: str) -> list[tuple[str, object]]:
    """Rows of the indicator sheet: ('task', tt), ('value', Indicator), ('ratio', Indicator).

    A ratio is shown as an info row after its two parts, which are the input rows; parts
    the unit would not otherwise report are added so every ratio can be computed.
    """
    own = plan.indicators_for(code)
    shown: set[str] = set()
    rows: list[tuple[str, object]] = []
    task = None
    for indicator in own:
        if indicator.task != task:
            task = indicator.task
            rows.append(("task", task))
        if indicator.agg == "ratio":
            for part in (indicator.num, indicator.den):
                extra = plan.indicator(part)
                if extra is not None and part not in shown:
                    rows.append(("value", extra))
                    shown.add(part)
            rows.append(("ratio", indicator))
        elif indicator.code not in shown:
            rows.append(("value", indicator))
            shown.add(indicator.code)
    return rows


def _indicator_sheet(book, st: Styles, context: _Context, unit: Unit,
                     values: dict[str, float | None] | None = None) -> None:
    plan, period = context.plan, context.period
    sheet = book.add_worksheet(S.SHEET_INDICATORS)
    for col, key in enumerate(INDICATOR_KEYS):
        sheet.set_column(col, col, INDICATOR_WIDTHS[key])
    last = len(INDICATOR_KEYS) - 1
    sheet.merge_range(0, 0, 0, last, "SỐ LIỆU CHỈ TIÊU KẾT QUẢ THỰC HIỆN", st.title)
    sheet.set_row(0, 22)
    sheet.merge_range(1, 0, 1, last, f"{unit.name} – kỳ báo cáo {period.label} "
                                     f"({_cutoff(period)})", st.subtitle)
    head = 3
    for col, key in enumerate(INDICATOR_KEYS):
        sheet.write_string(head, col, S.INDICATOR_COLUMNS[key], st.header)
    row = head + 1
    rows = _indicator_rows(plan, unit.code)
    if not rows:
        sheet.merge_range(row, 0, row, last, "Đơn vị không có chỉ tiêu số liệu phải báo cáo "
                                             "trong kỳ này.", st.note)
    at: dict[str, int] = {}
    inputs: dict[str, list[int]] = {}  # indicator kind -> rows of its value cells
    for kind, item in rows:
        if kind == "task":
            task = plan.task(item)
            text = task.text if task else ""
            # No code in column A: intake reads codes there, a heading must not look like one.
            sheet.write_blank(row, 0, None, st.group)
            heading = f"Nhiệm vụ {item}: {text}"
            sheet.merge_range(row, 1, row, last, heading, st.group)
            sheet.set_row(row, _height([(heading, sum(INDICATOR_WIDTHS.values()) - 12)]))
        elif kind == "value":
            sheet.write_string(row, 0, item.code, st.center)
            sheet.write_string(row, 1, item.name, st.cell)
            sheet.write_string(row, 2, item.unit, st.center)
            _entry(sheet, row, 3, (values or {}).get(item.code), st.entry_number)
            inputs.setdefault(item.kind, []).append(row)
            sheet.set_row(row, _height([(item.name, INDICATOR_WIDTHS["name"]),
                                        (item.unit, INDICATOR_WIDTHS["unit"])]))
            at[item.code] = row
        else:
            _ratio_row(sheet, st, item, row, at)
        row += 1
    for kind, lines in inputs.items():
        _validate_values(sheet, kind, lines)
    sheet.freeze_panes(head + 1, 0)
    _page(sheet, head)
    _protect(sheet)


def _validate_values(sheet, kind: str, lines: list[int]) -> None:
    """One validation over every value cell of a kind (column D): a count takes whole
    numbers only, so 1,25 "lượt người" (1.250 typed on an English-locale program) is stopped
    as it is typed. One rule for all the cells, not one per cell: that doubled the sheet."""
    whole = kind == "count"
    example = "12" if whole else "12 hoặc 3,5"
    number = "số nguyên không âm" if whole else "số nguyên hoặc số thập phân, không âm"
    sheet.data_validation(lines[0], 3, lines[0], 3, {
        "validate": "integer" if whole else "decimal", "criteria": ">=", "value": 0,
        "multi_range": _spans(3, lines),
        "input_title": "Giá trị chỉ tiêu",
        "input_message": f"Nhập số liệu trong kỳ: {number}. Để trống nếu không có số liệu.",
        "error_title": "Giá trị không hợp lệ",
        "error_message": f"Chỉ nhập {number} (ví dụ {example})."})


def _spans(col: int, lines: list[int]) -> str:
    """0-based rows of one column as an Excel range list: [5, 6, 7, 9] -> 'D6:D8 D10'."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return " ".join(xl_range(a, col, b, col) for a, b in spans)


def _ratio_row(sheet, st: Styles, item: Indicator, row: int, at: dict[str, int]) -> None:
    # Column A stays empty and column D holds a locked formula: not an input row for intake.
    sheet.write_blank(row, 0, None, st.note)
    text = f"{item.name} ({item.code} = {item.num} / {item.den}; tự tính, không nhập)"
    sheet.write_string(row, 1, text, st.note)
    sheet.set_row(row, _height([(text, INDICATOR_WIDTHS["name"])]))
    sheet.write_string(row, 2, item.unit, st.note_center)
    num, den = at.get(item.num), at.get(item.den)
    if num is None or den is None:
        sheet.write_blank(row, 3, None, st.ratio)
        return
    n, d = f"D{num + 1}", f"D{den + 1}"
    sheet.write_formula(row, 3, f'=IF(AND(ISNUMBER({n}),ISNUMBER({d}),{d}>0),{n}/{d},"")',
                        st.ratio, "")


def _children_sheet(book, st: Styles, plan: Plan, children: list[Submission]) -> None:
    """A district return's communes, one row per task, indicator or unit field."""
    sheet = book.add_worksheet(S.SHEET_CHILDREN)
    cols = S.CHILD_COLUMNS
    for c, label in enumerate(cols.values()):
        sheet.write_string(0, c, label, st.header)
    kinds = S.CHILD_KINDS
    row = 1
    for sub in children:
        items = [(kinds["task"], tt, t.status, t.completed_on, t.result, None)
                 for tt, t in sub.tasks.items()]
        items += [(kinds["indicator"], c, "", None, "", v)
                  for c, v in sub.indicators.items() if v is not None]
        items += [(kinds["field"], name, "", None, getattr(sub, name), None)
                  for name in S.UNIT_FIELDS if getattr(sub, name)]
        for kind, key, status, day, text, value in items:
            styles = (st.cell, st.cell, st.cell, st.cell, st.cell_date, st.cell, st.cell_number)
            cells = (sub.unit, kind, key, status, day, text, value)
            if isinstance(text, dt.date):  # the date a field row holds (prepared_on)
                cells = (sub.unit, kind, key, status, None, text, value)
                styles = (*styles[:5], st.cell_date, styles[6])
            for c, (cell, style) in enumerate(zip(cells, styles, strict=True)):
                _entry(sheet, row, c, cell, style)
            row += 1
    for c, width in enumerate((10, 16, 14, 16, 14, 60, 12)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(row - 1, 1), len(cols) - 1)


def _identity_sheet(book, context: _Context, unit: Unit) -> None:
    sheet = book.add_worksheet(S.SHEET_IDENTITY)
    fields = S.signed_identity(context.plan, unit.code, context.period, context.key)
    for row, name in enumerate((*S.IDENTITY_FIELDS, S.SIGNATURE_FIELD)):
        sheet.write_string(row, 0, name)
        sheet.write_string(row, 1, str(fields[name]))
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 70)
    sheet.very_hidden()
    _protect(sheet)
