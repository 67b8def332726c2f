"""`baocao mail fetch` against a real IMAP server: Dovecot, started for each test on
127.0.0.1 with a throw-away mailbox (no mocks). Skipped only when Dovecot is absent;
CI installs it (dovecot-imapd)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import email.policy
import email.utils
import grp
import imaplib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import requires_soffice
from test_collect import fill

from generator import office
from generator.forms import writer as forms
from generator.intake import mailbox as fetch_module
from generator.intake.mailbox import INDEX_NAME, fetch, imap_utf7
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.vocab import unit_file_name
from generator.workspace import find_workspace

DOVECOT = Path("/usr/sbin/dovecot")
pytestmark = pytest.mark.skipif(not DOVECOT.is_file(),
                                reason="Dovecot is not installed (apt-get install dovecot-imapd)")

PERIOD = parse_period("2022-Q3")
VN = dt.timezone(dt.timedelta(hours=7))
USER, PASSWORD = "snv@laocai.gov.vn", "mật-khẩu thử 123"
ENV = "BAOCAO_IMAP_PASSWORD"
TYPES = {".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         ".xls": ("application", "vnd.ms-excel"),
         ".ods": ("application", "vnd.oasis.opendocument.spreadsheet"),
         ".pdf": ("application", "pdf")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """A Dovecot of its own: config, sockets, log and maildir in one short temporary
    folder (unix socket paths are limited to 108 bytes), run in the foreground."""

    def __init__(self, tls: tuple[Path, Path] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="baocao-imap-"))
        self.port, self.ssl_port = free_port(), free_port() if tls else 0
        self.proc = None
        if os.geteuid() == 0:  # the login and mail processes must not run as root
            try:
                mail_user, login_user = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
            except KeyError:
                pytest.skip("Dovecot's system users (dovecot, dovenull) are missing")
            self.dir.chmod(0o755)
            internal, login, auth = mail_user.pw_name, login_user.pw_name, "root"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            internal = login = auth = mail_user.pw_name
        maildir = self.dir / "mail"
        maildir.mkdir()
        os.chown(maildir, mail_user.pw_uid, mail_user.pw_gid)
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        ssl_lines = "ssl = no"
        if tls:
            ssl_lines = f"ssl = yes\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}"
        (self.dir / "dovecot.conf").write_text(f"""\
