"""The records that travel along the pipeline: intake -> ledger -> consolidation.

Intake builds a Submission from a returned form, the ledger stores and returns
it, consolidation reads lists of them. Receipts record every file received,
accepted or not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
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


# --------------------------------------------------------------------------- as stored (JSON)

def _day_out(value):
    return value.isoformat() if value is not None else None


def _day_in(value):
    if value is None:
        return None
    # A datetime that slipped into a date field comes back as a datetime, not truncated.
    return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)


_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(TaskReport))


def _task_to_dict(task: TaskReport) -> dict:
    # Field by field, not dataclasses.asdict: asdict deep-copies and costs ~1 ms a file.
    data = {name: getattr(task, name) for name in _TASK_FIELDS}
    data["completed_on"] = _day_out(task.completed_on)
    return data


_TASK_FIELD_SET = frozenset(_TASK_FIELDS)


def _task_from_dict(data: dict) -> TaskReport:
    if data.keys() != _TASK_FIELD_SET:  # an older or newer ledger's fields: keep ours
        values = {k: v for k, v in data.items() if k in _TASK_FIELD_SET}
        values["completed_on"] = _day_in(values.get("completed_on"))
        return TaskReport(**values)
    # Every field, as this version stores them: passed by position, the dict neither copied
    # nor unpacked by name (400.000 reports at 10.000 returns).
    task = TaskReport(*map(data.__getitem__, _TASK_FIELDS))
    task.completed_on = _day_in(task.completed_on)
    return task


def submission_to_dict(sub: Submission) -> dict:
    """A JSON-ready dict; dates as ISO strings, None kept as None."""
    data = {f.name: getattr(sub, f.name) for f in dataclasses.fields(Submission)}
    data["tasks"] = {tt: _task_to_dict(t) for tt, t in sub.tasks.items()}
    data["indicators"] = dict(sub.indicators)
    data["prepared_on"] = _day_out(sub.prepared_on)
    data["extra_tasks"] = [_task_to_dict(t) for t in sub.extra_tasks]
    data["children"] = [submission_to_dict(c) for c in sub.children]
    return data


_SUBMISSION_FIELD_SET = frozenset(f.name for f in dataclasses.fields(Submission))


def submission_from_dict(data: dict) -> Submission:
    values = {k: v for k, v in data.items() if k in _SUBMISSION_FIELD_SET}
    values["tasks"] = {tt: _task_from_dict(t) for tt, t in data.get("tasks", {}).items()}
    values["indicators"] = dict(data.get("indicators", {}))
    values["prepared_on"] = _day_in(data.get("prepared_on"))
    values["extra_tasks"] = [_task_from_dict(t) for t in data.get("extra_tasks", [])]
    values["children"] = [submission_from_dict(c) for c in data.get("children", [])]
    return Submission(**values)


def submission_json(sub: Submission) -> str:
    """The submission as the ledger stores it."""
    return json.dumps(submission_to_dict(sub), ensure_ascii=False)


class Packed:
    """A Submission already in its stored form, made by the process that read the file:
    the process recording thousands of returns then only stores the text, instead of
    unpickling each report's objects and encoding them again (a third of its work)."""

    __slots__ = ("unit", "data")

    def __init__(self, sub: Submission):
        self.unit, self.data = sub.unit, submission_json(sub)

    def unpack(self) -> Submission:
        return submission_from_dict(json.loads(self.data))
