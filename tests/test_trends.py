"""Trends across closed periods (issue 15): a demo of four periods, each closed before the
next, and the last period's workbook sheet, chart data and report text recomputed here from
the ledger with the consolidation functions alone."""

from __future__ import annotations

import math

import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from generator.consolidate.build import consolidate, from_ledger
from generator.demo.run import run_demo, summary_lines
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.render.wordreport import trend_series
from generator.render.workbook import SHEETS
from generator.vocab import ON_TIME, STATUS_DONE, STATUS_NA
from generator.workspace import find_workspace

PERIODS = [parse_period(p) for p in ("2022-Q1", "2022-H1", "2022-Q3", "2022")]
# A few departments, a district and two of its communes (through the district's return):
# every comparison has figures, and the run stays short.
UNITS = ["SNV", "STP", "SYT", "STC", "080", "02635", "02641"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("trends") / "demo"
    result = run_demo(root, periods=PERIODS, units=UNITS, pdf=False)
    workspace = find_workspace(explicit=root)
    return result, workspace, load_plan(workspace.plan_path)


def recomputed(workspace, plan, period) -> dict:
    """The three comparisons of one period, straight from the ledger's current returns."""
    with Ledger(workspace) as ledger:
        subs = ledger.current_submissions(period.id)
    report = status(workspace, plan, period, subs)
    cons = consolidate(plan, period, subs, report)
    out = {}
    for number, (_name, short) in plan.dimensions.items():
        part = cons.tasks[cons.tasks["dimension"] == number]
        arose = int((part["status"] != STATUS_NA).sum())
        out[("completion", short)] = (int((part["status"] == STATUS_DONE).sum()) / arose
                                      if arose else 0.0)
    on_time = sum(u.state == ON_TIME.key for u in report.units)
    out[("on_time", "Tổng cộng")] = on_time / len(report.units)
    # The rule: the plan's first indicator of each aggregation (sum, stock, ratio).
    codes = [next(i.code for i in plan.indicators if i.agg == agg)
             for agg in ("sum", "stock", "ratio")]
    whole = cons.indicators[cons.indicators["area"] == ""].set_index("code")["value"]
    for code in codes:
        out[("indicator", code)] = float(whole[code])
    return out


def test_each_period_is_closed_before_the_next_and_the_last_is_left_open(demo):
    result, workspace, _plan = demo
    assert result.period.id == "2022"
    assert ("Các kỳ đã mô phỏng và chốt trước: quý I năm 2022 (2022-Q1), 6 tháng đầu năm 2022 "
            "(2022-H1), quý III năm 2022 (2022-Q3)") in summary_lines(result)[2]
    with Ledger(workspace) as ledger:
        assert ledger.closed_periods() == ["2022-H1", "2022-Q1", "2022-Q3"]
        assert ledger.closing("2022") is None


def test_trend_figures_are_the_ledger_consolidated_again(demo):
    _result, workspace, plan = demo
    cons = from_ledger(workspace, plan, PERIODS[-1])
    expected = {p.id: recomputed(workspace, plan, p) for p in PERIODS}
    ids, _labels, rows = trend_series(cons.trends, "completion")
    assert ids == [p.id for p in PERIODS]
    for item, name, _agg, values in rows:
        if item:
            for period, value in zip(ids, values, strict=True):
                assert value == pytest.approx(expected[period][("completion", name)])
    _ids, _labels, rows = trend_series(cons.trends, "on_time")
    total = next(values for item, _n, _a, values in rows if item == "")
    assert total == pytest.approx([expected[p][("on_time", "Tổng cộng")] for p in ids])
    _ids, _labels, rows = trend_series(cons.trends, "indicator")
    assert [item for item, *_ in rows] == ["CT1.1a", "CT1.3a", "CT1.3r"]
    for item, _name, _agg, values in rows:
        want = [expected[p][("indicator", item)] for p in ids]
        assert not all(math.isnan(v) for v in want)  # the units chosen report each of them
        assert values == pytest.approx(want, nan_ok=True)
    # Not the same numbers every period: the comparison compares something.
    _ids, _labels, rows = trend_series(cons.trends, "completion")
    assert any(len({round(v, 6) for v in values}) > 1 for *_x, values in rows)


def test_the_workbook_sheet_holds_the_same_figures(demo):
    _result, workspace, plan = demo
    expected = {p.id: recomputed(workspace, plan, p) for p in PERIODS}
    sheet = CalamineWorkbook.from_path(str(workspace.workbook_path("2022"))) \
        .get_sheet_by_name(SHEETS["trends"]).to_python()
    header = next(r for r in sheet if r[0] == "So sánh")
    assert header[3] == "Quý I năm 2022" and header[9] == "Năm 2022 (kỳ này)"
    checked = 0
    for row in sheet[sheet.index(header) + 1:]:
        key = {"Nhiệm vụ hoàn thành": ("completion", row[2]),
               "Gửi báo cáo đúng hạn": ("on_time", row[2]),
               "Chỉ tiêu chính": ("indicator", row[1])}[row[0]]
        for n, period in enumerate(PERIODS):
            want = expected[period.id].get(key)
            if want is None or math.isnan(want):
                continue
            assert row[3 + 2 * n] == pytest.approx(want), (key, period.id)
            checked += 1
    assert checked >= 4 * (len(plan.dimensions) + 1 + 3)


def test_the_report_compares_and_draws_one_chart_per_comparison(demo):
    _result, workspace, _plan = demo
    text = "\n".join(p.text for p in Document(str(workspace.report_path("2022"))).paragraphs)
    assert ("So với 3 kỳ báo cáo trước đã chốt (quý I năm 2022, 6 tháng đầu năm 2022 và quý "
            "III năm 2022): tỷ lệ nhiệm vụ hoàn thành (trên số nhiệm vụ có phát sinh) lần lượt") in text
    for n, caption in ((5, "Tỷ lệ nhiệm vụ hoàn thành theo nội dung qua các kỳ đã chốt"),
                       (6, "Tỷ lệ đơn vị gửi báo cáo đúng hạn theo cấp qua các kỳ đã chốt"),
                       (7, "Một số chỉ tiêu chính của toàn tỉnh qua các kỳ đã chốt")):
        assert f"Biểu đồ {n}. {caption}" in text
    assert "Số liệu cả năm 2022 tổng hợp từ báo cáo năm của các đơn vị" in text


def test_nothing_is_compared_before_a_period_is_closed(demo):
    _result, workspace, _plan = demo
    book = CalamineWorkbook.from_path(str(workspace.workbook_path("2022-Q1")))
    assert SHEETS["trends"] not in book.sheet_names
    text = "\n".join(p.text for p in Document(str(workspace.report_path("2022-Q1"))).paragraphs)
    assert "kỳ đã chốt" not in text and "Biểu đồ 5" not in text
    # The next period compares with the one closed before it.
    book = CalamineWorkbook.from_path(str(workspace.workbook_path("2022-H1")))
    assert SHEETS["trends"] in book.sheet_names


def test_demo_takes_one_period_or_several_not_both(tmp_path, run):
    result = run(["demo", str(tmp_path / "d"), "-p", "2022-Q3", "--periods", "2022-Q1,2022-Q3"])
    assert result.exit_code == 2
    assert "Dùng -p cho một kỳ hoặc --periods cho nhiều kỳ" in result.output
    bad = run(["demo", str(tmp_path / "d"), "--periods", "2022-Q1,quy-3"])
    assert bad.exit_code == 2 and "quy-3" in bad.output
    assert not (tmp_path / "d").exists()
