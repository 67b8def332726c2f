"""The consolidated workbook TongHop_<period>.xlsx (xlsxwriter), all in Vietnamese.

Numbers are written as numbers with the formats '#,##0' and '0.0%': Excel and LibreOffice
show them with the reader's locale separators (1.250 and 45,5% on a Vietnamese machine) and
the officer can still sum and sort them. Labels that are text anyway (the period, dates in
titles) use the Vietnamese style directly. Unit text is always written with write_string,
so "=..." stays text, never a formula. Writing is atomic (excel.atomic_path).

With a district scope the workbook is also the district's return to the province: the
signed identity sheet, the district's own report and indicator sheets in form layout, and
the communes' detail on formspec.SHEET_CHILDREN (see add_return_sheets).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from generator import vocab
from generator.consolidate.tasks import status_sentence
from generator.errors import UsageError
from generator.excel import LINE_POINTS, atomic_path, new_workbook, verify_zip, wrapped_lines
from generator.forms.writer import add_return_sheets
from generator.plan.workbook import AGG_LABELS, LEVEL_LABELS
from generator.text import fmt_date, fmt_int
from generator.vocab import (
    HELD,
    LATE,
    MISSING,
    NOT_REPORTED,
    NOT_REPORTED_LABEL,
    REJECTED,
    SUBMISSION_STATES,
    TASK_STATUSES,
    status_label,
)

SHEETS = {
    "overview": "Tổng quan",
    "tasks": "Nhiệm vụ",
    "matrix": "Ma trận đơn vị - nhiệm vụ",
    "indicators": "Chỉ tiêu tổng hợp",
    "unit_indicators": "Chỉ tiêu theo đơn vị",
    "submissions": "Tình hình nộp báo cáo",
    "results": "Kết quả thực hiện",
    "notes": "Khó khăn, đề xuất",
    "changes": "So với kỳ trước",
    "corrections": "Số liệu gửi lại",
    "trends": "So sánh các kỳ",
    "reconciliation": "Đối chiếu số liệu",
    "findings": "Lỗi và lưu ý",
}
# Matrix cell codes (short so 39 task columns fit), explained in a legend on the sheet.
MATRIX_STATUSES = (*TASK_STATUSES, NOT_REPORTED)
MATRIX_CODES = {s.value: s.code for s in MATRIX_STATUSES}
KIND_LABELS = {"indicator": "Chỉ tiêu", "task": "Nhiệm vụ"}
YES = "Có"


class Formats:
    def __init__(self, book):
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
        add = lambda **kw: book.add_format({**base, **kw})  # noqa: E731
        self.title = add(bold=True, font_size=14, valign="vcenter")
        self.subtitle = add(italic=True)
        self.section = add(bold=True, font_size=12)
        self.header = add(bold=True, bg_color="#DDEBF7", border=1, text_wrap=True,
                          align="center", valign="vcenter")
        self.text = add(border=1, text_wrap=True)
        self.center = add(border=1, align="center")
        self.int = add(border=1, num_format="#,##0")
        self.num = add(border=1, num_format="#,##0.0#")
        self.pct = add(border=1, num_format="0.0%")
        self.date = add(border=1, num_format="dd/mm/yyyy", align="center")
        self.datetime = add(border=1, num_format="dd/mm/yyyy hh:mm", align="center")
        self.bold_int = add(border=1, num_format="#,##0", bold=True)
        self.bold_text = add(border=1, bold=True, text_wrap=True)
        self.bold_pct = add(border=1, num_format="0.0%", bold=True)
        self.heading_row = add(border=1, bold=True, bg_color="#F2F2F2", text_wrap=True)
        self.plain = add()
        self.colours = {code: book.add_format({"bg_color": colour})
                        for code, colour in ((s.code, s.colour) for s in MATRIX_STATUSES)}
        self.flag = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


def _blank(value) -> bool:
    """None, NaN, NaT or pandas' NA: written as an empty cell."""
    if value is None or value is pd.NaT:
        return True
    return not isinstance(value, str | dt.date) and bool(pd.isna(value))


