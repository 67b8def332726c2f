"""File-level checks on a returned file before anything parses it.

`screen(path)` looks at the file's first bytes, the zip directory, the OLE
directory and the first bytes of each XML part, so it stays cheap for 10.000
files and never decompresses a large member whole. It also takes each sheet's
extent (the farthest cell holding something), streamed: a reader builds the whole
rectangle up to that cell, so one stray value in XFD1048576 would cost 2^34 cells.
An error finding means "do not parse this file"; a warning (macros present, a far
cell on a sheet intake never reads) lets intake go on.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from xml.parsers import expat
from xml.parsers.expat import ExpatError

import defusedxml
import defusedxml.ElementTree
import olefile
from msoffcrypto import OfficeFile

from generator.findings import ERROR, Finding, finding
from generator.forms import layout as formspec
from generator.intake.book import _sheet_members as sheet_members
from generator.text import fmt_int, fmt_num, fold

DEFAULT_LIMIT_MB = 20
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # all members together, from the zip directory
MAX_RATIO = 100  # per member, for members above RATIO_FLOOR uncompressed
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 2000
# A DTD can only stand before the root element, and real parts open their root within
# a few hundred bytes: a part whose root is not in its head is refused, not searched.
XML_HEAD = 8 * 1024

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What a file that is not a workbook most likely is, by its first bytes.
OTHER_MAGIC = (
    (b"%PDF", "tài liệu PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"BM", "ảnh BMP"),
    (b"{\\rtf", "văn bản RTF"),
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf", "tệp nén 7-Zip"),
    (b"\x1f\x8b", "tệp nén gzip"),
)
MACRO_EXTS = {".xlsm", ".xltm", ".xlam"}

# A form uses a few hundred rows and a dozen columns (a district's return a few thousand
# rows); a cell beyond these is a slip (Ctrl+Down, a stray key) or an attack.
MAX_ROWS = 20_000
MAX_COLS = 200
# The sheets intake reads: a far cell there is an error (reading would build the whole
# rectangle); on another sheet of an .xlsx it is only a warning, as no reader opens it.
READ_SHEETS = frozenset(fold(n) for n in (formspec.SHEET_IDENTITY, formspec.SHEET_REPORT,
                                           formspec.SHEET_INDICATORS, formspec.SHEET_CHILDREN))
# Sheet parts up to this size are inflated whole and kept for the reader's own pass
# (book.py reads the same parts again); larger ones are streamed in chunks.
KEEP_PART = 4 * 1024 * 1024
SCAN_CHUNK = 1024 * 1024
SCAN_OVERLAP = 512


def limit_bytes(workspace) -> int:
    """The size limit from the workspace's baocao.toml ([intake] max_mb)."""
    try:
        megabytes = float(workspace.section("intake").get("max_mb", DEFAULT_LIMIT_MB))
    except (TypeError, ValueError):
        megabytes = DEFAULT_LIMIT_MB
    return int(megabytes * 1024 * 1024)


