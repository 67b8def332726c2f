"""safety.screen on real crafted files: each hostile case gets its finding, never a traceback."""

from __future__ import annotations

import shutil
import struct
import zipfile

import docx
import olefile
import pytest
from conftest import requires_soffice
from msoffcrypto.format.ooxml import OOXMLFile

from generator.excel import new_workbook
from generator.findings import ERROR, WARNING, message_for
from generator.intake import safety
from generator.office import convert


def make_xlsx(path, rows=(("TT", "Tình trạng"), ("1.1", "Đã hoàn thành"))):
    book = new_workbook(path)
    sheet = book.add_worksheet("Báo cáo")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


def rezip(source, target, replace=None, add=None):
    """Copy a zip, replacing or adding members (name -> bytes)."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, replace.get(item.filename, old.read(item.filename)))
        for name, data in add.items():
            new.writestr(name, data)
    return target


def codes(found):
    return [(f.severity, f.code) for f in found]


@pytest.fixture
def xlsx(tmp_path):
    return make_xlsx(tmp_path / "STP_so-tu-phap_2022-Q3.xlsx")


def test_a_plain_workbook_passes(xlsx):
    assert safety.screen(xlsx) == []


def test_empty_file(tmp_path):
    path = tmp_path / "rong.xlsx"
    path.write_bytes(b"")
    (found,) = safety.screen(path)
    assert (found.severity, found.code, found.file) == (ERROR, "F002", "rong.xlsx")
    assert found.message == "Tệp rỗng, không có nội dung. Mở biểu mẫu đã điền, lưu lại " \
                            "rồi gửi lại đúng tệp đó."


def test_file_over_the_size_limit_is_not_opened(xlsx):
    size = xlsx.stat().st_size
    (found,) = safety.screen(xlsx, limit_bytes=1024)
    assert found.code == "F001"
    assert found.message.startswith(f"Tệp quá lớn ({safety.human_size(size)}, "
                                    "giới hạn 1 KB)")


def test_size_limit_comes_from_the_workspace(workspace):
    assert safety.limit_bytes(workspace) == 20 * 1024 * 1024
    config = workspace.root / "baocao.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_mb = 20", "max_mb = 1.5"),
                      encoding="utf-8")
    from generator.workspace import find_workspace
    assert safety.limit_bytes(find_workspace(explicit=workspace.root)) == 1572864


def test_human_size_is_vietnamese_style():
    assert safety.human_size(512) == "512 byte"
    assert safety.human_size(20 * 1024 * 1024) == "20 MB"
    assert safety.human_size(int(1.5 * (1 << 30))) == "1,5 GB"


@pytest.mark.parametrize(("name", "data", "what"), [
    ("bao-cao.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "tài liệu PDF"),
    ("anh.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ảnh PNG"),
    ("chup.xls", b"\xff\xd8\xff\xe0\x00\x10JFIF", "ảnh JPEG"),
    ("ghi-chu.xls", "Báo cáo quý III: đã hoàn thành".encode(), "tệp văn bản"),
    ("web.xls", b"<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><body>",
     "trang web (HTML) được đặt tên như tệp Excel"),
    ("xml2003.xls", b'<?xml version="1.0"?>\n<Workbook xmlns='
     b'"urn:schemas-microsoft-com:office:spreadsheet">', "bảng tính XML 2003"),
    ("nhi-phan.xlsx", bytes(range(256)) * 2, "tệp không rõ định dạng"),
])
def test_files_that_are_not_workbooks_are_named(tmp_path, name, data, what):
    path = tmp_path / name
    path.write_bytes(data)
    (found,) = safety.screen(path)
    assert (found.severity, found.code, found.file) == (ERROR, "F003", name)
    assert found.message == message_for("F003", what=what)


def test_word_document_renamed_xlsx(tmp_path):
    document = docx.Document()
    document.add_paragraph("Báo cáo kết quả thực hiện Kế hoạch 239/KH-UBND")
    path = tmp_path / "bao-cao.xlsx"
    document.save(path)
    (found,) = safety.screen(path)
    assert found.code == "F003" and "tài liệu Word (.docx)" in found.message


def _ods(path, content="<office:document-content/>", extra=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return path


def test_plain_zip_is_not_excel_and_ods_is_screened_like_xlsx(tmp_path):
    """.ods (LibreOffice's own format) passes the screen; its XML is screened for entity
    tricks, its manifest for a password, its members for macros, like any workbook."""
    plain = tmp_path / "nen.xlsx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("bao-cao.txt", "x")
    assert "tệp nén zip" in safety.screen(plain)[0].message
    assert safety.screen(_ods(tmp_path / "libre.ods")) == []
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><office:document-content/>'
    assert [f.code for f in safety.screen(_ods(tmp_path / "thuc-the.ods", entity))] == ["F008"]
    locked = _ods(tmp_path / "mat-khau.ods", extra={"META-INF/manifest.xml": (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:'
        '1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
        '</manifest:file-entry></manifest:manifest>')})
    assert [f.code for f in safety.screen(locked)] == ["F004"]
    macro = _ods(tmp_path / "macro.ods", extra={"Basic/Standard/Module1.xml": "<x/>"})
    assert [f.code for f in safety.screen(macro)] == ["F010"]


def test_xlsb_is_named(tmp_path):
    path = tmp_path / "nhi-phan.xlsb"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert "sổ làm việc nhị phân Excel (.xlsb)" in safety.screen(path)[0].message


def test_truncated_workbook_is_broken(xlsx, tmp_path):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(xlsx.read_bytes()[:400])
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F009")
    assert found.message.startswith("Tệp bị hỏng, không đọc được: ")


def test_password_protected_xlsx_is_named(xlsx, tmp_path):
    path = tmp_path / "mat-khau.xlsx"
    with open(xlsx, "rb") as plain, open(path, "wb") as out:
        OOXMLFile(plain).encrypt("123456", out)
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F004")
    assert found.message == message_for("F004")
    assert "mật khẩu" in found.message


def test_zip_bomb_by_ratio_is_caught_without_decompressing(xlsx, tmp_path):
    bomb = rezip(xlsx, tmp_path / "bom.xlsx",
                 add={"xl/media/image1.xml": b"\x00" * (8 * 1024 * 1024)})
    assert bomb.stat().st_size < 100 * 1024  # megabytes inside, kilobytes on disk
    (found,) = safety.screen(bomb)
    assert found.code == "F006"
    assert "'xl/media/image1.xml'" in found.message and "tỷ lệ" in found.message


def test_zip_bomb_by_total_size(xlsx, tmp_path, monkeypatch):
    # Members under the ratio floor each, too much together.
    monkeypatch.setattr(safety, "MAX_UNCOMPRESSED", 2 * 1024 * 1024)
    parts = {f"xl/media/part{i}.bin": b"\x00" * (900 * 1024) for i in range(3)}
    bomb = rezip(xlsx, tmp_path / "bom.xlsx", add=parts)
    (found,) = safety.screen(bomb)
    assert found.code == "F005"
    assert "vượt giới hạn 2 MB" in found.message


def test_too_many_members(xlsx, tmp_path):
    many = rezip(xlsx, tmp_path / "nhieu.xlsx",
                 add={f"xl/media/{i}.bin": b"" for i in range(safety.MAX_MEMBERS)})
    (found,) = safety.screen(many)
    assert found.code == "F007"
    assert f"giới hạn {safety.MAX_MEMBERS}" in found.message


def test_overlapping_members(xlsx, tmp_path):
    """Two directory entries pointing at one compressed stream (an overlapping zip bomb)."""
    path = rezip(xlsx, tmp_path / "chong.xlsx", add={"xl/media/b.bin": b"x" * 100})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0].header_offset
    last_entry = data.rfind(b"PK\x01\x02")  # the central directory entry of b.bin
    struct.pack_into("<I", data, last_entry + 42, first)
    path.write_bytes(bytes(data))
    assert [f.code for f in safety.screen(path)] == ["F013"]


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData>
</worksheet>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&xxe;</workbook>"""


@pytest.mark.parametrize(("member", "content"), [
    ("xl/worksheets/sheet1.xml", BILLION_LAUGHS),
    ("xl/workbook.xml", XXE),
])
def test_xml_entity_tricks(xlsx, tmp_path, member, content):
    path = rezip(xlsx, tmp_path / "xml.xlsx", replace={member: content})
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F008")
    assert found.message == message_for("F008", member=member)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("pad", [0, 9000])
def test_entity_declarations_in_utf16_are_found(xlsx, tmp_path, codec, pad):
    part = BILLION_LAUGHS.replace(b'encoding="UTF-8"', f'encoding="{codec}"'.encode())
    part = part.replace(b"?>", b"?>" + b" " * pad, 1).decode()
    path = rezip(xlsx, tmp_path / "u16.xlsx",
                 replace={"xl/worksheets/sheet1.xml": part.encode(codec)})
    assert [f.code for f in safety.screen(path)] == ["F009" if pad else "F008"]


def test_a_utf16_part_without_tricks_passes(xlsx, tmp_path):
    with zipfile.ZipFile(xlsx) as archive:
        sheet = archive.read("xl/workbook.xml").decode()
    sheet = sheet.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = rezip(xlsx, tmp_path / "u16.xlsx", replace={"xl/workbook.xml": sheet.encode("utf-16")})
    assert safety.screen(path) == []


@pytest.mark.parametrize("prolog", [
    b"<?xml version='1.0'?>" + b" " * 9000,  # the DTD pushed past the head
    b"<?xml version='1.0'?><!-- <a> -->" + b" " * 9000,  # a fake root inside a comment
])
def test_a_part_whose_root_is_not_in_its_head_is_refused(xlsx, tmp_path, prolog):
    part = prolog + BILLION_LAUGHS.split(b"?>", 1)[1]
    path = rezip(xlsx, tmp_path / "pad.xlsx", replace={"xl/worksheets/sheet1.xml": part})
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F009")
    assert "xl/worksheets/sheet1.xml: không có phần tử gốc" in found.message


def test_malformed_xml_part(xlsx, tmp_path):
    path = rezip(xlsx, tmp_path / "bad.xlsx", replace={"xl/workbook.xml": b"<workbook><</"})
    (found,) = safety.screen(path)
    assert found.code == "F009" and "xl/workbook.xml" in found.message


def test_macros_are_a_warning_only(xlsx, tmp_path):
    path = rezip(xlsx, tmp_path / "STP_macro.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf"})
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (WARNING, "F010")
    assert found.message == ("Tệp có macro (VBA): macro bị bỏ qua, không chạy. Lần sau lưu "
                             "biểu mẫu dạng .xlsx (Excel Workbook), không có macro.")
    renamed = shutil.copyfile(xlsx, tmp_path / "x.xlsm")
    assert codes(safety.screen(renamed)) == [(WARNING, "F010")]