def put(sheet, row: int, col: int, value, kind: str, fmt: Formats, style=None) -> None:
    """Write one cell by kind; text always as a string, never a formula."""
    if kind in ("int", "num", "pct") and not _blank(value):
        number = float(value)
        if kind == "num" and number.is_integer():
            kind = "int"
        sheet.write_number(row, col, number, style or getattr(fmt, kind))
    elif kind in ("date", "datetime") and not _blank(value):
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        sheet.write_datetime(row, col, value, style or getattr(fmt, kind))
    elif kind == "bool":
        sheet.write_string(row, col, YES if value else "", style or fmt.center)
    elif _blank(value) or value == "":
        sheet.write_blank(row, col, None, style or (fmt.center if kind != "text" else fmt.text))
    else:
        sheet.write_string(row, col, str(value), style or (fmt.text if kind == "text"
                                                          else fmt.center))


def table(sheet, top: int, columns: list[tuple[str, float, str]], rows: list[list], fmt,
          left: int = 0, filter_: bool = True) -> int:
    """Header row + data rows; returns the row after the table."""
    for c, (label, width, _kind) in enumerate(columns):
        sheet.write_string(top, left + c, label, fmt.header)
        if width:
            sheet.set_column(left + c, left + c, width)
    head_lines = max((wrapped_lines(label, width) for label, width, _k in columns if width), default=1)
    if head_lines > 1:
        sheet.set_row(top, LINE_POINTS * head_lines)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            put(sheet, r, left + c, value, columns[c][2], fmt)
        lines = max((wrapped_lines(value, width) for value, (_l, width, kind) in zip(row, columns,
                                                                             strict=False)
                     if kind == "text" and width and isinstance(value, str)), default=1)
        if lines > 1:  # spreadsheet programs do not grow wrapped rows on their own
            sheet.set_row(r, min(LINE_POINTS * lines, 400))
    if filter_:
        sheet.autofilter(top, left, top + max(len(rows), 1), left + len(columns) - 1)
    return top + len(rows) + 1


def page_setup(sheet, header_row: int | None = None, fit_width: bool = True) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    if fit_width:
        sheet.fit_to_pages(1, 0)
    if header_row is not None:
        sheet.repeat_rows(header_row)
        sheet.freeze_panes(header_row + 1, 0)
    sheet.set_footer("&CTrang &P/&N")


def _titles(sheet, cons, fmt, heading: str, width: int = 8) -> int:
    plan, period = cons.plan, cons.period
    sheet.merge_range(0, 0, 0, width - 1, heading.upper(), fmt.title)
    sheet.merge_range(1, 0, 1, width - 1,
                      f"Kế hoạch số {plan.number} ngày {fmt_date(plan.date)} của "
                      f"{plan.details.get('issuer', '')} — {cons.area_name}", fmt.subtitle)
    sheet.merge_range(2, 0, 2, width - 1,
                      f"Kỳ báo cáo: {period.label} (số liệu từ {fmt_date(period.cutoff_start)} "
                      f"đến {fmt_date(period.cutoff_end)})", fmt.subtitle)
    return 4


# --------------------------------------------------------------------------- sheets

