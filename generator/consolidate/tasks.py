"""Task frames: each responsible unit's status on each task, and each task's overall status,
share done, overdue and due-next flags (the rules are in the package docstring)."""

from __future__ import annotations

import pandas as pd

from generator.consolidate.frames import STATUS_COLUMNS, columns_frame, frame
from generator.model import TaskReport
from generator.plan.periods import Period
from generator.plan.workbook import ROLE_LEAD, ROLE_PARTNER, Plan
from generator.text import clean_text
from generator.vocab import (
    DONE,
    NOT_APPLICABLE,
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    STATUSES,
    TASK_STATUSES,
    status_of,
)


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
    return period.cutoff_end < deadline.due <= period.next().cutoff_end


# A unit that sent nothing on a task reads as an empty report: status "", no date, no text.
_NO_REPORT = TaskReport("")
_NO_TASKS: dict = {}
_COUNTED = frozenset(STATUSES)


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
    """clean_text() of each text (line breaks kept), once per distinct text (most repeat:
    "", "Không")."""
    done = {text: clean_text(text) for text in set(texts)}
    return [done[text] for text in texts]


def _task_row(plan: Plan, period: Period, task, status: str, said: list[str]) -> dict:
    counts = dict.fromkeys(STATUS_COLUMNS, 0)
    for value in said:
        counts[status_of(value).key] += 1
    total = len(said)
    applicable = total - counts[NOT_APPLICABLE.key]
    return {
        "tt": task.tt, "dimension": task.dimension,
        "dimension_name": plan.dimensions.get(task.dimension, ("", ""))[0],
        "text": task.text, "deadline": task.deadline.phrase if task.deadline else "",
        "lead": task.lead_text, "units": total, **counts,
        "share_done": counts[DONE.key] / applicable if applicable else 0.0,
        "status": status, "overdue": is_overdue(task, status, period),
        "due_next": is_due_next(task, status, period)}


def dimension_frame(plan: Plan, tasks: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for number, (name, _short) in sorted(plan.dimensions.items()):
        part = tasks[tasks["dimension"] == number]
        if part.empty:
            continue
        counted = part[part["status"] != STATUS_NA]
        counts = {s.key: int((part["status"] == s.value).sum()) for s in TASK_STATUSES}
        rows.append({"dimension": number, "name": name, "tasks": len(part), **counts,
                     "share_done": counts[DONE.key] / len(counted) if len(counted) else 0.0})
    return frame("dimensions", rows)