base_dir = {self.dir}/run
state_dir = {self.dir}/state
listen = 127.0.0.1
protocols = imap
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {self.dir}/dovecot.log
mail_location = maildir:{maildir}/%u
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={maildir}/%u
}}
service auth {{
  user = {auth}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
  }}
}}
""", encoding="utf-8")
        self.start()

    def start(self) -> None:
        log = open(self.dir / "master.log", "ab")  # noqa: SIM115 - kept open by the child
        # A session of its own: stop() ends the master and every process it started.
        self.proc = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.dir / "dovecot.conf")],
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Dovecot did not start:\n" + self.logs())
            time.sleep(0.05)

    def stop(self) -> None:
        """The server goes away: its imap processes too, open connections are cut."""
        if self.proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)  # the group of the master this test started
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.proc = None

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.dir.glob("*.log")))

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        return client

    def append(self, *messages: tuple[bytes, dt.datetime], folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw, when in messages:
                typ, data = client.append(folder, None, imaplib.Time2Internaldate(when), raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> list[str]:
        """The FLAGS of every message in a folder, in order."""
        client = self.client()
        try:
            typ, data = client.select(f'"{imap_utf7(folder)}"', readonly=True)
            assert typ == "OK", data
            if int(data[0]) == 0:
                return []
            typ, data = client.fetch("1:*", "(FLAGS)")
            return [part.decode() for part in data if isinstance(part, bytes)]
        finally:
            client.logout()


@pytest.fixture
def dovecot():
    server = Dovecot()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def configure(ws, port: int, security: str = "none", **extra) -> None:
    """The [imap] section of the workspace's baocao.toml, pointing at the test server."""
    path = ws.root / "baocao.toml"
    head = path.read_text(encoding="utf-8").split("\n[imap]")[0]
    lines = ['host = "127.0.0.1"', f"port = {port}", f'security = "{security}"',
             f'user = "{USER}"', f'password_env = "{ENV}"']
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in extra.items()]
    path.write_text(head + "\n[imap]\n" + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def ws(workspace, dovecot, monkeypatch, made):
    (workspace.state_dir / "secret.key").write_text(made["key"].hex())
    configure(workspace, dovecot.port)
    monkeypatch.setenv(ENV, PASSWORD)
    return find_workspace(explicit=workspace.root)


@pytest.fixture(scope="module")
def made(tmp_path_factory, default_plan):
    """Filled returns of a few units, signed with a fixed key; bytes by name."""
    folder = tmp_path_factory.mktemp("returns")
    key = bytes(range(32))
    out = {"key": key, "folder": folder}

    def make(code, period=PERIOD, result="Đã tổ chức 2 hội nghị tuyên truyền", name=None):
        path = folder / (name or unit_file_name(default_plan.units[code], period))
        forms.write_form(default_plan, code, period, key, path)
        return fill(path, {t.tt for t, _ in default_plan.tasks_for(code)}, result)

    for code in ("STP", "SYT", "SGDDT", "SKHDT", "SCT", "STC", "SNNPTNT"):
        out[code] = make(code)
    out["STP-v2"] = make("STP", result="Đã tổ chức 5 hội nghị", name="STP_v2.xlsx")
    out["STC-Q2"] = make("STC", parse_period("2022-Q2"), name="STC_2022-Q2.xlsx")
    plain = folder / "bang-tinh-tu-lam.xlsx"  # a workbook with no identity sheet
    book = openpyxl.Workbook()
    book.active["A1"] = "Báo cáo tự lập"
    book.save(plain)
    out["plain"] = plain
    return out


def mail(code: str, day: int, attachments=(), subject=None, month: int = 9,
         message_id: bool = True, body: str = "Kính gửi Sở Nội vụ, đơn vị gửi báo cáo.") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{code} <{code.lower()}@laocai.gov.vn>"
    msg["To"] = USER
    msg["Subject"] = subject or f"Báo cáo quý III năm 2022 của {code}"
    msg["Date"] = email.utils.format_datetime(dt.datetime(2022, month, day, 8, 30, tzinfo=VN))
    if message_id:
        msg["Message-ID"] = f"<{code.lower()}-{month}-{day}-{len(attachments)}@laocai.gov.vn>"
    msg.set_content(body)
    for path in attachments:
        path = Path(path)
        maintype, subtype = TYPES[path.suffix.lower()]
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=path.name)
    return bytes(msg)