def overview(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["overview"])
    row = _titles(sheet, cons, fmt, f"Tổng hợp kết quả thực hiện {cons.period.label}", 9)
    k = cons.key
    received_rate = k["units_received"] / k["units_expected"] if k["units_expected"] else 0.0
    sheet.write_string(row, 0, "1. Số liệu chính", fmt.section)
    figures = [
        ("Đơn vị phải báo cáo", k["units_expected"], "int"),
        ("Đã nộp báo cáo", k["units_received"], "int"),
        ("  trong đó: đúng hạn", k["units_on_time"], "int"),
        ("  trễ hạn", k["units_late"], "int"),
        (MISSING.label, k["units_missing"], "int"),
        (f"{REJECTED.label} (chưa có báo cáo dùng được)", k["units_rejected"], "int"),
        (f"{HELD.label} (thông tin nhận dạng trong tệp không khớp)", k["units_held"], "int"),
        ("Tỷ lệ đơn vị đã nộp", received_rate, "pct"),
        ("Nhiệm vụ theo dõi", k["tasks"], "int"),
        *[(s.value, k[f"tasks_{s.key}"], "int") for s in TASK_STATUSES],
        (f"{NOT_REPORTED_LABEL} (không đơn vị nào báo cáo)", k["tasks_missing"], "int"),
        ("Quá hạn", k["tasks_overdue"], "int"),
        ("Tỷ lệ nhiệm vụ hoàn thành", k["share_done"], "pct"),
    ]
    row = table(sheet, row + 1, [("Chỉ số", 0, "text"), ("Giá trị", 0, "int")],
                [[label, value] for label, value, _ in figures], fmt, filter_=False)
    for index, (_label, value, kind) in enumerate(figures):
        put(sheet, row - len(figures) + index, 1, value, kind, fmt)
    row += 1
    sheet.write_string(row, 0, "2. Kết quả thực hiện nhiệm vụ theo nội dung", fmt.section)
    dims = cons.dimensions
    short = {n: s for n, (_name, s) in cons.plan.dimensions.items()}
    dim_top = row + 1
    counted = (*TASK_STATUSES, NOT_REPORTED)
    row = table(sheet, dim_top, [("Nội dung", 0, "text"), ("Số nhiệm vụ", 0, "int"),
                                 *[(status_label(s.value), 0, "int") for s in counted],
                                 ("Tỷ lệ hoàn thành", 0, "pct")],
                [[f"{r['dimension']}. {short.get(r['dimension'], r['name'])}", r["tasks"],
                  *[r[s.key] for s in counted], r["share_done"]]
                 for r in dims.to_dict("records")],
                fmt, filter_=False)
    row += 1
    sheet.write_string(row, 0, "3. Tình hình nộp báo cáo theo cấp", fmt.section)
    rates_top = row + 1
    rates = cons.rates
    row = table(sheet, rates_top,
                [("Cấp", 0, "text"), ("Phải nộp", 0, "int"), ("Đã nộp", 0, "int"),
                 *[(s.label, 0, "int") for s in SUBMISSION_STATES],
                 ("Tỷ lệ đã nộp", 0, "pct"), ("Tỷ lệ đúng hạn", 0, "pct")],
                [[r["level_name"], r["expected"], r["received"],
                  *[r[s.key] for s in SUBMISSION_STATES], r["received_rate"], r["on_time_rate"]]
                 for r in rates.to_dict("records")],
                fmt, filter_=False)
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 8, 12)
    name = SHEETS["overview"]
    charts_top = row + 1
    if len(dims):
        chart = book.add_chart({"type": "bar"})
        first, last = dim_top + 1, dim_top + len(dims)
        chart.add_series({"name": "Tỷ lệ hoàn thành",
                          "categories": [name, first, 0, last, 0],
                          "values": [name, first, 2 + len(counted), last, 2 + len(counted)],
                          "fill": {"color": "#2E75B6"},
                          "data_labels": {"value": True, "num_format": "0%"}})
        chart.set_title({"name": "Tỷ lệ nhiệm vụ hoàn thành theo nội dung",
                         "name_font": {"size": 11}})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%",
                          "major_gridlines": {"visible": True}})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 340})
        sheet.insert_chart(charts_top, 0, chart)
    levels = rates[rates["level"] != ""]
    if len(levels):
        chart = book.add_chart({"type": "column", "subtype": "percent_stacked"})
        first, last = rates_top + 1, rates_top + len(levels)
        for col, state in enumerate(SUBMISSION_STATES, start=3):
            chart.add_series({"name": state.label, "categories": [name, first, 0, last, 0],
                              "values": [name, first, col, last, col],
                              "fill": {"color": state.colour},
                              "data_labels": {"value": True}})
        chart.set_title({"name": "Nộp báo cáo theo cấp", "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 520, "height": 340})
        sheet.insert_chart(charts_top, 4, chart, {"x_offset": 40})
    page_setup(sheet)
    sheet.fit_to_pages(1, 1)
    sheet.set_column(9, 9, 4)


def task_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["tasks"])
    counted = (*TASK_STATUSES, NOT_REPORTED)
    columns = [("TT", 5, "text"), ("Nội dung", 14, "text"), ("Nhiệm vụ", 40, "text"),
               ("Chủ trì", 16, "text"), ("Thời hạn", 12, "text"), ("Số đơn vị", 7, "int"),
               *[(status_label(s.value), 7, "int") for s in counted],
               ("Tỷ lệ hoàn thành", 8, "pct"), ("Tình trạng chung", 12, "text"),
               ("Quá hạn", 6, "bool"), ("Đến hạn kỳ sau", 7, "bool"),
               ("Diễn giải (theo các đơn vị đã báo cáo)", 34, "text")]
    top = _titles(sheet, cons, fmt, "Tình hình thực hiện nhiệm vụ", len(columns))
    short = {n: f"{n}. {name}" for n, (_full, name) in cons.plan.dimensions.items()}
    rows = [[r.tt, short.get(r.dimension, r.dimension_name), r.text, r.lead,
             r.deadline, r.units, *[getattr(r, s.key) for s in counted], r.share_done,
             status_label(r.status), r.overdue, r.due_next, status_sentence(r)]
            for r in cons.tasks.itertuples()]
    end = table(sheet, top, columns, rows, fmt)
    overdue_col = 6 + len(counted) + 2
    if rows:
        sheet.conditional_format(top + 1, overdue_col, end - 1, overdue_col, {
            "type": "cell", "criteria": "==", "value": f'"{YES}"', "format": fmt.flag})
    page_setup(sheet, top)


def matrix_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["matrix"])
    tts = list(cons.tasks["tt"])
    top = _titles(sheet, cons, fmt, "Tình trạng nhiệm vụ theo đơn vị", 8)
    legend = "; ".join(f"{s.code}: {s.value or NOT_REPORTED_LABEL}" for s in MATRIX_STATUSES)
    sheet.write_string(3, 0, "Ký hiệu: " + legend + ". Ô trống: đơn vị không được giao.",
                       fmt.subtitle)
    top += 1
    columns = [("Mã", 9, "text"), ("Đơn vị", 34, "text"), ("Cấp", 9, "text")]
    columns += [(tt, 6.5, "code") for tt in tts]
    cells: dict[str, dict[str, str]] = {}
    for r in cons.task_units.itertuples():
        cells.setdefault(r.unit, {})[r.tt] = MATRIX_CODES.get(r.status, r.status)
    units = [c for c in cons.plan.units if c in cells]
    rows = [[code, cons.plan.units[code].name, LEVEL_LABELS.get(cons.plan.units[code].level, ""),
             *[cells[code].get(tt, "") for tt in tts]] for code in units]
    end = table(sheet, top, columns, rows, fmt)
    if rows and tts:
        for code, colour in fmt.colours.items():
            sheet.conditional_format(top + 1, 3, end - 1, 2 + len(tts), {
                "type": "cell", "criteria": "==", "value": f'"{code}"', "format": colour})
    page_setup(sheet, top, fit_width=False)
    sheet.freeze_panes(top + 1, 2)
    sheet.fit_to_pages(2 if len(tts) > 20 else 1, 0)


