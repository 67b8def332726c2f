"""The consolidation of a period: every frame, from submissions and the status report, or
from the ledger alone (`from_ledger`)."""

from __future__ import annotations

import contextlib
import gc

import pandas as pd

from generator.consolidate.checks import area_findings, carried_findings
from generator.consolidate.frames import Consolidation, effective_data, frame, scope_units
from generator.consolidate.indicators import (
    areas,
    by_code,
    indicator_frames,
    own_values,
    reconciliation_frame,
)
from generator.consolidate.notes import changes_frame, notes_frame
from generator.consolidate.register import (
    coverage_frame,
    findings_frame,
    standing_findings,
    submission_frames,
    wall_clock,
)
from generator.consolidate.tasks import dimension_frame, task_frames
from generator.consolidate.trends import carried_note, earlier_closed, plan_of, trends_frame
from generator.ledger.history import period_changes, since_signed
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.plan.periods import Period
from generator.plan.workbook import Plan
from generator.vocab import (
    NOT_REPORTED,
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
)


def consolidate(plan: Plan, period: Period, submissions, status_report, previous=None,
                scope: str | None = None, findings=None) -> Consolidation:
    """Every frame of the period. `findings`: unit -> findings of its standing file
    (default: from the status report's receipts)."""
    units = scope_units(plan, scope)
    inside = set(units)
    submissions = [s for s in submissions if s.unit in inside]
    data, direct = effective_data(submissions)
    # Keyed by the plan's own code strings, the objects `units` holds: the frames look units
    # up by code a million times at 10.000 returns, and an identical key needs no text
    # compared (a decoded code is an equal string elsewhere in memory).
    same = {c: c for c in units}
    data = {same[c]: s for c, s in data.items() if c in inside}
    own = own_values(plan, data)
    columns = by_code(own)  # once for every figure below
    tasks, task_units = task_frames(plan, period, units, data)
    indicators, unit_indicators = indicator_frames(plan, units, scope, own, columns)
    findings = standing_findings(status_report) if findings is None else findings
    subs, rates = submission_frames(plan, units, status_report, findings)
    coverage = coverage_frame(plan, scope, data)
    files = {u.code: u.receipt.file_name for u in status_report.units if u.receipt}
    carried = carried_findings(plan, data, direct, units, files)
    checked = [(code, f) for code in units for f in carried.get(code, [])]
    checked += area_findings(plan, areas(plan, units, scope), own, columns)
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
           "units_held": int(counts.get("held", 0)),
           "units_through": int(coverage["expected"].sum()),
           "units_through_reported": int(coverage["reported"].sum()),
           "tasks": len(tasks), "tasks_done": done,
           "tasks_ongoing": int((tasks["status"] == STATUS_ONGOING).sum()),
           "tasks_not_started": int((tasks["status"] == STATUS_NOT_STARTED).sum()),
           "tasks_not_applicable": len(tasks) - applicable,
           "tasks_missing": int((tasks["status"] == NOT_REPORTED.value).sum()),
           "tasks_overdue": int(tasks["overdue"].sum()),
           "share_done": done / applicable if applicable else 0.0}
    return Consolidation(
        plan=plan, period=period, scope=scope,
        previous_period=previous.period.id if previous is not None else None, key=key,
        tasks=tasks, task_units=task_units, dimensions=dimension_frame(plan, tasks),
        indicators=indicators, unit_indicators=unit_indicators, submissions=subs,
        rates=rates, notes=notes_frame(plan, units, data),
        changes=changes_frame(indicators, tasks, previous),
        reconciliation=reconciliation_frame(plan, units, direct, own, columns),
        findings=findings_frame(units, findings, checked), coverage=coverage, data=data)


def corrections_frame(plan: Plan, changes) -> pd.DataFrame:
    rows = [{"unit": c.unit, "unit_name": plan.units[c.unit].name if c.unit in plan.units
             else c.unit, "where": c.where, "sheet": c.sheet, "row": c.row, "old": c.old,
             "new": c.new, "old_file": c.old_file, "old_received": wall_clock(c.old_received),
             "new_file": c.new_file, "new_received": wall_clock(c.new_received)} for c in changes]
    return frame("corrections", rows)


def from_ledger(workspace, plan: Plan, period: Period, scope: str | None = None
                ) -> Consolidation:
    """The period's consolidation from the ledger alone, with the previous period of the
    same kind when the ledger has submissions for it."""
    before = period.previous()
    with _cyclic_gc_paused():
        # Decoded once and handed to status too: decoding 10.000 submissions takes seconds.
        with Ledger(workspace) as ledger:
            submissions = ledger.current_submissions(period.id)
            earlier = ledger.current_submissions(before.id)
            changes = period_changes(ledger, period.id, scope_units(plan, scope))
            # The sign-off covers the province's outputs, not a district's (--scope).
            replaces = since_signed(ledger, period.id, plan.units) if scope is None else None
            closed = {p: (ledger.current_submissions(p.id), ledger.closing(p.id)) for p in
                      (earlier_closed(ledger, period) if scope is None else [])}
        previous = None
        if earlier:
            previous = consolidate(plan, before, earlier,
                                   status(workspace, plan, before, earlier, scope=scope),
                                   scope=scope)
        cons = consolidate(plan, period, submissions,
                           status(workspace, plan, period, submissions, scope=scope),
                           previous=previous, scope=scope)
        cons.corrections = corrections_frame(plan, changes)
        cons.replaces = replaces
        # Each earlier period with the plan it was reported under (trends.plan_of).
        plans = {p: plan_of(closing, plan) for p, (_subs, closing) in closed.items()}
        earlier_cons = [consolidate(plans[p], p, subs, status(workspace, plans[p], p, subs))
                        for p, (subs, _closing) in closed.items()]
        cons.trends = trends_frame(earlier_cons, cons)
        cons.trends_note = carried_note(earlier_cons, plan)
        return cons


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
