"""Consolidation on a small plan: figures computed by hand in the comments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
import smallplan as sp

from generator.consolidate.build import consolidate, from_ledger
from generator.consolidate.frames import COLUMNS
from generator.errors import UsageError
from generator.findings import finding
from generator.model import Submission
from generator.plan.periods import parse_period


@pytest.fixture
def plan(tmp_path):
    return sp.write_plan(tmp_path / "ke-hoach.xlsx")


@pytest.fixture
def filled(workspace, plan):
    sp.record(workspace, sp.submissions())
    return workspace


def value(cons, code, area=""):
    rows = cons.indicators[(cons.indicators["code"] == code) & (cons.indicators["area"] == area)]
    return rows["value"].iloc[0]


def test_frames_have_the_contract_columns(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD)
    for name, columns in COLUMNS.items():
        assert list(getattr(cons, name).columns) == columns, name
    assert cons.scope is None and cons.previous_period is None
    assert cons.changes.empty


def test_key_figures_and_rates(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD)
    # The plan has no reporting line: every unit reports to the compiling body SNV, which is
    # not in its own register. Expected SA, SB, H1, X1, X2; received SA, H1, X1, X2; on time
    # X1 (9/9 <= 10/9); late SA (16/9), H1 (15/9: the 14th is the last day on time), X2
    # (11/9 > 10/9); SB missing.
    # Tasks, judged on the units that reported: 1.1 ongoing (SNV done, H1 ongoing) and
    # overdue (due 30/8); 1.2 ongoing (X1 done, X2 ongoing); 2.1 ongoing (SA ongoing,
    # H1 done, SB silent): none done.
    assert cons.key == {"units_expected": 5, "units_received": 4, "units_on_time": 1,
                        "units_late": 3, "units_missing": 1, "units_rejected": 0,
                        "units_held": 0,
                        "units_through": 0, "units_through_reported": 0,
                        "tasks": 3, "tasks_done": 0, "tasks_ongoing": 3,
                        "tasks_not_started": 0, "tasks_not_applicable": 0, "tasks_missing": 0,
                        "tasks_overdue": 1, "share_done": 0.0}
    rates = cons.rates.set_index("level")
    assert list(rates.index) == ["tinh", "huyen", "xa", ""]
    # Province level: SA late, SB missing.
    assert rates.loc["tinh", ["expected", "received", "on_time", "late", "missing"]].tolist() \
        == [2, 1, 0, 1, 1]
    assert rates.loc["tinh", "received_rate"] == pytest.approx(1 / 2)
    assert rates.loc["xa", ["on_time", "late"]].tolist() == [1, 1]
    assert rates.loc["", "level_name"] == "Tổng cộng"
    assert rates.loc["", "on_time_rate"] == pytest.approx(1 / 5)


def test_tasks_and_units(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD)
    tasks = cons.tasks.set_index("tt")
    # 2.1: SA (lead) ongoing, H1 done, SB sent nothing -> 1 done of 3 units.
    assert tasks.loc["2.1", ["units", "done", "ongoing", "missing"]].tolist() == [3, 1, 1, 1]
    assert tasks.loc["2.1", "share_done"] == pytest.approx(1 / 3)
    assert tasks.loc["2.1", "status"] == "Đang thực hiện"
    # Due 30/11/2022: after this cut-off (14/9), by Q4's cut-off (14/12) -> due next period.
    assert bool(tasks.loc["2.1", "due_next"]) and not bool(tasks.loc["2.1", "overdue"])
    # 1.1: its lead SNV done, its partner H1 ongoing: not done (never "done, 1/2 done").
    assert tasks.loc["1.1", ["status", "done", "ongoing"]].tolist() == ["Đang thực hiện", 1, 1]
    assert tasks.loc["1.1", "lead"] == "Sở Nội vụ" and tasks.loc["1.1", "deadline"] == \
        "Trước 30/8/2022"
    units = cons.task_units
    sb = units[(units["tt"] == "2.1") & (units["unit"] == "SB")].iloc[0]
    assert (sb["role"], sb["status"]) == ("Phối hợp", "")
    sa = units[(units["tt"] == "2.1") & (units["unit"] == "SA")].iloc[0]
    assert sa["role"] == "Chủ trì" and sa["difficulty"] == "Thiếu kinh phí số hóa"
    dims = cons.dimensions.set_index("dimension")
    assert dims.loc[1, ["tasks", "done", "ongoing", "missing"]].tolist() == [2, 0, 2, 0]
    assert dims.loc[1, "share_done"] == 0.0 and dims.loc[2, "share_done"] == 0.0


def test_overdue_dated_and_recurring(workspace, plan):
    subs = sp.submissions()
    subs["SNV"].tasks["1.1"].status = "Đang thực hiện"  # due 30/8, cut-off 14/9: overdue
    subs["X1"].tasks["1.2"].status = "Chưa thực hiện"  # "Thường xuyên": judged this period
    subs["X2"].tasks["1.2"].status = "Chưa thực hiện"
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert cons.tasks.set_index("tt")["overdue"].to_dict() == {"1.1": True, "1.2": True,
                                                             "2.1": False}
    assert cons.key["tasks_overdue"] == 2 and cons.key["tasks_not_started"] == 1


def test_indicator_rollup_sums_and_ratio(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD)
    # CT1 = X1 3 + X2 1 = 4; CT3 = SA 5 + H1 2 = 7 (SB missing).
    assert value(cons, "CT1") == 4 and value(cons, "CT3") == 7
    # CT2r = (8 + 1) / (10 + 5) = 0.6, not the mean of 80% and 20% (= 50%).
    assert value(cons, "CT2r") == pytest.approx(0.6)
    # District H1 area: its own CT3 (2) and its communes'.
    assert value(cons, "CT3", "H1") == 2 and value(cons, "CT1", "H1") == 4
    assert value(cons, "CT2r", "H1") == pytest.approx(0.6)
    names = dict(zip(cons.indicators["area"], cons.indicators["area_name"], strict=False))
    assert names == {"": "Toàn tỉnh Thử", "H1": "Huyện Một"}
    per_unit = cons.unit_indicators.set_index(["unit", "code"])["value"]
    assert per_unit[("X2", "CT2r")] == pytest.approx(0.2)
    assert per_unit[("X1", "CT1")] == 3 and ("SB", "CT3") not in per_unit.index


def test_nan_when_nobody_reported(workspace, plan):
    subs = sp.submissions()
    for code in ("X1", "X2"):
        subs[code].indicators = {}
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert math.isnan(value(cons, "CT1")) and math.isnan(value(cons, "CT2r"))


def test_notes_grouped_by_dimension(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD)
    notes = cons.notes[["dimension", "unit", "kind", "tt", "text"]].values.tolist()
    # Task-level difficulty under its dimension first; unit-level notes last; "Không" skipped.
    assert notes == [
        [2, "SA", "Khó khăn, vướng mắc", "2.1", "Thiếu kinh phí số hóa"],
        [0, "SA", "Khó khăn, vướng mắc", "", "Thiếu cán bộ"],
        [0, "X1", "Khó khăn, vướng mắc", "", "@ Đường xa"],
        [0, "SA", "Đề xuất, kiến nghị", "", "Bổ sung kinh phí"],
    ]


def test_findings_and_register(workspace, plan):
    found = [finding("P003", "SA_2022-Q3.xlsx", "Báo cáo", "C9", name="Người lập biểu")]
    sp.record(workspace, sp.submissions(), findings={"SA": found})
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert cons.findings[["unit", "code", "cell"]].values.tolist() == [["SA", "P003", "C9"]]
    register = cons.submissions.set_index("unit")
    assert register.loc["SA", "findings"] == 1 and register.loc["SA", "state_label"] == \
        "Trễ hạn"
    assert register.loc["SB", "state"] == "missing" and register.loc["SB", "file"] == ""
    assert str(register.loc["X1", "received_at"]) == "2022-09-09 09:00:00"


def test_previous_period_changes(workspace, plan):
    before = sp.submissions(sp.PREVIOUS.id)
    before["SNV"].tasks["1.1"].status = "Đang thực hiện"
    before["X1"].indicators = {"CT1": 1.0, "CT2a": 2.0, "CT2b": 10.0}
    before["X2"].indicators = {"CT1": 1.0, "CT2a": 1.0, "CT2b": 5.0}
    june = {code: sp.at(10, month=6) for code in before}
    sp.record(workspace, before, period=sp.PREVIOUS, arrivals=june, start=100)
    now = sp.submissions()
    now["H1"].tasks["1.1"] = sp.task("1.1", "Đã hoàn thành", "Đã ban hành", dt.date(2022, 9, 2))
    sp.record(workspace, now)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert cons.previous_period == "2022-Q2"
    changes = cons.changes.set_index(["kind", "code"])
    # CT1: Q2 1 + 1 = 2, Q3 4 -> +2. CT2r: Q2 3/15 = 0.2, Q3 0.6 -> +0.4.
    assert changes.loc[("indicator", "CT1"), ["previous", "current", "change"]].tolist() \
        == [2, 4, 2]
    assert changes.loc[("indicator", "CT2r"), "change"] == pytest.approx(0.4)
    assert changes.loc[("task", "1.1"), "change"] == "Mới hoàn thành"


def test_district_scope(filled, plan):
    cons = from_ledger(filled, plan, sp.PERIOD, scope="H1")
    assert cons.scope == "H1" and cons.area_name == "Huyện Một"
    # The district compiles: its register holds its communes, not itself.
    assert list(cons.submissions["unit"]) == ["X1", "X2"]
    # Only tasks with a unit in the district; 2.1's only unit there is H1 (done).
    tasks = cons.tasks.set_index("tt")
    assert list(tasks.index) == ["1.1", "1.2", "2.1"]
    assert tasks.loc["2.1", ["units", "done", "status"]].tolist() == [1, 1, "Đã hoàn thành"]
    assert value(cons, "CT3") == 2 and value(cons, "CT1") == 4
    assert cons.key["units_expected"] == 2 and cons.key["units_late"] == 1


def test_scope_must_be_a_district(filled, plan):
    with pytest.raises(UsageError, match="không phải đơn vị cấp huyện"):
        from_ledger(filled, plan, sp.PERIOD, scope="SA")


def test_district_return_children_and_reconciliation(workspace, plan):
    """H1 sends a consolidated return carrying X1 and X2; X1 also reported directly with a
    different CT1. The district's own figures are the return minus its children."""
    subs = sp.submissions()
    x1, x2 = subs.pop("X1"), subs.pop("X2")
    carried_x1 = dataclasses.replace(x1, indicators={"CT1": 5.0, "CT2a": 8.0, "CT2b": 10.0})
    # Return figures: own CT3 2; CT1 = 5 (X1 as carried) + 1 = 6; CT2a 9; CT2b 15.
    subs["H1"] = dataclasses.replace(subs["H1"], indicators={"CT3": 2.0, "CT1": 6.0,
                                                             "CT2a": 9.0, "CT2b": 15.0},
                                     children=[carried_x1, x2])
    subs["X1"] = x1  # X1's own file: CT1 = 3
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    # X1's own file wins; X2 comes from the return: CT1 = 3 + 1 = 4, CT3 = 5 + 2 = 7.
    assert value(cons, "CT1") == 4 and value(cons, "CT3") == 7
    assert value(cons, "CT2r") == pytest.approx(0.6)
    assert cons.task_units.set_index(["tt", "unit"]).loc[("1.2", "X2"), "status"] == \
        "Đang thực hiện"
    rec = cons.reconciliation[["district", "code", "district_value", "communes_value",
                               "difference", "units"]].values.tolist()
    assert rec == [["H1", "CT1", 6.0, 4.0, 2.0, "X1"]]
    # H1's own figures: the return minus its children (CT1 6 - 5 - 1 = 0, not H1's task).
    per_unit = cons.unit_indicators.set_index(["unit", "code"])["value"]
    assert per_unit[("H1", "CT3")] == 2 and ("H1", "CT1") not in per_unit.index
    # X2 came with H1's file: received, held to the district's deadline (14/9): H1's file
    # came on 15/9.
    register = cons.submissions.set_index("unit")
    assert register.loc["X2", "state"] == "late"


