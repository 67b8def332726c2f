"""Consolidation: the ledger's submissions of a period as pandas frames, in one place.

Rules (the officer's questions, answered the same way everywhere):

* **Which unit's data.** Each unit's latest accepted submission. A district's consolidated
  return (written by `collect --scope`) carries its communes as `children`: a commune's child
  data is used only when the commune has no accepted file of its own.
* **Task status.** Per responsible unit (lead and partner separately): the status it reported,
  "" when it sent nothing. A task's overall status is judged on its lead units in scope (on all
  responsible units when no lead is in scope): every lead done -> done; any lead done or ongoing
  -> ongoing; all leads "Không phát sinh" -> not applicable; otherwise not started.
  `share_done` = done / (units - not applicable).
* **Overdue.** A dated deadline is overdue when it fell before the period's cut-off end and
  the task is not done. A "Thường xuyên" (every period) task is judged per period: it is
  overdue for the period when its leads reported neither done nor ongoing. A quarterly task
  ("Định kỳ hàng quý") is judged the same way in periods that contain a quarter's end.
  "Theo quy định" has no date and is never overdue. `due_next`: a dated deadline that falls
  after this cut-off and by the next period's (same kind) cut-off, task not done.
* **Indicators, no double counting.** A unit's own values are what its own form reports: a
  district's own form holds the district-level bodies' own activity, not its communes'. A
  district's consolidated return holds the district rollup (own + communes), so its own values
  are the return's figures minus the sum of the children it carries. An area's sum is the sum
  of its units' own values; a ratio is sum(numerator) / sum(denominator) over the units that
  reported both, never an average of percentages (a fraction 0..1; NaN with no data). Areas:
  the whole province (or the scope), and each district (the district's own + its communes').
* **Reconciliation.** For each district that sent a consolidated return: its reported figure
  against the same figure rebuilt from its communes' own files where they sent one (children
  data otherwise, plus the district's own values); only differing rows are listed.
* **District mode** (`scope`): only the district and its communes; expected units,
  rates and areas are restricted to them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
from dataclasses import dataclass, field

import pandas as pd

from . import collect as collect_mod
from .errors import UsageError
from .findings import Finding
from .model import (
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    Submission,
    TaskReport,
)
from .periods import Period, _shift_month
from .plan import LEVEL_LABELS, LEVELS, ROLE_LEAD, ROLE_PARTNER, Plan
from .text import clean, fold

KIND_DIFFICULTY = "Khó khăn, vướng mắc"
KIND_PROPOSAL = "Đề xuất, kiến nghị"
GENERAL_DIMENSION = "Chung của đơn vị"
TOTAL_LEVEL_NAME = "Tổng cộng"
# Answers that say "nothing to report" are not listed as difficulties or proposals.
EMPTY_NOTES = {"", "khong", "khong co", "khong co kho khan", "khong co de xuat", "-", ".",
               "...", "k", "ko", "khong co y kien", "khong co kien nghi"}
CHANGE_NEW_DONE = "Mới hoàn thành"
CHANGE_NEW_ONGOING = "Bắt đầu thực hiện"

COLUMNS = {
    "tasks": ["tt", "dimension", "dimension_name", "text", "deadline", "lead", "units", "done",
              "ongoing", "not_started", "not_applicable", "missing", "share_done", "status",
              "overdue", "due_next"],
    "task_units": ["tt", "unit", "unit_name", "level", "role", "status", "completed_on",
                   "result", "difficulty"],
    "dimensions": ["dimension", "name", "tasks", "done", "ongoing", "not_started",
                   "share_done"],
    "indicators": ["code", "task", "name", "unit_of_measure", "agg", "area", "area_name",
                   "value"],
    "unit_indicators": ["unit", "unit_name", "level", "parent", "code", "value"],
    "submissions": ["unit", "unit_name", "level", "parent", "deadline", "received_at", "state",
                    "state_label", "findings", "file"],
    "rates": ["level", "level_name", "expected", "received", "on_time", "late", "missing",
              "rejected", "received_rate", "on_time_rate"],
    "notes": ["dimension", "dimension_name", "unit", "unit_name", "kind", "tt", "text"],
    "changes": ["kind", "code", "name", "previous", "current", "change"],
    "reconciliation": ["district", "district_name", "code", "name", "district_value",
                       "communes_value", "difference", "units"],
    "findings": ["unit", "file", "severity", "code", "sheet", "cell", "message"],
}


@dataclass
class Consolidation:
    plan: Plan
    period: Period
    scope: str | None
    previous_period: str | None
    key: dict
    tasks: pd.DataFrame
    task_units: pd.DataFrame
    dimensions: pd.DataFrame
    indicators: pd.DataFrame
    unit_indicators: pd.DataFrame
    submissions: pd.DataFrame
    rates: pd.DataFrame
    notes: pd.DataFrame
    changes: pd.DataFrame
    reconciliation: pd.DataFrame
    findings: pd.DataFrame
    # Each unit's effective submission (own file, else its district's child), for writers.
    data: dict[str, Submission] = field(default_factory=dict, repr=False)

    @property
    def area_name(self) -> str:
        return area_name(self.plan, self.scope)


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS[name])


def columns_frame(name: str, columns: dict[str, list]) -> pd.DataFrame:
    """A frame from one list per column: the large frames, where a dict per row costs."""
    if not columns[COLUMNS[name][0]]:
        return frame(name, [])  # the same empty frame as every other builder gives
    return pd.DataFrame(columns, columns=COLUMNS[name])


def area_name(plan: Plan, scope: str | None) -> str:
    if scope:
        return plan.units[scope].short
    place = plan.details.get("place", "")
    return f"Toàn tỉnh {place}".strip() if place else "Toàn tỉnh"


# --------------------------------------------------------------------------- scope and data

def scope_units(plan: Plan, scope: str | None) -> list[str]:
    """Codes of the units consolidated, in plan order: all, or a district and its communes."""
    if scope is None:
        return list(plan.units)
    if scope not in plan.units or not plan.children(scope):
        raise UsageError(f"Mã '{scope}' không phải đơn vị cấp huyện có đơn vị cấp xã trực thuộc "
                         "trong kế hoạch; --scope cần mã một huyện, thị xã, thành phố.")
    inside = {scope}
    changed = True
    while changed:  # descendants at any depth
        grown = inside | {u.code for u in plan.units.values() if u.parent in inside}
        changed, inside = grown != inside, grown
    return [code for code in plan.units if code in inside]


def effective_data(submissions) -> tuple[dict[str, Submission], dict[str, Submission]]:
    """(unit -> the submission that stands for it, unit -> its own direct submission)."""
    direct = {s.unit: s for s in submissions}
    data = dict(direct)
    for sub in submissions:
        for child in sub.children:
            data.setdefault(child.unit, child)
    return data, direct


def _num(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def own_values(plan: Plan, data: dict[str, Submission]) -> dict[str, dict[str, float]]:
    """Each unit's own indicator values (sum-type codes): a consolidated return's figures
    minus the children it carries, so a district's communes are never counted twice."""
    out: dict[str, dict[str, float]] = {}
    sum_codes = _sum_codes(plan)  # once, not once per unit
    for unit, sub in data.items():
        values = _sum_values(plan, sub, sum_codes)
        if sub.children:
            for child in sub.children:
                for code, value in _sum_values(plan, child, sum_codes).items():
                    if code in values:
                        values[code] -= value
            # A zero left by subtraction on a code the district does not report itself is
            # its communes' figure, not the district's own activity.
            mine = {i.code for i in form_indicators(plan, unit)}
            values = {c: v for c, v in values.items() if c in mine or v != 0}
        out[unit] = values
    return out