def test_xlsx_named_xls_is_a_warning(xlsx, tmp_path):
    path = shutil.copyfile(xlsx, tmp_path / "cu.xls")
    assert codes(safety.screen(path)) == [(WARNING, "F012")]


def test_folder_and_missing_file(tmp_path):
    assert [f.code for f in safety.screen(tmp_path)] == ["F011"]
    (found,) = safety.screen(tmp_path / "khong-co.xlsx")
    assert found.code == "F011" and found.file == "khong-co.xlsx"


def test_broken_ole_container(tmp_path):
    """The OLE signature with nothing valid behind it."""
    path = tmp_path / "hong.xls"
    path.write_bytes(safety.OLE_MAGIC + b"\x00" * 504)
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F009")


@requires_soffice
def test_real_xls_and_doc_from_libreoffice(xlsx, tmp_path):
    xls = convert(xlsx, "xls", tmp_path / "xls")
    assert safety.screen(xls) == []
    resaved = convert(xls, "xlsx", tmp_path / "xlsx")  # as LibreOffice writes .xlsx
    assert safety.screen(resaved) == []
    document = docx.Document()
    document.add_paragraph("Báo cáo")
    source = tmp_path / "bao-cao.docx"
    document.save(source)
    doc = convert(source, "doc", tmp_path / "doc")
    renamed = shutil.copyfile(doc, tmp_path / "bao-cao.xls")
    (found,) = safety.screen(renamed)
    assert found.code == "F003" and "tài liệu Word (.doc)" in found.message


