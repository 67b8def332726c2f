"""The records that travel along the pipeline: intake -> ledger -> consolidation.

Intake builds a Submission from a returned form, the ledger stores and returns
it, consolidation reads lists of them. Receipts record every file received,
accepted or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from generator.findings import Finding


@dataclass
class TaskReport:
    tt: str
    role: str = ""  # 'Chủ trì' | 'Phối hợp' (from the plan, not trusted from the file)
    status: str = ""  # one of vocab.STATUSES, or '' when missing
    completed_on: dt.date | None = None
    result: str = ""
    difficulty: str = ""
    row: int = 0  # 1-based row in the returned file, for findings and feedback
    text: str = ""  # the task text a unit typed on a row it added (a TT not on its form)


@dataclass
class Submission:
    unit: str
    period: str
    form_id: str = ""
    plan_version: str = ""
    tasks: dict[str, TaskReport] = field(default_factory=dict)
    indicators: dict[str, float | None] = field(default_factory=dict)
    difficulties: str = ""
    proposals: str = ""
    preparer: str = ""
    phone: str = ""
    prepared_on: dt.date | None = None
    head: str = ""
    extra_tasks: list[TaskReport] = field(default_factory=list)  # TTs the unit added
    children: list[Submission] = field(default_factory=list)  # communes in a district file


@dataclass
class Receipt:
    """One received file: accepted, held (waiting for the officer's confirmation) or
    rejected."""

    file_name: str
    sha256: str
    period: str
    received_at: dt.datetime
    unit: str | None = None
    accepted: bool = False
    findings: list[Finding] = field(default_factory=list)
    superseded: bool = False
    held: bool = False  # neither accepted nor rejected: `baocao confirm` settles it
    sender: str = ""  # the From address when the file came attached to an email