def form_indicators(plan: Plan, code: str) -> list:
    """The indicators a unit's form asks for: its own, plus the parts of its ratios."""
    own = plan.indicators_for(code)
    codes = {i.code for i in own}
    extra = []
    for ratio in (i for i in own if i.agg == "ratio"):
        for part in (plan.indicator(ratio.num), plan.indicator(ratio.den)):
            if part is not None and part.code not in codes:
                codes.add(part.code)
                extra.append(part)
    return own + extra


def aggregate(indicator, values: list[dict[str, float]]) -> float:
    """An area's value from its units' own values (NaN when nobody reported)."""
    # Codes read once, not once per unit: the whole province is 10.000 units.
    if indicator.agg == "ratio":
        num, den = indicator.num, indicator.den
        pairs = [(v[num], v[den]) for v in values if num in v and den in v]
        total = sum(d for _, d in pairs)
        return sum(n for n, _ in pairs) / total if pairs and total else math.nan
    code = indicator.code
    found = [v[code] for v in values if code in v]
    return float(sum(found)) if found else math.nan


# --------------------------------------------------------------------------- tasks

def next_period(period: Period) -> Period:
    if period.kind == "month":
        year, month = _shift_month(period.year, period.number, 1)
        return Period("month", year, month)
    if period.kind == "quarter":
        return (Period("quarter", period.year + 1, 1) if period.number == 4
                else Period("quarter", period.year, period.number + 1))
    return Period(period.kind, period.year + 1, 0)