def malformed(code: str, day: int, workbook: Path) -> bytes:
    """A message cut off half-way through its attachment: no closing boundary."""
    data = base64.encodebytes(workbook.read_bytes()).decode("ascii")
    data = data[: len(data) // 2 - 3]
    when = email.utils.format_datetime(dt.datetime(2022, 9, day, 9, 0, tzinfo=VN))
    return (f"From: {code} <{code.lower()}@laocai.gov.vn>\r\nTo: {USER}\r\n"
            f"Subject: Bao cao quy III\r\nDate: {when}\r\n"
            f"Message-ID: <hong-{code.lower()}@laocai.gov.vn>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="RANH-GIOI"\r\n\r\n'
            "--RANH-GIOI\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGui bao cao.\r\n"
            "--RANH-GIOI\r\nContent-Type: application/vnd.openxmlformats-officedocument."
            f'spreadsheetml.sheet\r\nContent-Disposition: attachment; filename="{code}.xlsx"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{data}").encode("ascii")


def at(day: int, month: int = 9) -> dt.datetime:
    return dt.datetime(2022, month, day, 9, 0, tzinfo=VN)


def saved_files(ws) -> dict[str, list[str]]:
    """input/ folder -> its .eml files (the index and temporary files excluded)."""
    root = ws.root / "input"
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != INDEX_NAME and path.suffix != ".xlsx":
            out.setdefault(path.parent.relative_to(root).as_posix(), []).append(path.name)
    return out


def fetch_json(run, ws, *args):
    result = run(["--json", "mail", "fetch", *args], ws)
    return result, json.loads(result.stdout) if result.stdout.strip().startswith("{") else None


# --------------------------------------------------------------------------- tests


def test_imap_folder_names_are_modified_utf7():
    assert imap_utf7("INBOX") == "INBOX"
    assert imap_utf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"  # RFC 3501
    assert imap_utf7("Đã lưu & xong") == "&ARAA4w- l&AbA-u &- xong"


@requires_soffice
def test_fetch_saves_the_right_messages_once_and_collect_matches_the_mailbox(
        ws, dovecot, made, run, tmp_path):
    xls = office.convert(made["SYT"], "xls:MS Excel 97", tmp_path / "xls")
    ods = office.convert(made["SGDDT"], "ods", tmp_path / "ods")
    stp = mail("STP", 12, [made["STP"]])
    nameless = mail("SKHDT", 13, [made["SKHDT"]], message_id=False)
    pdf = tmp_path / "cong-van.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    dovecot.append(
        (mail("STC", 20, [made["STC"]], month=6), at(20, 6)),  # before the period: not read
        (stp, at(12)),
        (stp, at(12)),  # the same message twice
        (mail("STP", 14, [made["STP-v2"]], subject="Gửi lại báo cáo (đã sửa)"), at(14)),
        (mail("SYT", 20, [xls]), at(20)),
        (mail("SGDDT", 13, [ods]), at(13)),
        (nameless, at(13)),
        (nameless, at(13)),  # no Message-ID: known by its content
        (mail("SNNPTNT", 9, body="Đơn vị sẽ gửi báo cáo sau."), at(9)),  # no attachment
        (mail("SCT", 10, [pdf]), at(10)),  # an attachment, not a workbook
        (malformed("STC", 11, made["STC"]), at(11)),
    )
    result, first = fetch_json(run, ws, "-p", "2022-Q3")
    assert result.exit_code == 1, result.output  # the malformed message failed
    assert first["messages"] == 10 and first["since"] == "2022-07-01"
    assert sorted(i["from"] for i in first["saved"]) == [
        "sgddt@laocai.gov.vn", "skhdt@laocai.gov.vn", "stp@laocai.gov.vn", "stp@laocai.gov.vn",
        "syt@laocai.gov.vn"]
    assert all(i["period"] == "2022-Q3" for i in first["saved"])
    reasons = {i["from"]: i["reason"] for i in first["skipped"]}
    assert len(first["skipped"]) == 4
    assert reasons["stp@laocai.gov.vn"].startswith("đã lưu trước đây")
    assert reasons["skhdt@laocai.gov.vn"].startswith("đã lưu trước đây")
    assert reasons["snnptnt@laocai.gov.vn"] == "không có tệp đính kèm"
    assert reasons["sct@laocai.gov.vn"] == "tệp đính kèm không phải bảng tính (cong-van.pdf)"
    (broken,) = first["failed"]
    assert "cấu trúc MIME của thư bị hỏng" in broken["reason"]
    assert broken["file"].startswith("input/2022-Q3/_loi/")
    files = saved_files(ws)
    assert len(files["2022-Q3"]) == 5 and all(n.endswith(".eml") and n.isascii()
                                              for n in files["2022-Q3"])
    assert sorted(Path(p).suffix for p in files["2022-Q3/_loi"]) == [".eml", ".txt"]
    # Saved whole, byte for byte as the server holds them; the mailbox is unchanged.
    (stp_file,) = [i["file"] for i in first["saved"] if i["date"].startswith("2022-09-12")]
    assert (ws.root / stp_file).read_bytes() == stp.replace(b"\n", b"\r\n")
    assert len(dovecot.flags()) == 11 and not any("\\Seen" in f for f in dovecot.flags())

    again, second = fetch_json(run, ws, "-p", "2022-Q3")
    assert again.exit_code == 0, again.output
    assert second["saved"] == [] and second["failed"] == [] and len(second["skipped"]) == 10
    assert saved_files(ws) == files
    text = run(["mail", "fetch", "-p", "2022-Q3"], ws)
    assert "đã lưu 0, bỏ qua 10, lỗi 0" in text.output and "Bỏ qua:" in text.output

    collected = run(["--json", "collect", "-p", "2022-Q3", "--no-pdf"], ws)
    assert collected.exit_code == 0, collected.output
    status = json.loads(run(["--json", "status", "-p", "2022-Q3"], ws).stdout)
    assert {"STP", "SKHDT"} <= set(status["on_time"]) and status["late"] == ["SYT"]
    # .ods: fetched and collected (refused by intake until it reads OpenDocument), not missing.
    assert "SGDDT" in status["rejected"] + status["on_time"]
    for code in ("SNNPTNT", "SCT", "STC"):  # no workbook, not a workbook, the broken message
        assert code in status["missing"]
    with Ledger(ws) as ledger:  # the resubmission stands for STP
        (stp_now,) = [s for s in ledger.current_submissions("2022-Q3") if s.unit == "STP"]
    assert {t.result for t in stp_now.tasks.values()} == {"Đã tổ chức 5 hội nghị"}


def test_wrong_password_unreachable_and_missing_password_are_exit_2(
        ws, dovecot, run, monkeypatch):
    dovecot.append((mail("STP", 12, []), at(12)))
    monkeypatch.setenv(ENV, "sai mật khẩu")
    wrong = run(["mail", "fetch", "-p", "2022-Q3"], ws)
    assert wrong.exit_code == 2
    assert "từ chối đăng nhập" in wrong.output and "mật khẩu" in wrong.output
    assert "Traceback" not in wrong.output
    monkeypatch.delenv(ENV)
    missing = run(["mail", "fetch", "-p", "2022-Q3"], ws)
    assert missing.exit_code == 2 and f"Thiếu mật khẩu hộp thư: đặt biến môi trường {ENV}" in \
        " ".join(missing.output.split())
    monkeypatch.setenv(ENV, PASSWORD)
    configure(ws, free_port())  # nothing listens there
    closed = run(["mail", "fetch"], ws)
    assert closed.exit_code == 2 and "Không kết nối được máy chủ thư" in closed.output
    assert not (ws.root / "input" / "2022-Q3").exists()


def test_connection_cut_half_way_then_a_rerun_completes_without_duplicates(ws, dovecot, made):
    codes = ["STP", "SYT", "SKHDT", "SCT", "SNNPTNT"]
    dovecot.append(*[(mail(code, 5 + i, [made[code]]), at(5 + i)) for i, code in
                     enumerate(codes)])

    def cut(done, _total, state, _item):
        if done == 2:
            dovecot.stop()  # the server goes away between two messages

    first = fetch(ws, PERIOD, progress=cut)
    assert first.interrupted and "chạy lại lệnh" in first.interrupted
    assert len(first.saved) == 2 and not first.failed
    assert len(saved_files(ws)["2022-Q3"]) == 2
    dovecot.start()
    second = fetch(ws, PERIOD)
    assert second.interrupted is None
    assert len(second.saved) == 3 and len(second.skipped) == 2
    assert {i.file for i in first.saved}.isdisjoint(i.file for i in second.saved)
    files = saved_files(ws)["2022-Q3"]
    assert len(files) == 5 and not [n for n in files if n.startswith(".")]
    senders = set()
    for name in files:
        message = email.message_from_bytes((ws.input_dir(PERIOD) / name).read_bytes(),
                                           policy=email.policy.default)
        senders.add(str(message["From"]).split()[0])
    assert senders == set(codes)
    index = json.loads((ws.root / "input" / INDEX_NAME).read_text(encoding="utf-8"))
    assert len([e for e in index["messages"].values() if e["state"] == "saved"]) == 5
    third = fetch(ws, PERIOD)
    assert third.saved == [] and len(third.skipped) == 5


def test_cut_connection_through_the_cli_is_exit_2_after_listing_what_was_saved(
        ws, dovecot, made, run, monkeypatch):
    dovecot.append(*[(mail(code, 12, [made[code]]), at(12)) for code in ("STP", "SYT")])
    original = fetch_module._Run.after_save

    def save_then_cut(self, uid, item):  # a hook on our side; the server really stops
        original(self, uid, item)
        dovecot.stop()

    monkeypatch.setattr(fetch_module._Run, "after_save", save_then_cut)
    cut = run(["mail", "fetch", "-p", "2022-Q3"], ws)
    assert cut.exit_code == 2
    out = " ".join(cut.output.split())
    assert "đã lưu 1" in out and "Mất kết nối với máy chủ thư sau 1/2 thư" in out
    monkeypatch.setattr(fetch_module._Run, "after_save", original)
    dovecot.start()
    result, document = fetch_json(run, ws, "-p", "2022-Q3")
    assert result.exit_code == 0 and len(document["saved"]) == 1
    assert len(saved_files(ws)["2022-Q3"]) == 2


def test_without_period_the_form_identity_decides_the_folder(ws, dovecot, made, run):
    dovecot.append(
        (mail("STP", 12, [made["STP"]]), at(12)),
        (mail("STC", 20, [made["STC-Q2"]], month=6), at(20, 6)),
        (mail("SCT", 12, [made["plain"]]), at(12)),
    )
    result, document = fetch_json(run, ws)
    assert result.exit_code == 0, result.output
    assert document["period"] is None and document["since"] is None
    by_sender = {i["from"]: i for i in document["saved"]}
    assert by_sender["stp@laocai.gov.vn"]["file"].startswith("input/2022-Q3/")
    assert by_sender["stc@laocai.gov.vn"]["file"].startswith("input/2022-Q2/")
    assert by_sender["sct@laocai.gov.vn"]["period"] is None
    assert document["unknown_period"] == [by_sender["sct@laocai.gov.vn"]["file"]]
    assert document["unknown_period"][0].startswith("input/_chua-ro-ky/")
    text = run(["mail", "fetch", "-p", "2022-Q3"], ws)  # the same messages: nothing new
    assert text.exit_code == 0 and "đã lưu 0" in text.output
    assert "đã lưu trước đây: input/2022-Q3/" in text.output


def test_move_to_and_mark_read_only_when_asked(ws, dovecot, made, run):
    dovecot.append((mail("STP", 12, [made["STP"]]), at(12)),
                   (mail("SNNPTNT", 12, body="Không có tệp."), at(12)))
    result = run(["mail", "fetch", "-p", "2022-Q3", "--move-to", "Đã lưu", "--mark-read"], ws)
    assert result.exit_code == 0, result.output
    (left,) = dovecot.flags()  # the message without attachment stays, unread
    assert "\\Seen" not in left
    (moved,) = dovecot.flags("Đã lưu")
    assert "\\Seen" in moved


def test_collect_fetch_runs_the_fetch_first(ws, dovecot, made, run):
    dovecot.append((mail("STP", 12, [made["STP"]]), at(12)))
    result = run(["--json", "collect", "-p", "2022-Q3", "--fetch", "--no-pdf"], ws)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["accepted"] == 1 and len(document["fetch"]["saved"]) == 1
    text = run(["collect", "-p", "2022-Q3", "--fetch", "--no-pdf"], ws)
    assert text.exit_code == 0 and "đã lưu 0, bỏ qua 1" in text.output


@pytest.fixture
def tls_dovecot(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = Dovecot(tls=(cert, key))
    server.cert = cert
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def test_certificate_problems_are_exit_2_and_an_own_ca_file_is_trusted(
        workspace, tls_dovecot, made, run, monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    (workspace.state_dir / "secret.key").write_text(made["key"].hex())
    tls_dovecot.append((mail("STP", 12, [made["STP"]]), at(12)))
    configure(workspace, tls_dovecot.port, "starttls")
    untrusted = run(["mail", "fetch", "-p", "2022-Q3"], workspace)
    assert untrusted.exit_code == 2
    assert "Chứng chỉ bảo mật (TLS) của máy chủ thư" in untrusted.output
    configure(workspace, tls_dovecot.ssl_port, "ssl", cafile=str(tls_dovecot.cert))
    result, document = fetch_json(run, workspace, "-p", "2022-Q3")
    assert result.exit_code == 0, result.output
    assert len(document["saved"]) == 1
