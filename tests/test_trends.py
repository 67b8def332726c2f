"""Trends across closed periods (issue 15): a demo of four periods, each closed before the
next, and the last period's workbook sheet, chart data and report text recomputed here from
the ledger with the consolidation functions alone."""

from __future__ import annotations

import math
import shutil
import sqlite3

import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from generator import signoff
from generator.collect import collect
from generator.consolidate.build import consolidate, from_ledger
from generator.consolidate.trends import plan_of
from generator.demo import simulate
from generator.demo.run import run_demo, summary_lines
from generator.forms.writer import write_forms
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.plan.workbook import LEVELS, load_plan
from generator.render.wordreport import trend_series
from generator.render.workbook import SHEETS
from generator.vocab import ON_TIME, STATUS_DONE, STATUS_NA
from generator.workspace import CONFIG_NAME, DEFAULT_PLAN, SHIPPED_PLANS, find_workspace

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


# ---- across the 2025 reform: a period of the 2022 plan, then one of today's plan

OLD_PERIOD, NEW_PERIOD = parse_period("2022-Q3"), parse_period("2025-Q3")
# Today's departments and Phường Lào Cai, made of the two 2022 communes above.
NEW_UNITS = ["SNV", "STP", "SYT", "STC", "02647"]


@pytest.fixture(scope="module")
def reform(tmp_path_factory):
    """One workspace: a 2022-plan period run and closed, then the workspace switched to
    the shipped 2025 plan and a period of it collected (its report compares the two)."""
    root = tmp_path_factory.mktemp("reform") / "ws"
    run_demo(root, period=OLD_PERIOD, units=UNITS, pdf=False)
    workspace = find_workspace(explicit=root)
    signoff.close(workspace, OLD_PERIOD, who="Hoa")
    shutil.copy(SHIPPED_PLANS["lao-cai-2025"], root / "input" / "ke-hoach-2025.xlsx")
    config = root / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    assert 'file = "input/ke-hoach.xlsx"' in text
    config.write_text(text.replace('file = "input/ke-hoach.xlsx"',
                                   'file = "input/ke-hoach-2025.xlsx"'), encoding="utf-8")
    workspace = find_workspace(explicit=root)
    plan = load_plan(workspace.plan_path)
    write_forms(workspace, plan, NEW_PERIOD, units=NEW_UNITS)
    simulate.fill_returns(workspace, plan, NEW_PERIOD, workspace.input_dir(NEW_PERIOD), seed=7,
                          units=NEW_UNITS)
    collect(workspace, plan, NEW_PERIOD, pdf=False)
    return workspace, load_plan(DEFAULT_PLAN), plan


def carried_by_hand(workspace, old_plan, plan) -> dict[str, float]:
    """The old period's province figure of each indicator in today's plan: each old unit's
    own figures from the ledger put on its new unit by the plan's links (a province body on
    its own code), then today's rules: flows summed, a stock at its highest reporting level,
    a ratio from the summed parts of the units that have both."""
    with Ledger(workspace) as ledger:
        subs = ledger.current_submissions(OLD_PERIOD.id)
    old = consolidate(old_plan, OLD_PERIOD, subs, status(workspace, old_plan, OLD_PERIOD, subs))
    new_of = {link.old: link.new for link in plan.links}
    carried: dict[str, dict[str, float]] = {}
    for row in old.unit_indicators.itertuples():
        if old_plan.indicator(row.code).agg == "ratio":
            continue
        target = new_of.get(row.unit) or (row.unit if row.unit in plan.units and
                                          plan.units[row.unit].level == row.level else None)
        if target is not None:
            mine = carried.setdefault(target, {})
            mine[row.code] = mine.get(row.code, 0.0) + row.value

    def total(code: str) -> float:
        reporters = plan.reporters(code)
        if plan.indicator(code).agg == "stock":
            top = min(LEVELS.index(plan.units[u].level) for u in reporters)
            reporters = {u for u in reporters if LEVELS.index(plan.units[u].level) == top}
        found = [carried[u][code] for u in reporters if code in carried.get(u, {})]
        return sum(found) if found else math.nan

    out = {}
    for indicator in plan.indicators:
        if indicator.agg != "ratio":
            out[indicator.code] = total(indicator.code)
        elif plan.reporters(indicator.num) == plan.reporters(indicator.den):
            pairs = [(v[indicator.num], v[indicator.den]) for u, v in carried.items()
                     if u in plan.reporters(indicator.num) and indicator.num in v
                     and indicator.den in v]
            den = sum(d for _n, d in pairs)
            out[indicator.code] = sum(n for n, _d in pairs) / den if den else math.nan
        else:
            out[indicator.code] = total(indicator.num) / total(indicator.den)
    return out


