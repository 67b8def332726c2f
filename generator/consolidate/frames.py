"""Consolidation: the ledger's submissions of a period as pandas frames, in one place.

Rules (the officer's questions, answered the same way everywhere):

* **Which unit's data.** Each unit's latest accepted submission. A district's consolidated
  return (written by `collect --scope`) carries its communes as `children`: a commune's child
  data is used only when the commune has no accepted file of its own.
* **Who is expected.** The units that report to the compiler of the consolidation (the
  plan's reporting line): for the province, the units that report to the compiling body
  (under plan 239 the departments and the districts); for a district (`scope`), its
  communes. The compiling body is never in its own register: it is not late to itself,
  and its own task results count like any unit's. Units that report through a district
  are shown through the district's return (`coverage`: "21/22 xã đã báo cáo").
* **Task status** (tasks.py): one rule, from the responsible units that reported only; a
  unit that sent nothing is "chưa báo cáo", never "chưa thực hiện".
* **Indicators** (indicators.py): a unit's own values are what its own form reports; a
  district's consolidated return holds the district's area figures, so its own flows are
  the return's figures minus the children it carries. An area's figure is made from the
  units that report the indicator by its aggregation (flows summed, stocks taken at one
  level, ratios from summed parts), with how many of them reported (x/y).
  Areas: the whole province (or the scope), and each district.
* **Consistency rules** (checks.py): the plan's rules, checked again on each area's figures
  and on the figures of units that came only inside a district's return.
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
    "dimensions": ["dimension", "name", "tasks", *STATUS_COLUMNS, "share_done"],
    "indicators": ["code", "task", "name", "unit_of_measure", "agg", "area", "area_name",
                   "value", "reported", "expected", "method"],
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
    # Units that report through a unit of the register (communes through their district).
    "coverage": ["unit", "unit_name", "expected", "reported", "missing_names"],
    # Values a unit's later file changed (ledger.history): old -> new, both files and dates.
    "corrections": ["unit", "unit_name", "where", "sheet", "row", "old", "new", "old_file",
                    "old_received", "new_file", "new_received"],
    # One row per comparison, item and period (trends.py): kind is completion | on_time |
    # indicator; value a share (0..1) or the indicator's figure.
    "trends": ["kind", "item", "item_name", "agg", "period", "period_label", "closed",
               "value", "numerator", "denominator"],
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
    coverage: pd.DataFrame
    corrections: pd.DataFrame = field(default_factory=lambda: frame("corrections", []))
    # A reopened period: the sign-off its next report replaces and what changed since
    # (ledger.history.SinceSigned), else None.
    replaces: object = None
    # This period beside every earlier closed period of the workspace (trends.py).
    trends: pd.DataFrame = field(default_factory=lambda: frame("trends", []))
    # How earlier periods of another plan were carried to this plan's units ('' if none).
    trends_note: str = ""
    # Each unit's effective submission (own file, else its district's child), for writers.
    data: dict[str, Submission] = field(default_factory=dict, repr=False)

    @property
    def area_name(self) -> str:
        return area_name(self.plan, self.scope)

    @property
    def compiler(self) -> str:
        """The unit that compiles this consolidation: the district in district mode, else
        the plan's compiling body."""
        return self.scope or self.plan.compiler.code


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
    return plan.subtree(scope)


def effective_data(submissions) -> tuple[dict[str, Submission], dict[str, Submission]]:
    """(unit -> the submission that stands for it, unit -> its own direct submission)."""
    direct = {s.unit: s for s in submissions}
    data = dict(direct)
    for sub in submissions:
        for child in sub.children:
            data.setdefault(child.unit, child)
    return data, direct