def overall_status(statuses: list[str]) -> str:
    judged = [s for s in statuses if s != STATUS_NA]
    if statuses and not judged:
        return STATUS_NA
    if judged and all(s == STATUS_DONE for s in judged):
        return STATUS_DONE
    if any(s in (STATUS_DONE, STATUS_ONGOING) for s in judged):
        return STATUS_ONGOING
    return STATUS_NOT_STARTED


def is_overdue(task, status: str, period: Period) -> bool:
    deadline = task.deadline
    if deadline is None or status in (STATUS_DONE, STATUS_NA):
        return False
    if deadline.kind == "date":
        return deadline.overdue(period)
    if deadline.kind == "recurring":
        if deadline.every == "quarter" and not period.quarters():
            return False
        return status == STATUS_NOT_STARTED
    return False


def is_due_next(task, status: str, period: Period) -> bool:
    deadline = task.deadline
    if deadline is None or deadline.kind != "date" or status == STATUS_DONE:
        return False
    return period.cutoff_end < deadline.due <= next_period(period).cutoff_end


# A unit that sent nothing on a task reads as an empty report: status "", no date, no text.
_NO_REPORT = TaskReport("")
_NO_TASKS: dict = {}
_COUNTED = frozenset((STATUS_DONE, STATUS_ONGOING, STATUS_NOT_STARTED, STATUS_NA))


def task_frames(plan: Plan, period: Period, units: list[str], data):
    inside = set(units)
    reports_of = {code: sub.tasks for code, sub in data.items()}
    task_rows = []
    # task_units is built column by column (at 10.000 units it has 400.000 rows: a dict or
    # tuple per row, and pandas transposing them, cost more than the consolidation itself).
    tts, codes, roles, statuses, reports = [], [], [], [], []
    for task in plan.tasks:
        leads = [c for c in task.leads if c in inside]
        lead_set = set(leads)  # a set: partners x leads would be quadratic in big plans
        partners = [c for c in task.partners if c in inside and c not in lead_set]
        if not leads and not partners:
            continue
        mine = [reports_of.get(c, _NO_TASKS).get(task.tt, _NO_REPORT)
                for c in leads + partners]
        # A status outside the list counts as not reported.
        said = [r.status if r.status in _COUNTED else "" for r in mine]
        # Judged on the leads (listed first); on every responsible unit when none is in scope.
        status = overall_status(said[:len(leads)] if leads else said)
        task_rows.append(_task_row(plan, period, task, status, said))
        tts += [task.tt] * len(mine)
        codes += leads + partners
        roles += [ROLE_LEAD] * len(leads) + [ROLE_PARTNER] * len(partners)
        statuses += said
        reports += mine
    return frame("tasks", task_rows), _task_units_frame(plan, tts, codes, roles, statuses,
                                                        reports)


