"""Figures that mean what they say, on a small three-level plan with a reporting line,
indicator levels and aggregations, consistency rules and a compiling body; every figure
computed by hand in the comments.

Units: SNV (Sở Nội vụ, the compiling body), SA (a department); H1 (district) with communes
X1, X2; H2 (district) with commune X3. The line: communes report to their district,
departments and districts to SNV by the 14th. Cadence: Quý I, 6 tháng, Quý III, năm.
Tasks: 1.1 lead SNV, partner the districts; 1.2 lead the communes, partner the districts;
2.1 lead SA, "Trước 30/7/2022".
Indicators: HN (1.2, flow, communes only), TS (1.2, stock: districts and communes),
TT (1.1, stock: SNV and the districts), DH/TN/QH (1.2, flows of communes: files on time,
received, overdue) and TL = DH / TN. Rules: QH ≤ TN, DH + QH ≤ TN.
"""

from __future__ import annotations

import datetime as dt
import math

import openpyxl
import pytest
import smallplan as sp
from conftest import header_columns

from generator.consolidate.build import from_ledger
from generator.consolidate.tasks import status_sentence
from generator.excel import new_workbook
from generator.findings import finding
from generator.forms import layout as formspec
from generator.forms.writer import write_form
from generator.intake.read import read_form
from generator.ledger.status import status
from generator.model import Submission
from generator.plan.workbook import SHEETS, check_plan, load_plan
from generator.render import wordreport

PERIOD = sp.PERIOD
XA, HUYEN = "UBND cấp xã", "UBND cấp huyện"

DETAILS = [*sp.DETAILS, ["Mã cơ quan tổng hợp", "SNV"],
           ["Kỳ báo cáo", "Quý I; 6 tháng; Quý III; Năm"]]
UNITS = [["SNV", "Sở Nội vụ", "Sở Nội vụ", "tinh", "so-nganh", "", "snv@t.vn", ""],
         ["SA", "Sở A", "Sở A", "tinh", "so-nganh", "", "sa@t.vn", ""],
         ["H1", "UBND huyện Một", "Huyện Một", "huyen", "huyen", "", "h1@t.vn", ""],
         ["X1", "UBND xã Một", "Xã Một", "xa", "xa", "H1", "x1@t.vn", ""],
         ["X2", "UBND xã Hai", "Xã Hai", "xa", "xa", "H1", "x2@t.vn", ""],
         ["H2", "UBND huyện Hai", "Huyện Hai", "huyen", "huyen", "", "h2@t.vn", ""],
         ["X3", "UBND xã Ba", "Xã Ba", "xa", "xa", "H2", "x3@t.vn", ""]]
TASKS = [["1.1", 1, "Ban hành kế hoạch triển khai", "Sở Nội vụ", HUYEN, "Trước 30/8/2022"],
         ["1.2", 1, "Tiếp nhận, giải quyết hồ sơ", XA, HUYEN, "Thường xuyên"],
         ["2.1", 2, "Công khai thủ tục hành chính", "Sở A", "", "Trước 30/7/2022"]]
# code, task, name, unit, aggregation, numerator, denominator, kind, levels
INDICATORS = [
    ["HN", "1.2", "Số hội nghị ở thôn", "hội nghị", "cộng dồn", "", "", "", XA],
    ["TS", "1.2", "Tổng số thôn", "thôn", "thời điểm", "", "", "", f"{HUYEN}; {XA}"],
    ["TT", "1.1", "Số thủ tục đang áp dụng", "thủ tục", "thời điểm", "", "", "",
     f"Sở Nội vụ; {HUYEN}"],
    ["TN", "1.2", "Số hồ sơ đã tiếp nhận", "hồ sơ", "cộng dồn", "", "", "", XA],
    ["DH", "1.2", "Số hồ sơ giải quyết đúng hạn", "hồ sơ", "cộng dồn", "", "", "", XA],
    ["QH", "1.2", "Số hồ sơ giải quyết quá hạn", "hồ sơ", "cộng dồn", "", "", "", XA],
    ["TL", "1.2", "Tỷ lệ hồ sơ đúng hạn", "%", "tỷ lệ", "DH", "TN", "", ""],
]
RULES = [["QT1", "QH", "<=", "TN", "Hồ sơ quá hạn không vượt số đã tiếp nhận"],
         ["QT2", "DH + QH", "≤", "TN", ""]]
