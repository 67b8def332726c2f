"""`baocao collect` (intake half) and `baocao status`.

collect: gather the returned files, archive each one, read the new ones with
intake, record them in the ledger, write a feedback workbook for each unit whose
latest file had findings, then build the outputs when the consolidation module
is present. The whole run holds the ledger lock, so two runs never interleave.

status: which expected units sent a file on time, late, not at all, or only
rejected files, from the ledger and the deadlines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import formspec, receive
from .errors import UsageError
from .ledger import Ledger
from .model import Receipt
from .safety import limit_bytes
from .text import fold

FEEDBACK_DIR = "phan-hoi"


@dataclass
class CollectResult:
    period: str
    receipts: list[Receipt]  # this run's files in order of receipt, known ones included
    new: int = 0  # files not in the ledger before this run
    feedback: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)  # from the consolidation, if present

    @property
    def accepted(self) -> list[Receipt]:
        return [r for r in self.receipts if r.accepted]

    @property
    def rejected(self) -> list[Receipt]:
        return [r for r in self.receipts if not r.accepted]

    def as_json(self) -> dict:
        return {"period": self.period, "accepted": len(self.accepted),
                "rejected": len(self.rejected),
                "outputs": [str(p) for p in [*self.feedback, *self.outputs]]}


def guess_unit(plan, item: receive.Incoming) -> str | None:
    """The unit a rejected file most likely came from, to tell status who to chase:
    the code its name starts with (forms are named <CODE>_...), else the sender."""
    prefix = item.name.split("_", 1)[0]
    if prefix in plan.units:
        return prefix
    if item.sender:
        for unit in plan.units.values():
            if unit.email and fold(unit.email) == fold(item.sender):
                return unit.code
    return None


def default_sources(workspace, period) -> list[Path]:
    folder = workspace.input_dir(period)
    if not folder.is_dir():
        raise UsageError(f"Chưa có thư mục {folder}. Lưu các tệp báo cáo (hoặc thư .eml) "
                         "đơn vị gửi về vào thư mục này, hoặc chỉ rõ thư mục cần thu nhận.")
    return [folder]


def collect(workspace, plan, period, sources=None, workers=None, scope=None,
            pdf=None) -> CollectResult:
    """Intake, ledger, feedback, then every output. pdf: None = the report's PDF when
    LibreOffice is present, False = none, True = required."""
    sources = list(sources) if sources else default_sources(workspace, period)
    with Ledger(workspace) as ledger, ledger.lock():
        receipts, new = take_in(ledger, workspace, plan, period, sources, workers)
        feedback = write_all_feedback(ledger, workspace, plan, period)
        outputs = build_outputs(workspace, plan, period, scope=scope, pdf=pdf)
    return CollectResult(period.id, receipts, new, feedback, outputs)


def take_in(ledger, workspace, plan, period, sources, workers=None) -> tuple[list[Receipt], int]:
    """The intake half of collect, under the caller's lock: archive every file, read the
    new ones (both cores), record them in one transaction. (this run's receipts, new files)"""
    key = workspace.secret_key()
    with tempfile.TemporaryDirectory(prefix="baocao-") as tmp:
        incoming = receive.gather(sources, Path(tmp))
        # Archive first: nothing a unit sent is lost, whatever intake makes of it.
        shas = [ledger.archive(item.path, item.name)[0] for item in incoming]
        # Each distinct file once: its receipt if the ledger has it, else it is read below.
        held = {sha: ledger.receipt(period.id, sha) for sha in dict.fromkeys(shas)}
        fresh: dict[str, receive.Incoming] = {}
        for item, sha in zip(incoming, shas, strict=True):
            if held[sha] is None and sha not in fresh:
                fresh[sha] = item
        from . import intake  # imported late: the work above needs none of it

        # A stream: each file is recorded while the pool reads the next ones.
        results = intake.iter_many([i.path for i in fresh.values()], plan, period, key,
                                   workers=workers, limit_bytes=limit_bytes(workspace))
        with ledger.batch():
            for (sha, item), (_path, submission, found) in zip(fresh.items(), results,
                                                               strict=True):
                found = [dataclasses.replace(f, file=item.name) for f in found]
                held[sha], _new = ledger.record(period.id, sha, item.name, item.received_at,
                                                submission, found, unit=guess_unit(plan, item))
    return list(held.values()), len(fresh)


def write_all_feedback(ledger, workspace, plan, period) -> list[Path]:
    """A feedback workbook for each unit whose latest file had findings.

    A unit whose latest file is clean has its older feedback removed, so an officer
    never forwards feedback on a file the unit has already replaced.
    """
    from .feedback import write_feedback

    folder = workspace.output_dir(period) / FEEDBACK_DIR
    written = []
    for code, receipt in ledger.last_file_by_unit(period.id).items():
        if code not in plan.units:
            continue
        unit = plan.units[code]
        target = folder / formspec.file_name(unit, period)
        if receipt.findings:
            folder.mkdir(parents=True, exist_ok=True)
            written.append(Path(write_feedback(ledger.archived(receipt), receipt.findings,
                                               unit, period, target)))
        elif target.is_file():
            target.unlink()
    return written


def build_outputs(workspace, plan, period, scope=None, pdf=None) -> list[Path]:
    """The consolidated workbook and the Word report; with a district scope, that
    district's consolidated return."""
    from . import outputs  # imported late: pandas and docxtpl are slow to load

    return [Path(p) for p in outputs.build_outputs(workspace, plan, period, scope=scope,
                                                   pdf=pdf)]


# --------------------------------------------------------------------------- status

ON_TIME, LATE, MISSING, REJECTED = "on_time", "late", "missing", "rejected"
STATE_LABELS = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", MISSING: "Chưa nộp",
                REJECTED: "Bị từ chối"}


@dataclass
class UnitStatus:
    code: str
    state: str  # ON_TIME | LATE | MISSING | REJECTED
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
                **{state: self.codes(state) for state in (ON_TIME, LATE, MISSING, REJECTED)}}


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
        return MISSING
    if not receipt.accepted:
        return REJECTED
    # The day as the sender's clock had it (an email's Date header keeps its offset).
    return ON_TIME if receipt.received_at.date() <= deadline else LATE


def status(workspace, plan, period, submissions=None) -> StatusReport:
    """`submissions`: ledger.current_submissions(period.id), if the caller has them."""
    days = workspace.deadline_days
    with Ledger(workspace) as ledger:
        standing = standing_receipts(ledger, period.id, submissions)
    units = []
    for unit in plan.units.values():
        if not plan.tasks_for(unit.code):
            continue
        receipt = standing.get(unit.code)
        # A commune reported inside its district's file is held to the district's deadline.
        level = unit.level
        if receipt is not None and receipt.unit != unit.code and receipt.unit in plan.units:
            level = plan.units[receipt.unit].level
        deadline = period.deadline(level, days)
        units.append(UnitStatus(unit.code, classify(receipt, deadline), deadline, receipt))
    return StatusReport(period.id, units)
