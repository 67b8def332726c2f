"""The ledger: an SQLite file and an archive of every file received.

Every received file, accepted or not, is first copied into the archive under its
content hash (<state>/archive/<sha[:2]>/<sha><ext>), then recorded as a receipt.
Accepted submissions are stored as JSON. A unit's later file supersedes its
earlier one for the period; both stay. A receipt is keyed by (period, sha256),
so the same file twice is one receipt and re-running changes nothing.

Writers hold an OS-level lock on <state>/ledger.lock (fcntl on POSIX, msvcrt on
Windows) for a whole collect or report run, and every change is one SQLite transaction.

The archive is the record of what arrived: archive/arrivals.jsonl lists every arrival
(content hash, period, original name, sender, time of receipt, findings made before
reading), one JSON line each, appended (archives made before it have <sha>.json beside
each file), so `baocao ledger rebuild` (rebuild.py) can make the ledger again. A ledger
that is missing, empty or damaged while the archive holds files is refused with that
advice, never taken as "nothing received".
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import stat
import time
from pathlib import Path

from generator.errors import UsageError, write_error
from generator.excel import remove_leftovers, temp_prefix
from generator.findings import Finding
from generator.model import (  # noqa: F401 - the JSON round trip, re-exported
    Packed,
    Receipt,
    Submission,
    TaskReport,
    submission_from_dict,
    submission_json,
    submission_to_dict,
)
from generator.text import fmt_date

DB_NAME = "ledger.sqlite"
LOCK_NAME = "ledger.lock"
SCHEMA_LOCK_NAME = "ledger.schema.lock"  # held only while tables are created or widened
ARCHIVE_DIR = "archive"
ARRIVALS_LOG = "arrivals.jsonl"  # in the archive; one JSON line per arrival, appended
_SAME_ARRIVAL = ("sha256", "period", "file_name", "received_at", "source")

SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    unit TEXT,
    received_at TEXT NOT NULL,   -- ISO 8601 with the sender's UTC offset
    received_utc TEXT NOT NULL,  -- the same instant in UTC, for ordering
    accepted INTEGER NOT NULL,
    findings TEXT NOT NULL,      -- JSON list of findings
    UNIQUE (period, sha256)
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    received_utc TEXT NOT NULL,
    data TEXT NOT NULL,          -- the Submission as JSON
    superseded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (period, sha256)
);
-- Supersede and "current submission" lookups go by (period, unit); without this index
-- every record scans the whole table and a 10.000-file run slows down quadratically.
CREATE INDEX IF NOT EXISTS submissions_by_unit ON submissions (period, unit, superseded);
-- Sign-off of a period: "close" records the signed outputs' hashes, the report's number and
-- date and who closed it; "reopen" records who reopened it and why. The last row says
-- whether the period is closed; receipts with an id above last_receipt arrived after.
CREATE TABLE IF NOT EXISTS closings (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    outputs TEXT NOT NULL DEFAULT '{}',
    last_receipt INTEGER NOT NULL DEFAULT 0
);
-- A held file settled by the officer (`baocao confirm`): who, when, why, as which unit.
CREATE TABLE IF NOT EXISTS confirmations (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    unit TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    findings TEXT NOT NULL,      -- the findings that held the file
    UNIQUE (period, sha256)
);
CREATE TABLE IF NOT EXISTS sent_mail (
    key TEXT PRIMARY KEY,
    period TEXT,
    kind TEXT,
    unit TEXT,
    recipients TEXT,
    sent_at TEXT
);
"""


def _findings_out(findings) -> str:
    return json.dumps([f.as_dict() for f in findings], ensure_ascii=False)


def _findings_in(text: str) -> list[Finding]:
    return [Finding(**item) for item in json.loads(text)]


def sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        return _sha256_stream(stream)


def _sha256_stream(stream) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _open_regular(path: Path):
    """The file opened for reading, refusing a link (never followed into the archive:
    /etc/shadow named like a form) and anything that is not a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) \
        | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    refused = UsageError(f"{path} không phải một tệp thông thường (liên kết hoặc tệp đặc "
                         "biệt) nên không được lưu trữ. Chép chính tệp vào thư mục rồi chạy lại.")
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise refused from None
        raise UsageError(f"Không đọc được tệp {path}: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise refused
    return os.fdopen(fd, "rb")


def read_metadata(path: Path) -> dict | None:
    """An archived file's metadata, or None when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("arrivals"), list) else None