def _indicator_kind(agg: str) -> str:
    return "pct" if agg == "ratio" else "num"


def _reporting(reported, expected) -> str:
    """'140/152': of the units an area's figure is made from, how many reported."""
    return "" if _blank(expected) or not expected else f"{fmt_int(reported)}/{fmt_int(expected)}"


def indicator_sheets(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["indicators"])
    frame = cons.indicators
    area_codes = list(dict.fromkeys(frame["area"]))
    if cons.scope:  # the scope and its district are the same area
        area_codes = [""]
    names = dict(zip(frame["area"], frame["area_name"], strict=False))
    # Each area's figure, then how many of the units it is made from reported (x/y): a
    # figure with fewer than all is not a total.
    columns = [("Mã chỉ tiêu", 9, "text"), ("Nhiệm vụ", 7, "text"), ("Chỉ tiêu", 46, "text"),
               ("Đơn vị tính", 10, "text"), ("Cách tổng hợp", 9, "text"),
               ("Cấp báo cáo", 16, "text")]
    for area in area_codes:
        columns += [(names[area], 12, "num"), ("Số đơn vị báo cáo", 9, "code")]
    columns.append((f"Cách tính ({names['']})", 40, "text"))
    top = _titles(sheet, cons, fmt, "Chỉ tiêu tổng hợp theo địa bàn", min(len(columns), 10))
    found = {(r.code, r.area): r for r in frame.itertuples()}
    rows = []
    for ind in cons.plan.indicators:
        row = [ind.code, ind.task, ind.name, ind.unit, AGG_LABELS.get(ind.agg, ind.agg),
               ind.levels or ("Như tử số, mẫu số" if ind.agg == "ratio"
                              else "Các đơn vị được giao nhiệm vụ")]
        for area in area_codes:
            rec = found.get((ind.code, area))
            row += [rec.value if rec else math.nan,
                    _reporting(rec.reported, rec.expected) if rec else ""]
        whole = found.get((ind.code, ""))
        rows.append(row + [whole.method if whole else ""])
    table(sheet, top, columns, rows, fmt)
    for r, ind in enumerate(cons.plan.indicators, start=top + 1):
        for index, area in enumerate(area_codes):  # ratios as percentages
            rec = found.get((ind.code, area))
            put(sheet, r, 6 + 2 * index, rec.value if rec else math.nan,
                _indicator_kind(ind.agg), fmt)
    sheet.write_string(top + len(rows) + 2, 0,
                       "Số phát sinh trong kỳ (cộng dồn) được cộng các đơn vị báo cáo; số thời "
                       "điểm lấy ở một cấp (cấp cao nhất có báo cáo trong địa bàn), không cộng "
                       "các cấp; tỷ lệ tính bằng tổng tử số chia tổng mẫu số, không lấy trung "
                       "bình các tỷ lệ. Số đơn vị báo cáo x/y: số chưa đủ y đơn vị chưa phải "
                       "số của cả địa bàn.", fmt.subtitle)
    page_setup(sheet, top, fit_width=False)
    sheet.freeze_panes(top + 1, 3)
    sheet.fit_to_pages(1 if len(area_codes) < 4 else 2, 0)

    sheet = book.add_worksheet(SHEETS["unit_indicators"])
    columns = [("Mã đơn vị", 9, "text"), ("Đơn vị", 32, "text"), ("Cấp", 9, "text"),
               ("Cấp trên", 9, "text"), ("Mã chỉ tiêu", 9, "text"), ("Chỉ tiêu", 50, "text"),
               ("Đơn vị tính", 10, "text"), ("Giá trị", 12, "num")]
    top = _titles(sheet, cons, fmt, "Chỉ tiêu theo đơn vị báo cáo", len(columns))
    plan_ind = {i.code: i for i in cons.plan.indicators}
    rows, kinds = [], []
    for r in cons.unit_indicators.itertuples():
        ind = plan_ind.get(r.code)
        rows.append([r.unit, r.unit_name, LEVEL_LABELS.get(r.level, r.level), r.parent, r.code,
                     ind.name if ind else "", ind.unit if ind else "", r.value])
        kinds.append(_indicator_kind(ind.agg if ind else "sum"))
    table(sheet, top, columns, rows, fmt)
    for index, kind in enumerate(kinds):
        put(sheet, top + 1 + index, 7, rows[index][7], kind, fmt)
    page_setup(sheet, top)