def _task_units_frame(plan: Plan, tts, codes, roles, statuses, reports) -> pd.DataFrame:
    names = {c: plan.units[c].name for c in dict.fromkeys(codes)}
    levels = {c: plan.units[c].level for c in names}
    columns = {
        "tt": tts, "unit": codes, "unit_name": [names[c] for c in codes],
        "level": [levels[c] for c in codes], "role": roles, "status": statuses,
        "completed_on": [r.completed_on for r in reports],
        "result": _cleaned([r.result for r in reports]),
        "difficulty": _cleaned([r.difficulty for r in reports])}
    return columns_frame("task_units", columns)


def _cleaned(texts: list) -> list[str]:
    """clean() of each text, computed once per distinct text (most repeat: "", "Không")."""
    done = {text: clean(text) for text in set(texts)}
    return [done[text] for text in texts]


def _task_row(plan: Plan, period: Period, task, status: str, said: list[str]) -> dict:
    counts = dict.fromkeys((STATUS_DONE, STATUS_ONGOING, STATUS_NOT_STARTED, STATUS_NA, ""), 0)
    for value in said:
        counts[value] += 1
    total = len(said)
    applicable = total - counts[STATUS_NA]
    return {
        "tt": task.tt, "dimension": task.dimension,
        "dimension_name": plan.dimensions.get(task.dimension, ("", ""))[0],
        "text": task.text, "deadline": task.deadline.phrase if task.deadline else "",
        "lead": task.lead_text, "units": total, "done": counts[STATUS_DONE],
        "ongoing": counts[STATUS_ONGOING], "not_started": counts[STATUS_NOT_STARTED],
        "not_applicable": counts[STATUS_NA], "missing": counts[""],
        "share_done": counts[STATUS_DONE] / applicable if applicable else 0.0,
        "status": status, "overdue": is_overdue(task, status, period),
        "due_next": is_due_next(task, status, period)}