@requires_soffice
def test_password_protected_xls_is_named(xlsx, tmp_path):
    """An .xls whose globals carry a FILEPASS record (RC4), as Excel writes when a
    password to open is set; the stream keeps its size so olefile can rewrite it."""
    path = convert(xlsx, "xls", tmp_path / "xls")
    ole = olefile.OleFileIO(str(path), write_mode=True)
    stream = ole.openstream("Workbook").read()
    bof_size = struct.unpack_from("<H", stream, 2)[0]
    bof = stream[:4 + bof_size]
    filepass = struct.pack("<HHHHH", 0x002F, 54, 0x0001, 1, 1) + bytes(48)
    locked = (bof + filepass + stream[len(bof):])[:len(stream)]
    ole.write_stream("Workbook", locked)
    ole.close()
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F004")


def test_members_with_vietnamese_names_are_not_overlapping(xlsx, tmp_path):
    path = rezip(xlsx, tmp_path / "ten.xlsx", add={"xl/media/ảnh chụp hội nghị.png": b"x" * 50,
                                                   "xl/media/b.png": b"y"})
    assert safety.screen(path) == []


# --------------------------------------------------------------------------- sheet extent

def far_book(path, cells=(), blanks=(), merges=()):
    """A form-shaped workbook; cells/blanks/merges: (sheet, reference) to fill."""
    book = new_workbook(path)
    sheets = {name: book.add_worksheet(name) for name in ("Hướng dẫn", "Báo cáo", "Chỉ tiêu")}
    grey = book.add_format({"bg_color": "#DDDDDD"})
    for sheet in sheets.values():
        sheet.write("A1", "TT")
    for name, ref in cells:
        sheets[name].write(ref, "x")
    for name, ref in blanks:
        sheets[name].write_blank(ref, None, grey)
    for name, ref in merges:
        sheets[name].merge_range(ref, "gộp", grey)
    book.close()
    return path