LINES = [[XA, "Cấp trên trực tiếp", "", "Qua Phòng Nội vụ cấp huyện"],
         [f"{HUYEN}; Sở A", "Sở Nội vụ", 14, "Trước ngày 15 của tháng cuối kỳ"]]


def write_plan(path, **changes):
    """The small plan as a real plan workbook; `changes` replace whole sheets."""
    content = {"KeHoach": DETAILS, "NoiDung": sp.DIMENSIONS,
               "NhiemVu": [t + ["", ""] for t in TASKS], "DonVi": UNITS,
               "NhomDonVi": sp.CLASSES, "ChiTieu": INDICATORS, "QuyTac": RULES,
               "TuyenBaoCao": LINES, **changes}
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
    return path


@pytest.fixture
def plan(tmp_path):
    return load_plan(write_plan(tmp_path / "ke-hoach.xlsx"))


def submissions() -> dict[str, Submission]:
    """SNV and H1 report (H1's return carries X1 and X2); SA, H2 and X3 send nothing."""
    x1 = Submission("X1", PERIOD.id, tasks={"1.2": sp.task("1.2", "Đã hoàn thành", "Xong",
                                                            dt.date(2022, 9, 1))},
                    indicators={"HN": 3.0, "TS": 20.0, "TN": 10.0, "DH": 8.0, "QH": 1.0})
    x2 = Submission("X2", PERIOD.id, tasks={"1.2": sp.task("1.2", "Đang thực hiện")},
                    indicators={"HN": 2.0, "TS": 25.0, "TN": 5.0, "DH": 2.0, "QH": 0.0})
    # H1's return: its own report and figures (its own count of villages and procedures,
    # which are stocks), its communes inside.
    h1 = Submission("H1", PERIOD.id, tasks={
        "1.1": sp.task("1.1", "Đã hoàn thành", "Đã ban hành", dt.date(2022, 8, 20)),
        "1.2": sp.task("1.2", "Đã hoàn thành", "Đã hướng dẫn các xã", dt.date(2022, 9, 2))},
        indicators={"TS": 50.0, "TT": 30.0}, children=[x1, x2])
    snv = Submission("SNV", PERIOD.id, tasks={"1.1": sp.task(
        "1.1", "Đã hoàn thành", "Đã ban hành Kế hoạch số 5/KH-SNV", dt.date(2022, 7, 4))},
        indicators={"TT": 120.0}, difficulties="Thiếu người theo dõi",
        proposals="Bổ sung biên chế")
    return {"SNV": snv, "H1": h1}


# SNV's own file arrives long after the 14th: the compiling body is never late to itself.
ARRIVALS = {"SNV": sp.at(20), "H1": sp.at(13)}


@pytest.fixture
def cons(workspace, plan):
    sp.record(workspace, submissions(), arrivals=ARRIVALS)
    return from_ledger(workspace, plan, PERIOD)


def figure(cons, code, area=""):
    frame = cons.indicators
    row = frame[(frame["code"] == code) & (frame["area"] == area)].iloc[0]
    return row["value"], f"{row['reported']}/{row['expected']}"


# --------------------------------------------------------------------------- the plan

def test_plan_reads_levels_rules_line_compiler_and_cadence(plan):
    assert plan.reporters("HN") == {"X1", "X2", "X3"}  # the districts are partners of 1.2
    assert plan.reporters("TS") == {"H1", "H2", "X1", "X2", "X3"}
    assert plan.reporters("TL") == {"X1", "X2", "X3"}
    assert [i.code for i in plan.indicators_for("H1")] == ["TS", "TT"]
    assert [(r.code, r.text) for r in plan.rules] == [("QT1", "QH ≤ TN"),
                                                      ("QT2", "DH + QH ≤ TN")]
    assert plan.compiler.code == "SNV"
    assert [plan.reports_to(c) for c in ("SA", "H1", "X1", "X3", "SNV")] == \
        ["SNV", "SNV", "H1", "H2", ""]
    assert plan.expected_units() == ["SA", "H1", "H2"]
    assert plan.reporting_through() == {"H1": ["X1", "X2"], "H2": ["X3"]}
    assert plan.recipient_email(plan.units["X1"]) == "h1@t.vn"
    # "Trước ngày 15 của tháng cuối kỳ": the 14th; communes: the workspace's [deadlines].
    assert plan.deadline("H1", PERIOD) == dt.date(2022, 9, 14)
    assert plan.deadline("X1", PERIOD, {"xa": 10}) == dt.date(2022, 9, 10)
    assert [plan.next_period(p).id for p in (PERIOD, sp.PREVIOUS)] == ["2022", "2022-Q3"]