def submission_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["submissions"])
    columns = [("Mã đơn vị", 9, "text"), ("Đơn vị", 36, "text"), ("Cấp", 9, "text"),
               ("Cấp trên", 9, "text"), ("Hạn nộp", 11, "date"), ("Ngày nhận", 15, "datetime"),
               ("Tình trạng", 12, "text"), ("Số lỗi, lưu ý", 9, "int"), ("Tệp", 40, "text")]
    top = _titles(sheet, cons, fmt, "Tình hình nộp báo cáo", len(columns))
    rows = [[r.unit, r.unit_name, LEVEL_LABELS.get(r.level, r.level), r.parent, r.deadline,
             r.received_at, r.state_label, r.findings, r.file]
            for r in cons.submissions.itertuples()]
    end = table(sheet, top, columns, rows, fmt)
    if rows:
        for state, colour in ((LATE, "#FFEB9C"), (MISSING, "#FFC7CE"), (REJECTED, "#E7E6E6"),
                              (HELD, "#DDEBF7")):
            sheet.conditional_format(top + 1, 6, end - 1, 6, {
                "type": "cell", "criteria": "==", "value": f'"{state.label}"',
                "format": book.add_format({"bg_color": colour})})
    if len(cons.coverage):
        _coverage_table(sheet, cons, fmt, end + 1)
    page_setup(sheet, top)


