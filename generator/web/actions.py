"""What the page changes, each through the library call its command makes: a period's
folder, forms, uploads into input/<period>/, collect, mail fetch, mail, report, settling a
held file, closing a period. Nothing here keeps state of its own: what the page does, the
commands see (input/, output/, the ledger).

Writers are serialised by the ledger's lock, as `collect` is: collect and report take it
themselves; the other actions take it around their call, so two tabs, or the page and a command, never
write at the same time. A job that must wait says so on the page.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.collect import collect, confirm
from generator.errors import UsageError
from generator.findings import ERROR, finding
from generator.forms.writer import write_forms
from generator.intake import mailbox
from generator.intake.receive import is_ignored, safe_name
from generator.intake.safety import human_size, limit_bytes
from generator.ledger.store import Ledger
from generator.mail import outgoing
from generator.plan.periods import Period, parse_period
from generator.plan.workbook import load_plan
from generator.render.outputs import rebuild
from generator.signoff import close
from generator.text import fmt_int

# The SubmissionState key of a file held for the officer to settle (issue 11 adds the
# state to vocab.SUBMISSION_STATES; the status page lists whatever states vocab has).
HELD_KEY = "held"
# How long a short action (settle, close) waits for a running collect before giving up.
LOCK_WAIT = 30
WAITING = ("Sổ theo dõi đang được một lần chạy khác sử dụng (lệnh baocao hoặc một trang "
           "khác); đang chờ lần chạy đó xong…")


def who() -> str:
    """The officer, as the commands record them: the account logged in on this machine."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


# --------------------------------------------------------------------------- periods

def known_periods(workspace) -> list[Period]:
    """The periods the workspace has: folders of input/ and output/ named after a period."""
    root = workspace.require()
    found = {}
    for parent in (root / "input", root / "output"):
        if not parent.is_dir():
            continue
        for folder in parent.iterdir():
            with contextlib.suppress(UsageError):
                if folder.is_dir():
                    period = parse_period(folder.name)
                    if period.id == folder.name:
                        found[period.id] = period
    return sorted(found.values(), key=lambda p: (p.end, p.start), reverse=True)


def open_period(workspace, period) -> Path:
    """A new period is its input/<period>/ folder, where returns are saved (as for
    `baocao collect -p`)."""
    folder = workspace.input_dir(period)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --------------------------------------------------------------------------- the lock

def lock_busy(workspace) -> bool:
    """Whether another run holds the ledger's lock right now."""
    with Ledger(workspace) as ledger:
        lock = ledger.lock(timeout=0)
        try:
            lock.acquire()
        except UsageError:
            return True
        lock.release()
        return False


@contextlib.contextmanager
def serialised(workspace, job=None, timeout: float | None = None):
    """Hold the ledger's lock (the one `collect` takes) around a writer."""
    if job is not None and lock_busy(workspace):
        job.progress(WAITING)
    with Ledger(workspace) as ledger, ledger.lock(timeout=timeout):
        yield ledger


# --------------------------------------------------------------------------- uploads

@dataclass
class Upload:
    name: str  # as the browser sent it (a dropped folder's files carry "folder/name")
    stream: object  # a binary file object
    modified: float | None = None  # the file's own time (seconds), when the browser said


@dataclass
class Saved:
    saved: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # already in the folder, byte for byte
    refused: list[str] = field(default_factory=list)  # Vietnamese reasons, one a file
    ignored: list[str] = field(default_factory=list)  # Office lock files and the like


def size_of(stream) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def save_uploads(workspace, period, uploads) -> Saved:
    """Save each upload into input/<period>/ under its own (safe) name, as an officer
    copying the files into the folder would; a file over the size limit is refused before
    anything is written. Intake (`collect`) then screens each saved file itself."""
    folder = open_period(workspace, period)
    limit = limit_bytes(workspace)
    out = Saved()
    for upload in uploads:
        name = safe_name(upload.name, "tep-tai-len.xlsx")
        size = size_of(upload.stream)
        if is_ignored(Path(name)):
            out.ignored.append(name)
        elif size > limit:
            refusal = finding("F001", file=name, size=human_size(size), limit=human_size(limit))
            out.refused.append(f"{name}: {refusal.message}")
        else:
            target, new = _store(folder, name, upload.stream)
            if new and upload.modified:
                os.utime(target, (upload.modified, upload.modified))
            (out.saved if new else out.same).append(target.name)
    return out


def _store(folder: Path, name: str, stream) -> tuple[Path, bool]:
    """Write the stream under `name`, or `name (2)` … when another file has that name
    (nothing already in the folder is overwritten); (path, False) when the same bytes
    are already there under that name."""
    fd, tmp = tempfile.mkstemp(prefix=".tai-len-", dir=folder)
    digest = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    stem, suffix = Path(name).stem, Path(name).suffix
    for index in range(1, 1000):
        target = folder / (name if index == 1 else f"{stem} ({index}){suffix}")
        if target.exists() and _sha(target) == digest.hexdigest():
            os.unlink(tmp)
            return target, False
        if not target.exists():
            os.replace(tmp, target)
            return target, True
    os.unlink(tmp)
    raise UsageError(f"Thư mục {folder} đã có quá nhiều tệp tên {name}.")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- jobs