def test_plan_check_names_bad_rules_lines_and_levels(tmp_path):
    path = write_plan(tmp_path / "sai.xlsx",
                      QuyTac=[["QT1", "QH", "<<", "TN", ""], ["QT2", "DH + XX", "<=", "TN", ""]],
                      TuyenBaoCao=[[XA, "Phòng Nội vụ", "", ""],
                                   [HUYEN, "Sở Nội vụ", "ngày 15", ""]],
                      ChiTieu=[INDICATORS[0][:8] + ["Cấp thôn"], *INDICATORS[1:]])
    plan, found = check_plan(path)
    assert plan is None
    assert [(f.code, f.sheet, f.cell) for f in found] == [
        ("P006", "ChiTieu", "I2"), ("P041", "QuyTac", "C2"), ("P040", "QuyTac", "B3"),
        ("P042", "TuyenBaoCao", "B2"), ("P043", "TuyenBaoCao", "C3")]
    assert found[1] == finding("P041", path.name, "QuyTac", "C2", rule="QT1", value="<<")
    assert found[2] == finding("P040", path.name, "QuyTac", "B3", rule="QT2", value="XX")


def test_plan_check_warns_of_a_line_that_cannot_be_followed(tmp_path):
    lines = [[f"{XA}; Sở A", "Cấp trên trực tiếp", "", ""], [f"{HUYEN}; Sở A", "SNV", 14, ""]]
    plan, found = check_plan(write_plan(tmp_path / "tuyen.xlsx", TuyenBaoCao=lines))
    assert [(f.code, f.cell) for f in found] == [("P048", "A2"), ("P044", "A3")]
    assert found[0].message.startswith("[TuyenBaoCao!A2] Đơn vị 'SA' báo cáo về cấp trên trực "
                                       "tiếp nhưng không có mã cấp trên")
    assert plan.reports_to("SA") == "SNV"  # no parent: the compiling body


# --------------------------------------------------------------------------- indicators

def test_flow_summed_over_communes_only_and_partly_reported(cons):
    # HN: X1 3 + X2 2 = 5, of the 3 communes that report it (X3 silent): "(2/3)". H1's
    # return carries no HN of its own (the districts do not report it).
    assert figure(cons, "HN") == (5, "2/3")
    assert figure(cons, "HN", "H1") == (5, "2/2")
    value, shown = figure(cons, "HN", "H2")
    assert math.isnan(value) and shown == "0/1"
    # The report says a figure is partial: "(x/y đơn vị báo cáo)" beside it.
    assert any(line.endswith("(2/3 đơn vị báo cáo)")
               for line in wordreport.key_figures(cons, ["1.2"]))


def test_stock_taken_once(cons):
    # TS: the districts' own counts (H1 50; H2 silent), never + X1 20 + X2 25.
    assert figure(cons, "TS") == (50, "1/2")
    assert figure(cons, "TS", "H1") == (50, "1/1")
    # TT: the province body's own figure, not SNV 120 + H1 30.
    assert figure(cons, "TT") == (120, "1/1")
    assert figure(cons, "TT", "H1") == (30, "1/1")
    method = cons.indicators.set_index(["code", "area"]).loc[("TT", ""), "method"]
    assert method == "Số thời điểm, không cộng các cấp: số của Sở Nội vụ"