def far(found):
    return [(f.severity, f.code, f.sheet, f.cell) for f in found]


@pytest.mark.parametrize(("sheet", "cell"), [("Báo cáo", "XFD1048576"),
                                             ("Chỉ tiêu", "XFD1048576"),
                                             ("Báo cáo", "A1048576"),  # a Ctrl+Down slip
                                             ("Chỉ tiêu", "GS1")])
def test_a_far_cell_on_a_sheet_intake_reads_is_an_error_naming_it(tmp_path, sheet, cell):
    path = far_book(tmp_path / "STP.xlsx", cells=[(sheet, cell), (sheet, "C30")])
    (found,) = safety.screen(path)
    assert far([found]) == [(ERROR, "F014", sheet, cell)]
    assert found.message == message_for("F014", sheet, cell, ref=cell, rows="20.000", cols="GR")
    assert found.message.startswith(f"[{sheet}!{cell}] Ô {cell} có dữ liệu")
    assert "Xóa ô này" in found.message


def test_a_far_cell_on_a_sheet_nobody_reads_is_a_warning(tmp_path):
    path = far_book(tmp_path / "STP.xlsx", cells=[("Hướng dẫn", "IV65536"),
                                                  ("Báo cáo", "XFD1048576")])
    assert far(safety.screen(path)) == [(ERROR, "F014", "Báo cáo", "XFD1048576"),
                                        (WARNING, "F015", "Hướng dẫn", "IV65536")]
    path = far_book(tmp_path / "SYT.xlsx", cells=[("Hướng dẫn", "XFD1048576")])
    assert far(safety.screen(path)) == [(WARNING, "F015", "Hướng dẫn", "XFD1048576")]


def test_only_cells_holding_something_count(tmp_path):
    """Readers skip a formatted empty cell, so it may sit anywhere (its dimension says
    A1:XFD1048576, as LibreOffice and Excel write after formatting whole rows); the
    limits themselves are allowed."""
    path = far_book(tmp_path / "STP.xlsx", blanks=[("Báo cáo", "XFD1048576")],
                    cells=[("Báo cáo", "GR20000")])
    with zipfile.ZipFile(path) as archive:
        assert b'<dimension ref="A1:XFD1048576"/>' in archive.read("xl/worksheets/sheet2.xml")
    assert safety.screen(path) == []


def test_a_far_merged_area_or_hyperlink_counts(tmp_path):
    """openpyxl (the feedback's reader) makes a cell for every cell of these ranges."""
    path = far_book(tmp_path / "STP.xlsx", merges=[("Chỉ tiêu", "A5:XFD6")])
    assert far(safety.screen(path)) == [(ERROR, "F014", "Chỉ tiêu", "XFD6")]
    link = b'<hyperlinks><hyperlink ref="A1:B1048576" display="x" location="A1"/></hyperlinks>'
    with zipfile.ZipFile(path) as archive:
        guide = archive.read("xl/worksheets/sheet1.xml")
    linked = rezip(path, tmp_path / "SYT.xlsx", replace={
        "xl/worksheets/sheet1.xml": guide.replace(b"<pageMargins", link + b"<pageMargins")})
    assert far(safety.screen(linked)) == [(ERROR, "F014", "Chỉ tiêu", "XFD6"),
                                          (WARNING, "F015", "Hướng dẫn", "B1048576")]


