"""Email out: drafts that parse back, and sending to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from generator.cli.app import cli
from generator.errors import UsageError
from generator.excel import new_workbook
from generator.findings import ERROR, WARNING, Finding
from generator.forms import writer as forms
from generator.ledger.store import Ledger
from generator.mail import outgoing as mail
from generator.model import Submission
from generator.plan.periods import parse_period
from generator.vocab import unit_file_name
from generator.workspace import find_workspace

PERIOD = parse_period("2022-Q3")
VN = dt.timezone(dt.timedelta(hours=7))
UNITS = ["STP", "SYT", "02635"]  # two departments and a commune


class Store:
    """An SMTP handler that keeps what it receives; refuses the addresses in `refuse`."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"

    def messages(self):
        return [(rcpt, email.message_from_bytes(data, policy=email.policy.default))
                for rcpt, data in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """start(refuse=()) -> (handler, port); every server started is stopped at the end."""
    started = []

    def start(refuse=()):
        handler = Store(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return handler, controller.port

    yield start
    for controller in started:
        controller.stop()


def configure(ws, port=None, report_to=()):
    """Point the workspace's baocao.toml at a local server, as an officer would edit it."""
    path = ws.root / "baocao.toml"
    text = path.read_text(encoding="utf-8")
    if port is not None:
        text = re.sub(r'(?m)^host = .*$', 'host = "127.0.0.1"', text)
        text = re.sub(r'(?m)^port = .*$', f"port = {port}", text)
        text = re.sub(r'(?m)^security = .*$', 'security = "none"', text)
    text = re.sub(r'(?m)^report_to = .*$',
                  "report_to = [" + ", ".join(f'"{a}"' for a in report_to) + "]", text)
    path.write_text(text, encoding="utf-8")
    return find_workspace(explicit=ws.root)


@pytest.fixture
def ws(workspace, default_plan):
    forms.write_forms(workspace, default_plan, PERIOD, units=UNITS)
    return workspace


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def attachments(msg):
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def form_path(ws, plan, code):
    return ws.output_dir(PERIOD) / "bieu-mau" / unit_file_name(plan.units[code], PERIOD)


# --------------------------------------------------------------------------- drafts

def test_forms_drafts_parse_back_with_form_deadline_and_instructions(ws, default_plan):
    result = mail.run("forms", ws, default_plan, PERIOD, units=UNITS)
    names = sorted(p.name for p in result.drafts)
    assert names == ["bieu-mau_02635_2022-Q3.eml", "bieu-mau_STP_2022-Q3.eml",
                     "bieu-mau_SYT_2022-Q3.eml"]
    assert all(p.parent == ws.output_dir(PERIOD) / "thu" for p in result.drafts)
    stp = parse(ws.output_dir(PERIOD) / "thu" / "bieu-mau_STP_2022-Q3.eml")
    assert stp["Subject"] == "Biểu mẫu báo cáo quý III năm 2022 - 239/KH-UBND - Sở Tư pháp"
    assert stp["To"] == "stp@laocai.gov.vn"
    assert stp["From"].addresses[0].addr_spec == "snv@laocai.gov.vn"
    assert stp["From"].addresses[0].display_name == "Sở Nội vụ"
    assert stp["X-Unsent"] == "1"
    body = stp.get_body(("plain",)).get_content()
    assert "Hạn gửi báo cáo: ngày 14 tháng 9 năm 2022." in body  # "trước ngày 15"
    assert "Số liệu báo cáo tính từ ngày 15 tháng 6 năm 2022 đến ngày 14 tháng 9 năm 2022" in body
    assert "Trang \"Chỉ tiêu\": ghi số liệu vào cột \"Giá trị\"" in body
    assert "về địa chỉ snv@laocai.gov.vn trước hạn" in body
    form = form_path(ws, default_plan, "STP")
    assert attachments(stp) == {form.name: form.read_bytes()}
    # A commune reports earlier, and to its district.
    commune = default_plan.units["02635"]
    district = default_plan.units[commune.parent]
    body = parse(ws.output_dir(PERIOD) / "thu" / "bieu-mau_02635_2022-Q3.eml").get_body(
        ("plain",)).get_content()
    assert "Hạn gửi báo cáo: ngày 10 tháng 9 năm 2022." in body
    assert f"về địa chỉ {district.email} trước hạn" in body


def test_drafts_are_reproducible_and_rfc_clean(ws, default_plan):
    first = {p.name: p.read_bytes() for p in mail.run("forms", ws, default_plan, PERIOD,
                                                       units=UNITS).drafts}
    again = {p.name: p.read_bytes() for p in mail.run("forms", ws, default_plan, PERIOD,
                                                       units=UNITS).drafts}
    assert first == again
    raw = first["bieu-mau_STP_2022-Q3.eml"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # UTF-8 subject as encoded words, nothing raw in the headers
    assert b"Date: Thu, 01 Sep 2022 08:00:00 +0700" in head
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_non_ascii_attachment_name_uses_rfc2231(tmp_path):
    attached = tmp_path / "Báo cáo quý III - Sở Tư pháp.xlsx"
    book = new_workbook(attached)
    book.add_worksheet("Báo cáo").write(0, 0, "Kết quả")
    book.close()
    msg = mail.new_message("k", "snv@laocai.gov.vn", ["stp@laocai.gov.vn"], "Thử", "Nội dung",
                           dt.datetime(2022, 9, 1, 8, tzinfo=VN), [attached])
    raw = msg.as_bytes()
    assert b"filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%20III" in raw  # RFC 2231
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert attachments(back) == {attached.name: attached.read_bytes()}


def test_forms_need_written_forms_and_list_units_without_email(workspace, ws, default_plan):
    with pytest.raises(UsageError, match=r"Chạy 'baocao forms -p 2022-Q3' trước"):
        mail.build_forms(ws, default_plan, PERIOD)  # 178 units have no form yet
    plan = copy.deepcopy(default_plan)
    plan.units["SYT"] = dataclasses.replace(plan.units["SYT"], email="")
    result = mail.run("forms", ws, plan, PERIOD, units=UNITS)
    assert result.no_email == ["SYT"]
    assert sorted(p.name for p in result.drafts) == ["bieu-mau_02635_2022-Q3.eml",
                                                      "bieu-mau_STP_2022-Q3.eml"]


# --------------------------------------------------------------------------- reminders

def feedback_workbook(ws, plan, code):
    path = ws.output_dir(PERIOD) / "phan-hoi" / unit_file_name(plan.units[code], PERIOD)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = new_workbook(path)
    book.add_worksheet("Phản hồi").write(0, 0, "Ô E12 thiếu tình trạng")
    book.close()
    return path


def record(ws, code, day, accepted, findings=()):
    when = dt.datetime(2022, 9, day, 9, tzinfo=VN)
    submission = Submission(unit=code, period=PERIOD.id) if accepted else None
    with Ledger(ws) as ledger:
        ledger.record(PERIOD.id, f"{code}-{day}".ljust(64, "0"), f"{code}_bao-cao.xlsx", when,
                      submission, list(findings), unit=code)


REJECTION = Finding(ERROR, "F101", "STP_bao-cao.xlsx", "_baocao", "",
                    "Chữ ký của biểu mẫu không khớp. Dùng đúng biểu mẫu Sở Nội vụ đã gửi.")


def test_remind_missing_late_rejected_with_feedback_and_findings(ws, default_plan):
    record(ws, "STP", 14, accepted=False, findings=[REJECTION])
    record(ws, "SYT", 20, accepted=True)  # after the 14 September deadline
    record(ws, "02635", 9, accepted=True)  # a commune: reports to its district, not reminded
    feedback = feedback_workbook(ws, default_plan, "STP")
    result = mail.run("remind", ws, default_plan, PERIOD)
    # Every unit reporting to Sở Nội vụ: STP rejected, SYT late, the other 27 missing.
    assert len(result.drafts) == len(default_plan.expected_units()) == 29
    folder = ws.output_dir(PERIOD) / "thu"
    stp = parse(folder / "nhac_STP_2022-Q3.eml")
    assert stp["Subject"] == ("Nhắc báo cáo quý III năm 2022 - 239/KH-UBND - Sở Tư pháp "
                              "gửi báo cáo chưa hợp lệ")
    body = stp.get_body(("plain",)).get_content()
    assert f"- {REJECTION.message}" in body
    assert "chưa được chấp nhận" in body
    # What the attachment holds, in words true for a file rejected as a whole (no cell of it
    # is coloured when the form is another unit's or another period's).
    assert f"Tệp phản hồi (danh sách từng lỗi và cách sửa) gửi kèm thư này: {feedback.name}." \
        in body
    assert attachments(stp) == {feedback.name: feedback.read_bytes()}
    syt = parse(folder / "nhac_SYT_2022-Q3.eml").get_body(("plain",)).get_content()
    assert "ngày 20/09/2022, sau hạn gửi (ngày 14 tháng 9 năm 2022)" in syt
    missing = parse(folder / "nhac_SGDDT_2022-Q3.eml")
    assert "chưa nhận được báo cáo" in missing.get_body(("plain",)).get_content()
    assert not (folder / "nhac_02635_2022-Q3.eml").exists()
    # STP sends a good file: its reminder draft is removed on the next run.
    record(ws, "STP", 13, accepted=True)
    mail.run("remind", ws, default_plan, PERIOD)
    assert not (folder / "nhac_STP_2022-Q3.eml").exists()
    assert (folder / "nhac_SYT_2022-Q3.eml").exists()


EMPTY_RESULT = Finding(WARNING, "R007", "STP_bao-cao.xlsx", "Báo cáo", "G14",
                      "[Báo cáo!G14] Nhiệm vụ 2.2 ghi Đã hoàn thành nhưng chưa ghi kết quả.")
MISSING_DATE = Finding(ERROR, "R003", "SYT_bao-cao.xlsx", "Báo cáo", "F12",
                      "[Báo cáo!F12] Nhiệm vụ 2.1 ghi Đã hoàn thành nhưng thiếu Ngày hoàn thành.")


def test_a_unit_accepted_with_findings_is_sent_them_and_its_feedback(ws, default_plan):
    """The report says units with errors are sent their feedback to fix: the remind run
    drafts that mail (findings listed, feedback attached); a clean file gets none."""
    record(ws, "SYT", 10, accepted=True, findings=[MISSING_DATE])
    record(ws, "STP", 10, accepted=True)
    feedback = feedback_workbook(ws, default_plan, "SYT")
    mail.run("remind", ws, default_plan, PERIOD)
    folder = ws.output_dir(PERIOD) / "thu"
    syt = parse(folder / "nhac_SYT_2022-Q3.eml")
    assert syt["Subject"] == ("Phản hồi báo cáo quý III năm 2022 - 239/KH-UBND - Sở Y tế: có "
                              "nội dung cần sửa")
    body = syt.get_body(("plain",)).get_content()
    assert ("Sở Nội vụ đã nhận báo cáo quý III năm 2022 của Sở Y tế ngày 10/09/2022 "
            "(SYT_bao-cao.xlsx) và đưa vào tổng hợp.") in body
    assert f"Báo cáo còn các điểm cần sửa sau:\r\n- {MISSING_DATE.message}\r\n" in body
    assert "tệp gửi lại sẽ thay tệp trước trong tổng hợp" in body
    assert f"Tệp phản hồi (danh sách từng lỗi và cách sửa) gửi kèm thư này: {feedback.name}." \
        in body
    assert attachments(syt) == {feedback.name: feedback.read_bytes()}
    assert not (folder / "nhac_STP_2022-Q3.eml").exists()
    # SYT sends the file again, corrected: its mail is withdrawn.
    record(ws, "SYT", 12, accepted=True)
    mail.run("remind", ws, default_plan, PERIOD)
    assert not (folder / "nhac_SYT_2022-Q3.eml").exists()
    # Only a warning (lưu ý): the unit is asked to look, not told its file is wrong.
    record(ws, "STP", 11, accepted=True, findings=[EMPTY_RESULT])
    mail.run("remind", ws, default_plan, PERIOD)
    stp = parse(folder / "nhac_STP_2022-Q3.eml")
    assert stp["Subject"].endswith("Sở Tư pháp: có nội dung cần lưu ý")
    body = stp.get_body(("plain",)).get_content()
    assert f"Báo cáo còn các điểm cần lưu ý sau:\r\n- {EMPTY_RESULT.message}\r\n" in body
    assert "Đề nghị đơn vị xem lại; nếu cần sửa, sửa ngay trong tệp đã gửi" in body
    assert "cần sửa sau" not in body


# --------------------------------------------------------------------------- sending

def test_send_forms_over_smtp_once(ws, default_plan, smtp):
    handler, port = smtp()
    ws = configure(ws, port)
    result = mail.run("forms", ws, default_plan, PERIOD, send_now=True, units=UNITS)
    assert [m.unit for m in result.sent] == UNITS and not result.failed
    received = handler.messages()
    assert sorted(r[0][0] for r in received) == sorted(
        default_plan.units[c].email for c in UNITS)
    for rcpt, msg in received:
        code = next(c for c in UNITS if default_plan.units[c].email == rcpt[0])
        unit = default_plan.units[code]
        assert msg["Subject"] == f"Biểu mẫu báo cáo quý III năm 2022 - 239/KH-UBND - {unit.name}"
        form = form_path(ws, default_plan, code)
        assert attachments(msg) == {form.name: form.read_bytes()}
        assert msg["X-Unsent"] is None
    with Ledger(ws) as ledger:
        assert all(ledger.mail_sent(f"forms/2022-Q3/{c}") for c in UNITS)
    again = mail.run("forms", ws, default_plan, PERIOD, send_now=True, units=UNITS)
    assert again.sent == [] and [m.unit for m in again.skipped] == UNITS
    assert len(handler.envelopes) == 3


def test_refused_recipient_is_reported_and_the_rest_go(ws, default_plan, smtp):
    handler, port = smtp(refuse={"syt@laocai.gov.vn"})
    ws = configure(ws, port)
    result = mail.run("forms", ws, default_plan, PERIOD, send_now=True, units=UNITS)
    assert [m.unit for m in result.sent] == ["STP", "02635"]
    [(failed, reason)] = result.failed
    assert failed.unit == "SYT"
    assert reason == "máy chủ từ chối người nhận syt@laocai.gov.vn: 550 5.1.1 Mailbox unavailable"
    assert len(handler.envelopes) == 2
    # The next run (the address fixed on the server side) sends only what failed.
    handler2, port2 = smtp()
    ws = configure(ws, port2)
    retry = mail.run("forms", ws, default_plan, PERIOD, send_now=True, units=UNITS)
    assert [m.unit for m in retry.sent] == ["SYT"]
    assert [r for r, _ in handler2.envelopes] == [["syt@laocai.gov.vn"]]


def report_outputs(ws):
    import docx

    folder = ws.output_dir(PERIOD)
    document = docx.Document()
    document.add_paragraph("BÁO CÁO Kết quả thực hiện Kế hoạch số 239/KH-UBND")
    document.save(folder / "BaoCao_2022-Q3.docx")
    book = new_workbook(folder / "TongHop_2022-Q3.xlsx")
    book.add_worksheet("Tổng hợp").write(0, 0, "Tỷ lệ hoàn thành")
    book.close()
    return [folder / "BaoCao_2022-Q3.docx", folder / "TongHop_2022-Q3.xlsx"]


def test_report_to_ubnd_with_partial_refusal(ws, default_plan, smtp):
    files = report_outputs(ws)
    record(ws, "STP", 12, accepted=True)
    handler, port = smtp(refuse={"bad@laocai.gov.vn"})
    ws = configure(ws, port, report_to=["ubnd@laocai.gov.vn", "bad@laocai.gov.vn"])
    [draft] = mail.run("report", ws, default_plan, PERIOD).drafts
    msg = parse(draft)
    assert msg["Subject"] == "Báo cáo kết quả thực hiện 239/KH-UBND quý III năm 2022"
    assert msg["To"] == "ubnd@laocai.gov.vn, bad@laocai.gov.vn"
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("Kính gửi: Ủy ban nhân dân tỉnh Lào Cai.")
    # Every unit counted once, a state with no unit left out (no "0 trễ hạn").
    assert "Đến nay, 1/29 đơn vị đã gửi báo cáo (1 đúng hạn); 28 đơn vị chưa gửi báo cáo." \
        in body
    assert attachments(msg) == {p.name: p.read_bytes() for p in files}
    result = mail.run("report", ws, default_plan, PERIOD, send_now=True)
    assert len(result.sent) == 1
    assert "bad@laocai.gov.vn: 550" in result.failed[0][1]
    [(rcpt, data)] = handler.envelopes
    assert rcpt == ["ubnd@laocai.gov.vn"]
    assert attachments(email.message_from_bytes(data, policy=email.policy.default)) == {
        p.name: p.read_bytes() for p in files}


def test_report_needs_outputs(ws, default_plan):
    with pytest.raises(UsageError, match="Chưa có báo cáo kỳ 2022-Q3"):
        mail.run("report", ws, default_plan, PERIOD)


# --------------------------------------------------------------------------- command line

def test_cli_send_without_host_is_a_usage_error(ws, run):
    result = run(["mail", "forms", "-p", "2022-Q3", "-u", "STP", "--send"], ws)
    assert result.exit_code == 2
    assert "Chưa khai báo máy chủ gửi thư: điền 'host' trong mục email của baocao.toml" in result.output


def test_cli_drafts_and_send(ws, run, smtp, default_plan):
    result = run(["mail", "forms", "-p", "2022-Q3", "-u", "STP", "-u", "SYT"], ws)
    assert result.exit_code == 0, result.output
    folder = ws.output_dir(PERIOD) / "thu"
    assert f"Đã ghi 2 thư nháp (.eml) vào {folder}" in result.output
    handler, port = smtp(refuse={"syt@laocai.gov.vn"})
    configure(ws, port)
    result = run(["mail", "forms", "-p", "2022-Q3", "-u", "STP", "-u", "SYT", "--send"], ws)
    assert result.exit_code == 1
    assert "Đã gửi 1 thư" in result.output
    assert "SYT: máy chủ từ chối người nhận syt@laocai.gov.vn" in result.output
    result = run(["--json", "mail", "forms", "-p", "2022-Q3", "-u", "STP", "--send"], ws)
    import json

    assert json.loads(result.output)["skipped"] == ["forms/2022-Q3/STP"]


def test_cli_unknown_kind_is_a_usage_error(ws, run):
    result = CliRunner().invoke(cli, ["-w", str(ws.root), "mail", "thu", "-p", "2022-Q3"])
    assert result.exit_code == 2
    assert "'thu' không phải một trong: forms, remind, report." in result.output
