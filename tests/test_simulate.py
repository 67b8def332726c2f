"""Simulated returns: plausible, deterministic, and read back by the real intake."""

from __future__ import annotations

import collections
import datetime as dt
import shutil

import pytest
from conftest import requires_soffice

from generator.collect import collect
from generator.demo import simulate
from generator.forms import writer as forms
from generator.intake import read as intake
from generator.ledger.status import status
from generator.plan.periods import parse_period
from generator.vocab import STATUS_DONE, STATUS_NA, STATUSES, unit_file_name

PERIOD = parse_period("2022-Q3")


@pytest.fixture
def ws(workspace, default_plan):
    forms.write_forms(workspace, default_plan, PERIOD, units=["STP", "SYT", "02635"])
    return workspace


def form_of(ws, plan, code):
    return ws.output_dir(PERIOD) / "bieu-mau" / unit_file_name(plan.units[code], PERIOD)


def values_for(plan, code, kind=simulate.ON_TIME, seed=7):
    unit = plan.units[code]
    return simulate.plan_return(plan, unit, PERIOD, seed, kind, PERIOD.deadline(unit.level))


def test_plan_return_is_deterministic_and_plausible(default_plan):
    first, again = values_for(default_plan, "02635"), values_for(default_plan, "02635")
    assert first == again
    assert values_for(default_plan, "02635", seed=8) != first
    tasks = first["tasks"]
    assert set(tasks) == {t.tt for t, _ in default_plan.tasks_for("02635")}
    for item in tasks.values():
        assert item["status"] in STATUSES
        if item["status"] == STATUS_DONE:
            assert PERIOD.cutoff_start <= item["completed_on"] <= PERIOD.cutoff_end
            assert item["result"].startswith(("Đã", "Hoàn thành"))
        else:
            assert item["completed_on"] is None
    for ratio in (i for i in default_plan.indicators_for("02635") if i.agg == "ratio"):
        assert 0 <= first["indicators"][ratio.num] <= first["indicators"][ratio.den]
    assert all(v >= 0 for v in first["indicators"].values())
    deadline = PERIOD.deadline("xa")
    assert first["received_at"].date() <= deadline
    late = values_for(default_plan, "02635", simulate.LATE)
    assert late["received_at"].date() > deadline


def test_kinds_have_the_intended_shares():
    codes = [f"U{i:03d}" for i in range(181)]
    kinds = simulate.assign_kinds(codes, seed=2022)
    counts = collections.Counter(kinds.values())
    assert counts == {"on_time": 148, "late": 14, "missing": 9, "content_error": 5,
                      "xls": 3, "rejected": 2}
    assert simulate.assign_kinds(codes, seed=2022) == kinds
    assert "xls" not in simulate.assign_kinds(codes, seed=2022, xls=False).values()


def test_filled_form_reads_back_exactly(ws, default_plan, tmp_path):
    key = ws.secret_key()
    for code in ("STP", "02635"):
        values = values_for(default_plan, code)
        path = simulate.apply_return(form_of(ws, default_plan, code), tmp_path / f"{code}.xlsx",
                                     values)
        sub, found = intake.read_form(path, default_plan, PERIOD, key)
        assert found == [] and sub is not None
        assert {tt: (t.status, t.completed_on, t.result, t.difficulty)
                for tt, t in sub.tasks.items()} == {
            tt: (v["status"], v["completed_on"], v["result"], v["difficulty"])
            for tt, v in values["tasks"].items()}
        assert {k: v for k, v in sub.indicators.items() if v is not None} == {
            k: v for k, v in values["indicators"].items() if k in sub.indicators}
        assert (sub.preparer, sub.phone, sub.head, sub.prepared_on) == tuple(
            values["fields"][k] for k in ("preparer", "phone", "head", "prepared_on"))


@pytest.mark.parametrize("error, code", [("missing_status", "R001"),
                                         ("done_without_date", "R003"),
                                         ("negative_indicator", "I002")])
def test_planted_errors_are_found_by_intake(ws, default_plan, tmp_path, error, code):
    values = values_for(default_plan, "SYT")
    simulate._make_error(error, values["tasks"], values["indicators"],
                         simulate._rng(1, error))
    path = simulate.apply_return(form_of(ws, default_plan, "SYT"), tmp_path / "SYT.xlsx", values)
    sub, found = intake.read_form(path, default_plan, PERIOD, ws.secret_key())
    assert sub is not None  # content errors: recorded, and answered with feedback
    assert [f.code for f in found] == [code]


def test_rejected_kinds(ws, default_plan, tmp_path):
    values = values_for(default_plan, "STP")
    old = simulate._old_form(ws, default_plan, PERIOD, default_plan.units["STP"], tmp_path)
    path = simulate.apply_return(old, tmp_path / "a.xlsx", values)
    sub, found = intake.read_form(path, default_plan, PERIOD, ws.secret_key())
    assert sub is None and [f.code for f in found] == ["F104"]
    path = simulate.apply_return(form_of(ws, default_plan, "STP"), tmp_path / "b.xlsx", values,
                                 drop_identity=True)
    sub, found = intake.read_form(path, default_plan, PERIOD, ws.secret_key())
    # Its report sheet still names the unit: held for the officer's confirmation (F111).
    assert sub.unit == "STP" and [f.code for f in found] == ["F111"]