def _coverage_table(sheet, cons, fmt, row: int) -> None:
    """The units that report through a unit of the register (communes through their
    district): how many reached the compiler, inside its return or by their own file."""
    sheet.write_string(row, 0, "Đơn vị báo cáo qua đơn vị cấp trên (theo tuyến báo cáo của "
                               "Kế hoạch)", fmt.section)
    # The register's columns keep their widths: the names go in its widest (file) column.
    columns = [("Mã đơn vị", 9, "text"), ("Đơn vị tổng hợp", 36, "text"),
               ("Phải báo cáo", 9, "int"), ("Đã báo cáo", 9, "int"),
               *[("", 0, "text")] * 4, ("Đơn vị chưa báo cáo", 40, "text")]
    rows = [[r.unit, r.unit_name, r.expected, r.reported, "", "", "", "", r.missing_names]
            for r in cons.coverage.itertuples()]
    table(sheet, row + 1, columns, rows, fmt, filter_=False)


def results_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["results"])
    columns = [("TT", 6, "text"), ("Nhiệm vụ", 36, "text"), ("Mã đơn vị", 9, "text"),
               ("Đơn vị", 26, "text"), ("Vai trò", 9, "text"), ("Tình trạng", 13, "text"),
               ("Ngày hoàn thành", 11, "date"), ("Kết quả thực hiện", 50, "text"),
               ("Khó khăn, vướng mắc", 30, "text")]
    top = _titles(sheet, cons, fmt, "Kết quả thực hiện của các đơn vị", len(columns))
    texts = dict(zip(cons.tasks["tt"], cons.tasks["text"], strict=False))
    rows = [[r.tt, texts.get(r.tt, ""), r.unit, r.unit_name, r.role, status_label(r.status),
             r.completed_on, r.result, r.difficulty] for r in cons.task_units.itertuples()]
    table(sheet, top, columns, rows, fmt)
    page_setup(sheet, top)


def notes_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["notes"])
    columns = [("Nội dung", 28, "text"), ("Loại", 18, "text"), ("TT", 6, "text"),
               ("Mã đơn vị", 9, "text"), ("Đơn vị", 30, "text"), ("Ý kiến", 70, "text")]
    top = _titles(sheet, cons, fmt, "Khó khăn, vướng mắc và đề xuất, kiến nghị", len(columns))
    rows = [[r.dimension_name, r.kind, r.tt, r.unit, r.unit_name, r.text]
            for r in cons.notes.itertuples()]
    table(sheet, top, columns, rows, fmt)
    page_setup(sheet, top)


def changes_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["changes"])
    columns = [("Loại", 10, "text"), ("Mã", 9, "text"), ("Nội dung", 60, "text"),
               ("Kỳ trước", 14, "text"), ("Kỳ này", 14, "text"), ("Thay đổi", 16, "text")]
    top = _titles(sheet, cons, fmt, "So sánh với kỳ trước", len(columns))
    if cons.previous_period is None:
        sheet.write_string(3, 0, "Sổ theo dõi chưa có số liệu kỳ trước cùng loại "
                                 f"({cons.period.previous().label}).", fmt.subtitle)
    else:
        sheet.write_string(3, 0, f"Kỳ trước: {cons.period.previous().label}.", fmt.subtitle)
    kinds = {i.code: i.agg for i in cons.plan.indicators}
    table(sheet, top, columns, [], fmt)
    for r, rec in enumerate(cons.changes.itertuples(), start=top + 1):
        put(sheet, r, 0, KIND_LABELS.get(rec.kind, rec.kind), "text", fmt)
        put(sheet, r, 1, rec.code, "text", fmt)
        put(sheet, r, 2, rec.name, "text", fmt)
        kind = _indicator_kind(kinds.get(rec.code, "sum")) if rec.kind == "indicator" else "text"
        for c, value in ((3, rec.previous), (4, rec.current), (5, rec.change)):
            put(sheet, r, c, value, kind, fmt)
    if len(cons.changes):
        sheet.autofilter(top, 0, top + len(cons.changes), len(columns) - 1)
    page_setup(sheet, top)


