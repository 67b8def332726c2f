"""`baocao collect`: the use case over every stage, in pipeline order.

receive (gather, archive) -> intake (read, validate) -> ledger (record) -> feedback for units
whose latest file had findings -> consolidate -> render (workbook, Word report, PDF). The
whole run holds the ledger lock, so two runs (and a `report`) never interleave.

No file stops the others: each is read, and each feedback written, in a worker process
bounded in memory and time (intake.pool); a file that exhausts its worker is that file's
finding. An output that cannot be written does not stop the other outputs (PartialWrite).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator import findings as F
from generator.errors import BaocaoError, InputError, PartialWrite, UsageError, write_error
from generator.excel import system_temp_prefix
from generator.intake import receive
from generator.intake.evidence import weigh
from generator.intake.pool import Failed, WorkerPool, iter_many, limits, run_each
from generator.intake.read import read_form
from generator.intake.safety import limit_bytes
from generator.ledger.store import Closing, Ledger, sha256_of
from generator.model import Receipt
from generator.plan.periods import parse_period
from generator.render import outputs
from generator.render.feedback import (
    ACCEPTED,
    CONVERT_SECONDS,
    write_feedback,
    write_in_worker,
)
from generator.vocab import HELD, REJECTED


@dataclass
class CollectResult:
    period: str
    receipts: list[Receipt]  # this run's files in order of receipt, known ones included
    new: int = 0  # files not in the ledger before this run
    feedback: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    closed: Closing | None = None  # the period's sign-off: its outputs were left as signed
    after_close: list[Receipt] = field(default_factory=list)  # files recorded after it
    refused: list[receive.Incoming] = field(default_factory=list)  # links, pipes: not read

    @property
    def accepted(self) -> list[Receipt]:
        return [r for r in self.receipts if r.accepted]

    @property
    def rejected(self) -> list[Receipt]:
        return [r for r in self.receipts if not r.accepted and not r.held]

    @property
    def held(self) -> list[Receipt]:
        return [r for r in self.receipts if r.held]

    def as_json(self) -> dict:
        document = {"period": self.period, "accepted": len(self.accepted),
                    "rejected": len(self.rejected), "held": len(self.held),
                    "refused": [{"file": i.name,
                                 "findings": [f.as_dict() for f in i.findings]}
                                for i in self.refused],
                    "outputs": [str(p) for p in [*self.feedback, *self.outputs]]}
        if self.closed is not None:
            document["closed"] = self.closed.as_dict()
            document["after_close"] = [r.file_name for r in self.after_close]
        return document


def collect(workspace, plan, period, sources=None, workers=None, scope=None,
            pdf=None, progress=None) -> CollectResult:
    """Intake, ledger, feedback, then every output. pdf: None = the report's PDF when
    LibreOffice is present, False = none, True = required. A closed period's outputs are
    left as they were signed; what arrived after closing is listed. progress(done, total): see
    take_in; once done == total, feedback and outputs are being written. Outputs that could
    not be written raise PartialWrite once the others are, carrying this result."""
    sources = list(sources) if sources else receive.default_sources(workspace, period)
    refused: list[receive.Incoming] = []
    problems: list[BaocaoError] = []
    with Ledger(workspace) as ledger, ledger.lock():
        ledger.remove_leftovers()
        outputs.clear_leftovers(workspace, period)
        # One set of workers reads the files, then writes the feedback.
        with WorkerPool(workers, limits(workspace).memory_mb) as pool:
            receipts, new = take_in(ledger, workspace, plan, period, sources, workers, progress,
                                    refused, pool=pool)
            feedback = _written(problems, write_all_feedback, ledger, workspace, plan,
                                period, workers, pool=pool)
        closed = ledger.closing(period.id)
        if closed is not None:
            written: list[Path] = []
            result = CollectResult(period.id, receipts, new, feedback, written, closed,
                                   ledger.after_closing(period.id), refused)
        else:
            written = _written(problems, outputs.build_outputs, workspace, plan, period,
                               scope=scope, pdf=pdf)
            result = CollectResult(period.id, receipts, new, feedback, written,
                                   refused=refused)
    if problems:
        raise PartialWrite(problems, [*feedback, *written], result)
    return result


def _written(problems: list, step, *args, **kwargs) -> list[Path]:
    """The paths step wrote; when some could not be written, their errors go to problems."""
    try:
        return list(step(*args, **kwargs))
    except PartialWrite as exc:
        problems += exc.problems
        return exc.written


def take_in(ledger, workspace, plan, period, sources, workers=None, progress=None,
            refused: list | None = None, pool: WorkerPool | None = None
            ) -> tuple[list[Receipt], int]:
    """The intake half of collect, under the caller's lock: archive every file, read the
    new ones (both cores), record them in one transaction. (this run's receipts, new files)
    progress(done, total) is called with the new files' count, then after each is recorded
    (the officer's page shows it). Entries that are not files (links, pipes) are not
    archived: appended to refused."""
    key = workspace.secret_key()
    with tempfile.TemporaryDirectory(prefix=system_temp_prefix()) as tmp:
        incoming = receive.gather(sources, Path(tmp))
        if refused is not None:
            refused += [i for i in incoming if not i.keep]
        incoming = [i for i in incoming if i.keep]
        # Archive first: nothing a unit sent is lost, whatever intake makes of it.
        archived = [ledger.archive(i.path, i.name, _arrival(period, i)) for i in incoming]
        # Each distinct file once: its receipt if the ledger has it, else it is read below.
        held = {sha: ledger.receipt(period.id, sha)
                for sha in dict.fromkeys(sha for sha, _ in archived)}
        fresh: dict[str, tuple[receive.Incoming, Path]] = {}
        for item, (sha, path) in zip(incoming, archived, strict=True):
            if held[sha] is None and sha not in fresh:
                fresh[sha] = (item, path)
        # The archived copy is what is read: exactly what was kept, nothing swapped in.
        unread = [path for item, path in fresh.values() if not item.findings]
        results = iter_many(unread, plan, period, key, workers=workers,
                            limit_bytes=limit_bytes(workspace), limits=limits(workspace),
                            pool=pool, packed=True)
        if progress is not None:
            progress(0, len(fresh))
        with ledger.batch():
            for done, (sha, (item, _path)) in enumerate(fresh.items(), start=1):
                # A stream: each file is recorded while the pool reads the next ones.
                _p, submission, found = next(results) if not item.findings else \
                    (None, None, list(item.findings))
                found = [dataclasses.replace(f, file=item.name) for f in found]
                # The file name and the sender against the identity: a mismatch holds it.
                found, unit = weigh(plan, submission, found, item.name, item.sender)
                held[sha], _new = ledger.record(period.id, sha, item.name, item.received_at,
                                                submission, found,
                                                unit=unit or receive.guess_unit(plan, item),
                                                held=F.is_held(found), sender=item.sender)
                if progress is not None:
                    progress(done, len(fresh))
    return list(held.values()), len(fresh)


def _arrival(period, item: receive.Incoming) -> dict:
    """What the archive keeps beside the file, for `baocao ledger rebuild`."""
    return {"period": period.id, "received_at": item.received_at.isoformat(),
            "sender": item.sender, "source": item.source,
            "findings": [f.as_dict() for f in item.findings]}


def write_all_feedback(ledger, workspace, plan, period, workers=None,
                       pool: WorkerPool | None = None) -> list[Path]:
    """A feedback workbook for each unit whose latest file had findings, each written in a
    bounded worker; a file that exhausts its worker gets the list alone.

    A unit whose latest file is clean has its older feedback removed, so an officer
    never forwards feedback on a file the unit has already replaced.
    """
    jobs, problems = [], []
    for code, receipt in ledger.last_file_by_unit(period.id).items():
        if code not in plan.units:
            continue
        unit = plan.units[code]
        target = workspace.feedback_path(period, unit)
        if receipt.findings:
            mailed = receipt.received_at if receipt.sender else None
            state = ACCEPTED if receipt.accepted else HELD.key if receipt.held \
                else REJECTED.key
            jobs.append({"source_path": ledger.archived(receipt),
                         "findings": receipt.findings, "unit": unit, "period": period,
                         "target": target, "file_name": receipt.file_name,
                         "mailed_at": mailed, "sender": receipt.sender, "state": state})
        elif target.is_file():
            try:
                target.unlink()
            except OSError as exc:
                problems.append(write_error(exc, target) or BaocaoError(str(exc)))
    # A feedback may first convert an .xls with LibreOffice, under its own time limit.
    bounds = limits(workspace)
    bounds = dataclasses.replace(bounds, seconds=bounds.seconds + CONVERT_SECONDS)
    written = []
    # in_flight=1: a job carries every finding of a file, possibly more than a pipe holds.
    for index, outcome in run_each(write_in_worker, jobs, workers, bounds, in_flight=1,
                                   pool=pool):
        if isinstance(outcome, Failed):
            outcome = _list_alone(jobs[index])
        if isinstance(outcome, BaocaoError):
            problems.append(outcome)
        else:
            written.append(Path(outcome))
    if problems:
        raise PartialWrite(problems, written)
    return written


def confirm(workspace, plan, file, unit: str, confirmed_by: str, reason: str = "",
            period=None) -> Receipt:
    """`baocao confirm`: settle a held file as `unit`'s report. The archived file is read
    again as that unit's (a broken signature or a form of another period is still refused),
    recorded with who confirmed it, when and why, and the feedback files are refreshed
    (a feedback that cannot be written raises PartialWrite carrying the confirmed receipt)."""
    if unit not in plan.units:
        raise UsageError(f"Không có đơn vị mã '{unit}' trong kế hoạch {plan.number}.")
    with Ledger(workspace) as ledger, ledger.lock():
        receipt = _held_receipt(ledger, file, period)
        period = parse_period(receipt.period)
        sub, found = read_form(ledger.archived(receipt), plan, period,
                               workspace.secret_key(), limit_bytes(workspace), unit=unit)
        found = [dataclasses.replace(f, file=receipt.file_name) for f in found]
        if sub is None:
            raise InputError(f"Không đọc được tệp {receipt.file_name} như báo cáo của đơn vị "
                             f"{unit}: " + " ".join(f.message for f in found))
        confirmed = ledger.confirm(period.id, receipt.sha256, sub, found, confirmed_by,
                                   reason, dt.datetime.now().astimezone())
        try:
            write_all_feedback(ledger, workspace, plan, period)
        except PartialWrite as exc:
            raise PartialWrite(exc.problems, exc.written, confirmed) from None
    return confirmed


def _held_receipt(ledger, file, period) -> Receipt:
    """The held file named by a path (by content), its name as received, or its hash."""
    held = ledger.held(period.id if period is not None else None)
    path = Path(file)
    if path.is_file():
        sha = sha256_of(path)
        found = [r for r in held if r.sha256 == sha]
    else:
        found = [r for r in held if r.file_name == path.name or
                 (len(str(file)) >= 8 and r.sha256.startswith(str(file)))]
    if len(found) == 1:
        return found[0]
    names = "; ".join(f"{r.file_name} (kỳ {r.period}, mã băm {r.sha256[:12]})" for r in held)
    if not found:
        raise UsageError(f"Không có tệp '{file}' đang chờ xác nhận. "
                         + (f"Các tệp chờ xác nhận: {names}." if held else
                            "Sổ theo dõi không có tệp nào chờ xác nhận."))
    raise UsageError(f"Có {len(found)} tệp chờ xác nhận tên '{file}': chỉ rõ kỳ (-p) hoặc "
                     f"mã băm của tệp. Các tệp: {names}.")


def _list_alone(job: dict) -> Path | BaocaoError:
    """The feedback as the list of findings only, written here: bounded, whatever the file."""
    try:
        return write_feedback(**job, own=False)
    except BaocaoError as exc:
        return exc