def test_ratio_from_summed_parts(cons):
    # TL = (8 + 2) / (10 + 5) = 2/3, not the mean of 80% and 40% (60%).
    value, shown = figure(cons, "TL")
    assert value == pytest.approx(2 / 3) and shown == "2/3"


def test_rules_hold_after_consolidation_or_are_listed(workspace, plan):
    subs = submissions()
    subs["H1"].children[1].indicators["QH"] = 9.0  # X2: 9 overdue of 5 received
    sp.record(workspace, subs, arrivals=ARRIVALS)
    cons = from_ledger(workspace, plan, PERIOD)
    rows = cons.findings[cons.findings["code"] == "C002"]
    assert list(rows["unit"]) == ["X2", "X2"]  # QT1 and QT2
    expected = finding(
        "C002", "H1_2022-Q3.xlsx", formspec.SHEET_CHILDREN, unit="UBND xã Hai",
        parent="UBND huyện Một", left="QH", left_value="9", relation="lớn hơn", right="TN",
        right_value="5", rule="QH ≤ TN (Hồ sơ quá hạn không vượt số đã tiếp nhận)")
    assert rows.iloc[0][["file", "sheet", "message"]].tolist() == [
        expected.file, expected.sheet, expected.message]
    # The sums of the province and of H1 (the same communes: QH 1 + 9 = 10 of TN 15;
    # DH + QH 20 of 15) break QT2 only.
    area = cons.findings[cons.findings["code"] == "C001"]
    assert list(area["unit"]) == ["", "H1"]
    assert area.iloc[0]["message"].startswith(
        "Số liệu tổng hợp của Toàn tỉnh Thử: DH + QH = 20 lớn hơn TN = 15 (2 đơn vị báo cáo đủ "
        "các số liệu), trái quy tắc DH + QH ≤ TN.")


# --------------------------------------------------------------------------- intake

def test_rule_broken_at_intake_names_both_cells(tmp_path, workspace, plan):
    form = write_form(plan, "X3", PERIOD, workspace.secret_key(), tmp_path / "X3.xlsx")
    book = openpyxl.load_workbook(form)
    report = book[formspec.SHEET_REPORT]
    cols = formspec.REPORT_COLUMNS
    head, at = header_columns(report, [cols["tt"], cols["status"]])
    tt_row = next(r for r in range(head + 1, report.max_row + 1)
                  if report.cell(r, at[cols["tt"]]).value == "1.2")
    report.cell(tt_row, at[cols["status"]]).value = "Đang thực hiện"
    for field, value in (("preparer", "Lò Văn A"), ("phone", "0912"), ("head", "Lò Văn B")):
        label = formspec.UNIT_FIELDS[field]
        cell = next(c for row in report.iter_rows() for c in row if c.value == label)
        report.cell(cell.row, cell.column + 1).value = value
    sheet = book[formspec.SHEET_INDICATORS]
    icols = formspec.INDICATOR_COLUMNS
    head, at = header_columns(sheet, [icols["code"], icols["value"]])
    cells = {}
    for row in range(head + 1, sheet.max_row + 1):
        code = sheet.cell(row, at[icols["code"]]).value
        if code:
            cells[code] = sheet.cell(row, at[icols["value"]])
    # 12 files received, 7 on time, 9 overdue: 9 overdue fits in 12, 7 + 9 does not.
    for code, value in {"HN": 1, "TS": 9, "TN": 12, "DH": 7, "QH": 9}.items():
        cells[code].value = value
    book.save(form)
    sub, found = read_form(form, plan, PERIOD, workspace.secret_key())
    assert sub is not None and sub.indicators["QH"] == 9
    dh, qh, tn = (cells[c].coordinate for c in ("DH", "QH", "TN"))
    assert found == [finding(
        "I010", form.name, formspec.SHEET_INDICATORS, dh, left="DH + QH", left_value="16",
        left_cells=f"{dh}, {qh}", relation="lớn hơn", right="TN", right_value="12",
        right_cells=tn, rule="DH + QH ≤ TN")]
    assert f"(ô {dh}, {qh})" in found[0].message and f"(ô {tn})" in found[0].message


# --------------------------------------------------------------------------- tasks, register