def corrections_sheet(book, cons, fmt) -> None:
    """Per unit, the values its later file changed: old -> new, with both files' dates."""
    sheet = book.add_worksheet(SHEETS["corrections"])
    columns = [("Mã đơn vị", 9, "text"), ("Đơn vị", 28, "text"), ("Nội dung", 34, "text"),
               ("Giá trị cũ", 30, "text"), ("Giá trị mới", 30, "text"), ("Tệp cũ", 24, "text"),
               ("Nhận lúc", 15, "datetime"), ("Tệp mới", 24, "text"),
               ("Nhận lúc", 15, "datetime")]
    top = _titles(sheet, cons, fmt, "Số liệu đơn vị gửi lại (thay đổi so với tệp trước)",
                  len(columns))
    rows = [[r.unit, r.unit_name, r.where, r.old, r.new, r.old_file, r.old_received,
             r.new_file, r.new_received] for r in cons.corrections.itertuples()]
    table(sheet, top, columns, rows, fmt)
    if not rows:
        sheet.write_string(top + 2, 0, "Không có đơn vị gửi lại số liệu khác với tệp trước.",
                           fmt.subtitle)
    page_setup(sheet, top)


TREND_KINDS = {"completion": "Nhiệm vụ hoàn thành", "on_time": "Gửi báo cáo đúng hạn",
               "indicator": "Chỉ tiêu chính"}
TREND_COUNTS = {"completion": "hoàn thành/có phát sinh", "on_time": "đúng hạn/phải báo cáo",
                "indicator": "đơn vị báo cáo"}


def trends_sheet(book, cons, fmt) -> None:
    """This period beside every earlier closed period (consolidate.trends): per comparison
    and item, each period's figure and the counts it is made from; only when there is an
    earlier closed period."""
    trends = cons.trends
    if trends is None or trends.empty:
        return
    sheet = book.add_worksheet(SHEETS["trends"])
    periods = list(dict.fromkeys(trends["period"]))
    labels = dict(zip(trends["period"], trends["period_label"], strict=True))
    columns = [("So sánh", 18, "text"), ("Mã", 8, "text"), ("Nội dung", 40, "text")]
    for period in periods:
        name = labels[period] + (" (kỳ này)" if period == cons.period.id else "")
        columns += [(name[:1].upper() + name[1:], 13, "text"), ("Số lượng", 11, "text")]
    top = _titles(sheet, cons, fmt, "So sánh với các kỳ báo cáo đã chốt", len(columns))
    sheet.write_string(3, 0, "Mỗi kỳ tổng hợp lại từ sổ theo dõi theo cùng cách tính; chỉ tiêu "
                             "chính: chỉ tiêu đầu tiên của mỗi loại (cộng dồn, thời điểm, tỷ "
                             "lệ) trong Kế hoạch." + (f" {cons.trends_note}" if
                                                      cons.trends_note else ""), fmt.subtitle)
    table(sheet, top, columns, [], fmt)
    items = list(dict.fromkeys((r.kind, r.item, r.item_name, r.agg)
                               for r in trends.itertuples()))
    cell = {(r.kind, r.item, r.period): r for r in trends.itertuples()}
    for row, (kind, item, name, agg) in enumerate(items, start=top + 1):
        put(sheet, row, 0, TREND_KINDS[kind], "text", fmt)
        put(sheet, row, 1, item, "text", fmt)
        put(sheet, row, 2, name, "text", fmt)
        for n, period in enumerate(periods):
            rec = cell.get((kind, item, period))
            value = rec.value if rec is not None else None
            put(sheet, row, 3 + 2 * n, value, "pct" if agg == "ratio" else "num", fmt)
            counts = (f"{fmt_int(rec.numerator)}/{fmt_int(rec.denominator)} "
                      f"{TREND_COUNTS[kind]}" if rec is not None and rec.denominator else "")
            put(sheet, row, 4 + 2 * n, counts, "text", fmt)
    sheet.autofilter(top, 0, top + len(items), len(columns) - 1)
    page_setup(sheet, top)