def read_arrivals(archive_dir: Path) -> list[dict]:
    """Every arrival of the archive's log, in the order written (each with its sha256);
    a line a killed run left half-written is skipped."""
    try:
        lines = (Path(archive_dir) / ARRIVALS_LOG).read_bytes().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("sha256"), str):
            out.append(item)
    return out


def arrival_key(sha: str, arrival: dict) -> tuple:
    """What makes two arrivals the same one (a re-run archiving the same file again)."""
    return tuple(sha if k == "sha256" else arrival.get(k) for k in _SAME_ARRIVAL)


def archived_count(archive_dir: Path) -> int:
    """How many received files the archive holds (metadata and temporary files aside)."""
    count = 0
    for shard in _scandir(archive_dir):
        if shard.is_dir(follow_symlinks=False):
            count += sum(1 for e in _scandir(shard.path)
                         if not e.name.startswith(".") and not e.name.endswith(".json"))
    return count


def _scandir(folder) -> list[os.DirEntry]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means the machine's local time
    return moment.astimezone(dt.timezone.utc).isoformat()


def _rank(receipt: Receipt) -> int:
    """Which of a unit's files stands for it: accepted over held over rejected."""
    return 2 if receipt.accepted else 1 if receipt.held else 0


# --------------------------------------------------------------------------- lock

class FileLock:
    """An exclusive OS-level lock on a file, held between acquire() and release()."""

    def __init__(self, path: Path, timeout: float | None = None, poll: float = 0.1):
        self.path, self.timeout, self.poll = Path(path), timeout, poll
        self._stream = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(self.path, "a+b")  # noqa: SIM115 (held open until release)
        start = time.monotonic()
        while not _try_lock(stream):
            if self.timeout is not None and time.monotonic() - start > self.timeout:
                stream.close()
                raise UsageError(f"Sổ theo dõi đang được một lần chạy 'baocao collect' khác "
                                 f"sử dụng (khóa {self.path}). Chờ lần chạy đó xong rồi thử lại.")
            time.sleep(self.poll)
        self._stream = stream

    def release(self) -> None:
        if self._stream is not None:
            _unlock(self._stream)
            self._stream.close()
            self._stream = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(stream) -> bool:
        stream.seek(0)
        try:
            msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(stream) -> None:
        stream.seek(0)
        msvcrt.locking(stream.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(stream) -> bool:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(stream) -> None:
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


# Columns added after the first ledgers were made: (table, column, declaration).
ADDED_COLUMNS = (
    ("receipts", "held", "INTEGER NOT NULL DEFAULT 0"),  # waiting for `baocao confirm`
    ("receipts", "sender", "TEXT NOT NULL DEFAULT ''"),  # From address of an emailed file
    # The plan a closed period was reported under ('' in an older ledger: the current one).
    ("closings", "plan_number", "TEXT NOT NULL DEFAULT ''"),
    ("closings", "plan_version", "TEXT NOT NULL DEFAULT ''"),
)


def _add_columns(db) -> None:
    """Bring an older ledger's tables up to this version's columns."""
    for table, column, declaration in ADDED_COLUMNS:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


# --------------------------------------------------------------------------- ledger

@dataclasses.dataclass(frozen=True)
class Closing:
    """One sign-off ("close") or reopening ("reopen") of a period."""

    period: str
    action: str  # 'close' | 'reopen'
    at: dt.datetime
    who: str
    reason: str = ""
    number: str = ""  # the report's number, "" until the clerk gives one
    date: str = ""  # the report's date, dd/mm/yyyy
    outputs: dict = dataclasses.field(default_factory=dict)  # file name -> sha256
    last_receipt: int = 0
    plan_number: str = ""  # the plan the period was reported under ('' = the current plan)
    plan_version: str = ""  # that plan's content hash (Plan.version)

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "at": self.at.isoformat()}

    def message(self, period) -> str:
        """What a command says when it will not rewrite a closed period's outputs."""
        return (f"Kỳ {period.label} đã chốt ngày {fmt_date(self.at.date())} ({self.who}); "
                "bảng tổng hợp, báo cáo Word và PDF giữ nguyên như khi ký. Muốn viết lại, "
                f"mở lại kỳ: baocao reopen -p {period.id} --ly-do \"lý do\".")