def test_large_sheet_parts_are_streamed_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "KEEP_PART", 0)
    monkeypatch.setattr(safety, "SCAN_CHUNK", 64)  # every cell straddles some boundary
    path = far_book(tmp_path / "STP.xlsx", cells=[("Báo cáo", f"B{r}") for r in range(2, 60)]
                    + [("Báo cáo", "AB40000")], blanks=[("Báo cáo", "XFD1048576")])
    assert far(safety.screen(path)) == [(ERROR, "F014", "Báo cáo", "AB40000")]


def test_the_reader_gets_the_inflated_sheets_from_the_screen(tmp_path):
    path = far_book(tmp_path / "STP.xlsx", cells=[("Báo cáo", "C3")])
    found, archive = safety.screen_open(path)
    try:
        assert found == [] and sorted(archive.inflated) == [
            "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]
        with zipfile.ZipFile(path) as plain:
            assert archive.read("xl/worksheets/sheet2.xml") == plain.read(
                "xl/worksheets/sheet2.xml")
        assert "xl/worksheets/sheet2.xml" not in archive.inflated  # handed over once
    finally:
        archive.close()


def test_members_inflated_from_memory_are_what_zipfile_reads(tmp_path):
    """The screen inflates members itself from the workbook in memory: every member, whole
    or its head, reads exactly as zipfile reads it, stored or deflated."""
    source = far_book(tmp_path / "STP.xlsx", cells=[("Báo cáo", "C3")])
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(stored, "w") as new:
        for item in old.infolist():  # some members kept uncompressed, as some writers do
            kind = zipfile.ZIP_STORED if item.filename.endswith(".rels") else \
                zipfile.ZIP_DEFLATED
            new.writestr(item.filename, old.read(item.filename), compress_type=kind)
    for path in (source, stored):
        found, archive = safety.screen_open(path)
        assert found == []
        with archive, zipfile.ZipFile(path) as plain:
            for member in plain.infolist():
                whole = plain.read(member)
                assert archive.part(member) == whole
                assert archive.part(member, 100) == whole[:100]


@pytest.mark.parametrize("damage", ["data", "stream", "smaller", "larger"])
def test_a_sheet_whose_data_or_size_was_tampered_with_is_broken(tmp_path, damage):
    """A sheet's compressed bytes changed (its text, or the stream itself), or its declared
    size made smaller (its text would be cut) or larger than what it holds: F009, never
    more inflated than declared."""
    path = far_book(tmp_path / "STP.xlsx", cells=[("Báo cáo", "C3")])
    part = "xl/worksheets/sheet1.xml"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    if damage == "data":
        middle = start + info.compress_size // 2
        data[middle:middle + 8] = bytes(b ^ 0x5A for b in data[middle:middle + 8])
    elif damage == "stream":
        data[start] = 0xFF  # a deflate block of the reserved type: zlib cannot go on
    else:
        entry = _central_entry(data, part)
        size = info.file_size // 2 if damage == "smaller" else info.file_size + 1000
        struct.pack_into("<I", data, entry + 24, size)
    path.write_bytes(bytes(data))
    (found,) = safety.screen(path)
    assert (found.severity, found.code) == (ERROR, "F009")
    assert found.message.startswith("Tệp bị hỏng, không đọc được: ")


def _central_entry(data: bytearray, name: str) -> int:
    """Offset of a member's central directory entry (signature PK\\1\\2)."""
    at = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_length]) == name.encode():
            return at
        extra, comment = struct.unpack_from("<HH", data, at + 30)
        at += 46 + name_length + extra + comment


def test_a_member_compressed_another_way_is_still_screened(xlsx, tmp_path):
    """A member compressed with bzip2 (legal in a zip, unusual in a workbook) is read
    through zipfile: a clean one passes, one with an entity declaration is refused."""
    for content, expected in ((None, []), (XXE, [(ERROR, "F008")])):
        path = tmp_path / "bzip2.xlsx"
        with zipfile.ZipFile(xlsx) as old, zipfile.ZipFile(path, "w") as new:
            for item in old.infolist():
                body = content if content and item.filename == "xl/workbook.xml" else \
                    old.read(item.filename)
                new.writestr(item.filename, body, compress_type=zipfile.ZIP_BZIP2)
        assert codes(safety.screen(path)) == expected


@requires_soffice
def test_a_far_cell_in_an_xls_is_an_error_on_any_sheet(tmp_path):
    """calamine builds every sheet of an .xls when it opens it, read or not: the BIFF
    records are scanned for the farthest cell."""
    source = far_book(tmp_path / "STP.xlsx", cells=[("Hướng dẫn", "IV65536"),
                                                    ("Báo cáo", "D12")])
    xls = convert(source, "xls", tmp_path / "xls")
    assert far(safety.screen(xls)) == [(ERROR, "F014", "Hướng dẫn", "IV65536")]
    near = convert(far_book(tmp_path / "SYT.xlsx", cells=[("Hướng dẫn", "GR20000")]), "xls",
                   tmp_path / "xls")
    assert safety.screen(near) == []


