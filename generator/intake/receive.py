"""Gathering the files units sent back: a folder, single files, saved emails (.eml).

An .eml's workbook attachments are extracted (file names decoded by the stdlib
email package, RFC 2047 and RFC 2231 alike) and their time of receipt is the
message's Date header; any other file's time of receipt is its modification time.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UsageError
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


@dataclass(frozen=True)
class Incoming:
    path: Path  # a readable copy on disk
    name: str  # the file name as the unit sent it
    received_at: dt.datetime  # timezone-aware
    source: str  # where it came from (the file, or the .eml holding it)
    sender: str = ""  # the From address of an email, lower case


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


def is_workbook_part(part) -> bool:
    name = part.get_filename() or ""
    return Path(name).suffix.lower() in WORKBOOK_EXTS or \
        part.get_content_type().lower() in WORKBOOK_TYPES


def _message_time(message, path: Path) -> dt.datetime:
    try:
        header = message["Date"]
        moment = header.datetime if header is not None else None
    except (TypeError, ValueError, AttributeError):
        moment = None
    if moment is None:
        return file_time(path)
    return moment if moment.tzinfo else moment.astimezone()


def _sender(message) -> str:
    try:
        return email.utils.parseaddr(str(message.get("From", "")))[1].lower()
    except (TypeError, ValueError, IndexError):
        return ""


def from_email(path: Path, workdir: Path) -> list[Incoming]:
    """The workbook attachments of one saved email, written under workdir."""
    try:
        with open(path, "rb") as stream:
            message = email.message_from_binary_file(stream, policy=email.policy.default)
    except OSError as exc:
        raise UsageError(f"Không đọc được thư {path}: {exc}.") from None
    received, sender = _message_time(message, path), _sender(message)
    out = []
    # walk(), not iter_attachments(): forwarded messages nest their attachments.
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or not (part.get_filename() or part.is_attachment()):
            continue
        if not is_workbook_part(part):
            continue
        payload = part.get_payload(decode=True) or b""
        name = safe_name(part.get_filename() or "", f"tep-dinh-kem-{index + 1}.xlsx")
        # One folder per message and attachment: two emails may carry the same file name.
        folder = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        target = workdir / f"{folder}-{index + 1}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
        out.append(Incoming(target, name, received, str(path), sender))
    return out


def gather(sources, workdir: Path) -> list[Incoming]:
    """Every file to read from the given folders, files and .eml files, oldest first.

    Folders are read one level deep (an officer saves a period's returns into one
    folder); a missing source is a usage error naming it.
    """
    out: list[Incoming] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files = sorted(p for p in source.iterdir() if p.is_file() and not is_ignored(p))
        elif source.is_file():
            files = [source]
        else:
            raise UsageError(f"Không tìm thấy tệp hoặc thư mục '{source}'.")
        for path in files:
            if path.suffix.lower() in EMAIL_EXTS:
                out.extend(from_email(path, workdir))
            else:
                out.append(Incoming(path, nfc(path.name), file_time(path), str(path)))
    return sorted(out, key=lambda i: (i.received_at.astimezone(dt.timezone.utc), i.name,
                                      i.source))


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