def human_size(size: int) -> str:
    """Vietnamese style size: '20 MB', '1,5 GB', '512 byte'."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{fmt_num(size / scale, 1)} {unit}"
    return f"{size} byte"


def screen(path: Path, limit_bytes: int | None = None) -> list[Finding]:
    """Findings about the file as a container; never raises for a bad file."""
    found, archive = screen_open(path, limit_bytes)
    if archive is not None:
        archive.close()
    return found


def screen_open(path: Path, limit_bytes: int | None = None
                ) -> tuple[list[Finding], zipfile.ZipFile | None]:
    """screen(), plus the open ZipFile of a zip workbook that passed (the caller closes it),
    so a reader that scans the sheets' XML need not open and index the archive again.
    The archive is None for a rejected file and for a non-zip (.xls) workbook."""
    path = Path(path)
    name = path.name
    limit = DEFAULT_LIMIT_MB * 1024 * 1024 if limit_bytes is None else int(limit_bytes)
    try:
        size = path.stat().st_size
        if not path.is_file():
            return [finding("F011", file=name, reason="không phải một tệp")], None
        if size == 0:
            return [finding("F002", file=name)], None
        if size > limit:
            return [finding("F001", file=name, size=human_size(size),
                            limit=human_size(limit))], None
        with open(path, "rb") as stream:
            head = stream.read(512)
            # A workbook within the size limit is taken into memory whole, once: the
            # screen then opens its parts without going back to the disk for each.
            data = head + stream.read(limit + 1 - len(head)) if head.startswith(ZIP_MAGIC) \
                else b""
    except OSError as exc:
        return [finding("F011", file=name, reason=exc.strerror or type(exc).__name__)], None
    if len(data) > limit:  # it grew after the size was taken
        return [finding("F001", file=name, size=human_size(len(data)),
                        limit=human_size(limit))], None
    if head.startswith(ZIP_MAGIC):
        return _screen_zip(data, name)
    if head.startswith(OLE_MAGIC):
        return _screen_ole(path, name), None
    return [finding("F003", file=name, what=describe(head))], None


def describe(head: bytes) -> str:
    """What a non-workbook file looks like, in words an officer understands."""
    for magic, what in OTHER_MAGIC:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:300]:
        return "trang web (HTML) được đặt tên như tệp Excel"
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "bảng tính XML 2003"
        return "tệp XML"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "tệp không rõ định dạng"
    return "tệp văn bản"


# --------------------------------------------------------------------------- OOXML (zip)

class ScreenedZip(zipfile.ZipFile):
    """The screened workbook's zip, held in memory: read() hands out the sheet parts the
    extent scan has already inflated (once each), so screening costs the reader no second
    inflation; part() inflates a member straight from the bytes in memory."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.data = data
        self.inflated: dict[str, bytes] = {}

    def read(self, name, pwd=None):
        key = name.filename if isinstance(name, zipfile.ZipInfo) else name
        data = self.inflated.pop(key, None)
        if data is not None:
            return data
        return self.part(name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name))

    def part(self, member: zipfile.ZipInfo, limit: int = -1) -> bytes:
        """A member's bytes (its first `limit` bytes when limit >= 0), inflated by zlib from
        the workbook in memory. zipfile's reader, made for streams, costs more per member
        than the inflating itself, and a form has 17 members. Never more than the size
        the directory declares (checked against the limits before); read whole, the size
        and CRC must match, as zipfile checks them. An encrypted or unusually compressed
        member goes through zipfile."""
        data, start = self.data, member.header_offset
        if member.flag_bits & 0x1 or member.compress_type not in _INFLATABLE or \
                data[start:start + 4] != b"PK\x03\x04":
            return self._through_zipfile(member, limit)
        name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
        start += 30 + name_length + extra_length
        raw = memoryview(data)[start:start + member.compress_size]
        want = member.file_size if limit < 0 else min(limit, member.file_size)
        if want == 0:
            out = b""
        elif member.compress_type == zipfile.ZIP_STORED:
            out = bytes(raw[:want])
        else:
            out = zlib.decompressobj(-15).decompress(raw, want)
        if limit < 0 and (len(out) != member.file_size or zlib.crc32(out) != member.CRC):
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {member.filename!r}")
        return out

    def _through_zipfile(self, member: zipfile.ZipInfo, limit: int) -> bytes:
        if limit < 0:
            return zipfile.ZipFile.read(self, member)
        with self.open(member) as stream:
            return stream.read(limit)


_INFLATABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _screen_zip(data: bytes, name: str) -> tuple[list[Finding], zipfile.ZipFile | None]:
    """(findings, the open archive when no finding is an error)."""
    archive = None
    try:
        archive = ScreenedZip(data)
        found = _zip_findings(archive, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, zlib.error) as exc:
        found = [finding("F009", file=name, reason=_reason(exc))]
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    if archive is not None and is_rejected(found):
        archive.close()
        archive = None
    return found, archive


def _zip_findings(archive: zipfile.ZipFile, name: str) -> list[Finding]:
    members = archive.infolist()
    found = _check_directory(members, name)
    if found:
        return found
    names = {m.filename for m in members}
    kind = _zip_kind(names, archive)
    if kind is not None:
        return [finding("F003", file=name, what=kind)]
    if ODS_CONTENT in names and _odf_encrypted(archive):
        return [finding("F004", file=name)]
    found = _check_xml_parts(archive, members, name)
    if found:
        return found
    out = _ods_extents(archive, name) if ODS_CONTENT in names else _zip_extents(archive, name)
    if is_rejected(out):
        return out
    suffix = PurePosixPath(name).suffix.lower()
    if "xl/vbaProject.bin" in names or suffix in MACRO_EXTS or \
            any(n.startswith(ODF_MACRO_DIRS) for n in names):
        out.append(finding("F010", file=name))
    if suffix == ".xls":
        out.append(finding("F012", file=name, ext=suffix, what="bảng tính Excel .xlsx"))
    return out


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:120] if text else type(exc).__name__