def test_a_period_of_the_2022_plan_is_carried_to_todays_units(reform):
    workspace, old_plan, plan = reform
    with Ledger(workspace) as ledger:
        held = ledger.closing(OLD_PERIOD.id)
    assert (held.plan_number, held.plan_version) == (old_plan.number, old_plan.version)
    cons = from_ledger(workspace, plan, NEW_PERIOD)
    ids, _labels, rows = trend_series(cons.trends, "indicator")
    assert ids == [OLD_PERIOD.id, NEW_PERIOD.id]
    want = carried_by_hand(workspace, old_plan, plan)
    assert [item for item, *_ in rows] == ["CT1.1a", "CT1.3a", "CT1.3r"]
    for item, _name, _agg, values in rows:
        assert values[0] == pytest.approx(want[item], nan_ok=True), item
    # The communes' stock (Duyên Hải and Lào Cai of 2022, today's Phường Lào Cai) arrives.
    assert want["CT1.3a"] > 0 and not math.isnan(want["CT1.3r"])
    # On time: the total and the levels today's plan has; no district level any more.
    _ids, _labels, levels = trend_series(cons.trends, "on_time")
    assert {item for item, *_ in levels} <= {"", "tinh", "xa"}
    with Ledger(workspace) as ledger:
        subs = ledger.current_submissions(OLD_PERIOD.id)
    report = status(workspace, old_plan, OLD_PERIOD, subs)
    total = next(values for item, *_x, values in levels if item == "")
    assert total[0] == pytest.approx(sum(u.state == ON_TIME.key for u in report.units)
                                     / len(report.units))
    _ids, _labels, dimensions = trend_series(cons.trends, "completion")
    assert [name for _i, name, *_x in dimensions][:-1] == \
        [short for _n, short in plan.dimensions.values()]
    assert not any(math.isnan(values[0]) for *_x, values in dimensions)


def test_the_report_and_workbook_say_the_old_units_were_carried_over(reform):
    workspace, old_plan, plan = reform
    olds = {link.old for link in plan.links}
    news = {link.new for link in plan.links}
    districts = sum(u.level == "huyen" for u in old_plan.units.values())
    sentence = (f"Số liệu quý III năm 2022 (báo cáo theo Kế hoạch số {old_plan.number} ngày 30 "
                "tháng 6 năm 2022, trước khi sắp xếp đơn vị hành chính) được chuyển sang các "
                f"đơn vị hiện nay theo bảng chuyển đổi của Kế hoạch: {len(olds)} đơn vị cấp xã "
                f"cũ thành {len(news)} đơn vị cấp xã hiện nay; cấp huyện không còn nên số liệu "
                f"riêng của {districts} đơn vị cấp huyện không chuyển sang đơn vị nào")
    assert (len(olds), len(news), districts) == (152, 48, 9)
    text = "\n".join(p.text for p in
                     Document(str(workspace.report_path(NEW_PERIOD.id))).paragraphs)
    assert "So với 1 kỳ báo cáo trước đã chốt (quý III năm 2022)" in text
    assert sentence in text
    sheet = CalamineWorkbook.from_path(str(workspace.workbook_path(NEW_PERIOD.id))) \
        .get_sheet_by_name(SHEETS["trends"]).to_python()
    assert sentence in sheet[3][0]
    header = next(r for r in sheet if r[0] == "So sánh")
    assert header[3] == "Quý III năm 2022" and header[5] == "Quý III năm 2025 (kỳ này)"
    want = carried_by_hand(workspace, old_plan, plan)
    row = next(r for r in sheet if r[0] == "Chỉ tiêu chính" and r[1] == "CT1.3a")
    assert row[3] == pytest.approx(want["CT1.3a"])


def test_a_period_closed_before_plans_were_recorded_counts_as_the_current_plans(
        workspace, default_plan):
    """An older ledger's sign-offs have no plan: the columns are added empty, and such a
    period is compared under the current plan, as before; a recorded 2022 plan is found
    among the shipped plans."""
    today = load_plan(SHIPPED_PLANS["lao-cai-2025"])
    with Ledger(workspace) as ledger:
        path = ledger.path
    with sqlite3.connect(path) as db:  # the closings table as the first ledgers made it
        db.execute("DROP TABLE closings")
        db.execute("CREATE TABLE closings (id INTEGER PRIMARY KEY, period TEXT NOT NULL, "
                   "action TEXT NOT NULL, at TEXT NOT NULL, who TEXT NOT NULL, reason TEXT NOT "
                   "NULL DEFAULT '', number TEXT NOT NULL DEFAULT '', date TEXT NOT NULL "
                   "DEFAULT '', outputs TEXT NOT NULL DEFAULT '{}', last_receipt INTEGER NOT "
                   "NULL DEFAULT 0)")
        db.execute("INSERT INTO closings (period, action, at, who) VALUES "
                   "('2022-Q1', 'close', '2022-04-20T09:00:00+07:00', 'Hoa')")
    db.close()
    with Ledger(workspace) as ledger:
        held = ledger.closing("2022-Q1")
        recorded = ledger.close_period("2022-Q3", {}, "Hoa", plan=default_plan)
        assert ledger.closing("2022-Q3") == recorded
    assert (held.who, held.plan_number, held.plan_version) == ("Hoa", "", "")
    assert plan_of(held, today) is today
    assert plan_of(recorded, today).version == default_plan.version
    assert plan_of(recorded, default_plan) is default_plan
