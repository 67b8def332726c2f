"""A small plan, built as a real plan workbook, and hand-set submissions in a real ledger.

Three levels (2022): SNV, SA, SB (departments), H1 (district) with communes X1, X2.
Two levels (since 1/7/2025): the same without H1; X1 and X2 report straight to the province.

Tasks (period 2022-Q3: cut-off 15/6 to 14/9/2022; deadlines: communes 10/9, others 14/9):
  1.1  lead SNV, partner H1 ("UBND cấp huyện"), "Trước 30/8/2022"
  1.2  lead X1, X2 ("UBND cấp xã"), "Thường xuyên"
  2.1  lead SA, partners SB and H1, "Trước 30/11/2022"
Indicators: CT1 (1.2, sum), CT2a/CT2b (1.2, numerator/denominator), CT2r ratio CT2a/CT2b,
CT3 (2.1, sum).
"""

from __future__ import annotations

import datetime as dt

from generator.excel import new_workbook
from generator.ledger.store import Ledger
from generator.model import Submission, TaskReport
from generator.plan.periods import parse_period
from generator.plan.workbook import SHEETS, load_plan

PERIOD = parse_period("2022-Q3")
PREVIOUS = parse_period("2022-Q2")
VN = dt.timezone(dt.timedelta(hours=7))

DETAILS = [["Số kế hoạch", "12/KH-UBND"], ["Ngày ban hành", "30/6/2022"],
           ["Cơ quan ban hành", "UBND tỉnh Thử"], ["Tên kế hoạch", "Kế hoạch nhỏ để kiểm thử"],
           ["Mã đơn vị đầu mối", "SNV"], ["Địa danh", "Thử"]]
DIMENSIONS = [[1, "Tham gia của người dân ở cấp cơ sở", "Tham gia của người dân"],
              [2, "Công khai, minh bạch", "Công khai, minh bạch"]]
TASKS = [["1.1", 1, "Ban hành kế hoạch triển khai", "Sở Nội vụ", "UBND cấp huyện",
          "Trước 30/8/2022", "", ""],
         ["1.2", 1, "Tổ chức hội nghị ở thôn", "UBND cấp xã", "", "Thường xuyên", "", ""],
         ["2.1", 2, "Công khai thủ tục hành chính", "Sở A", "Sở B; UBND cấp huyện",
          "Trước 30/11/2022", "", ""]]
CLASSES = [["UBND cấp xã", "xa", "", ""], ["UBND cấp huyện", "huyen", "", ""]]
INDICATORS = [["CT1", "1.2", "Số hội nghị ở thôn", "hội nghị", "sum", "", ""],
              ["CT2a", "1.2", "Số thôn có sổ ghi chép", "thôn", "sum", "", ""],
              ["CT2b", "1.2", "Tổng số thôn", "thôn", "sum", "", ""],
              ["CT2r", "1.2", "Tỷ lệ thôn có sổ ghi chép", "%", "ratio", "CT2a", "CT2b"],
              ["CT3", "2.1", "Số thủ tục đã công khai", "thủ tục", "sum", "", ""]]


def units(two_level: bool = False) -> list[list]:
    rows = [["SNV", "Sở Nội vụ", "Sở Nội vụ", "tinh", "so-nganh", "", "snv@t.vn", ""],
            ["SA", "Sở A", "Sở A", "tinh", "so-nganh", "", "sa@t.vn", ""],
            ["SB", "Sở B", "Sở B", "tinh", "so-nganh", "", "sb@t.vn", ""]]
    parent = "" if two_level else "H1"
    if not two_level:
        rows.append(["H1", "UBND huyện Một", "Huyện Một", "huyen", "huyen", "", "h1@t.vn", ""])
    rows += [["X1", "UBND xã Một", "Xã Một", "xa", "xa", parent, "x1@t.vn", ""],
             ["X2", "UBND xã Hai", "Xã Hai", "xa", "xa", parent, "x2@t.vn", ""]]
    return rows


def write_plan(path, two_level: bool = False):
    content = {"KeHoach": DETAILS, "NoiDung": DIMENSIONS, "NhiemVu": TASKS,
               "DonVi": units(two_level), "NhomDonVi": CLASSES, "ChiTieu": INDICATORS}
    book = new_workbook(path)
    for name, rows in content.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(SHEETS[name].values()))
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, value)
    book.close()
    return load_plan(path)


def at(day: int, hour: int = 9, month: int = 9) -> dt.datetime:
    return dt.datetime(2022, month, day, hour, tzinfo=VN)


def task(tt, status, result="", completed_on=None, difficulty=""):
    return TaskReport(tt, status=status, result=result, completed_on=completed_on,
                      difficulty=difficulty)


def submissions(period: str = PERIOD.id) -> dict[str, Submission]:
    """The Q3 returns (SB sends nothing)."""
    return {
        "SNV": Submission("SNV", period, tasks={"1.1": task(
            "1.1", "Đã hoàn thành", "Đã ban hành Kế hoạch số 5/KH-SNV",
            dt.date(2022, 8, 20))}, preparer="Lê Thị Lan", head="Nguyễn Văn An"),
        "SA": Submission("SA", period, tasks={"2.1": task(
            "2.1", "Đang thực hiện", '=HYPERLINK("http://x.invalid","bấm")',
            difficulty="Thiếu kinh phí số hóa")}, indicators={"CT3": 5.0},
            difficulties="Thiếu cán bộ", proposals="Bổ sung kinh phí"),
        "H1": Submission("H1", period, tasks={
            "1.1": task("1.1", "Đang thực hiện", "Đang xây dựng kế hoạch"),
            "2.1": task("2.1", "Đã hoàn thành", "Đã công khai 2 thủ tục", dt.date(2022, 9, 1))},
            indicators={"CT3": 2.0}, proposals="Không", preparer="Vàng Thị Mai",
            phone="0214 3840 123", head="Lý Văn Sơn", prepared_on=dt.date(2022, 9, 14)),
        "X1": Submission("X1", period, tasks={"1.2": task(
            "1.2", "Đã hoàn thành", "+ 3 hội nghị", dt.date(2022, 9, 5))},
            indicators={"CT1": 3.0, "CT2a": 8.0, "CT2b": 10.0}, difficulties="@ Đường xa"),
        "X2": Submission("X2", period, tasks={"1.2": task(
            "1.2", "Đang thực hiện", "-1 hội nghị hoãn")},
            indicators={"CT1": 1.0, "CT2a": 1.0, "CT2b": 5.0}),
    }


# When each unit's file arrived: X2 after the communes' deadline (10/9), SA and H1 after
# 14/9 (the last day of "trước ngày 15").
ARRIVALS = {"SNV": at(14), "SA": at(16), "H1": at(15, 17), "X1": at(9), "X2": at(11)}


def record(workspace, subs: dict[str, Submission], period=PERIOD, arrivals=None,
           findings=None, start: int = 0) -> None:
    arrivals = arrivals or ARRIVALS
    findings = findings or {}
    with Ledger(workspace) as ledger:
        for index, (code, sub) in enumerate(subs.items(), start=start):
            ledger.record(period.id, f"{period.id}-{index}".encode().hex().ljust(64, "0"),
                          f"{code}_{period.id}.xlsx", arrivals[code], sub,
                          findings.get(code, []))
