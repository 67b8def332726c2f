"""Gathering returned files: folders, files, saved emails with Vietnamese attachment names."""

from __future__ import annotations

import datetime as dt
import os
from email.message import EmailMessage

import pytest

from generator.errors import UsageError
from generator.findings import message_for
from generator.intake.receive import gather

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
VN = dt.timezone(dt.timedelta(hours=7))


def touch(path, content: bytes, when: dt.datetime):
    path.write_bytes(content)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def mail(attachments, date="Thu, 15 Sep 2022 16:30:00 +0700",
         sender="Văn thư Sở Tư pháp <vanthu.stp@laocai.gov.vn>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "snv@laocai.gov.vn"
    msg["Subject"] = "Báo cáo quý III năm 2022"
    if date:
        msg["Date"] = date
    msg.set_content("Kính gửi Sở Nội vụ, đơn vị gửi kèm báo cáo.")
    for name, content, ctype in attachments:
        msg.add_attachment(content, maintype=ctype[0], subtype=ctype[1], filename=name)
    return bytes(msg)


# A message as mail clients write it: the name in RFC 2231 continuations, percent-encoded.
RAW_2231 = b"""\
From: UBND xa Ban Vuoc <ubnd.banvuoc@laocai.gov.vn>
To: snv@laocai.gov.vn
Subject: =?utf-8?b?QsOhbyBjw6Fv?=
Date: Wed, 14 Sep 2022 22:05:00 +0700
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=utf-8

Gui kem bao cao.
--XYZ
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment;
 filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20x%C3%A3%20B;
 filename*1*=%E1%BA%A3n%20V%C6%B0%E1%BB%A3c.xlsx
Content-Transfer-Encoding: base64

UEsDBGZha2U=
--XYZ--
"""


def test_folder_files_take_their_modification_time(tmp_path):
    folder = tmp_path / "2022-Q3"
    folder.mkdir()
    touch(folder / "STP_so-tu-phap_2022-Q3.xlsx", b"a", dt.datetime(2022, 9, 14, 8, tzinfo=VN))
    touch(folder / "SYT_so-y-te_2022-Q3.xls", b"b", dt.datetime(2022, 9, 10, 8, tzinfo=VN))
    touch(folder / "~$STP_so-tu-phap_2022-Q3.xlsx", b"lock", dt.datetime(2022, 9, 14, tzinfo=VN))
    touch(folder / ".~lock.SYT.xls#", b"lock", dt.datetime(2022, 9, 14, tzinfo=VN))
    got = gather([folder], tmp_path / "work")
    assert [(i.name, i.received_at) for i in got] == [
        ("SYT_so-y-te_2022-Q3.xls", dt.datetime(2022, 9, 10, 8, tzinfo=VN)),
        ("STP_so-tu-phap_2022-Q3.xlsx", dt.datetime(2022, 9, 14, 8, tzinfo=VN)),
    ]
    assert got[0].path == folder / "SYT_so-y-te_2022-Q3.xls"


def test_eml_attachment_with_vietnamese_name_and_date_header(tmp_path):
    name = "Báo cáo quý III - Sở Tư pháp.xlsx"
    eml = tmp_path / "thu.eml"
    eml.write_bytes(mail([(name, b"PK\x03\x04 workbook bytes", XLSX_TYPE),
                          ("image001.png", b"\x89PNG", ("image", "png"))]))
    assert b"filename*0*=utf-8''" in eml.read_bytes()  # really RFC 2231 on the wire
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == name
    assert item.path.name == name and item.path.read_bytes() == b"PK\x03\x04 workbook bytes"
    assert item.received_at == dt.datetime(2022, 9, 15, 16, 30, tzinfo=VN)
    assert item.received_at.date() == dt.date(2022, 9, 15)  # the sender's day, not UTC's
    assert item.sender == "vanthu.stp@laocai.gov.vn"
    assert item.source == str(eml)


def test_rfc2231_continuations_as_mail_clients_write_them(tmp_path):
    eml = tmp_path / "ban-vuoc.eml"
    eml.write_bytes(RAW_2231)
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == "Báo cáo xã Bản Vược.xlsx"
    assert item.path.read_bytes() == b"PK\x03\x04fake"
    assert item.received_at == dt.datetime(2022, 9, 14, 22, 5, tzinfo=VN)


def test_folder_of_saved_emails_and_files_together(tmp_path):
    folder = tmp_path / "thu"
    folder.mkdir()
    (folder / "a.eml").write_bytes(mail([("STP.xlsx", b"one", XLSX_TYPE)],
                                        date="Mon, 12 Sep 2022 09:00:00 +0700"))
    # Two emails carrying the same attachment name must not overwrite each other.
    (folder / "b.eml").write_bytes(mail([("STP.xlsx", b"two", XLSX_TYPE),
                                         ("SYT.xls", b"three", ("application", "vnd.ms-excel"))],
                                        date="Tue, 13 Sep 2022 09:00:00 +0700"))
    touch(folder / "SXD.xlsx", b"four", dt.datetime(2022, 9, 11, tzinfo=VN))
    got = gather([folder], tmp_path / "work")
    assert [(i.name, i.path.read_bytes()) for i in got] == [
        ("SXD.xlsx", b"four"), ("STP.xlsx", b"one"), ("STP.xlsx", b"two"), ("SYT.xls", b"three")]


def test_eml_without_date_uses_the_file_time(tmp_path):
    eml = touch(tmp_path / "thu.eml", mail([("STP.xlsx", b"x", XLSX_TYPE)], date=None),
                dt.datetime(2022, 9, 13, 7, tzinfo=VN))
    (item,) = gather([eml], tmp_path / "work")
    assert item.received_at == dt.datetime(2022, 9, 13, 7, tzinfo=VN)


def test_attachment_name_cannot_escape_the_work_folder(tmp_path):
    eml = tmp_path / "thu.eml"
    eml.write_bytes(mail([("../../evil.xlsx", b"x", XLSX_TYPE)]))
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == "evil.xlsx"
    assert (tmp_path / "work") in item.path.parents
    assert not (tmp_path / "evil.xlsx").exists()


def test_missing_source_names_it(tmp_path):
    with pytest.raises(UsageError, match="Không tìm thấy tệp hoặc thư mục '.*khong-co'"):
        gather([tmp_path / "khong-co"], tmp_path / "work")


def test_forwarded_email_keeps_its_attachment_and_the_forward_date(tmp_path):
    inner = EmailMessage()
    inner.set_content("Bản gốc")
    inner["Date"] = "Mon, 05 Sep 2022 09:00:00 +0700"
    inner.add_attachment(b"inner workbook", maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                         filename="Báo cáo xã Cốc San.xlsx")
    outer = EmailMessage()
    outer["From"] = "Phòng Nội vụ <pnv.batxat@laocai.gov.vn>"
    outer["Date"] = "Fri, 09 Sep 2022 10:00:00 +0700"
    outer.set_content("Chuyển tiếp báo cáo của xã.")
    outer.add_attachment(inner)  # message/rfc822
    eml = tmp_path / "chuyen-tiep.eml"
    eml.write_bytes(bytes(outer))
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == "Báo cáo xã Cốc San.xlsx" and item.path.read_bytes() == b"inner workbook"
    assert item.received_at == dt.datetime(2022, 9, 9, 10, tzinfo=VN)


# --------------------------------------------------------------------------- bad messages

def nested(depth: int) -> bytes:
    """A message whose multipart nests `depth` levels, a workbook at the bottom."""
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n'
                   for i in range(depth))
    tail = "".join(f"\n--b{i}--\n" for i in reversed(range(depth)))
    leaf = ("Content-Type: application/vnd.ms-excel\nContent-Disposition: attachment; "
            'filename="STP.xls"\n\nabc')
    return ("From: stp@laocai.gov.vn\nDate: Thu, 15 Sep 2022 16:30:00 +0700\n"
            "MIME-Version: 1.0\n" + head + leaf + tail).encode()