def dimension_frame(plan: Plan, tasks: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for number, (name, _short) in sorted(plan.dimensions.items()):
        part = tasks[tasks["dimension"] == number]
        if part.empty:
            continue
        counted = part[part["status"] != STATUS_NA]
        done = int((part["status"] == STATUS_DONE).sum())
        rows.append({"dimension": number, "name": name, "tasks": len(part), "done": done,
                     "ongoing": int((part["status"] == STATUS_ONGOING).sum()),
                     "not_started": int((part["status"] == STATUS_NOT_STARTED).sum()),
                     "share_done": done / len(counted) if len(counted) else 0.0})
    return frame("dimensions", rows)


# --------------------------------------------------------------------------- indicators

def areas(plan: Plan, units: list[str], scope: str | None) -> list[tuple[str, str, list[str]]]:
    """(area code, name, unit codes): the whole scope, then each district in it."""
    out = [("", area_name(plan, scope), units)]
    inside = set(units)
    # Built once: scanning every unit for each unit's children is quadratic in the units.
    children: dict[str, list[str]] = {}
    for code in units:
        children.setdefault(plan.units[code].parent, []).append(code)
    for code in units:
        unit = plan.units[code]
        members = children.get(code, [])
        if unit.level == "huyen" or members:
            out.append((code, unit.short, [code, *members]))
    return [a for a in out if a[2] and set(a[2]) <= inside]


def unit_ratio_values(plan: Plan, values: dict[str, float]) -> dict[str, float]:
    """A unit's ratios from its own numerator and denominator."""
    out = {}
    for indicator in plan.indicators:
        if indicator.agg == "ratio":
            value = aggregate(indicator, [values])
            if not math.isnan(value):
                out[indicator.code] = value
    return out


def indicator_frames(plan: Plan, units: list[str], scope, own: dict[str, dict[str, float]]):
    rows = []
    for code, name, members in areas(plan, units, scope):
        values = [own[m] for m in members if m in own]
        for ind in plan.indicators:
            rows.append({"code": ind.code, "task": ind.task, "name": ind.name,
                         "unit_of_measure": ind.unit, "agg": ind.agg, "area": code,
                         "area_name": name, "value": aggregate(ind, values)})
    return frame("indicators", rows), _unit_indicators_frame(plan, units, own)


def _unit_indicators_frame(plan: Plan, units: list[str], own) -> pd.DataFrame:
    """Each unit's own values and ratios, in plan order, column by column
    (60 indicators x 10.000 units: a dict per row would cost seconds)."""
    in_order = [i.code for i in plan.indicators]  # own values only hold plan codes
    codes, found, values = [], [], []
    for code in units:
        if code not in own:
            continue
        mine = {**own[code], **unit_ratio_values(plan, own[code])}
        listed = [c for c in in_order if c in mine]
        codes += [code] * len(listed)
        found += listed
        values += [float(mine[c]) for c in listed]
    units_of = {c: plan.units[c] for c in dict.fromkeys(codes)}
    return columns_frame("unit_indicators", {
        "unit": codes, "unit_name": [units_of[c].name for c in codes],
        "level": [units_of[c].level for c in codes],
        "parent": [units_of[c].parent for c in codes], "code": found, "value": values})


def _sum_values(plan: Plan, sub: Submission, sum_codes=None) -> dict[str, float]:
    """A submission's sum-type figures as reported (children not subtracted).
    `sum_codes`: _sum_codes(plan), when the caller asks for many submissions."""
    sum_codes = _sum_codes(plan) if sum_codes is None else sum_codes
    return {c: v for c, v in ((c, _num(v)) for c, v in sub.indicators.items())
            if c in sum_codes and v is not None}


def _sum_codes(plan: Plan) -> set[str]:
    return {i.code for i in plan.indicators if i.agg != "ratio"}


def reconciliation_frame(plan: Plan, units, direct, own) -> pd.DataFrame:
    rows = []
    for code in units:
        sub = direct.get(code)
        if sub is None or not sub.children:
            continue
        reported = _sum_values(plan, sub)
        carried = {c.unit: _sum_values(plan, c) for c in sub.children}
        communes = [u.code for u in plan.children(code)]
        listed = set(communes)  # a set: a district may carry hundreds of communes
        communes += [c for c in carried if c not in listed]
        rebuilt = [own[code]] + [own[c] for c in communes if c in own]
        for ind in plan.indicators:
            mine, theirs = aggregate(ind, [reported]), aggregate(ind, rebuilt)
            # Only figures the district reported: its form lists its own tasks' indicators.
            if math.isnan(mine) or _same(mine, theirs):
                continue
            # The communes whose own file disagrees with what the district carried for them.
            differing = [c for c in communes if c in direct and not _same(
                aggregate(ind, [carried.get(c, {})]), aggregate(ind, [own[c]]))]
            rows.append({"district": code, "district_name": plan.units[code].name,
                         "code": ind.code, "name": ind.name, "district_value": mine,
                         "communes_value": theirs, "difference": _minus(mine, theirs),
                         "units": ", ".join(differing)})
    return frame("reconciliation", rows)


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _minus(a: float, b: float) -> float:
    return (0.0 if math.isnan(a) else a) - (0.0 if math.isnan(b) else b)


# --------------------------------------------------------------------------- submissions

def _naive(moment: dt.datetime | None) -> dt.datetime | None:
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
                     "received_at": _naive(receipt.received_at) if receipt else None,
                     "state": item.state, "state_label": collect_mod.STATE_LABELS[item.state],
                     "findings": len(findings.get(item.code, [])),
                     "file": receipt.file_name if receipt else ""})
    subs = frame("submissions", rows)
    rate_rows = []
    groups = [(lv, LEVEL_LABELS[lv], subs[subs["level"] == lv]) for lv in LEVELS]
    groups.append(("", TOTAL_LEVEL_NAME, subs))
    for level, name, part in groups:
        if part.empty:
            continue
        counts = {s: int((part["state"] == s).sum()) for s in
                  (collect_mod.ON_TIME, collect_mod.LATE, collect_mod.MISSING,
                   collect_mod.REJECTED)}
        received = counts[collect_mod.ON_TIME] + counts[collect_mod.LATE]
        rate_rows.append({"level": level, "level_name": name, "expected": len(part),
                          "received": received, "on_time": counts[collect_mod.ON_TIME],
                          "late": counts[collect_mod.LATE],
                          "missing": counts[collect_mod.MISSING],
                          "rejected": counts[collect_mod.REJECTED],
                          "received_rate": received / len(part),
                          "on_time_rate": counts[collect_mod.ON_TIME] / len(part)})
    return subs, frame("rates", rate_rows)


