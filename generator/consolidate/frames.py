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

from dataclasses import dataclass, field

import pandas as pd

from generator.errors import UsageError
from generator.model import Submission
from generator.plan.periods import Period
from generator.plan.workbook import Plan
from generator.vocab import NOT_REPORTED, SUBMISSION_STATES, TASK_STATUSES

STATUS_COLUMNS = [s.key for s in (*TASK_STATUSES, NOT_REPORTED)]

KIND_DIFFICULTY = "Khó khăn, vướng mắc"
KIND_PROPOSAL = "Đề xuất, kiến nghị"
KIND_EXTRA = "Nội dung đơn vị thêm vào biểu mẫu"  # rows with a TT not assigned to the unit
GENERAL_DIMENSION = "Chung của đơn vị"
TOTAL_LEVEL_NAME = "Tổng cộng"
# Answers that say "nothing to report" are not listed as difficulties or proposals.
EMPTY_NOTES = {"", "khong", "khong co", "khong co kho khan", "khong co de xuat", "-", ".",
               "...", "k", "ko", "khong co y kien", "khong co kien nghi"}
CHANGE_NEW_DONE = "Mới hoàn thành"
CHANGE_NEW_ONGOING = "Bắt đầu thực hiện"

COLUMNS = {
    # One count column per task status (vocab.TASK_STATUSES), then the units that sent nothing.
    "tasks": ["tt", "dimension", "dimension_name", "text", "deadline", "lead", "units",
              *STATUS_COLUMNS, "share_done", "status", "overdue", "due_next"],
    "task_units": ["tt", "unit", "unit_name", "level", "role", "status", "completed_on",
                   "result", "difficulty"],
    "dimensions": ["dimension", "name", "tasks", *(s.key for s in TASK_STATUSES), "share_done"],
    "indicators": ["code", "task", "name", "unit_of_measure", "agg", "area", "area_name",
                   "value"],
    "unit_indicators": ["unit", "unit_name", "level", "parent", "code", "value"],
    "submissions": ["unit", "unit_name", "level", "parent", "deadline", "received_at", "state",
                    "state_label", "findings", "file"],
    "rates": ["level", "level_name", "expected", "received", *(s.key for s in SUBMISSION_STATES),
              "received_rate", "on_time_rate"],
    "notes": ["dimension", "dimension_name", "unit", "unit_name", "kind", "tt", "text"],
    "changes": ["kind", "code", "name", "previous", "current", "change"],
    "reconciliation": ["district", "district_name", "code", "name", "district_value",
                       "communes_value", "difference", "units"],
    "findings": ["unit", "file", "severity", "code", "sheet", "cell", "message"],
    # Values a unit's later file changed (ledger.history): old -> new, both files and dates.
    "corrections": ["unit", "unit_name", "where", "sheet", "row", "old", "new", "old_file",
                    "old_received", "new_file", "new_received"],
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
    corrections: pd.DataFrame = field(default_factory=lambda: frame("corrections", []))
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