def test_an_attachment_name_too_long_for_the_disk_keeps_its_whole_name(tmp_path):
    name = "Báo cáo kết quả thực hiện Kế hoạch cải thiện Chỉ số PAPI " * 4 + "quý III.xlsx"
    assert len(name) > 200 and len(name.encode()) > 255
    eml = tmp_path / "thu.eml"
    eml.write_bytes(mail([(name, b"PK\x03\x04 workbook", XLSX_TYPE)]))
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == name and not item.findings
    assert item.path.read_bytes() == b"PK\x03\x04 workbook"
    assert item.path.suffix == ".xlsx" and len(item.path.name.encode()) <= 200


@pytest.mark.parametrize(("content", "code", "reason"), [
    (nested(1000), "F019", "thư lồng nhau quá nhiều tầng"),
    (b"", "F019", "tệp thư rỗng"),
    (mail([("anh.png", b"\x89PNG", ("image", "png"))]), "F018", None),
    (bytes(range(256)) * 40, "F018", None),  # garbage: no header, no attachment
])
def test_a_bad_message_is_one_finding_on_that_message(tmp_path, content, code, reason):
    folder = tmp_path / "thu"
    folder.mkdir()
    (folder / "hong.eml").write_bytes(content)
    (folder / "tot.eml").write_bytes(mail([("STP.xlsx", b"one", XLSX_TYPE)]))
    got = {i.name: i for i in gather([folder], tmp_path / "work")}
    bad, good = got["hong.eml"], got["STP.xlsx"]
    assert good.name == "STP.xlsx" and not good.findings
    assert (bad.name, bad.path, bad.keep) == ("hong.eml", folder / "hong.eml", True)
    (finding,) = bad.findings
    params = {"reason": reason} if reason else {}
    assert (finding.code, finding.message) == (code, message_for(code, **params))