def standing_findings(status_report) -> dict[str, list[Finding]]:
    """Findings of the file that stands for each unit (not of a district file a commune
    came with: those belong to the district)."""
    return {u.code: list(u.receipt.findings) for u in status_report.units
            if u.receipt is not None and u.receipt.unit == u.code}


def findings_frame(units, findings: dict[str, list[Finding]]) -> pd.DataFrame:
    rows = [{"unit": code, "file": f.file, "severity": f.severity, "code": f.code,
             "sheet": f.sheet, "cell": f.cell, "message": f.message}
            for code in units for f in findings.get(code, [])]
    return frame("findings", rows)


# --------------------------------------------------------------------------- notes, changes

def notes_frame(plan: Plan, units, data) -> pd.DataFrame:
    rows = []
    tasks = {t.tt: t for t in plan.tasks}
    for code in units:
        sub = data.get(code)
        if sub is None:
            continue
        name = plan.units[code].name
        for tt, report in sub.tasks.items():
            # Most tasks carry no difficulty: "" needs no text check (it is never a note).
            if report.difficulty == "" or not _meaningful(report.difficulty):
                continue
            task = tasks.get(tt)
            if task is not None:
                rows.append({"dimension": task.dimension,
                             "dimension_name": plan.dimensions.get(task.dimension, ("",))[0],
                             "unit": code, "unit_name": name, "kind": KIND_DIFFICULTY,
                             "tt": tt, "text": clean(report.difficulty)})
        for kind, text in ((KIND_DIFFICULTY, sub.difficulties), (KIND_PROPOSAL, sub.proposals)):
            if _meaningful(text):
                rows.append({"dimension": 0, "dimension_name": GENERAL_DIMENSION, "unit": code,
                             "unit_name": name, "kind": kind, "tt": "", "text": clean(text)})
    out = frame("notes", rows)
    if out.empty:
        return out
    # Grouped by dimension (unit-level notes last), then kind, then plan order of units.
    order = {c: n for n, c in enumerate(units)}
    out["_dim"] = out["dimension"].replace(0, 99)
    out["_unit"] = out["unit"].map(order)
    out["_kind"] = (out["kind"] == KIND_PROPOSAL).astype(int)
    out = out.sort_values(["_dim", "_kind", "_unit", "tt"], kind="stable")
    return out.drop(columns=["_dim", "_unit", "_kind"]).reset_index(drop=True)


def _meaningful(text) -> bool:
    return fold(text).strip(" .") not in EMPTY_NOTES


def changes_frame(current_ind, current_tasks, previous: Consolidation | None) -> pd.DataFrame:
    if previous is None:
        return frame("changes", [])
    rows = []
    before = previous.indicators[previous.indicators["area"] == ""].set_index("code")["value"]
    for rec in current_ind[current_ind["area"] == ""].itertuples():
        old = before.get(rec.code, math.nan)
        if math.isnan(old) and math.isnan(rec.value):
            continue
        rows.append({"kind": "indicator", "code": rec.code, "name": rec.name,
                     "previous": old, "current": rec.value, "change": _minus(rec.value, old)})
    old_status = previous.tasks.set_index("tt")["status"]
    for rec in current_tasks.itertuples():
        old = old_status.get(rec.tt, "")
        label = ""
        if rec.status == STATUS_DONE and old != STATUS_DONE:
            label = CHANGE_NEW_DONE
        elif rec.status == STATUS_ONGOING and old in ("", STATUS_NOT_STARTED):
            label = CHANGE_NEW_ONGOING
        if label:
            rows.append({"kind": "task", "code": rec.tt, "name": rec.text, "previous": old,
                         "current": rec.status, "change": label})
    return frame("changes", rows)


