"""Email out: forms to units, reminders, the report to UBND tỉnh.

Messages are built with the stdlib `email` package (UTF-8 subjects as encoded words,
attachment names in RFC 2231 when not ASCII). Without sending they are written as
.eml drafts to output/<period>/thu/; drafts are reproducible: Date, Message-ID and
MIME boundary derive from the period and the message's key, never the wall clock.
Sending uses one SMTP connection; each message is tried on its own (a refused
recipient is reported, the rest go on) and recorded in the ledger under its key so
a re-run never sends the same message twice.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import email.header
import email.policy
import email.utils
import hashlib
import mimetypes
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from generator.errors import UsageError
from generator.excel import atomic_path
from generator.findings import has_errors
from generator.forms import layout as formspec
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.text import fmt_date, fmt_date_long, fmt_int, nfc
from generator.vocab import (
    HELD,
    LATE,
    MISSING,
    ON_TIME,
    REJECTED,
    STATE_BY_KEY,
    SUBMISSION_STATES,
    status_list,
)

KINDS = ("forms", "remind", "report")
VN_TZ = dt.timezone(dt.timedelta(hours=7))
DRAFT_PREFIX = {"forms": "bieu-mau", "remind": "nhac", "report": "bao-cao"}
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CONTENT_TYPES = {
    ".xlsx": XLSX,
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".pdf": ("application", "pdf"),
    ".xls": ("application", "vnd.ms-excel"),
}
# The states a unit is reminded of.
REMINDED = (MISSING.key, LATE.key, REJECTED.key)


@dataclass
class Outgoing:
    """One message to write or send; `key` identifies it in the ledger."""

    key: str
    kind: str
    unit: str  # unit code, '' for the report
    message: EmailMessage
    draft_name: str

    @property
    def recipients(self) -> list[str]:
        return [addr for _name, addr in email.utils.getaddresses(self.message.get_all("To", []))
                if addr]


@dataclass
class Batch:
    kind: str
    period: str
    messages: list[Outgoing] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)  # units with no address in the plan


@dataclass
class MailResult:
    kind: str
    period: str
    drafts: list[Path] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[Outgoing] = field(default_factory=list)  # sent by an earlier run
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"period": self.period, "kind": self.kind,
                "drafts": [str(p) for p in self.drafts],
                "sent": [m.key for m in self.sent], "skipped": [m.key for m in self.skipped],
                "failed": [{"key": m.key, "unit": m.unit, "recipients": m.recipients,
                            "error": reason} for m, reason in self.failed],
                "no_email": self.no_email}


# --------------------------------------------------------------------------- settings

def settings(workspace) -> dict:
    return workspace.section("email")


def sender_address(workspace, plan) -> str:
    """The From address: [email] sender, else the plan's focal point."""
    configured = str(settings(workspace).get("sender") or "").strip()
    if configured:
        return configured
    address = plan.details.get("focal_email") or plan.focal.email
    return email.utils.formataddr((plan.focal.name, address)) if address else ""


# --------------------------------------------------------------------------- building

