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

PERIOD = parse_period("2022-Q3")  # deadlines: communes 10/9/2022, others 14/9/2022
VN = dt.timezone(dt.timedelta(hours=7))


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2022, 9, day, hour, tzinfo=VN)


def fill(workspace):
    """Hand-set receipts: (file, time, unit, accepted)."""
    rows = [
        ("STP.xlsx", at(14, 23), "STP", True),  # last hour of the deadline day
        ("SYT.xlsx", at(15, 8), "SYT", True),  # the morning after ("trước ngày 15")
        ("SKHDT.xlsx", at(12), "SKHDT", False),  # only a rejected file
        ("STC-1.xlsx", at(11), "STC", False),  # rejected, then fixed in time
        ("STC-2.xlsx", at(14), "STC", True),
        ("SNV-1.xlsx", at(13), "SNV", True),  # accepted, then a broken resend
        ("SNV-2.xlsx", at(20), "SNV", False),
        ("02641.xlsx", at(10, 17), "02641", True),  # commune, deadline the 10th
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
    assert len(report.expected) == len(default_plan.units) == 182
    assert report.codes("on_time") == ["SNV", "STP", "STC", "080", "02641", "02644"]
    assert report.codes("late") == ["SYT", "02635"]
    assert report.codes("rejected") == ["SKHDT"]
    missing = report.codes("missing")
    assert len(missing) == 182 - 9 and "VPUBND" in missing and "02635" not in missing
    by_code = {u.code: u for u in report.units}
    assert by_code["02635"].deadline == dt.date(2022, 9, 10)
    assert by_code["02644"].deadline == dt.date(2022, 9, 14)  # came with its district's file
    assert by_code["SNV"].receipt.file_name == "SNV-1.xlsx"


def test_deadline_days_come_from_the_workspace(workspace, default_plan):
    fill(workspace)
    config = dict(workspace.config, deadlines={"tinh": 16, "huyen": 15, "xa": 11})
    report = status(dataclasses.replace(workspace, config=config), default_plan, PERIOD)
    assert "SYT" in report.codes("on_time") and "02635" in report.codes("on_time")


def test_units_without_tasks_are_not_expected(workspace, default_plan):
    tasks = [dataclasses.replace(t, leads=tuple(c for c in t.leads if c != "PCLC"),
                                 partners=tuple(c for c in t.partners if c != "PCLC"))
             for t in default_plan.tasks]
    plan = dataclasses.replace(default_plan, tasks=tasks)
    report = status(workspace, plan, PERIOD)
    assert "PCLC" not in report.expected and len(report.expected) == 181


def test_status_json_and_table(workspace, run):
    fill(workspace)
    result = run(["--json", "status", "-p", "2022-Q3"], workspace)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"period", "expected", "on_time", "late", "missing", "rejected",
                             "held"}
    assert document["period"] == "2022-Q3"
    assert document["late"] == ["SYT", "02635"] and document["rejected"] == ["SKHDT"]
    assert len(document["expected"]) == 182
    text = run(["status", "-p", "2022-Q3"], workspace).output
    assert LATE.label in text and REJECTED.label in text and "15/09/2022" in text
    assert "Sở Y tế" in text and "Sở Tư pháp" not in text  # on time: only with --all
    assert (f"182 đơn vị phải báo cáo: 6 {ON_TIME.label.lower()}, 2 {LATE.label.lower()}, "
            f"173 {MISSING.label.lower()}, 1 {REJECTED.label.lower()}"
            in " ".join(text.split()))
    every = run(["status", "-p", "2022-Q3", "--all"], workspace).output
    assert "Sở Tư pháp" in every and "Đúng hạn" in every


def test_status_on_an_empty_ledger_lists_everyone_missing(workspace, run):
    result = run(["--json", "status", "-p", "2022-07"], workspace)
    document = json.loads(result.output)
    assert len(document["missing"]) == 182 and document["on_time"] == []


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