def test_two_level_plan(workspace, tmp_path):
    plan = sp.write_plan(tmp_path / "hai-cap.xlsx", two_level=True)
    subs = sp.submissions()
    del subs["H1"]
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert list(cons.rates["level"]) == ["tinh", "xa", ""]
    assert list(dict.fromkeys(cons.indicators["area"])) == [""]
    # CT3 = SA 5 only; CT2r = 9/15.
    assert value(cons, "CT3") == 5 and value(cons, "CT2r") == pytest.approx(0.6)
    tasks = cons.tasks.set_index("tt")
    assert tasks.loc["1.1", "units"] == 1 and tasks.loc["2.1", "units"] == 2
    assert cons.key["units_expected"] == 4  # SA, SB, X1, X2: SNV compiles


def test_consolidate_from_plain_lists(plan):
    """consolidate() needs no ledger: submissions and a status report are enough."""
    from generator.ledger.status import StatusReport, UnitStatus

    status = StatusReport(sp.PERIOD.id, [UnitStatus("X1", "missing", sp.PERIOD.deadline("xa"))])
    cons = consolidate(plan, sp.PERIOD, [Submission("X1", sp.PERIOD.id)], status)
    assert cons.key["units_expected"] == 1 and cons.key["units_missing"] == 1


def test_from_ledger_leaves_the_garbage_collector_as_it_was(filled, plan):
    """from_ledger pauses the cycle collector for speed; it must come back on, errors too."""
    import gc

    assert gc.isenabled()
    from_ledger(filled, plan, sp.PERIOD)
    assert gc.isenabled()
    with pytest.raises(UsageError):
        from_ledger(filled, plan, sp.PERIOD, scope="SA")
    assert gc.isenabled()
    gc.disable()
    try:
        from_ledger(filled, plan, sp.PERIOD)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_next_period():
    assert parse_period("2022-Q4").next().id == "2023-Q1"
    assert parse_period("2022-12").next().id == "2023-01"
    assert parse_period("2022-H1").next().id == "2023-H1"