def _stable(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _at(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=VN_TZ)


def _domain(address: str) -> str:
    addr = email.utils.parseaddr(address)[1]
    return addr.rsplit("@", 1)[1] if "@" in addr else "baocao.local"


def new_message(key: str, sender: str, to: list[str], subject: str, body: str,
                date: dt.datetime, attachments=()) -> EmailMessage:
    """A message whose bytes depend only on its arguments (and the attached files)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    # Encoded here, not by the policy: its refolding drops the space between two
    # encoded words ("chưa hợp" read back as "chưahợp", CPython 3.11).
    msg.set_raw("Subject", email.header.Header(nfc(subject), "utf-8",
                                               header_name="Subject").encode())
    msg["Date"] = email.utils.format_datetime(date)
    msg["Message-ID"] = f"<{_stable(key)[:32]}@{_domain(sender)}>"
    msg.set_content(nfc(body))
    for path in attachments:
        path = Path(path)
        maintype, subtype = CONTENT_TYPES.get(path.suffix.lower()) or tuple(
            (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/"))
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=nfc(path.name))
    if msg.is_multipart():
        # The generator would pick a random boundary; base64 never contains '_'.
        msg.set_boundary(f"=_baocao_{_stable(key, 'boundary')[:24]}")
    return msg


def _signature(plan) -> str:
    focal = plan.focal
    address = plan.details.get("focal_email") or focal.email
    return (f"Mọi vướng mắc xin liên hệ {focal.name}"
            + (f" (thư điện tử: {address})" if address else "") + ".\n\nTrân trọng.\n"
            + focal.name + "\n")


def _plan_ref(plan) -> str:
    return (f"Kế hoạch số {plan.number} {fmt_date_long(plan.date)} của "
            f"{plan.details.get('issuer', '')}")


def _units_expected(plan):
    return [u for u in plan.units.values() if plan.tasks_for(u.code)]


def build_forms(workspace, plan, period, units=None) -> Batch:
    """One message per unit with its form attached (forms must already be written)."""
    batch = Batch("forms", period.id)
    sender = sender_address(workspace, plan)
    wanted = [plan.unit(code) for code in units] if units else _units_expected(plan)
    missing = [u.code for u in wanted if not workspace.form_path(period, u).is_file()]
    if missing:
        raise UsageError(f"Chưa có biểu mẫu kỳ {period.id} của {len(missing)} đơn vị "
                         f"({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}) trong "
                         f"{workspace.forms_dir(period)}. Chạy 'baocao forms -p {period.id}' trước.")
    for unit in wanted:
        if not unit.email:
            batch.no_email.append(unit.code)
            continue
        form = workspace.form_path(period, unit)
        deadline = plan.deadline(unit.code, period, workspace.deadline_days)
        body = forms_body(plan, period, unit, form.name, deadline)
        key = f"forms/{period.id}/{unit.code}"
        msg = new_message(key, sender, [unit.email],
                          f"Biểu mẫu báo cáo {period.label} - {plan.number} - {unit.name}",
                          body, _at(dt.date(period.year, period.last_month, 1)), [form])
        batch.messages.append(Outgoing(key, "forms", unit.code, msg,
                                       f"{DRAFT_PREFIX['forms']}_{unit.code}_{period.id}.eml"))
    return batch


def forms_body(plan, period, unit, file_name: str, deadline: dt.date) -> str:
    reply_to = plan.recipient_email(unit)
    return (
        f"Kính gửi: {unit.name}.\n\n"
        f"Thực hiện {_plan_ref(plan)}, {plan.focal.name} gửi {unit.name} biểu mẫu báo cáo "
        f"kết quả thực hiện {period.label} (tệp đính kèm {file_name}).\n\n"
        f"Hạn gửi báo cáo: {fmt_date_long(deadline)}.\n"
        f"Số liệu báo cáo tính từ {fmt_date_long(period.cutoff_start)} đến "
        f"{fmt_date_long(period.cutoff_end)}.\n\n"
        "Hướng dẫn điền biểu mẫu:\n"
        f"1. Mở tệp đính kèm bằng Excel hoặc LibreOffice, đọc trang \"{formspec.SHEET_GUIDE}\".\n"
        f"2. Trang \"{formspec.SHEET_REPORT}\": với mỗi nhiệm vụ, chọn Tình trạng "
        f"({status_list()}); nhiệm vụ đã hoàn thành ghi Ngày hoàn thành "
        "(ngày/tháng/năm); ghi Kết quả thực hiện và khó khăn, vướng mắc (nếu có).\n"
        f"3. Trang \"{formspec.SHEET_INDICATORS}\": ghi số liệu vào cột "
        f"\"{formspec.INDICATOR_COLUMNS['value']}\" (chỉ ghi số).\n"
        "4. Ghi người lập biểu, số điện thoại, ngày lập báo cáo và thủ trưởng đơn vị.\n"
        "5. Không đổi tên trang tính, không xóa hàng, cột; lưu tệp dạng Excel (.xlsx).\n"
        f"6. Gửi lại tệp qua thư điện tử về địa chỉ {reply_to} trước hạn.\n\n"
        + _signature(plan))


def _reminded(item) -> bool:
    """Missing, late and rejected units are reminded; a unit whose file was accepted on time
    with findings is sent them, with its feedback, to fix and send the file again. (A held
    file waits for the officer's `baocao confirm`, not for the unit.)"""
    return item.state in REMINDED or (item.state == ON_TIME.key and item.receipt is not None
                                      and bool(item.receipt.findings))


def build_remind(workspace, plan, period, units=None) -> Batch:
    """A reminder to every unit missing, late or rejected for the period, and the findings
    (with the feedback workbook) to every unit whose file was accepted with findings."""
    report = status(workspace, plan, period)
    batch = Batch("remind", period.id)
    sender = sender_address(workspace, plan)
    for item in report.units:
        if not _reminded(item) or (units and item.code not in units):
            continue
        unit = plan.units[item.code]
        if not unit.email:
            batch.no_email.append(unit.code)
            continue
        attachments, findings = [], []
        if item.state != MISSING.key and item.receipt and item.receipt.findings:
            findings = list(item.receipt.findings)
            feedback = workspace.feedback_path(period, unit)
            if feedback.is_file():
                attachments.append(feedback)
        if item.state == MISSING.key:
            form = workspace.form_path(period, unit)
            if form.is_file():
                attachments.append(form)
        body = remind_body(plan, period, unit, item, findings,
                           [p.name for p in attachments])
        # The key carries what the reminder says: the same reminder is never sent twice,
        # a changed situation (a new rejected file) makes a new one.
        digest = _stable(item.state, *(f.message for f in findings),
                         item.receipt.sha256 if item.receipt else "")[:12]
        key = f"remind/{period.id}/{unit.code}/{item.state}/{digest}"
        subject = (f"Nhắc báo cáo {period.label} - {plan.number} - {unit.name} "
                   f"{STATE_BY_KEY[item.state].wording}" if item.state in REMINDED else
                   f"Phản hồi báo cáo {period.label} - {plan.number} - {unit.name}: có nội "
                   f"dung cần {'sửa' if has_errors(findings) else 'lưu ý'}")
        msg = new_message(key, sender, [unit.email], subject, body,
                          _at(item.deadline + dt.timedelta(days=1)), attachments)
        batch.messages.append(Outgoing(key, "remind", unit.code, msg,
                                       f"{DRAFT_PREFIX['remind']}_{unit.code}_{period.id}.eml"))
    return batch


def remind_body(plan, period, unit, item, findings, attached: list[str]) -> str:
    deadline = fmt_date_long(item.deadline)
    reply_to = plan.recipient_email(unit)
    lines = [f"Kính gửi: {unit.name}.", ""]
    if item.state == MISSING.key:
        lines.append(f"Đến nay {plan.focal.name} chưa nhận được báo cáo kết quả thực hiện "
                     f"{_plan_ref(plan)} {period.label} của {unit.name} (hạn gửi: {deadline}).")
        lines.append(f"Đề nghị đơn vị hoàn thành và gửi báo cáo về địa chỉ {reply_to} sớm nhất.")
    elif item.state != REJECTED.key:  # accepted: late, or on time with findings
        received = fmt_date(item.receipt.received_at.date())
        if item.state == LATE.key:
            lines.append(f"{plan.focal.name} đã nhận báo cáo {period.label} của {unit.name} "
                         f"ngày {received}, sau hạn gửi ({deadline}).")
            lines.append("Đề nghị đơn vị gửi báo cáo đúng hạn trong các kỳ sau.")
        else:
            lines.append(f"{plan.focal.name} đã nhận báo cáo {period.label} của {unit.name} "
                         f"ngày {received} ({item.receipt.file_name}) và đưa vào tổng hợp.")
        if findings:
            # Warnings alone (a row the unit added, a result left empty) ask for a look, not
            # for a correction.
            errors = has_errors(findings)
            lines.append("")
            lines.append(f"Báo cáo còn các điểm cần {'sửa' if errors else 'lưu ý'} sau:")
            lines.extend(f"- {f.message}" for f in findings)
            lines.append("")
            lines.append(("Đề nghị đơn vị sửa ngay trong tệp đã gửi" if errors else
                          "Đề nghị đơn vị xem lại; nếu cần sửa, sửa ngay trong tệp đã gửi")
                         + f" và gửi lại về địa chỉ {reply_to}; tệp gửi lại sẽ thay tệp trước "
                         "trong tổng hợp.")
    else:
        name = item.receipt.file_name if item.receipt else ""
        lines.append(f"Tệp báo cáo {period.label} đơn vị gửi ({name}) chưa được chấp nhận "
                     f"vì có các lỗi sau:")
        lines.extend(f"- {f.message}" for f in findings)
        lines.append("")
        lines.append(f"Đề nghị đơn vị sửa các lỗi trên và gửi lại tệp về địa chỉ {reply_to} "
                     f"(hạn gửi: {deadline}).")
    if attached:
        # Anything but the blank form is the feedback workbook, worded for every file: a
        # rejected file's errors (another unit's or period's form) have no cell to colour,
        # and the workbook lists each finding.
        what = ("Biểu mẫu báo cáo" if item.state == MISSING.key
                else "Tệp phản hồi (danh sách từng lỗi và cách sửa)")
        lines.append(f"{what} gửi kèm thư này: {', '.join(attached)}.")
    return "\n".join(lines) + "\n\n" + _signature(plan)


def report_files(workspace, period) -> list[Path]:
    docx = workspace.report_path(period.id)
    paths = [docx, docx.with_suffix(".pdf"), workspace.workbook_path(period.id)]
    return [p for p in paths if p.is_file()]


def _receipt_sentence(report) -> str:
    """'Đến nay, 27/29 đơn vị đã gửi báo cáo (24 đúng hạn, 3 trễ hạn); 1 đơn vị gửi báo cáo
    chưa hợp lệ; 1 đơn vị gửi tệp đang chờ xác nhận.': every unit counted once, a state
    named only when some unit is in it."""
    count = {s.key: len(report.codes(s.key)) for s in SUBMISSION_STATES}
    received = count[ON_TIME.key] + count[LATE.key]
    counted = ", ".join(f"{fmt_int(count[s.key])} {s.label.lower()}" for s in (ON_TIME, LATE)
                        if count[s.key])
    text = (f"Đến nay, {fmt_int(received)}/{fmt_int(len(report.expected))} đơn vị đã gửi báo "
            "cáo" + (f" ({counted})" if counted else ""))
    for state in (MISSING, REJECTED, HELD):
        if count[state.key]:
            text += f"; {fmt_int(count[state.key])} đơn vị {state.wording}"
    return text + "."


def build_report(workspace, plan, period, units=None) -> Batch:
    """The Word report, its PDF and the consolidated workbook to UBND tỉnh (`units` unused:
    the report has one set of recipients)."""
    files = report_files(workspace, period)
    if not files:
        raise UsageError(f"Chưa có báo cáo kỳ {period.id} trong {workspace.output_dir(period)}. "
                         f"Chạy 'baocao collect -p {period.id}' hoặc 'baocao report -p "
                         f"{period.id}' trước.")
    to = report_recipients(workspace)
    report = status(workspace, plan, period)
    body = (
        f"Kính gửi: {addressee(workspace, plan)}.\n\n"
        f"{plan.focal.name} gửi Báo cáo kết quả thực hiện {_plan_ref(plan)} "
        f"{period.label}.\n\n{_receipt_sentence(report)}\n\n"
        "Tệp gửi kèm:\n" + "".join(f"- {p.name}\n" for p in files) + "\n" + _signature(plan))
    digest = _stable(*(hashlib.sha256(p.read_bytes()).hexdigest() for p in files))[:12]
    key = f"report/{period.id}/{digest}"
    msg = new_message(key, sender_address(workspace, plan), to,
                      f"Báo cáo kết quả thực hiện {plan.number} {period.label}", body,
                      _at(period.end), files)
    batch = Batch("report", period.id)
    batch.messages.append(Outgoing(key, "report", "", msg,
                                   f"{DRAFT_PREFIX['report']}_{period.id}.eml"))
    return batch


def report_recipients(workspace) -> list[str]:
    """Where the report goes: [email] report_to, else the addressee's address next to
    "Kính gửi" in [report] (addressee_email)."""
    listed = [str(a) for a in settings(workspace).get("report_to") or [] if str(a).strip()]
    own = str(workspace.section("report").get("addressee_email") or "").strip()
    return listed or ([own] if own else [])


def addressee(workspace, plan=None) -> str:
    """The report's "Kính gửi", as in the Word report: [report] addressee, else the plan's
    issuer written out ('Ủy ban nhân dân tỉnh Lào Cai'; the heading style of the config,
    'UBND TỈNH LÀO CAI', when there is no plan)."""
    own = str(workspace.section("report").get("addressee") or "").strip()
    if own:
        return own
    if plan is not None and plan.details.get("issuer"):
        words = str(plan.details["issuer"]).split()
    else:
        words = str(workspace.section("report").get("managing_body") or "UBND tỉnh").split()
        if len(words) >= 2 and words[0].upper() == "UBND":
            words = ["UBND", words[1].lower(), *(w.capitalize() for w in words[2:])]
    if words and words[0] == "UBND":
        words[0] = "Ủy ban nhân dân"
    return " ".join(words)


BUILDERS = {"forms": build_forms, "remind": build_remind, "report": build_report}


# --------------------------------------------------------------------------- drafts

def write_drafts(batch: Batch, folder: Path, prune: bool = True) -> list[Path]:
    """Each message as an .eml file; with prune, this kind's stale drafts for the period
    (from an earlier run, for every unit) are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = {m.draft_name for m in batch.messages}
    prefix = DRAFT_PREFIX[batch.kind]
    for old in folder.glob(f"{prefix}_*{batch.period}.eml"):
        if prune and old.name not in keep:
            old.unlink()  # a reminder to a unit that has since reported must not linger
    written = []
    for item in batch.messages:
        draft = copy.deepcopy(item.message)
        draft["X-Unsent"] = "1"  # Outlook opens the file as a message ready to send
        path = folder / item.draft_name
        data = draft.as_bytes(policy=email.policy.SMTP)
        if not path.is_file() or path.read_bytes() != data:
            with atomic_path(path) as tmp:  # never half a message under a draft's name
                tmp.write_bytes(data)
        written.append(path)
    return written


# --------------------------------------------------------------------------- sending

def connect(config: dict) -> smtplib.SMTP:
    host = str(config.get("host") or "").strip()
    if not host:
        raise UsageError("Chưa khai báo máy chủ gửi thư: điền 'host' trong mục email của "
                         "baocao.toml (ví dụ host = \"smtp.laocai.gov.vn\") rồi chạy lại.")
    security = str(config.get("security") or "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        raise UsageError(f"Giá trị security = \"{security}\" trong mục email của baocao.toml "
                         "không hợp lệ; ghi starttls, ssl hoặc none.")
    port = int(config.get("port") or (465 if security == "ssl" else 587))
    user = str(config.get("user") or "").strip()
    password = None
    if user:
        env = str(config.get("password_env") or "BAOCAO_SMTP_PASSWORD")
        password = os.environ.get(env)
        if password is None:
            raise UsageError(f"Thiếu mật khẩu thư: đặt biến môi trường {env} (mật khẩu của "
                             f"{user}) rồi chạy lại; mật khẩu không ghi vào tệp cấu hình.")
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=30,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=30)
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
        if user:
            server.login(user, password)
    except smtplib.SMTPAuthenticationError:
        raise UsageError(f"Máy chủ thư {host} từ chối đăng nhập của {user}: kiểm tra tên "
                         "đăng nhập và mật khẩu.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise UsageError(f"Không kết nối được máy chủ thư {host}:{port} ({exc}). Kiểm tra "
                         "mục email trong baocao.toml và kết nối mạng.") from None
    return server


def _refusal(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items()]
        return "máy chủ từ chối người nhận " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"máy chủ trả lời {exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or exc.__class__.__name__


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def send(batch: Batch, workspace, now: dt.datetime | None = None) -> MailResult:
    """Send every message not sent before; one failure does not stop the rest."""
    result = MailResult(batch.kind, batch.period, no_email=list(batch.no_email))
    with Ledger(workspace) as ledger:
        pending = []
        for item in batch.messages:
            (result.skipped if ledger.mail_sent(item.key) else pending).append(item)
        if not pending:
            return result
        config = settings(workspace)
        server = connect(config)
        try:
            for item in pending:
                if not item.recipients:
                    result.failed.append((item, "chưa có địa chỉ người nhận (addressee_email "
                                                "trong mục report hoặc report_to trong mục "
                                                "email của baocao.toml)"))
                    continue
                message = copy.deepcopy(item.message)
                del message["Date"]
                message["Date"] = email.utils.format_datetime(
                    now or dt.datetime.now().astimezone())
                try:
                    refused = server.send_message(message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                        smtplib.SMTPSenderRefused) as exc:
                    result.failed.append((item, _refusal(exc)))
                    continue
                except (smtplib.SMTPException, OSError) as exc:
                    result.failed.append((item, _refusal(exc)))
                    server = _reconnect(server, config)
                    continue
                if refused:
                    result.failed.append((item, _refusal(
                        smtplib.SMTPRecipientsRefused(refused))))
                ledger.record_mail(item.key, batch.period, batch.kind, item.unit,
                                   [a for a in item.recipients if a not in (refused or {})])
                result.sent.append(item)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.quit()
    return result


def _reconnect(server, config):
    """After a dropped connection, open a new one for the remaining messages."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        server.close()
    return connect(config)


# --------------------------------------------------------------------------- entry point

def run(kind: str, workspace, plan, period, send_now: bool = False, units=None
        ) -> MailResult:
    """Build one kind of message for the period; write drafts, or send them."""
    if kind not in BUILDERS:
        raise UsageError(f"Loại thư '{kind}' không hợp lệ; chọn một trong: {', '.join(KINDS)}.")
    if send_now and not str(settings(workspace).get("host") or "").strip():
        connect(settings(workspace))  # raises the Vietnamese usage error before any work
    batch = BUILDERS[kind](workspace, plan, period, units=units or None)
    if send_now:
        return send(batch, workspace)
    result = MailResult(kind, period.id, no_email=list(batch.no_email))
    result.drafts = write_drafts(batch, workspace.mail_dir(period),
                                 prune=not units)
    return result
