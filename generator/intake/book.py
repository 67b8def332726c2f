"""One returned workbook opened for reading: its sheets on demand (python-calamine; openpyxl
only for a sheet calamine cannot read), merged areas spread, and the formula cells that have
no cached value (which must be findings, never zeros)."""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from generator.forms import layout as formspec
from generator.text import fold

READ_SHEETS = (formspec.SHEET_REPORT, formspec.SHEET_INDICATORS, formspec.SHEET_CHILDREN)


class Book:
    """The sheets of one returned file, read on demand, with formula cells lacking a value."""

    def __init__(self, path: Path, archive: zipfile.ZipFile | None = None):
        self.path = path
        self.archive = archive  # screen's open zip, reused by the formula scan
        try:
            self.book = CalamineWorkbook.from_path(str(path))
        except Exception:  # e.g. an .xls saved under a .xlsx name: let calamine sniff it
            with open(path, "rb") as stream:
                self.book = CalamineWorkbook.from_filelike(io.BytesIO(stream.read()))
        self.names = list(self.book.sheet_names)
        self._rows: dict[str, list[list]] = {}
        self._gaps: dict[str, set[tuple[int, int]]] | None = None

    def sheet_name(self, wanted: str) -> str | None:
        """The sheet's real name, tolerating case, spacing and NFD."""
        if wanted in self.names:
            return wanted
        key = fold(wanted)
        return next((n for n in self.names if fold(n) == key), None)

    def rows(self, name: str) -> list[list]:
        if name not in self._rows:
            try:
                sheet = self.book.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False)  # new lists: ours to change
                _spread_merged(sheet, rows)
            except BaseException as exc:  # calamine panics (a BaseException) on some cells
                if not is_panic(exc):
                    raise
                rows = _openpyxl_rows(self.path, name)
            self._rows[name] = rows
        return self._rows[name]

    def formula_gaps(self, name: str) -> set[tuple[int, int]]:
        """0-based (row, col) of formula cells with no cached value on a sheet.

        .xls always stores formula results; for zip workbooks the sheet XML is scanned,
        once per file for every sheet intake reads, and only where it holds an <f>."""
        if self._gaps is None:
            self._gaps = self._scan_formulas()
        return self._gaps.get(name, set())

    def _scan_formulas(self) -> dict[str, set[tuple[int, int]]]:
        wanted = {n for n in (self.sheet_name(s) for s in READ_SHEETS) if n}
        try:
            if self.archive is not None:
                return self._scan_archive(self.archive, wanted)
            with zipfile.ZipFile(self.path) as archive:
                return self._scan_archive(archive, wanted)
        except (zipfile.BadZipFile, OSError):  # not a zip (.xls): results are always stored
            return {}

    @staticmethod
    def _scan_archive(archive, wanted: set[str]) -> dict[str, set[tuple[int, int]]]:
        members = _sheet_members(archive)
        present = set(archive.namelist())
        out: dict[str, set[tuple[int, int]]] = {}
        for name in wanted:
            member = members.get(name)
            if member in present:
                out[name] = _empty_formula_cells(archive.read(member))
        return out


def is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine surfaces as pyo3's PanicException (a BaseException)."""
    return type(exc).__name__ == "PanicException"


def _openpyxl_rows(path: Path, name: str) -> list[list]:
    """The slow path for a sheet calamine cannot read (a date cell out of range):
    openpyxl turns such a cell into an error value instead of failing."""
    import warnings

    import openpyxl

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ValueError("ô có giá trị ngày tháng vượt giới hạn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [["" if v is None else v for v in row]
                    for row in book[name].iter_rows(values_only=True)]
        finally:
            book.close()


def _spread_merged(sheet, rows: list[list]) -> None:
    """A merged area reads as its top-left value in every cell it covers."""
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:  # older calamine / formats without merge info
        return
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0 + 1 if r == r0 else c0, min(c1, len(row) - 1) + 1):
                if row[c] in ("", None):  # skipping the top-left cell itself
                    row[c] = value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_members(archive) -> dict[str, str]:
    """Sheet name -> zip member of its XML, from workbook.xml and its relationships."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    return dict(_members_of(book, rels))


@functools.lru_cache(maxsize=256)
def _members_of(book_xml: bytes, rels_xml: bytes) -> tuple[tuple[str, str], ...]:
    """Parsed once per distinct pair: returns made from one form share these two parts."""
    from defusedxml import ElementTree

    try:
        book = ElementTree.fromstring(book_xml)
        rels = ElementTree.fromstring(rels_xml)
    except ElementTree.ParseError:
        return ()
    targets = {r.get("Id"): r.get("Target", "") for r in rels if _local(r.tag) == "Relationship"}
    out = {}
    for element in book.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "")
        if target:
            member = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            out[element.get("name", "")] = member  # as calamine names it, not normalised
    return tuple(out.items())


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_PLAIN_FORMULA = re.compile(rb"<f[\s>/]")  # same matches when no tag has a prefix: faster
_PREFIXED_FORMULA = re.compile(rb":f[\s>/]")
_CELL_REF = re.compile(rb'\sr="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]|<(?:\w+:)?is>")
# Excel caches a formula's empty-text result as t="str" with an empty <v>; openpyxl writes
# the same empty <v> without a type for a formula it never calculated.
_EMPTY_TEXT = re.compile(rb'\st="str"[^>]*>.*<(?:\w+:)?v(?:>|/>)', re.S)


def _empty_formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row, col) of <c> elements holding an <f> but no non-empty <v> (or inline string).

    A byte scan around each formula, not an XML parse: forms carry a few formulas among
    thousands of cells, and safety.screen has already refused any DTD or entity."""
    out = set()
    # A regex with a literal head outruns `bytes in` on these parts; markup with namespace
    # prefixes (rare) needs the general pattern.
    pattern = _FORMULA if _PREFIXED_FORMULA.search(data) else _PLAIN_FORMULA
    for match in pattern.finditer(data):
        window = max(0, match.start() - 1024)  # a cell's tag sits just before its <f>
        start = max(data.rfind(b"<c ", window, match.start()),
                    data.rfind(b":c ", window, match.start()))
        end = data.find(b"c>", match.end())
        if start < 0 or end < 0:
            continue
        cell = data[start:end]
        ref = _CELL_REF.search(cell)
        if ref and not _VALUE.search(cell) and not _EMPTY_TEXT.search(cell):
            out.add(_rc(ref.group(1).decode("ascii")))
    return out


def _rc(ref: str) -> tuple[int, int]:
    """'E12' -> (11, 4)."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1
