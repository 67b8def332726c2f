"""Submission status: which expected units sent a file on time, late, not at all, only
rejected files, or a file held for the officer's confirmation, from the ledger, the plan's
reporting line and its deadlines (`baocao status`). A file is on time up to and including its
last day on time ("trước ngày 15" of the plan is the 14th), by the sender's clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.ledger.store import Ledger
from generator.model import Receipt
from generator.vocab import HELD, LATE, MISSING, ON_TIME, REJECTED, SUBMISSION_STATES


@dataclass
class UnitStatus:
    code: str
    state: str  # a SubmissionState key: on_time | late | missing | rejected | held
    deadline: dt.date
    receipt: Receipt | None = None  # the file that stands for the unit


@dataclass
class StatusReport:
    period: str
    units: list[UnitStatus]  # expected units, in plan order

    @property
    def expected(self) -> list[str]:
        return [u.code for u in self.units]

    def codes(self, state: str) -> list[str]:
        return [u.code for u in self.units if u.state == state]

    def as_json(self) -> dict:
        return {"period": self.period, "expected": self.expected,
                **{s.key: self.codes(s.key) for s in SUBMISSION_STATES}}


def standing_receipts(ledger, period_id: str, submissions=None) -> dict[str, Receipt]:
    """Each unit's standing receipt; a commune reported inside its district's file
    counts as received with that file unless it has an accepted file of its own.
    `submissions`: the period's current submissions when the caller already decoded them
    (decoding 10.000 of them takes seconds)."""
    standing = ledger.latest_receipt_by_unit(period_id)
    if submissions is None:
        submissions = ledger.current_submissions(period_id)
    for submission in submissions:
        for child in submission.children:
            own = standing.get(child.unit)
            if (own is None or not own.accepted) and submission.unit in standing:
                standing[child.unit] = standing[submission.unit]
    return standing


def classify(receipt: Receipt | None, deadline: dt.date) -> str:
    if receipt is None:
        return MISSING.key
    if receipt.held:
        return HELD.key
    if not receipt.accepted:
        return REJECTED.key
    # The day as the sender's clock had it (an email's Date header keeps its offset).
    return ON_TIME.key if receipt.received_at.date() <= deadline else LATE.key


def status(workspace, plan, period, submissions=None, scope: str | None = None
           ) -> StatusReport:
    """Each unit the compiler receives reports from (plan.expected_units: under plan 239 the
    departments and districts for the province, the communes for a district `scope`), in
    plan order, against its last day on time (plan.deadline: the reporting line's day, else
    the workspace's [deadlines]). The compiling body is not listed: it is never late to
    itself. `submissions`: ledger.current_submissions(period.id), if the caller has them."""
    days = workspace.deadline_days
    with Ledger(workspace) as ledger:
        standing = standing_receipts(ledger, period.id, submissions)
    units = []
    for code in plan.expected_units(scope):
        receipt = standing.get(code)
        # A unit reported inside another unit's file (a commune in its district's return,
        # where the plan lets communes report to the province too) is held to that unit's
        # deadline.
        holder = code
        if receipt is not None and receipt.unit != code and receipt.unit in plan.units:
            holder = receipt.unit
        deadline = plan.deadline(holder, period, days)
        units.append(UnitStatus(code, classify(receipt, deadline), deadline, receipt))
    return StatusReport(period.id, units)
