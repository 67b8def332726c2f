"""`baocao status`: expected, on time, late, missing and rejected units from the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.model import Submission
from generator.plan.periods import parse_period
from generator.vocab import LATE, MISSING, ON_TIME, REJECTED

# Plan 239's reporting line: departments and districts report to Sở Nội vụ "trước ngày 15
# của tháng cuối kỳ" (14/9/2022 is the last day on time); communes report to their district.
PERIOD = parse_period("2022-Q3")
VN = dt.timezone(dt.timedelta(hours=7))


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2022, 9, day, hour, tzinfo=VN)


def fill(workspace):
    """Hand-set receipts: (file, time, unit, accepted)."""
    rows = [
        ("STP.xlsx", at(14, 23), "STP", True),  # last hour of the last day on time
        ("SYT.xlsx", at(15, 8), "SYT", True),  # "trước ngày 15": the 15th is late
        ("SKHDT.xlsx", at(12), "SKHDT", False),  # only a rejected file
        ("STC-1.xlsx", at(11), "STC", False),  # rejected, then fixed in time
        ("STC-2.xlsx", at(14), "STC", True),
        ("SNV-1.xlsx", at(20), "SNV", True),  # the compiling body: never late to itself
        ("02641.xlsx", at(10, 17), "02641", True),  # communes report to their district
        ("02635.xlsx", at(11, 8), "02635", True),
        ("080.xlsx", at(14), "080", True),  # district file carrying commune 02644
    ]
    with Ledger(workspace) as ledger:
        for index, (name, when, unit, accepted) in enumerate(rows):
            sub = Submission(unit, PERIOD.id) if accepted else None
            if unit == "080":
                sub.children = [Submission("02644", PERIOD.id)]
            ledger.record(PERIOD.id, f"{index:064x}", name, when, sub, [], unit=unit)


def test_status_classifies_units(workspace, default_plan):
    fill(workspace)
    report = status(workspace, default_plan, PERIOD)
    # The units that report to Sở Nội vụ: 20 departments (not Sở Nội vụ) and 9 districts.
    assert len(report.expected) == 29 and "SNV" not in report.expected
    assert not {"02641", "02635", "02644"} & set(report.expected)
    assert report.codes("on_time") == ["STP", "STC", "080"]
    assert report.codes("late") == ["SYT"]
    assert report.codes("rejected") == ["SKHDT"]
    missing = report.codes("missing")
    assert len(missing) == 29 - 5 and "VPUBND" in missing and "081" not in missing
    by_code = {u.code: u for u in report.units}
    assert by_code["STP"].deadline == by_code["080"].deadline == dt.date(2022, 9, 14)


def test_deadline_days_come_from_the_workspace_where_the_plan_sets_none(workspace,
                                                                        default_plan):
    fill(workspace)
    config = dict(workspace.config, deadlines={"tinh": 16, "huyen": 15, "xa": 11})
    configured = dataclasses.replace(workspace, config=config)
    assert "SYT" in status(configured, default_plan, PERIOD).codes("late")  # the plan's 14th
    lines = [dataclasses.replace(line, day=None) for line in default_plan.lines]
    plan = dataclasses.replace(default_plan, lines=lines)
    assert "SYT" in status(configured, plan, PERIOD).codes("on_time")


def test_communes_reporting_to_the_province_are_in_its_register(workspace, default_plan):
    """Today's two-level government: the same plan with another "reports to"."""
    fill(workspace)
    lines = [dataclasses.replace(line, to="SNV") for line in default_plan.lines]
    plan = dataclasses.replace(default_plan, lines=lines)
    report = status(workspace, plan, PERIOD)
    assert len(report.expected) == 29 + 152
    by_code = {u.code: u for u in report.units}
    # No day in the line for communes: the workspace's [deadlines] xa (the 10th).
    assert by_code["02641"].state == "on_time" and by_code["02635"].state == "late"
    assert by_code["02635"].deadline == dt.date(2022, 9, 10)
    # 02644 came inside its district's file: held to the district's day.
    assert (by_code["02644"].state, by_code["02644"].deadline) == ("on_time",
                                                                   dt.date(2022, 9, 14))


def test_units_without_tasks_are_not_expected(workspace, default_plan):
    tasks = [dataclasses.replace(t, leads=tuple(c for c in t.leads if c != "PCLC"),
                                 partners=tuple(c for c in t.partners if c != "PCLC"))
             for t in default_plan.tasks]
    plan = dataclasses.replace(default_plan, tasks=tasks)
    report = status(workspace, plan, PERIOD)
    assert "PCLC" not in report.expected and len(report.expected) == 28


def test_status_json_and_table(workspace, run):
    fill(workspace)
    result = run(["--json", "status", "-p", "2022-Q3"], workspace)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"period", "expected", "on_time", "late", "missing", "rejected",
                             "held"}
    assert document["period"] == "2022-Q3"
    assert document["late"] == ["SYT"] and document["rejected"] == ["SKHDT"]
    assert len(document["expected"]) == 29
    text = run(["status", "-p", "2022-Q3"], workspace).output
    assert LATE.label in text and REJECTED.label in text and "15/09/2022" in text
    assert "Sở Y tế" in text and "Sở Tư pháp" not in text  # on time: only with --all
    assert (f"29 đơn vị phải báo cáo: 3 {ON_TIME.label.lower()}, 1 {LATE.label.lower()}, "
            f"24 {MISSING.label.lower()}, 1 {REJECTED.label.lower()}"
            in " ".join(text.split()))
    every = run(["status", "-p", "2022-Q3", "--all"], workspace).output
    assert "Sở Tư pháp" in every and "Đúng hạn" in every


def test_status_on_an_empty_ledger_lists_everyone_missing(workspace, run):
    result = run(["--json", "status", "-p", "2022-07"], workspace)
    document = json.loads(result.output)
    assert len(document["missing"]) == 29 and document["on_time"] == []


def test_status_bad_period_is_a_usage_error(workspace, run):
    result = run(["status", "-p", "2022-13"], workspace)
    assert result.exit_code == 2
    assert "Kỳ báo cáo không hợp lệ: '2022-13'" in result.output


def test_status_outside_a_workspace_says_how_to_make_one(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    result = run(["status", "-p", "2022-Q3"])
    assert result.exit_code == 2
    assert "baocao init" in result.output
    assert not (tmp_path / ".baocao").exists()
