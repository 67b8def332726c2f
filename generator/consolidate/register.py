"""The submission register: each expected unit's state, deadline and file, rates per level,
the units that report through a unit of the register (communes through their district:
"21/22 xã đã báo cáo"), and the findings of the file that stands for each unit."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from generator.consolidate.frames import TOTAL_LEVEL_NAME, frame
from generator.findings import Finding
from generator.plan.workbook import LEVEL_LABELS, LEVELS, Plan
from generator.vocab import LATE, ON_TIME, STATE_BY_KEY, SUBMISSION_STATES


def wall_clock(moment: dt.datetime | None) -> dt.datetime | None:
    """The sender's wall-clock time (Excel has no time zones)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def submission_frames(plan: Plan, units, status_report, findings):
    inside = set(units)
    rows = []
    for item in status_report.units:
        if item.code not in inside:
            continue
        unit = plan.units[item.code]
        receipt = item.receipt
        rows.append({"unit": item.code, "unit_name": unit.name, "level": unit.level,
                     "parent": unit.parent, "deadline": item.deadline,
                     "received_at": wall_clock(receipt.received_at) if receipt else None,
                     "state": item.state, "state_label": STATE_BY_KEY[item.state].label,
                     "findings": len(findings.get(item.code, [])),
                     "file": receipt.file_name if receipt else ""})
    subs = frame("submissions", rows)
    rate_rows = []
    groups = [(lv, LEVEL_LABELS[lv], subs[subs["level"] == lv]) for lv in LEVELS]
    groups.append(("", TOTAL_LEVEL_NAME, subs))
    for level, name, part in groups:
        if part.empty:
            continue
        counts = {s.key: int((part["state"] == s.key).sum()) for s in SUBMISSION_STATES}
        received = counts[ON_TIME.key] + counts[LATE.key]
        rate_rows.append({"level": level, "level_name": name, "expected": len(part),
                          "received": received, **counts,
                          "received_rate": received / len(part),
                          "on_time_rate": counts[ON_TIME.key] / len(part)})
    return subs, frame("rates", rate_rows)


def standing_findings(status_report) -> dict[str, list[Finding]]:
    """Findings of the file that stands for each unit (not of a district file a commune
    came with: those belong to the district)."""
    return {u.code: list(u.receipt.findings) for u in status_report.units
            if u.receipt is not None and u.receipt.unit == u.code}


def coverage_frame(plan: Plan, scope: str | None, data) -> pd.DataFrame:
    """For each unit of the register that others report through (a district), how many of
    them reported: by their own file or inside its return."""
    rows = []
    for code, members in plan.reporting_through(scope).items():
        absent = [plan.units[m].name for m in members if m not in data]
        rows.append({"unit": code, "unit_name": plan.units[code].name,
                     "expected": len(members), "reported": len(members) - len(absent),
                     "missing_names": ", ".join(absent)})
    return frame("coverage", rows)


def findings_frame(units, findings: dict[str, list[Finding]], checked=()) -> pd.DataFrame:
    """The findings of each unit's standing file, then `checked`: (unit or area code,
    finding) of the checks after consolidation."""
    rows = [{"unit": code, **f.as_dict()} for code in units for f in findings.get(code, [])]
    rows += [{"unit": code, **f.as_dict()} for code, f in checked]
    return frame("findings", rows)
