"""`baocao ledger rebuild`: the ledger made again from the archive, the record of what arrived.

Each archived file has its arrivals beside it (<sha>.json: period, original name, sender,
time of receipt, findings made before reading). Rebuilding reads every file again with
the current plan and key, in the order the files were archived, and records it as collect
did: the first arrival of a content for a period stands, a unit's later accepted file
supersedes its earlier one. The new ledger is written beside the old one and replaces it
only when complete; the old file is kept under another name, never deleted. Mail already
sent is copied over when the old file still yields it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import UsageError
from generator.excel import temp_prefix
from generator.findings import Finding
from generator.intake import receive
from generator.intake.pool import iter_many
from generator.intake.pool import limits as pool_limits
from generator.intake.safety import limit_bytes
from generator.ledger.store import DB_NAME, LOCK_NAME, FileLock, Ledger, read_metadata
from generator.plan.periods import parse_period


@dataclass
class RebuildResult:
    periods: dict[str, int] = field(default_factory=dict)  # period id -> files recorded
    without_metadata: int = 0  # archived before metadata was kept: not recorded
    old_ledger: Path | None = None  # where the replaced ledger now is

    @property
    def files(self) -> int:
        return sum(self.periods.values())

    def as_json(self) -> dict:
        return {"periods": self.periods, "files": self.files,
                "without_metadata": self.without_metadata,
                "old_ledger": str(self.old_ledger) if self.old_ledger else None}


@dataclass(frozen=True)
class Arrival:
    period: str
    sha: str
    file_name: str
    received_at: dt.datetime
    sender: str
    source: str
    findings: tuple
    archived_at: str


def rebuild(workspace, plan, workers=None) -> RebuildResult:
    """Rebuild the ledger from the archive, under the ledger lock."""
    state = Path(workspace.state_dir)
    with FileLock(state / LOCK_NAME):
        arrivals, missing = collect_arrivals(state / "archive")
        if not arrivals:
            raise UsageError(f"Kho lưu trữ {state / 'archive'} không có tệp nào kèm thông tin "
                             "nhận (tên tệp, ngày nhận, kỳ): không có gì để dựng lại sổ.")
        fresh = state / f"{temp_prefix()}{DB_NAME}"
        fresh.unlink(missing_ok=True)
        result = RebuildResult(without_metadata=missing)
        try:
            with Ledger(workspace, path=fresh, check=False) as ledger:
                for period_id in sorted({a.period for a in arrivals}):
                    chosen = [a for a in arrivals if a.period == period_id]
                    result.periods[period_id] = _record_period(ledger, workspace, plan,
                                                               period_id, chosen, workers)
                _copy_sent_mail(state / DB_NAME, ledger)
            result.old_ledger = _replace(state / DB_NAME, fresh)
        finally:
            fresh.unlink(missing_ok=True)
    return result


def collect_arrivals(archive: Path) -> tuple[list[Arrival], int]:
    """(every arrival in the order it was archived, archived files without metadata)."""
    arrivals, described, files = [], set(), set()
    for meta in sorted(archive.glob("*/*.json")):
        data = read_metadata(meta)
        if data is None:
            continue
        described.add(meta.stem)
        arrivals += [_arrival(meta.stem, a) for a in data["arrivals"] if _valid(a)]
    for path in archive.glob("*/*"):
        if not path.name.startswith(".") and path.suffix != ".json":
            files.add(path.name.split(".", 1)[0])
    arrivals.sort(key=lambda a: a.archived_at)
    return arrivals, len(files - described)


def _valid(arrival: dict) -> bool:
    return all(isinstance(arrival.get(k), str) and arrival[k]
               for k in ("period", "file_name", "received_at", "archived_at"))


def _arrival(sha: str, data: dict) -> Arrival:
    return Arrival(data["period"], sha, data["file_name"],
                   dt.datetime.fromisoformat(data["received_at"]), data.get("sender", ""),
                   data.get("source", ""), tuple(Finding(**f) for f in data.get("findings", ())),
                   data["archived_at"])


def _record_period(ledger, workspace, plan, period_id: str, arrivals, workers) -> int:
    """Read the first arrival of each content again and record it, in archive order."""
    period = parse_period(period_id)
    first: dict[str, Arrival] = {}
    for arrival in arrivals:
        first.setdefault(arrival.sha, arrival)
    chosen = list(first.values())
    unread = [a for a in chosen if not a.findings]
    paths = [ledger.archive_path(a.sha, a.file_name) for a in unread]
    results = iter_many(paths, plan, period, workspace.secret_key(), workers=workers,
                        limit_bytes=limit_bytes(workspace), limits=pool_limits(workspace))
    read = dict(zip((a.sha for a in unread), results, strict=True))
    with ledger.batch():
        for arrival in chosen:
            _path, submission, found = read.get(arrival.sha, (None, None, arrival.findings))
            found = [dataclasses.replace(f, file=arrival.file_name) for f in found]
            item = receive.Incoming(Path(arrival.source or arrival.file_name), arrival.file_name,
                                    arrival.received_at, arrival.source, arrival.sender)
            ledger.record(period.id, arrival.sha, arrival.file_name, arrival.received_at,
                          submission, found, unit=receive.guess_unit(plan, item))
    return len(chosen)


def _copy_sent_mail(old: Path, ledger: Ledger) -> None:
    """The record of mail sent (so a re-run does not send twice), when the old file
    still yields it; a damaged file simply yields nothing."""
    if not old.is_file() or old.stat().st_size == 0:
        return
    with contextlib.suppress(sqlite3.DatabaseError), \
            contextlib.closing(sqlite3.connect(f"{old.as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT key, period, kind, unit, recipients, sent_at "
                          "FROM sent_mail").fetchall()
        for key, period, kind, unit, recipients, sent_at in rows:
            ledger.record_mail(key, period or "", kind or "", unit or "", recipients or "",
                               dt.datetime.fromisoformat(sent_at) if sent_at else None)


def _replace(current: Path, fresh: Path) -> Path | None:
    """Put the fresh ledger in place; the old one (and a journal SQLite would replay into
    the new file) kept under a dated name. Where the old file went, if there was one."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name, number = f"ledger-cu-{stamp}", 1
    while list(current.parent.glob(f"{name}.sqlite*")):  # never over an older copy
        number += 1
        name = f"ledger-cu-{stamp}-{number}"
    kept = None
    for suffix in ("", "-journal", "-wal", "-shm"):
        old = current.with_name(current.name + suffix)
        if old.exists():
            target = current.with_name(f"{name}.sqlite{suffix}")
            os.replace(old, target)
            kept = kept or (target if not suffix else None)
    os.replace(fresh, current)
    return kept