def reconciliation_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["reconciliation"])
    columns = [("Mã huyện", 9, "text"), ("Đơn vị cấp huyện", 30, "text"),
               ("Mã chỉ tiêu", 9, "text"), ("Chỉ tiêu", 46, "text"),
               ("Số huyện báo cáo", 13, "num"), ("Tổng hợp từ báo cáo của xã", 13, "num"),
               ("Chênh lệch", 12, "num"), ("Xã có số liệu khác", 20, "text")]
    top = _titles(sheet, cons, fmt, "Đối chiếu số liệu cấp huyện với báo cáo của cấp xã",
                  len(columns))
    kinds = {i.code: i.agg for i in cons.plan.indicators}
    rows = [[r.district, r.district_name, r.code, r.name, r.district_value, r.communes_value,
             r.difference, r.units] for r in cons.reconciliation.itertuples()]
    table(sheet, top, columns, rows, fmt)
    for index, row in enumerate(rows):
        kind = _indicator_kind(kinds.get(row[2], "sum"))
        for c in (4, 5, 6):
            put(sheet, top + 1 + index, c, row[c], kind, fmt)
    if not rows:
        sheet.write_string(top + 2, 0, "Không có chênh lệch.", fmt.subtitle)
    page_setup(sheet, top)


def findings_sheet(book, cons, fmt) -> None:
    sheet = book.add_worksheet(SHEETS["findings"])
    columns = [("Mã đơn vị", 9, "text"), ("Tệp", 34, "text"), ("Mức", 8, "text"),
               ("Mã lỗi", 8, "text"), ("Trang tính", 14, "text"), ("Ô", 7, "text"),
               ("Nội dung", 80, "text")]
    top = _titles(sheet, cons, fmt, "Lỗi và lưu ý: tệp đơn vị gửi về, số liệu sau tổng hợp",
                  len(columns))
    rows = [[r.unit, r.file, vocab.SEVERITY_BY_KEY[r.severity].label, r.code, r.sheet,
             r.cell, r.message] for r in cons.findings.itertuples()]
    table(sheet, top, columns, rows, fmt)
    page_setup(sheet, top)


# --------------------------------------------------------------------------- the district's return

def _district_value(cons, code: str, agg: str):
    rows = cons.indicators[(cons.indicators["code"] == code) & (cons.indicators["area"] == "")]
    value = rows["value"].iloc[0] if len(rows) else math.nan
    if math.isnan(value):
        return None
    # Ratios travel as the percentage a unit would type into a '%' cell.
    return round(value * 100, 4) if agg == "ratio" else float(value)


def return_sheets(book, cons, key: bytes) -> None:
    """The district's own report in the form layout (the forms' own writer), its rolled-up
    indicators, its communes' detail and its signed identity, so the province's intake
    reads this workbook as the district's submission (with its communes as children)."""
    plan, district = cons.plan, cons.scope
    values = {i.code: _district_value(cons, i.code, i.agg)
              for i in plan.form_indicators(district)}
    children = [cons.data[code] for code in plan.units
                if code != district and code in cons.data]
    add_return_sheets(book, plan, cons.period, district, key, cons.data.get(district), values,
                      children)


# --------------------------------------------------------------------------- entry point

def write_workbook(cons, path: Path, key: bytes | None = None) -> Path:
    """Write the consolidated workbook atomically; with a scope and the workspace's key,
    also the district's return sheets."""
    path = Path(path)
    try:
        return _write(cons, path, key)
    except PermissionError:
        raise UsageError(f"Không ghi được {path}: tệp đang mở trong Excel hoặc thư mục không "
                         "cho phép ghi. Đóng tệp rồi chạy lại.") from None


def _write(cons, path: Path, key: bytes | None) -> Path:
    with atomic_path(path, verify=verify_zip) as tmp:
        book = new_workbook(tmp)
        fmt = Formats(book)
        overview(book, cons, fmt)
        task_sheet(book, cons, fmt)
        matrix_sheet(book, cons, fmt)
        indicator_sheets(book, cons, fmt)
        submission_sheet(book, cons, fmt)
        results_sheet(book, cons, fmt)
        notes_sheet(book, cons, fmt)
        changes_sheet(book, cons, fmt)
        corrections_sheet(book, cons, fmt)
        trends_sheet(book, cons, fmt)
        if cons.scope is None:
            reconciliation_sheet(book, cons, fmt)
        findings_sheet(book, cons, fmt)
        if cons.scope and key is not None:
            return_sheets(book, cons, key)
        book.close()
    return path
