"""Gathering the files units sent back: a folder, single files, saved emails (.eml).

An .eml's workbook attachments are extracted (file names decoded by the stdlib
email package, RFC 2047 and RFC 2231 alike) and their time of receipt is the
message's Date header; any other file's time of receipt is its modification time.

Nothing here stops the others: a message that cannot be read, is empty, nests too
deep or carries no workbook comes back as one Incoming holding its finding (it is
archived and recorded as rejected); a link, a pipe, a device or a folder named like a
workbook is refused with a finding and never opened, let alone followed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.parser
import email.policy
import email.utils
import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from generator import findings as F
from generator.errors import UsageError, write_error
from generator.intake.safety import human_size
from generator.text import fold, nfc

EMAIL_EXTS = {".eml"}
# Attachments taken from an email; signature images and the like are not reports.
WORKBOOK_EXTS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
}
EMAIL_LIMIT = 64 * 1024 * 1024  # a saved message larger than this is not parsed
# Attachment names are kept whole in the ledger; on disk they are cut to what every file
# system takes (255 bytes, and Windows paths of 260 characters in all).
DISK_NAME_CHARS = 100
DISK_NAME_BYTES = 200


@dataclass(frozen=True)
class Incoming:
    path: Path  # a readable copy on disk
    name: str  # the file name as the unit sent it
    received_at: dt.datetime  # timezone-aware
    source: str  # where it came from (the file, or the .eml holding it)
    sender: str = ""  # the From address of an email, lower case
    findings: tuple = ()  # found before reading: recorded with these, never read
    keep: bool = True  # False: not a file (a link, a pipe): nothing to archive


def is_ignored(path: Path) -> bool:
    """Hidden files, Office and LibreOffice lock files, temporary copies."""
    name = path.name
    return name.startswith((".", "~$", ".~lock")) or name.endswith((".tmp", "#"))


def file_time(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()


def safe_name(name: str, fallback: str) -> str:
    """The attachment's own name, minus anything that could leave the folder."""
    name = nfc(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[\x00-\x1f<>:"|?*]', "_", name).strip(" .")
    return name or fallback


def _disk_name(name: str) -> str:
    """name, shortened (its extension kept) to fit any file system."""
    stem, suffix = Path(name).stem, Path(name).suffix[:16]
    while stem and (len(stem) + len(suffix) > DISK_NAME_CHARS
                    or len((stem + suffix).encode("utf-8")) > DISK_NAME_BYTES):
        stem = stem[:-1]
    return (stem.rstrip(" .") or "tep") + suffix


def is_workbook_part(part) -> bool:
    name = part.get_filename() or ""
    return Path(name).suffix.lower() in WORKBOOK_EXTS or \
        part.get_content_type().lower() in WORKBOOK_TYPES


def _message_time(message, path: Path) -> dt.datetime:
    try:
        header = message["Date"]
        moment = header.datetime if header is not None else None
    except Exception:  # noqa: BLE001 - a garbled Date header: the file's time stands
        moment = None
    if moment is None:
        return file_time(path)
    return moment if moment.tzinfo else moment.astimezone()


def _sender(message) -> str:
    try:
        return email.utils.parseaddr(str(message.get("From", "")))[1].lower()
    except Exception:  # noqa: BLE001 - a garbled header: no sender, the message still counts
        return ""


def from_email(path: Path, workdir: Path) -> list[Incoming]:
    """The workbook attachments of one saved email, written under workdir; or the message
    itself holding its finding when it has none or cannot be read."""
    received, sender = file_time(path), ""
    try:
        size = path.stat().st_size
        if size == 0 or size > EMAIL_LIMIT:
            reason = "tệp thư rỗng" if size == 0 else f"thư quá lớn ({human_size(size)})"
            return [_bad_message(path, received, sender, "F019", reason=reason)]
        with open(path, "rb") as stream:
            # The headers first: a body that cannot be parsed still says who sent it, when.
            head = email.parser.BytesParser(policy=email.policy.default).parse(
                stream, headersonly=True)
            received, sender = _message_time(head, path), _sender(head)
            stream.seek(0)
            message = email.message_from_binary_file(stream, policy=email.policy.default)
        parts = _workbook_parts(message)
    except OSError as exc:
        raise UsageError(f"Không đọc được thư {path}: {exc}.") from None
    except RecursionError:
        return [_bad_message(path, received, sender, "F019",
                             reason="thư lồng nhau quá nhiều tầng")]
    except Exception as exc:  # noqa: BLE001 - the stdlib parser has many ways to fail
        return [_bad_message(path, received, sender, "F019",
                             reason=str(exc)[:120] or type(exc).__name__)]
    if not parts:
        return [_bad_message(path, received, sender, "F018")]
    # One folder per message and attachment: two emails may carry the same file name.
    folder = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    out = []
    for index, name, payload in parts:
        target = workdir / f"{folder}-{index + 1}" / _disk_name(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
        except OSError as exc:
            raise write_error(exc, target) or exc from None
        out.append(Incoming(target, name, received, str(path), sender))
    return out


def _workbook_parts(message) -> list[tuple[int, str, bytes]]:
    """(index, name, bytes) of the message's workbook attachments."""
    out = []
    # walk(), not iter_attachments(): forwarded messages nest their attachments.
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or not (part.get_filename() or part.is_attachment()):
            continue
        if not is_workbook_part(part):
            continue
        name = safe_name(part.get_filename() or "", f"tep-dinh-kem-{index + 1}.xlsx")
        out.append((index, name, part.get_payload(decode=True) or b""))
    return out


def _bad_message(path: Path, received, sender: str, code: str, **params) -> Incoming:
    name = nfc(path.name)
    return Incoming(path, name, received, str(path), sender,
                    findings=(F.finding(code, file=name, **params),))


def _refused(path: Path, what: str) -> Incoming:
    name = nfc(path.name)
    try:
        moment = dt.datetime.fromtimestamp(path.lstat().st_mtime).astimezone()
    except OSError:
        moment = dt.datetime.now().astimezone()
    return Incoming(path, name, moment, str(path),
                    findings=(F.finding("F017", file=name, name=name, what=what),), keep=False)


def _not_a_file(path: Path) -> str | None:
    """None for a regular file; else what it is, in words ('' for a plain subfolder,
    passed over: folders are read one level deep). Never follows a link."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return "một mục không còn trong thư mục"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "liên kết (symlink) tới tệp khác"
    if stat.S_ISDIR(mode):
        looks_like_file = path.suffix.lower() in WORKBOOK_EXTS | EMAIL_EXTS
        return "một thư mục" if looks_like_file else ""
    if stat.S_ISFIFO(mode):
        return "ống dẫn (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "tệp thiết bị" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "tệp đặc biệt"


def gather(sources, workdir: Path) -> list[Incoming]:
    """Every file to read from the given folders, files and .eml files, oldest first.

    Folders are read one level deep (an officer saves a period's returns into one
    folder); a missing source is a usage error naming it. Links and special files come
    back refused (keep=False, finding F017).
    """
    out: list[Incoming] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():  # a link to a folder the officer named is followed
            entries = sorted(p for p in source.iterdir() if not is_ignored(p))
        elif source.is_symlink() or source.exists():
            entries = [source]
        else:
            raise UsageError(f"Không tìm thấy tệp hoặc thư mục '{source}'.")
        for path in entries:
            out.extend(_take(path, workdir))
    return sorted(out, key=lambda i: (i.received_at.astimezone(dt.timezone.utc), i.name,
                                      i.source))


def _take(path: Path, workdir: Path) -> list[Incoming]:
    what = _not_a_file(path)
    if what == "":
        return []
    if what is not None:
        return [_refused(path, what)]
    if path.suffix.lower() in EMAIL_EXTS:
        return from_email(path, workdir)
    return [Incoming(path, nfc(path.name), file_time(path), str(path))]


def default_sources(workspace, period) -> list[Path]:
    """input/<period>/ of the workspace: where returned files are saved."""
    folder = workspace.input_dir(period)
    if not folder.is_dir():
        raise UsageError(f"Chưa có thư mục {folder}. Lưu các tệp báo cáo (hoặc thư .eml) "
                         "đơn vị gửi về vào thư mục này, hoặc chỉ rõ thư mục cần thu nhận.")
    return [folder]


def guess_unit(plan, item: Incoming) -> str | None:
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
