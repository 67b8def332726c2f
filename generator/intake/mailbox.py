"""`baocao mail fetch`: the returns units emailed, straight from the IMAP mailbox.

Every message of the configured folder (since the period's start) that carries a
workbook attachment is saved whole, as .eml, into input/<period>/, where `collect`
reads it like a message the officer saved by hand (attachments, Date header as the
time of receipt, sender). The mailbox is only read: bodies are fetched with
BODY.PEEK[] (no \\Seen flag) from a read-only SELECT; nothing is marked read, moved
or deleted unless asked (mark_read, move_to).

Never twice: a message is named <YYYYMMDD-HHMMSS>_<sha8 of its Message-ID>.eml and
recorded, with the sha256 of its bytes, in input/.mail-fetch.json; .eml files already
under input/ (saved by hand, or by a run whose index was lost) count too. Files and
the index are written under a temporary name, then renamed, after each message, so a
connection lost half-way leaves whole files only and a re-run goes on where it stopped.

A message that cannot be parsed is saved aside (input/<period>/_loi/, with a .txt
naming the problem) and reported as failed, never dropped; one whose period cannot be
told goes to input/_chua-ro-ky/.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import email.errors
import email.policy
import email.utils
import hashlib
import imaplib
import json
import os
import re
import socket
import ssl
import tempfile
from dataclasses import asdict, dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

from generator.errors import UsageError
from generator.excel import system_temp_prefix
from generator.intake import receive, safety
from generator.intake.book import Book, is_panic
from generator.intake.rules import read_identity
from generator.plan.periods import parse_period
from generator.text import clean, fmt_date, nfc

INDEX_NAME = ".mail-fetch.json"
UNKNOWN_DIR = "_chua-ro-ky"
ERROR_DIR = "_loi"
DEFAULT_PASSWORD_ENV = "BAOCAO_IMAP_PASSWORD"
TIMEOUT = 30  # seconds per socket operation
HEADER_FIELDS = "MESSAGE-ID DATE FROM SUBJECT CONTENT-TYPE"
HEADER_CHUNK = 200  # UIDs per header FETCH command
SAVED, SKIPPED, FAILED = "saved", "skipped", "failed"

# Parser defects that leave the message's parts (and so its attachments) in doubt.
BROKEN_STRUCTURE = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)
BROKEN_ENCODING = (
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


# --------------------------------------------------------------------------- result


@dataclass
class Item:
    """One message of the folder and what became of it."""

    uid: str
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    date: str = ""  # the Date header, ISO 8601
    file: str = ""  # where it was saved (or was saved before), relative to the workspace
    period: str | None = None  # the folder's period; None: could not be told
    reason: str = ""  # why it was skipped or failed, in Vietnamese
    note: str = ""  # anything else the officer should know

    def as_json(self) -> dict:
        out = asdict(self)
        out["from"] = out.pop("sender")
        return out


@dataclass
class FetchResult:
    period: str | None
    folder: str
    since: dt.date | None
    messages: int = 0  # in the folder (since the period's start)
    saved: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    failed: list[Item] = field(default_factory=list)
    interrupted: str | None = None  # the connection was lost: why, and what to do

    @property
    def unknown_period(self) -> list[Item]:
        return [i for i in self.saved if i.period is None]

    def as_json(self) -> dict:
        return {"period": self.period, "folder": self.folder,
                "since": self.since.isoformat() if self.since else None,
                "messages": self.messages,
                "saved": [i.as_json() for i in self.saved],
                "skipped": [i.as_json() for i in self.skipped],
                "failed": [i.as_json() for i in self.failed],
                "unknown_period": [i.file for i in self.unknown_period],
                "interrupted": self.interrupted}


def _who(item: Item) -> str:
    subject = f" «{item.subject}»" if item.subject else ""
    return f"{item.sender or 'không rõ người gửi'}{subject}"


def summary_lines(result: FetchResult) -> list[str]:
    """What the officer reads after a fetch, in Vietnamese."""
    since = f" từ ngày {fmt_date(result.since)}" if result.since else ""
    lines = [f"Thư mục thư {result.folder}{since}: {result.messages} thư; đã lưu "
             f"{len(result.saved)}, bỏ qua {len(result.skipped)}, lỗi {len(result.failed)}."]
    if result.saved:
        lines.append("Đã lưu:")
        for item in result.saved:
            where = "" if item.period else " (chưa rõ kỳ: xem và chuyển vào thư mục của kỳ)"
            note = f" — {item.note}" if item.note else ""
            lines.append(f"  {item.file}: {_who(item)}{where}{note}")
    if result.skipped:
        lines.append("Bỏ qua:")
        for item in result.skipped:
            lines.append(f"  {_who(item)}: {item.reason}")
    if result.failed:
        lines.append("Lỗi:")
        for item in result.failed:
            lines.append(f"  {_who(item)}: {item.reason}")
    return lines


# --------------------------------------------------------------------------- connection


def settings(workspace) -> dict:
    return workspace.section("imap")


def _why(exc: BaseException) -> str:
    """A network error in words an officer understands."""
    if isinstance(exc, socket.gaierror):
        return "không tìm thấy tên máy chủ"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "quá thời gian chờ máy chủ trả lời"
    if isinstance(exc, ConnectionRefusedError):
        return "máy chủ từ chối kết nối ở cổng này"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "máy chủ ngắt kết nối"
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"máy chủ ngắt kết nối: {_reply(exc)}"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return clean(str(text))


def _reply(exc: BaseException) -> str:
    """What the server said, from an imaplib error (whose argument is often bytes)."""
    return _text(exc.args[0] if exc.args else str(exc))


def _text(data) -> str:
    parts = data if isinstance(data, list) else [data]
    out = [p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p)
           for p in parts if p is not None]
    return clean(" ".join(out))


def connect(config: dict) -> imaplib.IMAP4:
    """A logged-in connection to the [imap] server; every failure is a UsageError
    (exit 2) saying, in Vietnamese, what to check."""
    host = str(config.get("host") or "").strip()
    if not host:
        raise UsageError("Chưa khai báo máy chủ nhận thư: điền 'host' trong mục [imap] của "
                         "baocao.toml (ví dụ host = \"mail.laocai.gov.vn\") rồi chạy lại.")
    security = str(config.get("security") or "ssl").strip().lower()
    if security not in ("ssl", "starttls", "none"):
        raise UsageError(f"Giá trị security = \"{security}\" trong mục [imap] của baocao.toml "
                         "không hợp lệ; ghi ssl, starttls hoặc none.")
    try:
        port = int(config.get("port") or (993 if security == "ssl" else 143))
    except (TypeError, ValueError):
        raise UsageError(f"Giá trị port = \"{config.get('port')}\" trong mục [imap] của "
                         "baocao.toml không phải một số (thường là 993 hoặc 143).") from None
    user = str(config.get("user") or "").strip()
    if not user:
        raise UsageError("Chưa khai báo tài khoản hộp thư: điền 'user' trong mục [imap] của "
                         "baocao.toml (ví dụ user = \"snv@laocai.gov.vn\") rồi chạy lại.")
    env = str(config.get("password_env") or DEFAULT_PASSWORD_ENV).strip()
    password = os.environ.get(env)
    if not password:
        raise UsageError(f"Thiếu mật khẩu hộp thư: đặt biến môi trường {env} (mật khẩu của "
                         f"{user}) rồi chạy lại; mật khẩu không ghi vào tệp cấu hình.")
    cafile = str(config.get("cafile") or "").strip() or None
    if cafile and not Path(cafile).is_file():
        raise UsageError(f"Không tìm thấy tệp chứng chỉ cafile = \"{cafile}\" trong mục [imap] "
                         "của baocao.toml.")
    where = f"{host}:{port}"
    server = None
    try:
        context = ssl.create_default_context(cafile=cafile)
        if security == "ssl":
            server = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT)
        else:
            server = imaplib.IMAP4(host, port, timeout=TIMEOUT)
            if security == "starttls":
                server.starttls(ssl_context=context)
    except ssl.SSLCertVerificationError as exc:
        _close(server)
        reason = clean(exc.verify_message or str(exc))
        raise UsageError(f"Chứng chỉ bảo mật (TLS) của máy chủ thư {where} không hợp lệ hoặc "
                         f"không đáng tin ({reason}). Kiểm tra tên máy chủ trong mục [imap]; "
                         "nếu cơ quan dùng chứng chỉ riêng, ghi đường dẫn tệp chứng chỉ gốc "
                         "vào cafile.") from None
    except ssl.SSLError as exc:
        _close(server)
        raise UsageError(f"Không thiết lập được kết nối bảo mật (TLS) với máy chủ thư {where} "
                         f"({clean(str(exc))}). Kiểm tra port và security: ssl thường dùng "
                         "cổng 993, starttls cổng 143.") from None
    except imaplib.IMAP4.error as exc:  # e.g. STARTTLS refused, or a greeting that is no IMAP
        _close(server)
        raise UsageError(f"Máy chủ {where} không trả lời như máy chủ IMAP ({_reply(exc)}). "
                         "Kiểm tra host, port và security trong mục [imap].") from None
    except OSError as exc:
        _close(server)
        raise UsageError(f"Không kết nối được máy chủ thư {where} ({_why(exc)}). Kiểm tra "
                         "mục [imap] trong baocao.toml và kết nối mạng.") from None
    try:
        if "LOGINDISABLED" in server.capabilities:
            raise UsageError(f"Máy chủ thư {where} không cho đăng nhập khi chưa mã hóa: đặt "
                             "security = \"starttls\" hoặc \"ssl\" trong mục [imap].")
        if user.isascii() and password.isascii():
            server.login(user, password)
        else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
            secret = f"\0{user}\0{password}".encode()
            server.authenticate("PLAIN", lambda _challenge: secret)
    except imaplib.IMAP4.abort as exc:
        _close(server)
        raise UsageError(f"Mất kết nối với máy chủ thư {where} khi đăng nhập "
                         f"({_why(exc)}).") from None
    except imaplib.IMAP4.error as exc:
        _close(server)
        raise UsageError(f"Máy chủ thư {host} từ chối đăng nhập của {user}: sai tên đăng nhập "
                         f"hoặc mật khẩu (biến môi trường {env}). Máy chủ trả lời: "
                         f"{_reply(exc)}") from None
    except OSError as exc:
        _close(server)
        raise UsageError(f"Mất kết nối với máy chủ thư {where} khi đăng nhập "
                         f"({_why(exc)}).") from None
    except UsageError:
        _close(server)
        raise
    return server


def _close(server) -> None:
    if server is None:
        return
    with contextlib.suppress(Exception):
        server.logout()
    with contextlib.suppress(Exception):
        server.shutdown()


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 'Đã lưu' -> '&ARA-a l&AbA-u'."""
    out, run = [], []

    def flush():
        if run:
            raw = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            out.append("&" + raw.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in nfc(name):
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    encoded = imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _select(server, folder: str, readonly: bool) -> None:
    typ, data = server.select(_quoted(folder), readonly=readonly)
    if typ != "OK":
        raise UsageError(f"Không mở được thư mục '{folder}' trong hộp thư ({_text(data)}). "
                         "Kiểm tra 'folder' trong mục [imap] của baocao.toml (mặc định INBOX).")


def _ensure_folder(server, folder: str) -> None:
    typ, data = server.list('""', _quoted(folder))
    if typ == "OK" and any(d for d in data if d):
        return
    typ, data = server.create(_quoted(folder))
    if typ != "OK":
        raise UsageError(f"Không tạo được thư mục '{folder}' trong hộp thư để chuyển thư đã "
                         f"lưu vào ({_text(data)}).")


def _capabilities(server) -> set[str]:
    """After login (imaplib keeps the greeting's shorter list)."""
    with contextlib.suppress(imaplib.IMAP4.error):
        typ, data = server.capability()
        if typ == "OK" and data and data[-1]:
            return set(_text(data[-1]).upper().split())
    return {str(c).upper() for c in server.capabilities}


def _search(server, since: dt.date | None) -> list[bytes]:
    criteria = ["ALL"] if since is None else [
        "SINCE", f"{since.day:02d}-{_MONTHS[since.month - 1]}-{since.year}"]
    typ, data = server.uid("SEARCH", *criteria)
    if typ != "OK":
        raise UsageError(f"Máy chủ thư không tìm được thư ({_text(data)}).")
    return sorted({u for part in data if part for u in part.split()}, key=int)


def _records(data) -> list[tuple[bytes, bytes | None]]:
    """(metadata, literal) per message of a FETCH answer; items after a literal are
    appended to its metadata."""
    out: list[list] = []
    for part in data or []:
        if isinstance(part, tuple):
            out.append([part[0], part[1]])
        elif isinstance(part, bytes) and out:
            out[-1][0] += b" " + part
        elif isinstance(part, bytes):
            out.append([part, None])
    return [(meta, literal) for meta, literal in out]


def _headers(server, uids: list[bytes]) -> dict[bytes, tuple[bytes, dt.datetime | None]]:
    """UID -> (the few header fields needed before any download, INTERNALDATE)."""
    out = {}
    for start in range(0, len(uids), HEADER_CHUNK):
        chunk = b",".join(uids[start:start + HEADER_CHUNK]).decode("ascii")
        typ, data = server.uid("FETCH", chunk,
                               f"(INTERNALDATE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])")
        if typ != "OK":
            continue  # each message is then fetched whole
        for meta, literal in _records(data):
            uid = _UID.search(meta)
            if uid is None:
                continue
            arrived = _INTERNALDATE.search(meta)
            moment = None
            if arrived:
                with contextlib.suppress(ValueError, TypeError, IndexError):
                    moment = email.utils.parsedate_to_datetime(
                        _internal_to_rfc(arrived.group(1).decode("ascii")))
            out[uid.group(1)] = (literal or b"", moment)
    return out


def _internal_to_rfc(value: str) -> str:
    """'16-Sep-2022 03:46:40 +0000' -> '16 Sep 2022 03:46:40 +0000'."""
    day, rest = value.strip().split(" ", 1)
    return day.replace("-", " ") + " " + rest


def _body(server, uid: bytes) -> bytes | None:
    typ, data = server.uid("FETCH", uid.decode("ascii"), "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(_text(data))
    for meta, literal in _records(data):
        if literal is not None and b"BODY[]" in meta.upper():
            return literal
    return None


# --------------------------------------------------------------------------- index


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _message_id(message) -> str:
    try:
        value = message.get("Message-ID")
    except (TypeError, ValueError, IndexError, AttributeError):
        return ""
    return " ".join(str(value or "").split())


def file_name(moment: dt.datetime | None, key: str) -> str:
    """<YYYYMMDD-HHMMSS>_<sha8 of the Message-ID>.eml: ASCII, sorts by date, one per message."""
    stamp = moment.strftime("%Y%m%d-%H%M%S") if moment else "00000000-000000"
    return f"{stamp}_{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}.eml"


def _write_atomic(target: Path, data: bytes) -> None:
    """A temporary file in the same folder, renamed: a reader never sees half a file.
    The temporary name is one `collect` ignores (hidden, .tmp)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class Index:
    """What earlier runs did with each message, keyed by Message-ID (or sha256 of the
    message when it has none), plus the .eml files under input/ it does not list yet."""

    def __init__(self, input_root: Path):
        self.root = input_root
        self.path = input_root / INDEX_NAME
        self.entries: dict[str, dict] = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and isinstance(loaded.get("messages"), dict):
                self.entries = loaded["messages"]
        except (OSError, ValueError):
            pass  # no index yet, or a damaged one: the files themselves are scanned below
        self.by_sha = {e["sha256"]: key for key, e in self.entries.items() if e.get("sha256")}
        self._scan()

    def _scan(self) -> None:
        listed = {e.get("file") for e in self.entries.values() if e.get("file")}
        paths = [*self.root.glob("*/*.eml"), *self.root.glob(f"*/{ERROR_DIR}/*.eml")]
        for path in sorted(paths):
            relative = path.relative_to(self.root).as_posix()
            if relative in listed or receive.is_ignored(path):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            sha = _sha256(data)
            headers = BytesHeaderParser(policy=email.policy.default).parsebytes(data)
            key = _message_id(headers) or f"sha256:{sha}"
            state = FAILED if f"/{ERROR_DIR}/" in f"/{relative}" else SAVED
            self.entries.setdefault(key, {"state": state, "file": relative, "sha256": sha})
            self.by_sha.setdefault(sha, key)

    def find(self, key: str = "", sha: str = "") -> dict | None:
        if key and key in self.entries:
            return self.entries[key]
        if sha and sha in self.by_sha:
            return self.entries.get(self.by_sha[sha])
        return None

    def add(self, key: str, **entry) -> None:
        self.entries[key] = {k: v for k, v in entry.items() if v not in (None, "")}
        if entry.get("sha256"):
            self.by_sha[entry["sha256"]] = key

    def save(self) -> None:
        document = {"version": 1, "messages": self.entries}
        text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
        _write_atomic(self.path, text.encode("utf-8"))


# --------------------------------------------------------------------------- messages


def _describe(item: Item, message, moment: dt.datetime | None) -> None:
    """Fill the sender, subject and date of an item from a message or its headers."""
    with contextlib.suppress(Exception):
        item.sender = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
    with contextlib.suppress(Exception):
        item.subject = clean(str(message.get("Subject", "")))
    if moment is not None:
        item.date = moment.isoformat()
    if not item.message_id:
        item.message_id = _message_id(message)


def _sent_at(message, arrived: dt.datetime | None) -> dt.datetime | None:
    """The Date header as the sender's clock had it; else when the server got it."""
    try:
        header = message["Date"]
        moment = header.datetime if header is not None else None
    except (TypeError, ValueError, AttributeError, IndexError):
        moment = None
    return moment or arrived


def _may_carry_attachment(content_type: str) -> bool:
    """From the top Content-Type alone: can the message hold a workbook (multipart, or a
    bare application/... body)? Those that cannot (text only) are not downloaded."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind.startswith(("multipart/", "application/"))


def _problem(message) -> str | None:
    """Why the parts of a message cannot be trusted, in Vietnamese; None if they can."""
    parts = list(message.walk())
    defects = [d for part in parts for d in part.defects]
    if any(isinstance(d, BROKEN_STRUCTURE) for d in defects):
        kinds = sorted({type(d).__name__ for d in defects if isinstance(d, BROKEN_STRUCTURE)})
        return ("cấu trúc MIME của thư bị hỏng (" + ", ".join(kinds) + "): không tách được "
                "chắc chắn các tệp đính kèm, thư có thể bị cắt ngang khi gửi")
    for part in parts:
        if part.is_multipart() or not _is_attachment(part) or not receive.is_workbook_part(part):
            continue
        payload = part.get_payload(decode=True)
        broken = [d for d in part.defects if isinstance(d, BROKEN_ENCODING)]
        if broken or not payload:
            name = part.get_filename() or "tệp đính kèm"
            return f"tệp đính kèm '{nfc(name)}' bị hỏng hoặc rỗng khi giải mã (base64)"
    return None


def _is_attachment(part) -> bool:
    """The same test receive.from_email applies before taking an attachment."""
    return bool(part.get_filename() or part.is_attachment())


def _attachments(message) -> list:
    return [p for p in message.walk() if not p.is_multipart() and _is_attachment(p)]


def _identity_period(parts, limit: int) -> str | None:
    """The period named in the hidden identity sheet of the first workbook that has one."""
    try:
        with tempfile.TemporaryDirectory(prefix=system_temp_prefix("thu")) as workdir:
            for index, part in enumerate(parts):
                payload = part.get_payload(decode=True) or b""
                suffix = Path(part.get_filename() or "").suffix.lower()
                path = Path(workdir) / f"tep-{index}{suffix if suffix.isascii() else ''}"
                path.write_bytes(payload)
                found = _read_period(path, limit)
                if found:
                    return found
    except OSError:  # no room for a scratch copy: the period stays unknown, nothing is lost
        return None
    return None


def _read_period(path: Path, limit: int) -> str | None:
    """Screened like intake does (size, zip bomb, a cell far beyond the form: the reader
    would build the whole rectangle up to it); a file the screen refuses is not read."""
    screened, archive = safety.screen_open(path, limit)
    try:
        if safety.is_rejected(screened):
            return None
        identity = read_identity(Book(path, archive))
    except Exception:  # a broken workbook: intake will say why, here the period is unknown
        return None
    except BaseException as exc:  # calamine panics surface as BaseException
        if not is_panic(exc):
            raise
        return None
    finally:
        if archive is not None:
            archive.close()
    value = (identity or {}).get("period", "")
    try:
        return parse_period(value).id if value else None
    except UsageError:
        return None


# --------------------------------------------------------------------------- the run


class _Run:
    def __init__(self, workspace, server, period, index: Index, move_to, mark_read,
                 capabilities):
        self.workspace, self.server, self.period, self.index = workspace, server, period, index
        self.move_to, self.mark_read, self.capabilities = move_to, mark_read, capabilities
        self.root = workspace.require()
        self.input_root = self.root / "input"
        self.limit = safety.limit_bytes(workspace)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def write(self, target: Path, data: bytes) -> None:
        """A disk that refuses a file stops the run (the next files would fail alike);
        it is not a lost connection."""
        try:
            _write_atomic(target, data)
        except OSError as exc:
            raise UsageError(f"Không ghi được tệp {self.relative(target)} "
                             f"({exc.strerror or exc}). Kiểm tra chỗ trống và quyền ghi "
                             "của thư mục input/ rồi chạy lại.") from None

    def folder(self, period_id: str | None) -> Path:
        return self.input_root / (period_id or UNKNOWN_DIR)

    def error_folder(self) -> Path:
        return (self.input_root / self.period.id if self.period else self.input_root) / ERROR_DIR

    def one(self, uid: bytes, head: bytes | None, arrived: dt.datetime | None
            ) -> tuple[str, Item]:
        item = Item(uid.decode("ascii"))
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(head or b"")
        _describe(item, headers, _sent_at(headers, arrived))
        key = item.message_id
        known = self.index.find(key) if key else None
        if known is not None:
            return self.known(uid, item, known)
        if head is not None and not _may_carry_attachment(str(headers.get("Content-Type", ""))):
            reason = "không có tệp đính kèm"
            if key:
                self.index.add(key, state=SKIPPED, reason=reason)
            item.reason = reason
            return SKIPPED, item
        raw = _body(self.server, uid)
        if raw is None:
            item.reason = "máy chủ không trả về nội dung thư (thư có thể vừa bị xóa)"
            return FAILED, item
        return self.judge(uid, item, raw, arrived)

    def known(self, uid: bytes, item: Item, entry: dict) -> tuple[str, Item]:
        state = entry.get("state")
        item.file = f"input/{entry['file']}" if entry.get("file") else ""
        item.period = entry.get("period")
        if state == SAVED:
            item.reason = f"đã lưu trước đây: {item.file}"
            self.after_save(uid, item)
        elif state == FAILED:
            item.reason = f"thư lỗi, đã lưu riêng trước đây: {item.file}"
        else:
            item.reason = entry.get("reason") or "đã xét trước đây"
        return SKIPPED, item

    def judge(self, uid: bytes, item: Item, raw: bytes, arrived) -> tuple[str, Item]:
        sha = _sha256(raw)
        key = item.message_id or f"sha256:{sha}"
        known = self.index.find(key, sha)
        if known is not None:
            return self.known(uid, item, known)
        try:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            _describe(item, message, _sent_at(message, arrived))
            problem = _problem(message)
        except Exception as exc:  # the stdlib parser is lenient; anything left is a broken message
            message, problem = None, f"không phân tích được thư ({clean(str(exc))[:200]})"
        moment = _sent_at(message, arrived) if message is not None else arrived
        name = file_name(moment, key)
        if problem is not None:
            return self.set_aside(item, key, sha, raw, name, problem)
        attached = _attachments(message)
        if not attached:
            return self.skip(item, key, "không có tệp đính kèm")
        books = [p for p in attached if receive.is_workbook_part(p)]
        if not books:
            names = ", ".join(nfc(p.get_filename() or p.get_content_type()) for p in attached)
            return self.skip(item, key, f"tệp đính kèm không phải bảng tính ({names})")
        found = _identity_period(books, self.limit)
        period_id = self.period.id if self.period else found
        if self.period and found and found != self.period.id:
            item.note = f"biểu mẫu trong thư là của kỳ {found}"
        target = self.folder(period_id) / name
        item.period, item.file = period_id, self.relative(target)
        if target.exists():  # same Message-ID and date: saved before the index knew it
            self.index.add(key, state=SAVED, file=target.relative_to(self.input_root).as_posix(),
                           sha256=_sha256(target.read_bytes()), period=period_id)
            self.index.save()
            item.reason = f"đã lưu trước đây: {item.file}"
            return SKIPPED, item
        self.write(target, raw)
        self.index.add(key, state=SAVED, file=target.relative_to(self.input_root).as_posix(),
                       sha256=sha, period=period_id)
        self.index.save()
        self.after_save(uid, item)
        return SAVED, item

    def skip(self, item: Item, key: str, reason: str) -> tuple[str, Item]:
        self.index.add(key, state=SKIPPED, reason=reason)
        item.reason = reason
        return SKIPPED, item

    def set_aside(self, item, key, sha, raw, name, problem) -> tuple[str, Item]:
        target = self.error_folder() / name
        self.write(target, raw)
        note = (f"Thư: {item.sender} «{item.subject}» ngày {item.date}\nMessage-ID: "
                f"{item.message_id}\nLỗi: {problem}.\nMở tệp .eml bằng Thunderbird hoặc "
                "Outlook để xem; nếu cần, đề nghị đơn vị gửi lại.\n")
        self.write(target.with_suffix(".txt"), note.encode("utf-8"))
        self.index.add(key, state=FAILED, file=target.relative_to(self.input_root).as_posix(),
                       sha256=sha, reason=problem)
        self.index.save()
        item.file = self.relative(target)
        item.reason = f"{problem}; thư đã được lưu riêng vào {item.file}"
        return FAILED, item

    def after_save(self, uid: bytes, item: Item) -> None:
        """Mark read and move, only when asked; a refusal is noted, never fatal."""
        problems = []
        if self.mark_read:
            typ, data = self.server.uid("STORE", uid.decode("ascii"), "+FLAGS", "(\\Seen)")
            if typ != "OK":
                problems.append(f"không đánh dấu đã đọc được ({_text(data)})")
        if self.move_to:
            moved = self.move(uid)
            if moved:
                problems.append(moved)
        if problems:
            item.note = "; ".join(filter(None, [item.note, *problems]))

    def move(self, uid: bytes) -> str | None:
        target, number = _quoted(self.move_to), uid.decode("ascii")
        if "MOVE" in self.capabilities:
            typ, data = self.server.uid("MOVE", number, target)
            return None if typ == "OK" else f"không chuyển được thư ({_text(data)})"
        typ, data = self.server.uid("COPY", number, target)
        if typ != "OK":
            return f"không chuyển được thư ({_text(data)})"
        if "UIDPLUS" not in self.capabilities:  # EXPUNGE alone would remove others' deletions
            return (f"đã chép sang {self.move_to} nhưng không xóa khỏi thư mục gốc (máy chủ "
                    "không hỗ trợ UIDPLUS)")
        self.server.uid("STORE", number, "+FLAGS", "(\\Deleted)")
        self.server.uid("EXPUNGE", number)
        return None


def fetch(workspace, period=None, move_to: str | None = None, mark_read: bool = False,
          progress=None) -> FetchResult:
    """Save the returns in the [imap] folder into input/; see the module docstring.

    period: the folder to save into and the SEARCH SINCE date (its first day); None:
    every message of the folder, each saved under the period of its form's identity.
    progress(done, total, state, item) is called after each message. A connection lost
    half-way ends the run with `interrupted` set; whatever was saved stays saved."""
    root = workspace.require()
    config = settings(workspace)
    folder = nfc(str(config.get("folder") or "INBOX").strip() or "INBOX")
    move_to = nfc(move_to.strip()) if move_to and move_to.strip() else None
    input_root = root / "input"
    input_root.mkdir(parents=True, exist_ok=True)
    result = FetchResult(period.id if period else None, folder,
                         period.start if period else None)
    index = Index(input_root)
    server = connect(config)
    if period is not None:  # where the returns go, even before the first one (collect --fetch)
        workspace.input_dir(period).mkdir(parents=True, exist_ok=True)
    done = 0
    try:
        _select(server, folder, readonly=not (move_to or mark_read))
        if move_to:
            _ensure_folder(server, move_to)
        run = _Run(workspace, server, period, index, move_to, mark_read, _capabilities(server))
        uids = _search(server, result.since)
        result.messages = len(uids)
        heads = _headers(server, uids)
        for uid in uids:
            head, arrived = heads.get(uid, (None, None))
            try:
                state, item = run.one(uid, head, arrived)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:  # the server refused this one message
                state, item = FAILED, Item(uid.decode("ascii"),
                                           reason=f"máy chủ từ chối ({_reply(exc)})")
            {SAVED: result.saved, SKIPPED: result.skipped, FAILED: result.failed}[state].append(
                item)
            done += 1
            if progress is not None:
                progress(done, len(uids), state, item)
    except (imaplib.IMAP4.abort, OSError) as exc:
        result.interrupted = (
            f"Mất kết nối với máy chủ thư sau {done}/{result.messages or '?'} thư "
            f"({_why(exc)}). Các thư đã lưu vẫn còn nguyên; chạy lại lệnh để lấy tiếp, thư "
            "đã lưu sẽ không bị lưu lại.")
    finally:
        with contextlib.suppress(OSError):
            index.save()
        _close(server)
    return result
