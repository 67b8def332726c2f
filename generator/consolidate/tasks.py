"""Task frames: each responsible unit's status on each task, and each task's overall status,
share done, overdue and due-next flags.

One rule for a task's status, here and only here (the workbook, the report and the charts
read the frame it makes), judged only from the responsible units that reported:

* nobody reported -> not reported ("chưa có đơn vị báo cáo"), never "not started";
* every unit that reported says "Không phát sinh" -> not applicable;
* every unit that reported (leaving out "Không phát sinh") says done -> done;
* every such unit says "Chưa thực hiện" -> not started;
* otherwise ongoing ("x/y đơn vị đã hoàn thành, z đơn vị chưa báo cáo").

A task is overdue only when its deadline has passed and the units that reported say it is
not done (ongoing or not started): a dated deadline before the cut-off end; a "Thường xuyên"
task (judged per period) whose units all say not started; a quarterly one likewise in a
period holding a quarter's end. "Theo quy định" has no date and is never overdue.
`due_next`: a dated deadline after this cut-off and by the cut-off of the plan's next
report (its cadence), task not done.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from generator.consolidate.frames import STATUS_COLUMNS, columns_frame, frame
from generator.plan.periods import Period
from generator.plan.workbook import ROLE_LEAD, ROLE_PARTNER, Plan
from generator.text import clean_text, fmt_int
from generator.vocab import (
    DONE,
    NOT_APPLICABLE,
    NOT_REPORTED,
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    STATUSES,
    TASK_STATUSES,
    status_of,
)


def overall_status(statuses: list[str]) -> str:
    """The task's status from its units' statuses ("" = that unit did not report)."""
    # Judged on the distinct statuses: a task has one per unit, 10.000 in a big province.
    reported = set(statuses) & _COUNTED
    if not reported:
        return NOT_REPORTED.value
    judged = reported - {STATUS_NA}
    if not judged:
        return STATUS_NA
    if judged == {STATUS_DONE}:
        return STATUS_DONE
    if judged == {STATUS_NOT_STARTED}:
        return STATUS_NOT_STARTED
    return STATUS_ONGOING


def is_overdue(task, status: str, period: Period) -> bool:
    deadline = task.deadline
    if deadline is None or status not in (STATUS_ONGOING, STATUS_NOT_STARTED):
        return False
    if deadline.kind == "date":
        return deadline.overdue(period)
    if deadline.kind == "recurring":
        if deadline.every == "quarter" and not period.quarters():
            return False
        return status == STATUS_NOT_STARTED
    return False


def is_due_next(task, status: str, period: Period, following: Period | None = None) -> bool:
    """Due after this cut-off and by the next report's (`following`, default the next
    period of the same kind)."""
    deadline = task.deadline
    if deadline is None or deadline.kind != "date" or status in (STATUS_DONE, STATUS_NA):
        return False
    following = following or period.next()
    return period.cutoff_end < deadline.due <= following.cutoff_end


def status_sentence(row, names: list[str] | None = None) -> str:
    """How the report says a task's status with its counts, consistent with each other:
    'đang triển khai thực hiện, 72/152 đơn vị đã hoàn thành, 10 đơn vị chưa báo cáo'.
    `row`: a row of the tasks frame; `names`: the units that did not report (named when
    nobody reported)."""
    status, units = row.status, int(row.units)
    missing, na = int(row.missing), int(row.not_applicable)
    applicable = units - na
    phrase = status_of(status).phrase
    absent = f"{fmt_int(missing)} đơn vị chưa báo cáo"
    if status == NOT_REPORTED.value:
        shown = names or []
        who = f" ({', '.join(shown)} chưa báo cáo)" if 0 < len(shown) <= 3 else f" ({absent})"
        return phrase + who
    if status == STATUS_NA:
        return f"các đơn vị đã báo cáo đều {phrase}, {absent}" if missing else phrase
    if status in (STATUS_DONE, STATUS_NOT_STARTED):
        count = int(row.done) if status == STATUS_DONE else int(row.not_started)
        share = f"{fmt_int(count)}/{fmt_int(applicable)} đơn vị"
        if missing:
            return f"các đơn vị đã báo cáo đều {phrase} ({share}), {absent}"
        return phrase + (f" ({share})" if applicable > 1 else "")
    text = phrase
    if applicable > 1 or missing:
        text += f", {fmt_int(row.done)}/{fmt_int(applicable)} đơn vị đã hoàn thành"
    if na and units > 1:
        text += f", {fmt_int(na)} đơn vị không phát sinh"
    return text + (f", {absent}" if missing else "")


_COUNTED = frozenset(STATUSES)
# A status as the plan spells it (one string object for every report saying it); a status
# outside the list counts as not reported.
_SAID = {value: value for value in STATUSES}
# A unit that sent nothing on a task reads as an empty report: status "", no date, no text.
_NO_REPORT = ("", None, "", "")


def task_frames(plan: Plan, period: Period, units: list[str], data):
    inside = set(units)
    following = plan.next_period(period)
    place, reports = _reports_by_task(units, data)
    task_rows = []
    # task_units is built column by column (at 10.000 units it has 400.000 rows: a dict or
    # tuple per row, and pandas transposing them, cost more than the consolidation itself).
    columns: dict[str, list] = {name: [] for name in _REPORT_COLUMNS}
    for task in plan.tasks:
        leads = [c for c in task.leads if c in inside]
        lead_set = set(leads)  # a set: partners x leads would be quadratic in big plans
        partners = [c for c in task.partners if c in inside and c not in lead_set]
        if not leads and not partners:
            continue
        members = leads + partners
        reported = reports.get(task.tt)
        mine = ([reported[place[c]] or _NO_REPORT for c in members] if reported is not None
                else [_NO_REPORT] * len(members))
        said, completed_on, results, difficulties = zip(*mine, strict=True)
        # Judged on every responsible unit that reported: the counts shown with the status
        # are the same units' (a task is never "done" with 6/10 units done).
        status = overall_status(said)
        task_rows.append(_task_row(plan, period, task, status, said, following))
        columns["tt"] += [task.tt] * len(said)
        columns["unit"] += members
        columns["role"] += [ROLE_LEAD] * len(leads) + [ROLE_PARTNER] * len(partners)
        columns["status"] += said
        columns["completed_on"] += completed_on
        columns["result"] += results
        columns["difficulty"] += difficulties
    return frame("tasks", task_rows), _task_units_frame(plan, columns)


# The task_units columns read from the units' reports (_reports_by_task's fields).
_REPORT_COLUMNS = ("tt", "unit", "role", "status", "completed_on", "result", "difficulty")


def _reports_by_task(units: list[str], data) -> tuple[dict[str, int], dict[str, list]]:
    """(unit -> its place in `units`, tt -> the report of the unit at each place: (status
    said, completed_on, result, difficulty), None where the unit sent none).

    Read unit by unit, as the reports lie in memory: gathered task by task, 400.000 reports
    scattered over a gigabyte cost seconds in cache misses."""
    place = {code: n for n, code in enumerate(units)}
    out: dict[str, list] = {}
    cleaned = _Cleaned()
    for n, code in enumerate(units):
        sub = data.get(code)
        if sub is None:
            continue
        for tt, report in sub.tasks.items():
            reports = out.get(tt)
            if reports is None:
                reports = out[tt] = [None] * len(units)
            reports[n] = (_SAID.get(report.status, ""), report.completed_on,
                          cleaned[report.result], cleaned[report.difficulty])
    return place, out


class _Cleaned(dict):
    """text -> clean_text(text) (line breaks kept), made once per distinct text (most
    repeat: "", "Không")."""

    def __missing__(self, text):
        self[text] = value = clean_text(text)
        return value


def _task_units_frame(plan: Plan, columns: dict[str, list]) -> pd.DataFrame:
    codes = columns["unit"]
    units = {c: plan.units[c] for c in dict.fromkeys(codes)}
    names = {c: unit.name for c, unit in units.items()}
    levels = {c: unit.level for c, unit in units.items()}
    return columns_frame("task_units", {
        **columns, "unit_name": list(map(names.__getitem__, codes)),
        "level": list(map(levels.__getitem__, codes))})


def _task_row(plan: Plan, period: Period, task, status: str, said: list[str],
              following: Period) -> dict:
    counts = dict.fromkeys(STATUS_COLUMNS, 0)
    for value, number in Counter(said).items():  # each distinct status once
        counts[status_of(value).key] += number
    total = len(said)
    applicable = total - counts[NOT_APPLICABLE.key]
    return {
        "tt": task.tt, "dimension": task.dimension,
        "dimension_name": plan.dimensions.get(task.dimension, ("", ""))[0],
        "text": task.text, "deadline": task.deadline.phrase if task.deadline else "",
        "lead": task.lead_text, "units": total, **counts,
        "share_done": counts[DONE.key] / applicable if applicable else 0.0,
        "status": status, "overdue": is_overdue(task, status, period),
        "due_next": is_due_next(task, status, period, following)}


def dimension_frame(plan: Plan, tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks per dimension by overall status; the counts (not reported included) add up to
    the dimension's tasks. share_done: of the tasks that arose (not "Không phát sinh")."""
    rows = []
    # Each dimension's statuses, in plain lists: a pandas selection per dimension and status
    # costs more than the whole count.
    statuses: dict[int, list[str]] = {}
    for number, status in zip(tasks["dimension"], tasks["status"], strict=True):
        statuses.setdefault(number, []).append(status)
    for number, (name, _short) in sorted(plan.dimensions.items()):
        part = statuses.get(number)
        if not part:
            continue
        counts = {s.key: part.count(s.value) for s in (*TASK_STATUSES, NOT_REPORTED)}
        arose = len(part) - counts[NOT_APPLICABLE.key]
        rows.append({"dimension": number, "name": name, "tasks": len(part), **counts,
                     "share_done": counts[DONE.key] / arose if arose else 0.0})
    return frame("dimensions", rows)
