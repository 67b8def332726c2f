"""`baocao check`: read every returned file (folders, files, saved emails) and say what
intake makes of each, recording nothing."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import findings as F
from generator.excel import system_temp_prefix
from generator.intake import receive, safety
from generator.intake.pool import limits as pool_limits
from generator.intake.pool import read_many


@dataclass
class CheckedFile:
    file: str  # the name as the unit sent it
    unit: str | None
    accepted: bool
    findings: list[F.Finding]

    @property
    def errors(self) -> int:
        return sum(f.severity == F.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity != F.ERROR for f in self.findings)

    def as_json(self) -> dict:
        return {"file": self.file, "unit": self.unit, "accepted": self.accepted,
                "findings": [{"severity": f.severity, "code": f.code, "sheet": f.sheet,
                              "cell": f.cell, "message": f.message} for f in self.findings]}


@dataclass
class CheckResult:
    period: str
    files: list[CheckedFile]

    @property
    def rejected(self) -> list[CheckedFile]:
        return [f for f in self.files if not f.accepted]

    def as_json(self) -> dict:
        return {"period": self.period, "files": [f.as_json() for f in self.files]}


def check_files(workspace, plan, period, sources=None, workers=None) -> CheckResult:
    """`baocao check`: read every returned file (folders, files, saved emails), record
    nothing. Each file is read in a worker bounded in memory and time (intake.pool)."""
    key = workspace.secret_key()
    sources = list(sources) if sources else receive.default_sources(workspace, period)
    with tempfile.TemporaryDirectory(prefix=system_temp_prefix("check")) as tmp:
        incoming = receive.gather(sources, Path(tmp))
        # A message without a workbook, a link, a pipe: judged already, never read.
        to_read = [i for i in incoming if not i.findings]
        read = read_many([i.path for i in to_read], plan, period, key, workers=workers,
                         limit_bytes=safety.limit_bytes(workspace), limits=pool_limits(workspace))
    results = dict(zip((id(i) for i in to_read), read, strict=True))
    files = []
    for item in incoming:
        _path, submission, found = results.get(id(item), (None, None, list(item.findings)))
        found = [dataclasses.replace(f, file=item.name) for f in found]
        unit = submission.unit if submission is not None else receive.guess_unit(plan, item)
        files.append(CheckedFile(item.name, unit, submission is not None, found))
    return CheckResult(period.id, files)