ODS_CONTENT = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
               'office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
               '<office:spreadsheet>{}</office:spreadsheet></office:body>'
               '</office:document-content>')


def ods_sheet(name, rows):
    """A <table:table>; rows: (repeat, cells), cells: (repeat, text or None)."""
    out = []
    for repeat, cells in rows:
        inner = "".join(
            f'<table:table-cell table:number-columns-repeated="{n}"'
            + (f' office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
               if text is not None else ' table:style-name="ce1"/>') for n, text in cells)
        out.append(f'<table:table-row table:number-rows-repeated="{repeat}">{inner}'
                   '</table:table-row>')
    return f'<table:table table:name="{name}">{"".join(out)}</table:table>'


def test_a_far_cell_in_an_ods_is_counted_through_repeated_rows_and_cells(tmp_path):
    """LibreOffice's own format names no cell: rows and cells carry repeat counts. A styled
    empty cell repeated to the sheet's edge is nothing; a value beyond the limits is the
    same finding as in an .xlsx (an error on a sheet intake reads, else a warning), and a
    value repeated counts to its last copy."""
    form_like = [(1, [(1, "TT"), (2, None), (1, "Kết quả")]), (1048570, [(16384, None)])]
    report = [(3, [(1, "1")]), (1048570, [(1, None)]), (1, [(1, "x")])]  # A1048574
    guide = [(1, [(1, "Hướng dẫn"), (16380, None), (3, "x")])]  # XFD1 (3 copies)
    indicators = [(19998, [(1, None)]), (2, [(200, None), (1, "y")])]  # GS19999:GS20000
    path = _ods(tmp_path / "STP.ods", ODS_CONTENT.format(
        ods_sheet("Hướng dẫn", guide) + ods_sheet("Báo cáo", report)
        + ods_sheet("Chỉ tiêu", indicators) + ods_sheet("Thêm", form_like)))
    assert far(safety.screen(path)) == [(ERROR, "F014", "Báo cáo", "A1048574"),
                                        (ERROR, "F014", "Chỉ tiêu", "GS20000"),
                                        (WARNING, "F015", "Hướng dẫn", "XFD1")]
    near = [(19999, [(1, None)]), (1, [(199, None), (1, "z")])]  # GR20000: the limit itself
    path = _ods(tmp_path / "SYT.ods", ODS_CONTENT.format(
        ods_sheet("Báo cáo", near) + ods_sheet("Thêm", form_like)))
    assert safety.screen(path) == []


@requires_soffice
def test_a_far_cell_in_an_ods_saved_by_libreoffice(tmp_path):
    source = far_book(tmp_path / "STP.xlsx", cells=[("Báo cáo", "A1048576"),
                                                    ("Hướng dẫn", "IV65536")])
    ods = convert(source, "ods", tmp_path / "ods")
    assert far(safety.screen(ods)) == [(ERROR, "F014", "Báo cáo", "A1048576"),
                                       (WARNING, "F015", "Hướng dẫn", "IV65536")]
    near = convert(far_book(tmp_path / "SYT.xlsx", cells=[("Báo cáo", "GR20000")],
                            blanks=[("Chỉ tiêu", "XFD1048576")]), "ods", tmp_path / "ods")
    assert safety.screen(near) == []


def malformed_xls(source, target):
    """A real .xls whose globals stop after BOF with a record longer than the stream (as in
    Apache POI's 61300.xls): msoffcrypto's password check raises ParseError on it."""
    shutil.copyfile(source, target)
    ole = olefile.OleFileIO(str(target), write_mode=True)
    stream = ole.openstream("Workbook").read()
    bof = stream[:4 + struct.unpack_from("<H", stream, 2)[0]]
    broken = bof + struct.pack("<HH", 0x1234, 0xFFFF)
    ole.write_stream("Workbook", broken + bytes(len(stream) - len(broken)))
    ole.close()
    return target


@requires_soffice
def test_a_malformed_xls_is_screened_without_raising(xlsx, tmp_path):
    path = malformed_xls(convert(xlsx, "xls", tmp_path / "xls"), tmp_path / "SNV_hong.xls")
    assert safety.screen(path) == []  # not known to be encrypted: the reader decides
