"""`baocao ledger rebuild`: the ledger made again from the archive, the record of what arrived.

The archive's log (arrivals.jsonl; <sha>.json beside each file in archives made before it)
holds every file's arrivals: period, original name, sender, time of receipt, findings
made before reading. Rebuilding reads every file again with
the current plan and key, in the order the files were archived, and records it as collect
did: the first arrival of a content for a period stands, a unit's later accepted file
supersedes its earlier one, a file whose identity disagrees with its name or sender is
held again. The new ledger is written beside the old one and replaces it only when
complete; the old file is kept under another name, never deleted. What the archive cannot
say is carried over when the old file still yields it: mail already sent, the officer's
confirmations of held files (each file read again as the confirmed unit's) and the
periods' sign-offs and reopenings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from generator import findings as F
from generator.errors import UsageError
from generator.excel import temp_prefix
from generator.findings import Finding
from generator.intake import receive
from generator.intake.evidence import weigh
from generator.intake.pool import iter_many
from generator.intake.pool import limits as pool_limits
from generator.intake.read import read_form
from generator.intake.safety import limit_bytes
from generator.ledger.store import (
    DB_NAME,
    LOCK_NAME,
    Closing,
    FileLock,
    Ledger,
    arrival_key,
    read_arrivals,
    read_metadata,
)
from generator.plan.periods import parse_period


@dataclass
class RebuildResult:
    periods: dict[str, int] = field(default_factory=dict)  # period id -> files recorded
    without_metadata: int = 0  # archived before metadata was kept: not recorded
    old_ledger: Path | None = None  # where the replaced ledger now is
    confirmations: int = 0  # held files confirmed again as the old ledger recorded
    closings: int = 0  # sign-offs and reopenings carried over from the old ledger

    @property
    def files(self) -> int:
        return sum(self.periods.values())

    def as_json(self) -> dict:
        return {"periods": self.periods, "files": self.files,
                "without_metadata": self.without_metadata,
                "old_ledger": str(self.old_ledger) if self.old_ledger else None,
                "confirmations": self.confirmations, "closings": self.closings}


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
                result.confirmations = _confirm_again(state / DB_NAME, ledger, workspace,
                                                      plan)
                result.closings = _copy_closings(state / DB_NAME, ledger)
            result.old_ledger = _replace(state / DB_NAME, fresh)
        finally:
            fresh.unlink(missing_ok=True)
    return result


def collect_arrivals(archive: Path) -> tuple[list[Arrival], int]:
    """(every arrival in the order it was archived, archived files without metadata).
    An arrival both in an older <sha>.json and in the log counts once."""
    arrivals, described, files, seen = [], set(), set(), set()
    older = []
    for meta in sorted(archive.glob("*/*.json")):
        data = read_metadata(meta)
        if data is not None:
            described.add(meta.stem)
            older += [{**a, "sha256": meta.stem} for a in data["arrivals"] if isinstance(a, dict)]
    for item in [*older, *read_arrivals(archive)]:
        described.add(item["sha256"])
        key = arrival_key(item["sha256"], item)
        if _valid(item) and key not in seen:
            seen.add(key)
            arrivals.append(_arrival(item["sha256"], item))
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
                        limit_bytes=limit_bytes(workspace), limits=pool_limits(workspace),
                        packed=True)
    read = dict(zip((a.sha for a in unread), results, strict=True))
    with ledger.batch():
        for arrival in chosen:
            _path, submission, found = read.get(arrival.sha, (None, None, arrival.findings))
            found = [dataclasses.replace(f, file=arrival.file_name) for f in found]
            # As collect weighs it: the name and the sender against the identity.
            found, unit = weigh(plan, submission, found, arrival.file_name, arrival.sender)
            item = receive.Incoming(Path(arrival.source or arrival.file_name), arrival.file_name,
                                    arrival.received_at, arrival.source, arrival.sender)
            ledger.record(period.id, arrival.sha, arrival.file_name, arrival.received_at,
                          submission, found, unit=unit or receive.guess_unit(plan, item),
                          held=F.is_held(found), sender=arrival.sender)
    return len(chosen)


def _old_rows(old: Path, query: str, args=()) -> list[sqlite3.Row]:
    """Rows of the old ledger, read only; a damaged or missing file (or an older one
    without the table) simply yields nothing."""
    if not old.is_file() or old.stat().st_size == 0:
        return []
    with contextlib.suppress(sqlite3.DatabaseError), \
            contextlib.closing(sqlite3.connect(f"{old.as_uri()}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(query, args).fetchall()
    return []


def _copy_sent_mail(old: Path, ledger: Ledger) -> None:
    """The record of mail sent (so a re-run does not send twice)."""
    rows = _old_rows(old, "SELECT key, period, kind, unit, recipients, sent_at FROM sent_mail")
    for key, period, kind, unit, recipients, sent_at in rows:
        ledger.record_mail(key, period or "", kind or "", unit or "", recipients or "",
                           dt.datetime.fromisoformat(sent_at) if sent_at else None)


def _confirm_again(old: Path, ledger: Ledger, workspace, plan) -> int:
    """The officer's confirmations of held files (`baocao confirm`): each file held again
    is read as the confirmed unit's and confirmed with the same person, time and reason.
    How many were."""
    done = 0
    for row in _old_rows(old, "SELECT * FROM confirmations ORDER BY id"):
        receipt = ledger.receipt(row["period"], row["sha256"])
        if receipt is None or not receipt.held or row["unit"] not in plan.units:
            continue
        sub, found = read_form(ledger.archived(receipt), plan, parse_period(row["period"]),
                               workspace.secret_key(), limit_bytes(workspace), unit=row["unit"])
        if sub is None:
            continue
        found = [dataclasses.replace(f, file=receipt.file_name) for f in found]
        ledger.confirm(row["period"], row["sha256"], sub, found, row["confirmed_by"],
                       row["reason"], dt.datetime.fromisoformat(row["confirmed_at"]))
        done += 1
    return done


def _copy_closings(old: Path, ledger: Ledger) -> int:
    """The periods' sign-offs and reopenings. A sign-off's last receipt (files after it
    are 'received after closing') is the same file in the new ledger's numbering."""
    rows = _old_rows(old, "SELECT * FROM closings ORDER BY id")
    for row in rows:
        # The plan it was reported under: no such column in a ledger older than that.
        plan = [row[c] if c in row.keys() else "" for c in ("plan_number", "plan_version")]  # noqa: SIM118 (a Row's "in" looks at values)
        before = {r["sha256"] for r in _old_rows(
            old, "SELECT sha256 FROM receipts WHERE period = ? AND id <= ?",
            (row["period"], row["last_receipt"]))}
        ledger.record_closing(Closing(
            row["period"], row["action"], dt.datetime.fromisoformat(row["at"]), row["who"],
            row["reason"], row["number"], row["date"], json.loads(row["outputs"] or "{}"),
            ledger.last_receipt_of(row["period"], before),
            *plan))
    return len(rows)


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
