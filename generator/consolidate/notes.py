"""Difficulties and proposals units wrote (by dimension), and what changed since the previous
period."""

from __future__ import annotations

import math

import pandas as pd

from generator.consolidate.frames import (
    CHANGE_NEW_DONE,
    CHANGE_NEW_ONGOING,
    EMPTY_NOTES,
    GENERAL_DIMENSION,
    KIND_DIFFICULTY,
    KIND_EXTRA,
    KIND_PROPOSAL,
    Consolidation,
    frame,
)
from generator.consolidate.indicators import _minus
from generator.plan.workbook import Plan
from generator.text import clean_text, fmt_date, fold
from generator.vocab import STATUS_DONE, STATUS_NOT_STARTED, STATUS_ONGOING


def notes_frame(plan: Plan, units, data) -> pd.DataFrame:
    rows = []
    tasks = {t.tt: t for t in plan.tasks}
    notes = _Notes()
    for code in units:
        sub = data.get(code)
        if sub is None:
            continue
        name = plan.units[code].name
        for tt, report in sub.tasks.items():
            # Most tasks carry no difficulty: "" needs no text check (it is never a note).
            if report.difficulty == "" or (text := notes[report.difficulty]) is None:
                continue
            task = tasks.get(tt)
            if task is not None:
                rows.append({"dimension": task.dimension,
                             "dimension_name": plan.dimensions.get(task.dimension, ("",))[0],
                             "unit": code, "unit_name": name, "kind": KIND_DIFFICULTY,
                             "tt": tt, "text": text})
        for kind, text in ((KIND_DIFFICULTY, sub.difficulties), (KIND_PROPOSAL, sub.proposals)):
            if _meaningful(text):
                rows.append({"dimension": 0, "dimension_name": GENERAL_DIMENSION, "unit": code,
                             "unit_name": name, "kind": kind, "tt": "", "text": clean_text(text)})
        rows += [_extra_row(plan, code, name, report) for report in sub.extra_tasks]
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


def _extra_row(plan: Plan, code: str, name: str, report) -> dict:
    """A row the unit added to its form (a TT not assigned to it): kept with all it typed."""
    head = report.tt.split(".", 1)[0]
    dimension = int(head) if head.isdigit() and int(head) in plan.dimensions else 0
    when = fmt_date(report.completed_on) if report.completed_on else ""
    parts = (report.text, "; ".join(x for x in (report.status, when) if x), report.result,
             report.difficulty)
    return {"dimension": dimension,
            "dimension_name": plan.dimensions[dimension][0] if dimension else GENERAL_DIMENSION,
            "unit": code, "unit_name": name, "kind": KIND_EXTRA, "tt": report.tt,
            "text": "\n".join(clean_text(x) for x in parts if x)}


def _meaningful(text) -> bool:
    return fold(text).strip(" .") not in EMPTY_NOTES


class _Notes(dict):
    """text -> clean_text(text), or None when it says nothing (_meaningful), made once per
    distinct text: most repeat ("Không", "Không có khó khăn") across 400.000 reports."""

    def __missing__(self, text):
        self[text] = note = clean_text(text) if _meaningful(text) else None
        return note


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