def make_forms(job, workspace, plan, period) -> None:
    """`baocao forms -p`."""
    with serialised(workspace, job):
        written = write_forms(workspace, plan, period, progress=lambda done, total, code:
                              job.progress(f"Đang ghi biểu mẫu của đơn vị {code}", done, total))
    folder = workspace.forms_dir(period).relative_to(workspace.root).as_posix()
    job.lines.append(f"Đã ghi {fmt_int(len(written))} biểu mẫu kỳ {period.label} vào "
                     f"{folder}/.")


def run_collect(job, workspace, plan, period) -> None:
    """`baocao collect -p`: everything in input/<period>/ (known files are not read
    again), then the feedback files and every output."""
    if lock_busy(workspace):
        job.progress(WAITING)

    def progress(done, total):
        if done < total:
            job.progress("Đang đọc, kiểm tra và ghi sổ các tệp mới", done, total)
        else:
            job.progress("Đang ghi phiếu phản hồi, bảng tổng hợp và báo cáo", done, total)

    result = collect(workspace, plan, period, progress=progress)
    job.lines.append(f"Kỳ {period.label}: {fmt_int(len(result.receipts))} tệp "
                     f"({fmt_int(result.new)} tệp mới), {fmt_int(len(result.accepted))} "
                     f"hợp lệ, {fmt_int(len(result.rejected))} bị từ chối.")
    for receipt in result.rejected:
        reason = next((f.message for f in receipt.findings if f.severity == ERROR), "")
        job.lines.append(f"Bị từ chối: {receipt.file_name}: {reason}")
    if result.feedback:
        job.lines.append(f"Phiếu phản hồi cho {fmt_int(len(result.feedback))} đơn vị có lỗi "
                         "(tải ở trang Tình hình nộp).")
    job.files += result.outputs


def run_fetch(job, workspace, plan, period) -> None:
    """`baocao collect -p --fetch`: the mailbox first, then intake."""
    with serialised(workspace, job):
        job.progress("Đang kết nối hộp thư")
        result = mailbox.fetch(workspace, period, progress=lambda done, total, *_:
                               job.progress("Đang lấy thư", done, total))
    job.lines += mailbox.summary_lines(result)
    if result.interrupted:
        raise UsageError(result.interrupted)
    run_collect(job, workspace, plan, period)


MAIL_KINDS = {"forms": "thư gửi biểu mẫu", "remind": "thư nhắc báo cáo",
              "report": "thư gửi báo cáo"}


def run_mail(job, workspace, plan, period, kind: str, send: bool) -> None:
    """`baocao mail KIND -p [--send]`."""
    with serialised(workspace, job):
        job.progress("Đang gửi thư" if send else "Đang ghi thư nháp")
        result = outgoing.run(kind, workspace, plan, period, send_now=send)
    if send:
        job.lines.append(f"Đã gửi {fmt_int(len(result.sent))} {MAIL_KINDS[kind]}; "
                         f"{fmt_int(len(result.skipped))} thư đã gửi trước đây nên không "
                         "gửi lại.")
    else:
        job.lines.append(f"Đã ghi {fmt_int(len(result.drafts))} {MAIL_KINDS[kind]} (thư "
                         "nháp .eml).")
    job.lines += [f"Không gửi được thư tới {item.unit or ', '.join(item.recipients)}: "
                  f"{reason}" for item, reason in result.failed]
    if result.no_email:
        job.lines.append("Đơn vị chưa có địa chỉ thư điện tử trong kế hoạch (trang DonVi): "
                         f"{', '.join(result.no_email)}.")
    if result.failed:
        job.error = f"{fmt_int(len(result.failed))} thư không gửi được (xem lý do ở trên)."


def run_report(job, workspace, plan, period) -> None:
    """`baocao report -p` (the use case takes the ledger lock itself, as collect does)."""
    job.progress(WAITING if lock_busy(workspace) else
                 "Đang viết bảng tổng hợp, báo cáo Word và PDF")
    job.files += rebuild(workspace, plan, period)


# --------------------------------------------------------------------------- issue 11, 15

def confirm_held(workspace, sha256: str, unit: str, why: str) -> None:
    """`baocao confirm FILE --unit UNIT --ly-do WHY`: the officer settles a held file (the
    use case takes the ledger lock itself)."""
    if not why.strip():
        raise UsageError("Ghi lý do xác nhận (ví dụ: đã gọi điện cho đơn vị, đúng là báo "
                         "cáo của đơn vị).")
    confirm(workspace, load_plan(workspace.plan_path), sha256, unit, who(), why.strip())


def close_period(workspace, period) -> None:
    """`baocao close -p`: the period's signed outputs stay as they are."""
    close(workspace, period, who=who())