REBUILD_HINT = "Chạy 'baocao ledger rebuild' để dựng lại sổ từ kho lưu trữ."


class Ledger:
    """The workspace's ledger. Use as a context manager, or call close().

    check=False opens a ledger file however it looks (rebuild's fresh file)."""

    def __init__(self, workspace, path: Path | None = None, check: bool = True):
        self.state_dir = Path(workspace.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.path = Path(path) if path is not None else self.state_dir / DB_NAME
        self.archive_dir = self.state_dir / ARCHIVE_DIR
        self._logged: set[tuple] | None = None  # arrivals in the log, read at first need
        self._log: int | None = None  # the log's descriptor, opened to append
        if check:
            self._refuse_lost()
        try:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) in _tx.
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            # Two runs opening a new (or older) ledger at once would both add the same
            # column; the second one's "duplicate column" must not read as a broken file.
            with FileLock(self.state_dir / SCHEMA_LOCK_NAME):
                self._db.executescript(SCHEMA)
                _add_columns(self._db)
            if check:
                self._verify()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            raise self.failure(exc) from None
        self._db.row_factory = sqlite3.Row
        self._batch = False

    def _refuse_lost(self) -> None:
        """A missing or zero-length ledger beside a non-empty archive lost its records;
        opening it would report every unit as not having sent anything."""
        size = self.path.stat().st_size if self.path.exists() else None
        if size and size > 0:
            return
        count = archived_count(self.archive_dir)
        if count:
            state = "không còn" if size is None else "rỗng (0 byte)"
            raise UsageError(f"Sổ theo dõi {self.path} {state} trong khi kho lưu trữ "
                             f"{self.archive_dir} có {count} tệp đã nhận. {REBUILD_HINT}")

    def _verify(self) -> None:
        """Damaged pages show up here rather than midway through a run."""
        verdict = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(verdict)

    def failure(self, exc: sqlite3.DatabaseError) -> UsageError:
        """The usage error (exit 2) for an SQLite failure: disk full, or a damaged file."""
        if "full" in str(exc) or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
            return UsageError(f"Không ghi được sổ theo dõi {self.path}: ổ đĩa đã đầy (thư mục "
                              f"{self.state_dir}). Giải phóng chỗ trống trên ổ đĩa rồi chạy "
                              "lại.")
        count = archived_count(self.archive_dir)
        return UsageError(f"Không mở được sổ theo dõi {self.path}: {exc}. Tệp này bị hỏng; "
                          f"kho lưu trữ có {count} tệp đã nhận. {REBUILD_HINT}")

    def close(self) -> None:
        if self._log is not None:
            os.close(self._log)
            self._log = None
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def lock(self, timeout: float | None = None) -> FileLock:
        """The lock that serialises writers (collect runs) across processes."""
        return FileLock(self.state_dir / LOCK_NAME, timeout=timeout)

    @contextlib.contextmanager
    def batch(self):
        """Many records in one transaction (one disk sync for a whole collect run, not
        one per file); all or nothing if the run fails."""
        with self._tx():
            self._batch = True
            try:
                yield self
            finally:
                self._batch = False

    @contextlib.contextmanager
    def _tx(self):
        if self._batch:  # already inside batch(): its transaction covers this change
            yield self._db
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise self.failure(exc) from None

    # ---- archive

    def archive_path(self, sha: str, file_name: str) -> Path:
        suffix = Path(file_name).suffix.lower()
        # Keep only a plain extension: the archive must be valid on Windows too.
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
        return self.archive_dir / sha[:2] / f"{sha}{suffix}"

    def archive(self, path: Path, file_name: str | None = None, arrival: dict | None = None
                ) -> tuple[str, Path]:
        """Copy a received file into the archive by content hash; (sha256, archived path).

        Only a regular file is taken, opened without following a link. arrival (period,
        received_at, sender, source, findings) is added to the arrivals log, once."""
        file_name = file_name or Path(path).name
        with _open_regular(path) as stream:
            sha = _sha256_stream(stream)
            target = self.archive_path(sha, file_name)
            try:
                if not target.is_file():
                    stream.seek(0)
                    self._store(stream, target)
                if arrival is not None:
                    self._note_arrival(sha, {"file_name": file_name, **arrival})
            except OSError as exc:
                raise write_error(exc, target) or exc from None
        return sha, target

    @staticmethod
    def _store(stream, target: Path) -> None:
        if not target.parent.is_dir():  # an exist_ok mkdir costs more than this look
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{temp_prefix()}{target.name}")
        try:
            with open(tmp, "wb") as out:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    out.write(block)
            os.replace(tmp, target)  # never a half-written file under the final name
        finally:
            tmp.unlink(missing_ok=True)

    def metadata_path(self, sha: str) -> Path:
        """Where an archive made before the log kept a file's arrivals (rebuild reads it)."""
        return self.archive_dir / sha[:2] / f"{sha}.json"

    def arrivals(self, sha: str) -> list[dict]:
        """A file's arrivals, from the log (and from <sha>.json of an older archive)."""
        older = read_metadata(self.metadata_path(sha)) or {"arrivals": []}
        logged = [a for a in read_arrivals(self.archive_dir) if a["sha256"] == sha]
        return [*older["arrivals"], *logged]

    def _note_arrival(self, sha: str, arrival: dict) -> None:
        """Append one arrival to the log; the same arrival again (a re-run) changes nothing.
        One line appended, not a file per arrival: creating a file costs a millisecond or
        more (more on Windows, with its virus scan), and a run archives thousands."""
        if self._logged is None:
            self._logged = {arrival_key(a["sha256"], a) for a in read_arrivals(self.archive_dir)}
        key = arrival_key(sha, arrival)
        if key in self._logged:
            return
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        line = json.dumps({"sha256": sha, **arrival, "archived_at": stamp}, ensure_ascii=False)
        if self._log is None:
            self.archive_dir.mkdir(parents=True, exist_ok=True)
            self._log = os.open(self.archive_dir / ARRIVALS_LOG,
                                os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0),
                                0o644)
        # One write per line: a killed run leaves at most its last line cut short.
        os.write(self._log, (line + "\n").encode("utf-8"))
        self._logged.add(key)

    def remove_leftovers(self) -> None:
        """Temporary files a killed run left in the state folder and the archive (a
        half-copied file, metadata, a rebuild's new ledger); a live run's are kept."""
        for folder in (self.state_dir, *(Path(e.path) for e in _scandir(self.archive_dir)
                                         if e.is_dir(follow_symlinks=False))):
            remove_leftovers(folder)

    def archived(self, receipt: Receipt) -> Path:
        return self.archive_path(receipt.sha256, receipt.file_name)

    # ---- recording

    def receipt(self, period_id: str, sha: str) -> Receipt | None:
        row = self._db.execute("SELECT * FROM receipts WHERE period = ? AND sha256 = ?",
                               (str(period_id), sha)).fetchone()
        return self._receipt(row) if row else None

    def record(self, period_id: str, sha: str, file_name: str, received_at: dt.datetime,
               submission: Submission | Packed | None, findings, unit: str | None = None,
               held: bool = False, sender: str = "") -> tuple[Receipt, bool]:
        """Record one received file; (its receipt, True if it was new).

        The same file (same content) for the same period is recorded once: the first
        receipt stands and later calls change nothing. A held file (its identity disagrees
        with other evidence, or was lost) is recorded under `unit`, the unit it most likely
        came from, without its submission: it replaces no unit's report until confirmed.
        """
        period_id = str(period_id)
        if held:
            submission = None
        elif submission is not None:
            unit = submission.unit
        with self._tx() as db:
            if db.execute("SELECT 1 FROM receipts WHERE period = ? AND sha256 = ?",
                          (period_id, sha)).fetchone():
                return self.receipt(period_id, sha), False
            stamp, utc = received_at.isoformat(), _utc(received_at)
            stored = _findings_out(findings)
            db.execute("INSERT INTO receipts (period, sha256, file_name, unit, received_at, "
                       "received_utc, accepted, findings, held, sender) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (period_id, sha, file_name, unit, stamp, utc,
                        int(submission is not None), stored, int(held), sender))
            if submission is not None:
                self._insert_submission(db, period_id, sha, stamp, utc, submission)
        # What was just written, as receipt() would read it back (without reading it).
        return Receipt(file_name=file_name, sha256=sha, period=period_id,
                       received_at=dt.datetime.fromisoformat(stamp), unit=unit,
                       accepted=submission is not None, findings=_findings_in(stored),
                       held=bool(held), sender=sender), True

    def _insert_submission(self, db, period_id: str, sha: str, stamp: str, utc: str,
                           submission: Submission | Packed) -> None:
        db.execute("INSERT INTO submissions (period, unit, sha256, received_at, received_utc, "
                   "data) VALUES (?, ?, ?, ?, ?, ?)",
                   (period_id, submission.unit, sha, stamp, utc,
                    submission.data if isinstance(submission, Packed)
                    else submission_json(submission)))
        self._mark_superseded(db, period_id, submission.unit)

    def held(self, period_id: str | None = None) -> list[Receipt]:
        """Files waiting for the officer's confirmation (of one period, or of all)."""
        query = "SELECT * FROM receipts WHERE held = 1"
        args: tuple = ()
        if period_id is not None:
            query, args = query + " AND period = ?", (str(period_id),)
        return [self._receipt(row) for row in
                self._db.execute(query + " ORDER BY received_utc, id", args)]

    def confirm(self, period_id: str, sha: str, submission: Submission, findings,
                confirmed_by: str, reason: str, confirmed_at: dt.datetime) -> Receipt:
        """Settle a held file as `submission.unit`'s report: the receipt becomes accepted
        with the findings of reading it as that unit, the submission is recorded at the
        file's own time of receipt (so a later file of the unit still supersedes it), and
        who confirmed it, when and why is kept with the findings that had held it."""
        period_id = str(period_id)
        receipt = self.receipt(period_id, sha)
        if receipt is None or not receipt.held:
            raise UsageError("Tệp này không ở trạng thái chờ xác nhận trong sổ theo dõi.")
        row = self._db.execute("SELECT received_at, received_utc FROM receipts WHERE "
                               "period = ? AND sha256 = ?", (period_id, sha)).fetchone()
        with self._tx() as db:
            db.execute("INSERT INTO confirmations (period, sha256, unit, confirmed_by, "
                       "confirmed_at, reason, findings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (period_id, sha, submission.unit, confirmed_by,
                        confirmed_at.isoformat(), reason, _findings_out(receipt.findings)))
            db.execute("UPDATE receipts SET held = 0, accepted = 1, unit = ?, findings = ? "
                       "WHERE period = ? AND sha256 = ?",
                       (submission.unit, _findings_out(findings), period_id, sha))
            self._insert_submission(db, period_id, sha, row["received_at"],
                                    row["received_utc"], submission)
        return self.receipt(period_id, sha)

    def confirmations(self, period_id: str) -> list[dict]:
        rows = self._db.execute("SELECT * FROM confirmations WHERE period = ? ORDER BY id",
                                (str(period_id),))
        return [{**dict(row), "findings": _findings_in(row["findings"])} for row in rows]

    @staticmethod
    def _mark_superseded(db, period_id: str, unit: str) -> None:
        """Only the unit's latest accepted file (by time of receipt) is current."""
        db.execute("""
            UPDATE submissions SET superseded = (id != (
                SELECT s.id FROM submissions s WHERE s.period = ? AND s.unit = ?
                ORDER BY s.received_utc DESC, s.id DESC LIMIT 1))
            WHERE period = ? AND unit = ?""", (period_id, unit, period_id, unit))

    # ---- reading

    def _receipt(self, row) -> Receipt:
        return Receipt(file_name=row["file_name"], sha256=row["sha256"], period=row["period"],
                       received_at=dt.datetime.fromisoformat(row["received_at"]),
                       unit=row["unit"], accepted=bool(row["accepted"]),
                       findings=_findings_in(row["findings"]), held=bool(row["held"]),
                       sender=row["sender"])

    def receipts(self, period_id: str) -> list[Receipt]:
        """Every file received for the period, in order of receipt, with .superseded set.

        An accepted file is superseded by the unit's later accepted file; a rejected or
        held file by any later file of the same unit.
        """
        rows = self._db.execute("SELECT * FROM receipts WHERE period = ? "
                                "ORDER BY received_utc, id", (str(period_id),)).fetchall()
        current = {r["sha256"] for r in self._db.execute(
            "SELECT sha256 FROM submissions WHERE period = ? AND superseded = 0",
            (str(period_id),))}
        out = [self._receipt(row) for row in rows]
        last_seen: dict[str, int] = {}
        for index, receipt in enumerate(out):
            if receipt.unit:
                last_seen[receipt.unit] = index
        for index, receipt in enumerate(out):
            if receipt.accepted:
                receipt.superseded = receipt.sha256 not in current
            else:
                receipt.superseded = bool(receipt.unit) and last_seen[receipt.unit] > index
        return out

    def current_submissions(self, period_id: str) -> list[Submission]:
        """The latest accepted submission of each unit (children included), by unit code."""
        rows = self._db.execute("SELECT data FROM submissions WHERE period = ? AND "
                                "superseded = 0 ORDER BY unit", (str(period_id),))
        return [submission_from_dict(json.loads(row["data"])) for row in rows]

    def latest_receipt_by_unit(self, period_id: str) -> dict[str, Receipt]:
        """The receipt that stands for each unit: that of its current (latest accepted)
        submission, or, when it has none, its latest held file, else its latest rejected
        file."""
        out: dict[str, Receipt] = {}
        for receipt in self.receipts(period_id):
            if not receipt.unit:
                continue
            standing = out.get(receipt.unit)
            if standing is None or _rank(receipt) >= _rank(standing):
                out[receipt.unit] = receipt
        return dict(sorted(out.items()))

    def last_file_by_unit(self, period_id: str) -> dict[str, Receipt]:
        """Each unit's most recent file, accepted or not (what feedback answers)."""
        return dict(sorted({r.unit: r for r in self.receipts(period_id) if r.unit}.items()))

    # ---- mail (for the email engineer)

    def record_mail(self, key: str, period: str = "", kind: str = "", unit: str = "",
                    recipients=(), sent_at: dt.datetime | None = None) -> None:
        """Remember that a message was sent; the same key twice keeps the first record."""
        if not isinstance(recipients, str):
            recipients = ", ".join(recipients)
        sent_at = sent_at or dt.datetime.now().astimezone()
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO sent_mail (key, period, kind, unit, recipients, "
                       "sent_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (key, str(period), kind, unit, recipients, sent_at.isoformat()))

    def mail_sent(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM sent_mail WHERE key = ?", (key,)).fetchone() \
            is not None

    # ---- sign-off of a period (baocao close / reopen)

    def close_period(self, period_id: str, outputs: dict[str, str], who: str, number: str = "",
                     date: str = "", at: dt.datetime | None = None, plan=None) -> Closing:
        """Record the period as signed off with its outputs' hashes and the plan (number,
        version) it was reported under."""
        last = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM receipts WHERE period = ?",
                                (str(period_id),)).fetchone()[0]
        return self._closing_row(period_id, "close", who, at, number=number, date=date,
                                 outputs=outputs, last_receipt=last,
                                 plan_number=plan.number if plan is not None else "",
                                 plan_version=plan.version if plan is not None else "")

    def reopen_period(self, period_id: str, reason: str, who: str,
                      at: dt.datetime | None = None) -> Closing:
        held = self.closing(period_id)
        return self._closing_row(period_id, "reopen", who, at, reason=reason,
                                 number=held.number if held else "",
                                 date=held.date if held else "")

    def _closing_row(self, period_id, action, who, at, **values) -> Closing:
        at = at or dt.datetime.now().astimezone()
        item = Closing(str(period_id), action, at, who, **values)
        self.record_closing(item)
        return item

    def record_closing(self, item: Closing) -> None:
        """Store one sign-off or reopening as it is (rebuild carries them over)."""
        with self._tx() as db:
            db.execute("INSERT INTO closings (period, action, at, who, reason, number, date, "
                       "outputs, last_receipt, plan_number, plan_version) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (item.period, item.action, item.at.isoformat(), item.who, item.reason,
                        item.number, item.date, json.dumps(item.outputs, sort_keys=True),
                        item.last_receipt, item.plan_number, item.plan_version))

    def last_receipt_of(self, period_id: str, shas) -> int:
        """The highest receipt number among these files of the period (0 for none)."""
        shas = set(shas)
        rows = self._db.execute("SELECT id, sha256 FROM receipts WHERE period = ?",
                                (str(period_id),))
        return max((row[0] for row in rows if row[1] in shas), default=0)

    def closings(self, period_id: str) -> list[Closing]:
        """The period's sign-offs and reopenings, oldest first."""
        rows = self._db.execute("SELECT * FROM closings WHERE period = ? ORDER BY id",
                                (str(period_id),)).fetchall()
        return [Closing(r["period"], r["action"], dt.datetime.fromisoformat(r["at"]), r["who"],
                        r["reason"], r["number"], r["date"], json.loads(r["outputs"]),
                        r["last_receipt"], r["plan_number"], r["plan_version"]) for r in rows]

    def closing(self, period_id: str) -> Closing | None:
        """The sign-off in force (None when the period is open)."""
        history = self.closings(period_id)
        return history[-1] if history and history[-1].action == "close" else None

    def after_closing(self, period_id: str) -> list[Receipt]:
        """Files recorded after the sign-off in force, in order of receipt."""
        held = self.closing(period_id)
        return [] if held is None else self.received_after(period_id, held.last_receipt)

    def received_after(self, period_id: str, last_receipt: int) -> list[Receipt]:
        """Files recorded after a sign-off (its last_receipt), in order of receipt."""
        rows = self._db.execute("SELECT * FROM receipts WHERE period = ? AND id > ? "
                                "ORDER BY received_utc, id",
                                (str(period_id), last_receipt)).fetchall()
        return [self._receipt(row) for row in rows]

    def closed_periods(self) -> list[str]:
        """The periods whose sign-off is in force."""
        periods = [r[0] for r in self._db.execute("SELECT DISTINCT period FROM closings")]
        return sorted(p for p in periods if self.closing(p) is not None)

    def versions(self, period_id: str, unit: str) -> list[tuple[Receipt, Submission | None]]:
        """Every file of one unit for the period, oldest first, with its submission (None
        for a rejected file)."""
        period_id = str(period_id)
        rows = self._db.execute("SELECT sha256, data, superseded FROM submissions WHERE "
                                "period = ? AND unit = ?", (period_id, unit)).fetchall()
        data = {r["sha256"]: submission_from_dict(json.loads(r["data"])) for r in rows}
        current = {r["sha256"] for r in rows if not r["superseded"]}
        out = [self._receipt(r) for r in self._db.execute(
            "SELECT * FROM receipts WHERE period = ? AND unit = ? ORDER BY received_utc, id",
            (period_id, unit))]
        for index, receipt in enumerate(out):  # as receipts() marks them, for one unit
            receipt.superseded = (receipt.sha256 not in current if receipt.accepted
                                  else index < len(out) - 1)
        return [(r, data.get(r.sha256)) for r in out]

    def corrected_units(self, period_id: str) -> list[str]:
        """Units with more than one accepted file for the period."""
        return [r[0] for r in self._db.execute(
            "SELECT unit FROM submissions WHERE period = ? GROUP BY unit HAVING COUNT(*) > 1 "
            "ORDER BY unit", (str(period_id),))]

    def dump(self) -> list[str]:
        """The database as SQL statements (for tests and backups)."""
        return list(self._db.iterdump())