def test_a_message_nested_within_reason_is_still_read(tmp_path):
    eml = tmp_path / "thu.eml"
    eml.write_bytes(nested(20))
    (item,) = gather([eml], tmp_path / "work")
    assert item.name == "STP.xls" and item.path.read_bytes() == b"abc" and not item.findings


# --------------------------------------------------------------------------- not files

LINUX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")


@LINUX
def test_links_and_special_files_are_refused_and_never_opened(tmp_path):
    secret = tmp_path / "mat-khau.txt"
    secret.write_text("BAOCAO_SMTP_PASSWORD=bi-mat")
    folder = tmp_path / "2022-Q3"
    folder.mkdir()
    (folder / "STP_so-tu-phap_2022-Q3.xlsx").symlink_to(secret)
    (folder / "SYT_so-y-te_2022-Q3.xlsx").symlink_to(tmp_path / "khong-con")  # dangling
    os.mkfifo(folder / "SXD_2022-Q3.xlsx")  # opening it would block forever
    (folder / "SGDDT_2022-Q3.xlsx").mkdir()
    (folder / "cu").mkdir()  # a plain subfolder: not read, not a finding
    touch(folder / "STC_2022-Q3.xlsx", b"real", dt.datetime(2022, 9, 12, tzinfo=VN))
    got = {i.name: i for i in gather([folder], tmp_path / "work")}
    assert sorted(got) == ["SGDDT_2022-Q3.xlsx", "STC_2022-Q3.xlsx", "STP_so-tu-phap_2022-Q3.xlsx",
                           "SXD_2022-Q3.xlsx", "SYT_so-y-te_2022-Q3.xlsx"]
    assert got["STC_2022-Q3.xlsx"].keep and not got["STC_2022-Q3.xlsx"].findings
    what = {"STP_so-tu-phap_2022-Q3.xlsx": "liên kết (symlink) tới tệp khác",
            "SYT_so-y-te_2022-Q3.xlsx": "liên kết (symlink) tới tệp khác",
            "SXD_2022-Q3.xlsx": "ống dẫn (FIFO)", "SGDDT_2022-Q3.xlsx": "một thư mục"}
    for name, words in what.items():
        (finding,) = got[name].findings
        assert not got[name].keep
        assert finding.message == message_for("F017", name=name, what=words)
    # Named on its own, a link is refused too.
    (alone,) = gather([folder / "STP_so-tu-phap_2022-Q3.xlsx"], tmp_path / "work")
    assert not alone.keep and alone.findings[0].code == "F017"