def _check_directory(members, name: str) -> list[Finding]:
    """Zip-bomb guards from the central directory alone: nothing is decompressed."""
    if len(members) > MAX_MEMBERS:
        return [finding("F007", file=name, count=len(members), limit=MAX_MEMBERS)]
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        return [finding("F005", file=name, size=human_size(total),
                        limit=human_size(MAX_UNCOMPRESSED))]
    for member in members:
        if member.file_size > RATIO_FLOOR:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_RATIO:
                return [finding("F006", file=name, member=member.filename,
                                ratio=int(ratio))]
    # Overlapping members (one compressed stream listed many times) multiply the
    # real output beyond what each entry claims.
    spans = sorted((m.header_offset, m.header_offset + 30 + _name_length(m) + m.compress_size)
                   for m in members)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            return [finding("F013", file=name)]
    return []


def _name_length(member: zipfile.ZipInfo) -> int:
    """The stored length of a member's name (UTF-8 when flagged, else code page 437)."""
    encoding = "utf-8" if member.flag_bits & 0x800 else "cp437"
    return len(member.filename.encode(encoding, errors="replace"))


ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_CONTENT = "content.xml"
ODF_MANIFEST = "META-INF/manifest.xml"
ODF_MACRO_DIRS = ("Basic/", "Scripts/")


def _odf_encrypted(archive: zipfile.ZipFile) -> bool:
    """An ODF package saved with a password lists encryption data in its manifest."""
    try:
        with archive.open(ODF_MANIFEST) as stream:
            return b"encryption-data" in stream.read(1 << 20)
    except KeyError:
        return False


def _zip_kind(names: set[str], archive: zipfile.ZipFile) -> str | None:
    """None for an Excel workbook, else what the zip holds."""
    if "xl/workbook.xml" in names:
        return None
    if "xl/workbook.bin" in names:
        return "sổ làm việc nhị phân Excel (.xlsb)"
    if "word/document.xml" in names:
        return "tài liệu Word (.docx)"
    if "ppt/presentation.xml" in names:
        return "bản trình chiếu PowerPoint (.pptx)"
    if "mimetype" in names:
        mime = archive.open("mimetype").read(100)
        if mime.strip() == ODS_MIME and ODS_CONTENT in names:
            return None  # LibreOffice's own format: read like a workbook
        if b"spreadsheet" in mime:
            return "bảng tính OpenDocument không có nội dung"
        if b"text" in mime:
            return "văn bản OpenDocument (.odt)"
    return "tệp nén zip"


# Parsed whole with defusedxml: the parts every reader opens first, a few KB each.
STRUCTURE_PARTS = frozenset({"[Content_Types].xml", "xl/workbook.xml",
                             "xl/_rels/workbook.xml.rels", "_rels/.rels", ODF_MANIFEST})
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ROOT = re.compile(rb"<[A-Za-z_]")
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_BANG = re.compile(rb"<!")


class _NoTree:
    """Parser target that builds nothing: only the declarations matter here."""

    def close(self):
        return None


def _check_xml_parts(archive: zipfile.ZipFile, members, name: str) -> list[Finding]:
    """Reject any DTD or entity declaration in the XML parts (billion laughs, XXE).

    The structural parts are parsed with defusedxml; for the others (sheets, shared
    strings: large, and parsing them here would double intake's time) the head is
    scanned, which suffices because a DTD can only stand before the root element.
    """
    for member in members:
        part = member.filename
        if not part.lower().endswith((".xml", ".rels", ".vml")) or member.file_size == 0:
            continue
        head = _head(archive, member)
        scan = _as_utf8(head)
        # Declarations and comments both open with "<!": one regex pass (quicker than
        # `bytes in`) clears the usual part that has neither.
        marked = _BANG.search(scan) is not None
        if marked and any(marker in scan for marker in _DECLARATIONS):
            return [finding("F008", file=name, member=part)]
        if _ROOT.search(_COMMENT.sub(b"", scan) if marked else scan) is None:
            return [finding("F009", file=name, reason=f"{part}: không có phần tử gốc")]
        if part in STRUCTURE_PARTS or scan is not head:
            found = _parse(head, name, part)
            if found:
                return found
    return []


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


