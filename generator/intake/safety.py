"""File-level checks on a returned file before anything parses it.

`screen(path)` looks only at the file's first bytes, the zip directory, the OLE
directory and the first bytes of each XML part, so it stays cheap for 10.000
files and never decompresses a large member. An error finding means "do not
parse this file"; a warning (macros present) lets intake go on.
"""

from __future__ import annotations

import codecs
import functools
import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.parsers.expat import ExpatError

import defusedxml
import defusedxml.ElementTree
import olefile
from msoffcrypto import OfficeFile
from msoffcrypto.exceptions import FileFormatError

from generator.findings import ERROR, Finding, finding
from generator.text import fmt_num

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
    except OSError as exc:
        return [finding("F011", file=name, reason=exc.strerror or type(exc).__name__)], None
    if head.startswith(ZIP_MAGIC):
        return _screen_zip(path, name)
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

def _screen_zip(path: Path, name: str) -> tuple[list[Finding], zipfile.ZipFile | None]:
    """(findings, the open archive when no finding is an error)."""
    archive = None
    try:
        archive = zipfile.ZipFile(path)
        found = _zip_findings(archive, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError) as exc:
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
    out = []
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
        with archive.open(member) as stream:
            head = stream.read(XML_HEAD)
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


# --------------------------------------------------------------------------- OLE2 (.xls)

def _screen_ole(path: Path, name: str) -> list[Finding]:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except (OSError, ValueError, IndexError, olefile.olefile.OleFileError) as exc:
        return [finding("F009", file=name, reason=_reason(exc))]
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        # An encrypted .xlsx travels inside an OLE container.
        return [finding("F004", file=name)]
    if "Workbook" in streams or "Book" in streams:
        if _encrypted(path):
            return [finding("F004", file=name)]
        return []
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
    except (FileFormatError, OSError, ValueError, AssertionError, IndexError, KeyError,
            NotImplementedError):
        return False


def is_rejected(findings) -> bool:
    """True when screen found a reason not to parse the file."""
    return any(f.severity == ERROR for f in findings)
