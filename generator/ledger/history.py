"""The versions of a unit's return for a period and what each later file changed.

When a unit sends a corrected file, the ledger keeps both; the officer (and the workbook's
corrections sheet) needs to see which values changed, old -> new, with the dates of both
files. Values are compared as the ledger holds them (statuses, dates, texts, numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.forms import layout as formspec
from generator.ledger.store import Closing, Ledger
from generator.model import Receipt, Submission
from generator.text import fmt_date, fmt_num

TASK_FIELDS = {"status": formspec.REPORT_COLUMNS["status"],
               "completed_on": formspec.REPORT_COLUMNS["completed_on"],
               "result": formspec.REPORT_COLUMNS["result"],
               "difficulty": formspec.REPORT_COLUMNS["difficulty"]}


@dataclass(frozen=True)
class Change:
    unit: str
    where: str  # "Nhiệm vụ 1.2 – Tình trạng", "Chỉ tiêu CT1.1a", "Người lập biểu"
    sheet: str
    row: int  # the row in the newer file when known, else 0
    old: str
    new: str
    old_file: str
    old_received: dt.datetime
    new_file: str
    new_received: dt.datetime


def shown(value) -> str:
    """A value as the officer reads it."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, float):
        return fmt_num(value, 2).rstrip("0").rstrip(",") if not value.is_integer() \
            else fmt_num(value, 0)
    return str(value)


def _pairs(old: Submission, new: Submission):
    """(where, sheet, row, old value, new value) of every value the two files hold."""
    for tt in sorted(set(old.tasks) | set(new.tasks)):
        a, b = old.tasks.get(tt), new.tasks.get(tt)
        for key, label in TASK_FIELDS.items():
            yield (f"Nhiệm vụ {tt} – {label}", formspec.SHEET_REPORT, b.row if b else 0,
                   getattr(a, key, None) if a else None, getattr(b, key, None) if b else None)
    for code in sorted(set(old.indicators) | set(new.indicators)):
        yield (f"Chỉ tiêu {code}", formspec.SHEET_INDICATORS, 0, old.indicators.get(code),
               new.indicators.get(code))
    for key, label in formspec.UNIT_FIELDS.items():
        yield label, formspec.SHEET_REPORT, 0, getattr(old, key), getattr(new, key)


def changes(old: Submission, new: Submission, old_receipt: Receipt,
            new_receipt: Receipt) -> list[Change]:
    out = []
    for where, sheet, row, a, b in _pairs(old, new):
        if shown(a) != shown(b):
            out.append(Change(new.unit, where, sheet, row, shown(a), shown(b),
                              old_receipt.file_name, old_receipt.received_at,
                              new_receipt.file_name, new_receipt.received_at))
    return out


def unit_changes(ledger: Ledger, period_id: str, unit: str) -> list[Change]:
    """What each accepted file of the unit changed from the accepted file before it."""
    accepted = [(r, s) for r, s in ledger.versions(period_id, unit) if s is not None]
    out = []
    for (old_r, old_s), (new_r, new_s) in zip(accepted, accepted[1:], strict=False):
        out += changes(old_s, new_s, old_r, new_r)
    return out


def period_changes(ledger: Ledger, period_id: str, units) -> list[Change]:
    """Every correction of the period, unit by unit (units in the order given)."""
    corrected = set(ledger.corrected_units(period_id))
    return [c for unit in units if unit in corrected
            for c in unit_changes(ledger, period_id, unit)]


@dataclass(frozen=True)
class SinceSigned:
    """What a reopened period's next report replaces and what changed since it was signed."""

    signed: Closing  # the sign-off the next report replaces (its number, date)
    reopened: Closing  # who reopened the period, when, why
    arrived: list[Receipt]  # units' first accepted files, recorded after the sign-off
    changes: list[Change]  # values a file recorded after the sign-off changed, per unit


def since_signed(ledger: Ledger, period_id: str, units) -> SinceSigned | None:
    """None unless the period was signed off and then reopened (its last closing action is
    a reopening). A unit's signed file is its latest accepted file recorded up to the
    sign-off (by time of receipt, as the ledger orders supersessions); its current file is
    the one the ledger uses now."""
    history = ledger.closings(period_id)
    if not history or history[-1].action != "reopen":
        return None
    signed = next(c for c in reversed(history) if c.action == "close")
    later = {r.sha256 for r in ledger.received_after(period_id, signed.last_receipt)
             if r.accepted}
    arrived, changed = [], []
    for unit in units:
        accepted = [(r, s) for r, s in ledger.versions(period_id, unit) if s is not None]
        if not any(r.sha256 in later for r, _ in accepted):
            continue
        before = [(r, s) for r, s in accepted if r.sha256 not in later]
        now = next((r, s) for r, s in accepted if not r.superseded)
        if not before:
            arrived.append(now[0])
        elif before[-1][0].sha256 != now[0].sha256:
            changed += changes(before[-1][1], now[1], before[-1][0], now[0])
    return SinceSigned(signed, history[-1], arrived, changed)