def _head(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The first XML_HEAD bytes of a part. A worksheet part the extent scan will inflate
    whole is inflated whole now, once, and kept for it."""
    if not isinstance(archive, ScreenedZip):
        with archive.open(member) as stream:
            return stream.read(XML_HEAD)
    if member.file_size <= KEEP_PART and _SHEET_PART.fullmatch(member.filename):
        data = archive.inflated[member.filename] = archive.part(member)
        return data[:XML_HEAD]
    return archive.part(member, XML_HEAD)


_WIDE = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
         (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
         (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))


def _as_utf8(head: bytes) -> bytes:
    """The head itself, or, for UTF-16/32 (which hide ASCII markup from a byte scan),
    its text re-encoded as UTF-8."""
    for mark, codec in _WIDE:
        if head.startswith(mark):
            return head.decode(codec, errors="ignore").encode("utf-8")
    return head


def _parse(head: bytes, name: str, part: str) -> list[Finding]:
    verdict = _parse_verdict(head)
    if verdict is None:
        return []
    if verdict == "F008":
        return [finding("F008", file=name, member=part)]
    return [finding("F009", file=name, reason=f"{part}: {verdict}")]


@functools.lru_cache(maxsize=256)
def _parse_verdict(head: bytes) -> str | None:
    """None (clean), "F008" (DTD/entity) or the parse error's reason, once per distinct head:
    the structural parts of returns made from one form are byte-identical, and building
    a parser costs more than the rest of the screen. Same bytes, same verdict."""
    parser = defusedxml.ElementTree.DefusedXMLParser(
        target=_NoTree(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(head)  # never closed: the head may end mid-element
    except defusedxml.DefusedXmlException:
        return "F008"
    except (ExpatError, SyntaxError) as exc:
        return _reason(exc)
    return None


# --------------------------------------------------------------------------- sheet extent

# A cell that may lie beyond the limits: two or three column letters, or a row of five or
# more digits. Every cell of a normal form fails this at its first bytes, so one regex
# pass over a part finds nothing quickly; the few matches are then measured exactly.
_FAR_CELL = re.compile(rb'r="([A-Z]{2,3}[0-9]{1,7}|[A-Z][0-9]{5,7})"')
# A range reaching beyond the limits, on the elements openpyxl (the feedback's reader)
# expands cell by cell: merged areas and hyperlinks. <dimension ref> is no such element:
# readers ignore it, and LibreOffice writes A1:AMJ1048576 after whole columns are formatted.
_FAR_RANGE = re.compile(rb'ref="[A-Z]{1,3}[0-9]{1,7}:([A-Z]{2,3}[0-9]{1,7}|[A-Z][0-9]{5,7})"')
_EXPANDED = (b"mergeCell", b"hyperlink")


def cell_position(ref: str) -> tuple[int, int]:
    """'XFD1048576' -> (1048576, 16384): 1-based row and column. By hand: openpyxl's
    helper would load openpyxl (0,2 s) into every reading process."""
    letters = ref.rstrip("0123456789")
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(ref[len(letters):]), column


def _beyond(row: int, column: int) -> bool:
    return row > MAX_ROWS or column > MAX_COLS


def _far_refs(data: bytes, stop: int) -> list[str]:
    """References beyond the limits, of cells holding something or of merged areas and
    hyperlinks, among the matches that start before stop (the rest are the next chunk's)."""
    out = []
    for match in _FAR_CELL.finditer(data):
        if match.start() >= stop:
            break
        ref = match.group(1).decode("ascii")
        if _attribute(data, match.start()) and _beyond(*cell_position(ref)) \
                and _holds_value(data, match.end()):
            out.append(ref)
    for match in _FAR_RANGE.finditer(data):
        if match.start() >= stop:
            break
        ref = match.group(1).decode("ascii")
        if _attribute(data, match.start()) and _beyond(*cell_position(ref)) \
                and _element(data, match.start()).endswith(_EXPANDED):
            out.append(ref)
    return out


def _attribute(data: bytes, start: int) -> bool:
    """The match starts an attribute (after whitespace), not the tail of another name."""
    return start == 0 or data[start - 1:start] in (b" ", b"\t", b"\r", b"\n")


def _element(data: bytes, start: int) -> bytes:
    """The name of the element whose start tag holds position start."""
    opening = data.rfind(b"<", 0, start)
    return data[opening + 1:start].split(None, 1)[0] if opening >= 0 else b""


def _holds_value(data: bytes, after: int) -> bool:
    """Whether the <c> element whose r attribute ends at `after` has content. A styled
    empty cell (<c r=".." s="3"/>) is skipped by readers, so it does not count."""
    close = data.find(b">", after)
    if close < 0:
        return True  # cut off at the chunk's end: count it, to be safe
    if data[close - 1:close] == b"/":
        return False
    return not data.startswith(b"</", close + 1)


def _part_far_refs(archive: ScreenedZip, member: zipfile.ZipInfo) -> list[str]:
    """The far references of one sheet part: inflated whole (and kept for the reader) up
    to KEEP_PART, else streamed in overlapping chunks."""
    if member.file_size <= KEEP_PART:
        data = archive.inflated.get(member.filename)
        if data is None:
            data = archive.inflated[member.filename] = archive.part(member)
        return _far_refs(data, len(data))
    out, tail = [], b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(SCAN_CHUNK)
            data = tail + chunk
            if not chunk:
                return out + _far_refs(data, len(data))
            stop = max(0, len(data) - SCAN_OVERLAP)
            out += _far_refs(data, stop)
            tail = data[stop:]


def _zip_extents(archive: ScreenedZip, name: str) -> list[Finding]:
    """One finding per sheet with a far cell: the farthest one, by row then column."""
    present = {m.filename: m for m in archive.infolist()}
    out = []
    for sheet, part in sheet_members(archive).items():
        member = present.get(part)
        if member is None:
            continue
        refs = _part_far_refs(archive, member)
        if refs:
            out.append(_far_finding(name, sheet, refs, read=fold(sheet) in READ_SHEETS))
    return sorted(out, key=lambda f: f.severity != ERROR)


# OpenDocument (.ods): content.xml holds every sheet; rows and cells carry repeat counts
# instead of references, so positions are counted while the part streams through expat.
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_CELLS = frozenset({f"{_TABLE_NS} table-cell", f"{_TABLE_NS} covered-table-cell"})


class _OdsExtent:
    """expat handlers that keep, per sheet, the farthest cell holding something (a value
    or any content: text, a note). A styled empty cell repeated to the sheet's edge, as
    LibreOffice writes after formatting whole rows or columns, does not count; a cell
    with content repeated does, to its last copy (a reader builds every copy)."""

    def __init__(self):
        self.sheet = ""
        self.row = 0  # rows of the sheet before the current one
        self.rows = 1  # the current row's repeat count
        self.column = 0  # cells of the row before the current one
        self.cell: tuple[int, int] | None = None  # (first column, repeat) of an open cell
        self.filled = False
        self.far: dict[str, tuple[int, int]] = {}  # sheet -> farthest (row, column)

    def start(self, tag: str, attrs: dict) -> None:
        if self.cell is not None:  # anything inside a cell is content
            self.filled = True
        elif tag in _ODS_CELLS:
            repeat = _count(attrs.get(f"{_TABLE_NS} number-columns-repeated"))
            self.cell = (self.column, repeat)
            self.column += repeat
            self.filled = f"{_OFFICE_NS} value-type" in attrs
        elif tag == f"{_TABLE_NS} table-row":
            self.rows = _count(attrs.get(f"{_TABLE_NS} number-rows-repeated"))
            self.column = 0
        elif tag == f"{_TABLE_NS} table":
            self.sheet = attrs.get(f"{_TABLE_NS} name", "")
            self.row = 0

    def end(self, tag: str) -> None:
        if tag in _ODS_CELLS and self.cell is not None:
            first, repeat = self.cell
            last = (self.row + self.rows, first + repeat)
            if self.filled and _beyond(*last) and last > self.far.get(self.sheet, (0, 0)):
                self.far[self.sheet] = last
            self.cell = None
        elif tag == f"{_TABLE_NS} table-row":
            self.row += self.rows


def _count(value) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _ods_extents(archive: zipfile.ZipFile, name: str) -> list[Finding]:
    """One finding per sheet of an .ods with a far cell, as for an .xlsx; content.xml is
    streamed in chunks (its declarations were refused before, by _check_xml_parts)."""
    scan = _OdsExtent()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = scan.start, scan.end
    try:
        with archive.open(ODS_CONTENT) as stream:
            while chunk := stream.read(SCAN_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (ExpatError, KeyError, zipfile.BadZipFile, OSError, EOFError):
        pass  # a damaged part: the reader rejects the file with its own finding
    out = [_far_finding(name, sheet, [f"{_column_letters(column)}{row}"],
                        read=fold(sheet) in READ_SHEETS)
           for sheet, (row, column) in scan.far.items()]
    return sorted(out, key=lambda f: f.severity != ERROR)


def _far_finding(name: str, sheet: str, refs, read: bool) -> Finding:
    ref = max(refs, key=lambda r: cell_position(r))
    return finding("F014" if read else "F015", file=name, sheet=sheet, cell=ref, ref=ref,
                   rows=fmt_int(MAX_ROWS), cols=_column_letters(MAX_COLS))


def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------- OLE2 (.xls)

def _screen_ole(path: Path, name: str) -> list[Finding]:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
            book = next((s for s in ("Workbook", "Book") if s in streams), None)
            data = ole.openstream(book).read() if book else b""
    except (OSError, ValueError, IndexError, olefile.olefile.OleFileError) as exc:
        return [finding("F009", file=name, reason=_reason(exc))]
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        # An encrypted .xlsx travels inside an OLE container.
        return [finding("F004", file=name)]
    if book:
        if _encrypted(path):
            return [finding("F004", file=name)]
        return _xls_extents(data, name)
    if "WordDocument" in streams:
        what = "tài liệu Word (.doc)"
    elif "PowerPoint Document" in streams:
        what = "bản trình chiếu PowerPoint (.ppt)"
    elif any(s.startswith("__substg1.0_") for s in streams):
        what = "thư Outlook (.msg)"
    else:
        what = "tệp Office không phải bảng tính"
    return [finding("F003", file=name, what=what)]


def _encrypted(path: Path) -> bool:
    """msoffcrypto-tool knows the BIFF FILEPASS record of a password-protected .xls."""
    try:
        with open(path, "rb") as stream:
            return bool(OfficeFile(stream).is_encrypted())
    except Exception:  # noqa: BLE001 - a BIFF stream it cannot parse (ParseError, and
        # others on fuzzed files) is not a known encrypted file; the reader decides.
        return False


# BIFF records (MS-XLS 2.3): a worksheet's cells carry their row and column first.
_RECORD = struct.Struct("<HH")
_BOF, _BOUNDSHEET = 0x0809, 0x0085
_VALUE_CELLS = frozenset({0x0006, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6})
_MULRK = 0x00BD  # several RK cells in one row: the last column ends the record


def _xls_extents(data: bytes, name: str) -> list[Finding]:
    """Far cells of an .xls, from one pass over its BIFF records (cheap next to parsing).
    Every one is an error: calamine builds every sheet of an .xls when opening it."""
    names: dict[int, str] = {}  # stream offset of a sheet's BOF -> its name
    far: dict[str, list[str]] = {}
    sheet, pos, biff8 = None, 0, True
    while pos + 4 <= len(data):
        kind, size = _RECORD.unpack_from(data, pos)
        body = pos + 4
        if kind == _BOF:
            sheet = names.get(pos)
            if pos == 0 and size >= 2:
                biff8 = struct.unpack_from("<H", data, body)[0] == 0x0600
        elif kind == _BOUNDSHEET and size >= 8:
            offset = struct.unpack_from("<I", data, body)[0]
            names[offset] = _biff_sheet_name(data[body + 6:body + size], biff8)
        elif sheet is not None and size >= 6 and (kind in _VALUE_CELLS or kind == _MULRK):
            row, column = _RECORD.unpack_from(data, body)
            if kind == _MULRK:
                column = struct.unpack_from("<H", data, body + size - 2)[0]
            if _beyond(row + 1, column + 1):
                far.setdefault(sheet, []).append(f"{_column_letters(column + 1)}{row + 1}")
        pos = body + size
    return [_far_finding(name, sheet, refs, read=True) for sheet, refs in far.items()]


def _biff_sheet_name(raw: bytes, biff8: bool) -> str:
    """A BOUNDSHEET name: a length byte, then (BIFF8) a flags byte and Latin-1 or
    UTF-16 characters, or (BIFF5) code-page bytes."""
    if not raw:
        return "?"
    count = raw[0]
    if not biff8:
        return raw[1:1 + count].decode("cp1252", errors="replace")
    wide = len(raw) > 1 and raw[1] & 1
    chars = raw[2:2 + count * (2 if wide else 1)]
    return chars.decode("utf-16-le" if wide else "latin-1", errors="replace")


def is_rejected(findings) -> bool:
    """True when screen found a reason not to parse the file."""
    return any(f.severity == ERROR for f in findings)