# --------------------------------------------------------------------------- entry points

def consolidate(plan: Plan, period: Period, submissions, status_report, previous=None,
                scope: str | None = None, findings=None) -> Consolidation:
    """Every frame of the period. `findings`: unit -> findings of its standing file
    (default: from the status report's receipts)."""
    units = scope_units(plan, scope)
    inside = set(units)
    submissions = [s for s in submissions if s.unit in inside]
    data, direct = effective_data(submissions)
    data = {c: s for c, s in data.items() if c in inside}
    own = own_values(plan, data)
    tasks, task_units = task_frames(plan, period, units, data)
    indicators, unit_indicators = indicator_frames(plan, units, scope, own)
    findings = standing_findings(status_report) if findings is None else findings
    subs, rates = submission_frames(plan, units, status_report, findings)
    total = rates[rates["level"] == ""]
    counts = total.iloc[0].to_dict() if not total.empty else {}
    applicable = int((tasks["status"] != STATUS_NA).sum())
    done = int((tasks["status"] == STATUS_DONE).sum())
    key = {"units_expected": int(counts.get("expected", 0)),
           "units_received": int(counts.get("received", 0)),
           "units_on_time": int(counts.get("on_time", 0)),
           "units_late": int(counts.get("late", 0)),
           "units_missing": int(counts.get("missing", 0)),
           "units_rejected": int(counts.get("rejected", 0)),
           "tasks": len(tasks), "tasks_done": done,
           "tasks_ongoing": int((tasks["status"] == STATUS_ONGOING).sum()),
           "tasks_not_started": int((tasks["status"] == STATUS_NOT_STARTED).sum()),
           "tasks_not_applicable": len(tasks) - applicable,
           "tasks_overdue": int(tasks["overdue"].sum()),
           "share_done": done / applicable if applicable else 0.0}
    return Consolidation(
        plan=plan, period=period, scope=scope,
        previous_period=previous.period.id if previous is not None else None, key=key,
        tasks=tasks, task_units=task_units, dimensions=dimension_frame(plan, tasks),
        indicators=indicators, unit_indicators=unit_indicators, submissions=subs,
        rates=rates, notes=notes_frame(plan, units, data),
        changes=changes_frame(indicators, tasks, previous),
        reconciliation=reconciliation_frame(plan, units, direct, own),
        findings=findings_frame(units, findings), data=data)


def from_ledger(workspace, plan: Plan, period: Period, scope: str | None = None
                ) -> Consolidation:
    """The period's consolidation from the ledger alone, with the previous period of the
    same kind when the ledger has submissions for it."""
    from .ledger import Ledger

    before = period.previous()
    with _cyclic_gc_paused():
        # Decoded once and handed to status too: decoding 10.000 submissions takes seconds.
        with Ledger(workspace) as ledger:
            submissions = ledger.current_submissions(period.id)
            earlier = ledger.current_submissions(before.id)
        previous = None
        if earlier:
            previous = consolidate(plan, before, earlier,
                                   collect_mod.status(workspace, plan, before, earlier),
                                   scope=scope)
        return consolidate(plan, period, submissions,
                           collect_mod.status(workspace, plan, period, submissions),
                           previous=previous, scope=scope)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause the cycle collector while the period is decoded and consolidated.

    Decoding 10.000 returns creates millions of objects that all live to the end, and each
    full collection triggered by them rescans every one of them (a quarter of the time at
    10.000 returns), though decoded records, dicts and lists form no cycles. Reference
    counting still frees everything; the collector resumes (as it was) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
