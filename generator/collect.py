"""`baocao collect`: the use case over every stage, in pipeline order.

receive (gather, archive) -> intake (read, validate) -> ledger (record) -> feedback for units
whose latest file had findings -> consolidate -> render (workbook, Word report, PDF). The
whole run holds the ledger lock, so two runs never interleave.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.intake import receive
from generator.intake.pool import iter_many
from generator.intake.safety import limit_bytes
from generator.ledger.store import Ledger
from generator.model import Receipt
from generator.render import outputs
from generator.render.feedback import write_feedback


@dataclass
class CollectResult:
    period: str
    receipts: list[Receipt]  # this run's files in order of receipt, known ones included
    new: int = 0  # files not in the ledger before this run
    feedback: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)

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


def collect(workspace, plan, period, sources=None, workers=None, scope=None,
            pdf=None, progress=None) -> CollectResult:
    """Intake, ledger, feedback, then every output. pdf: None = the report's PDF when
    LibreOffice is present, False = none, True = required. progress(done, total): see
    take_in; once done == total, feedback and outputs are being written."""
    sources = list(sources) if sources else receive.default_sources(workspace, period)
    with Ledger(workspace) as ledger, ledger.lock():
        receipts, new = take_in(ledger, workspace, plan, period, sources, workers, progress)
        feedback = write_all_feedback(ledger, workspace, plan, period)
        written = outputs.build_outputs(workspace, plan, period, scope=scope, pdf=pdf)
    return CollectResult(period.id, receipts, new, feedback, written)


def take_in(ledger, workspace, plan, period, sources, workers=None, progress=None
            ) -> tuple[list[Receipt], int]:
    """The intake half of collect, under the caller's lock: archive every file, read the
    new ones (both cores), record them in one transaction. (this run's receipts, new files)
    progress(done, total) is called with the new files' count, then after each is recorded
    (the officer's page shows it)."""
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
        # A stream: each file is recorded while the pool reads the next ones.
        results = iter_many([i.path for i in fresh.values()], plan, period, key,
                            workers=workers, limit_bytes=limit_bytes(workspace))
        if progress is not None:
            progress(0, len(fresh))
        with ledger.batch():
            for done, ((sha, item), (_path, submission, found)) in enumerate(
                    zip(fresh.items(), results, strict=True), start=1):
                found = [dataclasses.replace(f, file=item.name) for f in found]
                held[sha], _new = ledger.record(period.id, sha, item.name, item.received_at,
                                                submission, found,
                                                unit=receive.guess_unit(plan, item))
                if progress is not None:
                    progress(done, len(fresh))
    return list(held.values()), len(fresh)


def write_all_feedback(ledger, workspace, plan, period) -> list[Path]:
    """A feedback workbook for each unit whose latest file had findings.

    A unit whose latest file is clean has its older feedback removed, so an officer
    never forwards feedback on a file the unit has already replaced.
    """
    written = []
    for code, receipt in ledger.last_file_by_unit(period.id).items():
        if code not in plan.units:
            continue
        unit = plan.units[code]
        target = workspace.feedback_path(period, unit)
        if receipt.findings:
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(Path(write_feedback(ledger.archived(receipt), receipt.findings,
                                               unit, period, target)))
        elif target.is_file():
            target.unlink()
    return written
