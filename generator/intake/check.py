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
from generator.intake.evidence import weigh
from generator.intake.pool import limits as pool_limits
from generator.intake.pool import read_many


@dataclass
class CheckedFile:
    file: str  # the name as the unit sent it
    unit: str | None
    accepted: bool
    findings: list[F.Finding]
    held: bool = False  # neither accepted nor rejected: waits for `baocao confirm`

    @property
    def errors(self) -> int:
        return sum(f.severity == F.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity != F.ERROR for f in self.findings)

    def as_json(self) -> dict:
        return {"file": self.file, "unit": self.unit, "accepted": self.accepted,
                "held": self.held, "findings": [f.as_dict() for f in self.findings]}


@dataclass
class CheckResult:
    period: str
    files: list[CheckedFile]

    @property
    def rejected(self) -> list[CheckedFile]:
        return [f for f in self.files if not f.accepted and not f.held]

    @property
    def held(self) -> list[CheckedFile]:
        return [f for f in self.files if f.held]

    @property
    def has_errors(self) -> bool:
        """Any error-level finding: accepted with errors, held or rejected (exit code 1)."""
        return any(f.errors for f in self.files)

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
        found, unit = weigh(plan, submission, found, item.name, item.sender)
        held = F.is_held(found)
        files.append(CheckedFile(item.name, unit or receive.guess_unit(plan, item),
                                 submission is not None and not held, found, held))
    return CheckResult(period.id, files)