def test_district_sends_one_consolidated_return(workspace, default_plan):
    communes = [u.code for u in default_plan.children("084")]
    units = ["STP", "SYT", "084", *communes]
    sim = simulate.fill_returns(workspace, default_plan, PERIOD, workspace.input_dir(PERIOD),
                                units=units, workers=1)
    names = sorted(p.name for p in workspace.input_dir(PERIOD).iterdir())
    assert names == ["STP_so-tu-phap_2022-Q3.xlsx", "SYT_so-y-te_2022-Q3.xlsx",
                     "TongHop_2022-Q3_084.xlsx"]
    assert sim.codes(simulate.DISTRICT) == ["084"]
    for item in sim.returns:
        assert item.path.stat().st_mtime == item.received_at.timestamp()
    result = collect(workspace, default_plan, PERIOD)
    assert len(result.accepted) == 3 and not result.rejected
    report = status(workspace, default_plan, PERIOD)
    # The province's register: the departments and districts (communes report to 084).
    assert sorted(report.codes("on_time")) == ["084", "STP", "SYT"]
    assert len(report.codes("missing")) == len(default_plan.expected_units()) - 3


def test_same_seed_same_files(workspace, default_plan, tmp_path):
    units = ["STP", "SYT", "02635"]
    one = simulate.fill_returns(workspace, default_plan, PERIOD, tmp_path / "a", units=units,
                                district=False)
    two = simulate.fill_returns(workspace, default_plan, PERIOD, tmp_path / "b", units=units,
                                district=False)
    assert [p.read_bytes() for p in one.files] == [p.read_bytes() for p in two.files]
    other = simulate.fill_returns(workspace, default_plan, PERIOD, tmp_path / "c", units=units,
                                  district=False, seed=1)
    assert [p.read_bytes() for p in other.files] != [p.read_bytes() for p in one.files]


@requires_soffice
def test_xls_return_reads_like_the_xlsx(ws, default_plan, tmp_path):

    values = values_for(default_plan, "02635")
    path = simulate.apply_return(form_of(ws, default_plan, "02635"), tmp_path / "x.xlsx", values)
    kept = shutil.copy(path, tmp_path / "kept.xlsx")
    xls = simulate._as_xls(path)
    assert xls.suffix == ".xls" and not path.exists()
    key = ws.secret_key()
    sub_xls, found_xls = intake.read_form(xls, default_plan, PERIOD, key)
    sub, _ = intake.read_form(kept, default_plan, PERIOD, key)
    assert found_xls == []
    assert {tt: (t.status, t.completed_on) for tt, t in sub_xls.tasks.items()} == {
        tt: (t.status, t.completed_on) for tt, t in sub.tasks.items()}
    assert sub_xls.indicators == sub.indicators


def test_describe_counts(default_plan):
    sim = simulate.Simulation("2022-Q3", None, [
        simulate.UnitReturn("A", simulate.ON_TIME), simulate.UnitReturn("B", simulate.ON_TIME),
        simulate.UnitReturn("C", simulate.MISSING)])
    assert simulate.describe(sim) == "3 đơn vị: 2 đúng hạn, 1 không gửi"


def test_received_time_is_office_hours():
    rng = simulate._rng(3, "t")
    moment = simulate.received_time(rng, dt.date(2022, 9, 15), simulate.ON_TIME,
                                    dt.date(2022, 9, 14))
    assert 7 <= moment.hour <= 16 and moment.utcoffset() == dt.timedelta(hours=7)


def test_longer_periods_hold_their_quarters_figures(default_plan):
    """One unit's flows over 6 tháng and the year are at least those of the quarters they
    hold (a year never shows fewer meetings than its third quarter); stocks are the last
    quarter's, so the year's and the 6 months' differ as Q4's and Q2's do."""
    unit = default_plan.units["02635"]
    got = {}
    for pid in ("2022-Q1", "2022-Q2", "2022-H1", "2022-Q3", "2022"):
        period = parse_period(pid)
        got[pid] = simulate.plan_return(default_plan, unit, period, 7, simulate.ON_TIME,
                                        period.deadline(unit.level))
    quiet = {tt for values in got.values() for tt, item in values["tasks"].items()
             if item["status"] == STATUS_NA}
    flows = [i for i in default_plan.indicators_for(unit.code)
             if i.agg == "sum" and i.task not in quiet]
    assert flows
    figures = {pid: values["indicators"] for pid, values in got.items()}
    for item in flows:
        code = item.code
        assert figures["2022-Q1"][code] <= figures["2022-H1"][code] <= figures["2022"][code]
        assert figures["2022-Q3"][code] <= figures["2022"][code]
    stocks = [i.code for i in default_plan.indicators_for(unit.code) if i.agg == "stock"]
    assert all(figures["2022-H1"][c] == figures["2022-Q2"][c] for c in stocks)