def test_task_of_a_unit_that_did_not_report(cons):
    tasks = cons.tasks.set_index("tt")
    # 2.1: its only unit, SA, sent nothing; due 30/7, yet not overdue: nobody said "not done".
    assert tasks.loc["2.1", ["status", "missing", "overdue"]].tolist() == ["", 1, False]
    row = next(r for g in wordreport._appendix_tasks(cons) for r in g["dong"]
               if r["tt"] == "2.1")
    assert row["tinh_trang"] == "Chưa có đơn vị báo cáo"  # never "chưa thực hiện", not overdue
    # 1.1: SNV and H1 done, H2 silent: done by the units that reported, with its counts.
    assert status_sentence(tasks.loc["1.1"]) == (
        "các đơn vị đã báo cáo đều đã hoàn thành (2/3 đơn vị), 1 đơn vị chưa báo cáo")
    # 1.2: X1 and H1 done, X2 ongoing, X3 and H2 silent.
    assert status_sentence(tasks.loc["1.2"]) == (
        "đang triển khai thực hiện, 2/5 đơn vị đã hoàn thành, 2 đơn vị chưa báo cáo")
    assert cons.key["tasks_missing"] == 1 and cons.key["tasks_overdue"] == 0


def test_compiling_body_is_never_late_and_speaks_for_itself(workspace, cons, plan):
    register = cons.submissions.set_index("unit")["state"].to_dict()
    assert register == {"SA": "missing", "H1": "on_time", "H2": "missing"}
    assert "SNV" not in status(workspace, plan, PERIOD).expected
    # Its own results count.
    units = cons.task_units.set_index(["tt", "unit"])["status"]
    assert units[("1.1", "SNV")] == "Đã hoàn thành"
    context = wordreport.build_context(cons, workspace.section("report"))
    assert "- Khó khăn, vướng mắc của Sở Nội vụ trong tổ chức thực hiện:" in context["ton_tai"]
    assert "+ Thiếu người theo dõi" in context["ton_tai"]
    assert not any(line.startswith("+ Sở Nội vụ") for line in context["ton_tai"])
    own = next(g for g in context["de_xuat"] if g["tieu_de"].endswith("Đối với UBND tỉnh"))
    assert "- Bổ sung biên chế." in own["doan"]


def test_province_sees_communes_through_their_district(workspace, cons):
    coverage = cons.coverage.set_index("unit")
    assert coverage.loc["H1", ["expected", "reported"]].tolist() == [2, 2]
    assert coverage.loc["H2", ["expected", "reported", "missing_names"]].tolist() == \
        [1, 0, "UBND xã Ba"]
    context = wordreport.build_context(cons, workspace.section("report"))
    deployment = " ".join(context["trien_khai"])
    assert "Đã nhận báo cáo của 1/3 cơ quan, đơn vị" in deployment  # SA, H1, H2 report to SNV
    # Communes are counted through their district's return: only the incomplete one named.
    assert "Số đơn vị cấp xã đã gửi báo cáo ở các huyện chưa đủ: UBND huyện Hai 0/1." in \
        deployment
    # The next report follows the plan's cadence: after Quý III, the year's.
    assert context["nhiem_vu_toi"][0].startswith("Đến kỳ báo cáo năm 2022")
    assert context["nhiem_vu_toi"][-1].startswith(
        "- Gửi báo cáo năm 2022 đúng thời hạn: cấp tỉnh, cấp huyện chậm nhất ngày 14 tháng "
        "12 năm 2022")


def test_communes_may_report_straight_to_the_province(workspace, tmp_path):
    """Today's two-level government: the same plan with another "reports to"."""
    lines = [[XA, "Sở Nội vụ", "", ""], *LINES[1:]]
    plan = load_plan(write_plan(tmp_path / "thang.xlsx", TuyenBaoCao=lines))
    sp.record(workspace, submissions(), arrivals=ARRIVALS)
    cons = from_ledger(workspace, plan, PERIOD)
    assert list(cons.submissions["unit"]) == ["SA", "H1", "X1", "X2", "H2", "X3"]
    assert cons.coverage.empty
    # X1 and X2 came inside H1's file: received with it.
    assert cons.submissions.set_index("unit").loc["X1", "state"] == "on_time"
