"""Reading the forms units send back: judge each file, keep what is usable.

A returned file is screened (safety.screen) before any parsing, then read with
python-calamine (xlsx, xlsm and xls alike; cached formula values). Rows are found
by TT and indicator code, columns by header label, unit-level cells by label, so
re-ordered, inserted or deleted rows and moved columns still read. Everything wrong
becomes a Finding; nothing here raises to the caller.

`read_form` returns (None, findings) when the file is not a usable form of this
unit, period and plan version (screen errors, unreadable, identity missing, broken
or for something else, no task table on the report sheet); otherwise a Submission
with its content findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import posixpath
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_rowcol_to_cell

from . import findings as F
from . import formspec, legacy, safety
from .model import STATUS_DONE, STATUSES, Submission, TaskReport
from .text import MEMO_ENTRIES, MEMO_TEXT_LEN, clean, fmt_date_plain, fold, nfc

SERIAL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (with the 1900 leap-year bug absorbed)
PARALLEL_THRESHOLD = 8
DEFAULT_WORKERS = 2

_STATUS_BY_FOLD = {fold(s): s for s in STATUSES}
_TASK_TT = re.compile(r"^\d+(\.\d+)*$")
_DATE_TEXT = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.250 / 1.250,5
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+(,\d+)?$")  # 1250 / 1,5
_POINT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")  # 1.5 typed English style (not 3 digits)
_LABEL_NOISE = re.compile(r"\(.*?\)|[*:]")
READ_SHEETS = (formspec.SHEET_REPORT, formspec.SHEET_INDICATORS, formspec.SHEET_CHILDREN)



# --------------------------------------------------------------------------- values


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> A1."""
    return xl_rowcol_to_cell(row, col)


def label_key(value) -> str:
    """Folded label without '(...)', '*', ':' so 'Tình trạng (*):' matches 'Tình trạng'."""
    if not isinstance(value, str) or len(value) > 80:  # labels are short; task texts are not
        return ""
    return _label_key(value)


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _label_key(value: str) -> str:
    return fold(_LABEL_NOISE.sub(" ", value))


def tidy(value: str) -> str:
    """text.clean with a fast path for the common plain-ASCII cell (codes, TTs)."""
    if value.isascii() and "  " not in value and "\n" not in value and "\t" not in value \
            and "\r" not in value:
        return value.strip()
    return clean(value)


def _detect_legacy(text: str) -> tuple[str, str | None]:
    """legacy.detect_and_convert, with the conversion already clean()ed, memoised."""
    if len(text) > MEMO_TEXT_LEN:
        return _convert_legacy(text)
    return _convert_legacy_memo(text)


def _convert_legacy(text: str) -> tuple[str, str | None]:
    converted, encoding = legacy.detect_and_convert(text)
    return (clean(converted), encoding) if encoding else (text, None)


_convert_legacy_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_convert_legacy)


def as_text(value) -> str:
    """A cell as NFC text; whole floats lose '.0' (a TT or phone typed as a number)."""
    if isinstance(value, str):
        return tidy(value)
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return fmt_date_plain(value)
    return clean(value)


class BadValue(ValueError):
    """A cell that does not hold what its column needs; the text is for the finding."""


def parse_number(value) -> float | None:
    """Indicator value: numbers, or text in Vietnamese style ('1.250' = 1250, '1,5' = 1.5)."""
    if value is None or value == "":
        return None
    if isinstance(value, (bool, dt.date, dt.time, dt.timedelta)):
        raise BadValue(as_text(value))
    if isinstance(value, (int, float)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise BadValue(str(value))
        return number
    text = clean(value)
    if not text:
        return None
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    if _THOUSANDS.match(compact):
        return float(compact.replace(".", "").replace(",", "."))
    if _COMMA_DECIMAL.match(compact):
        return float(compact.replace(",", "."))
    if _POINT_DECIMAL.match(compact):
        return float(compact)
    raise BadValue(text)


def parse_date(value) -> dt.date | None:
    """Real dates, Excel serials, or text day first: 30/9/2022, 30-09-2022, 30.9.22."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise BadValue(str(value))
    if isinstance(value, (int, float)):
        if value != value or not 1 <= value < 2958466:
            raise BadValue(as_text(value))
        return SERIAL_EPOCH + dt.timedelta(days=int(value))
    text = clean(value)
    if not text:
        return None
    match = _DATE_TEXT.match(text)
    iso = _ISO_DATE.match(text)
    try:
        if match:
            day, month, year = (int(x) for x in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        if iso:
            year, month, day = (int(x) for x in iso.groups())
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise BadValue(text)


@functools.lru_cache(maxsize=1024)
def match_status(text: str) -> str | None:
    return _STATUS_BY_FOLD.get(fold(text)) if text else None


# --------------------------------------------------------------------------- plan index


@dataclass
class _PlanIndex:
    """Plan lookups computed once per plan (and once per worker process)."""

    version: str
    tts: set[str]
    tasks: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # unit -> (tt, role)
    indicators: dict[str, list] = field(default_factory=dict)  # unit -> [Indicator]
    codes: dict[str, tuple[dict, dict]] = field(default_factory=dict)

    def tasks_of(self, plan, code: str) -> list[tuple[str, str]]:
        if code not in self.tasks:
            self.tasks[code] = [(t.tt, role) for t, role in plan.tasks_for(code)]
        return self.tasks[code]

    def codes_of(self, plan, code: str) -> tuple[dict, dict]:
        """({indicator code: Indicator}, {folded code: code}) of the unit's indicators."""
        if code not in self.codes:
            by_code = {i.code: i for i in self.indicators_of(plan, code)}
            self.codes[code] = (by_code, {fold(c): c for c in by_code})
        return self.codes[code]

    def indicators_of(self, plan, code: str) -> list:
        """The unit's indicators plus the parts of its ratios (the form asks for both)."""
        if code not in self.indicators:
            own = plan.indicators_for(code)
            codes = {i.code for i in own}
            extra = []
            for ratio in (i for i in own if i.agg == "ratio"):
                for part in (ratio.num, ratio.den):
                    indicator = plan.indicator(part)
                    if indicator is not None and part not in codes:
                        codes.add(part)
                        extra.append(indicator)
            self.indicators[code] = own + extra
        return self.indicators[code]


_INDEX: dict[int, tuple[object, _PlanIndex]] = {}


def plan_index(plan) -> _PlanIndex:
    entry = _INDEX.get(id(plan))
    if entry is None or entry[0] is not plan:
        entry = (plan, _PlanIndex(plan.version, {t.tt for t in plan.tasks}))
        _INDEX[id(plan)] = entry
    return entry[1]


# --------------------------------------------------------------------------- workbook


class _Book:
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
                rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
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


# --------------------------------------------------------------------------- reading


class _Reader:
    """Reads one opened workbook into a Submission, collecting findings."""

    def __init__(self, book: _Book, plan, period, name: str):
        self.book, self.plan, self.period, self.file = book, plan, period, name
        self.index = plan_index(plan)
        self.out: list[F.Finding] = []

    def add(self, code: str, sheet: str = "", cell: str = "", /, **params) -> None:
        self.out.append(F.finding(code, self.file, sheet, cell, **params))

    def raw(self, sheet: str, rows, r: int, c: int | None):
        """A cell's raw value; a formula with no cached value is a finding, not a zero."""
        if c is None or r >= len(rows) or c >= len(rows[r]):
            return None
        value = rows[r][c]
        if value == "" and (r, c) in self.book.formula_gaps(sheet):
            self.add("F107", sheet, cell_ref(r, c))
            return None
        return value

    def text(self, sheet: str, rows, r: int, c: int | None) -> str:
        value = self.raw(sheet, rows, r, c)
        if isinstance(value, str):
            return self.unlegacy(sheet, r, c, tidy(value))
        return as_text(value)

    def unlegacy(self, sheet: str, r: int, c: int, text: str) -> str:
        if not text or text.isascii():
            return text
        converted, encoding = _detect_legacy(text)
        if encoding:
            self.add("F020", sheet, cell_ref(r, c), encoding=encoding, text=converted[:60])
            return converted
        return text

    def date(self, sheet: str, rows, r: int, c: int | None) -> dt.date | None:
        value = self.raw(sheet, rows, r, c)
        if isinstance(value, str):
            value = self.unlegacy(sheet, r, c, tidy(value))
        try:
            return parse_date(value)
        except BadValue as exc:
            self.add("R006", sheet, cell_ref(r, c), value=str(exc)[:60])
            return None


def header(rows, labels: dict[str, str], need: tuple[str, ...], limit: int = 40):
    """(header row index, {field: column}) of the first row holding every needed label."""
    wanted = {fold(label): key for key, label in labels.items()}
    for index, row in enumerate(rows[:limit]):
        cols: dict[str, int] = {}
        for c, value in enumerate(row):
            key = wanted.get(label_key(value))
            if key and key not in cols:
                cols[key] = c
        if all(k in cols for k in need):
            return index, cols
    return None, {}


def read_identity(book: _Book) -> dict | None:
    name = book.sheet_name(formspec.SHEET_IDENTITY)
    if name is None:
        return None
    identity = {}
    for row in book.rows(name):
        if len(row) >= 2 and as_text(row[0]):
            identity[as_text(row[0])] = as_text(row[1])
    return identity


def check_identity(reader: _Reader, identity: dict | None, key: bytes) -> str | None:
    """The unit code when the identity is genuine and for this plan and period; else None."""
    if not identity:
        reader.add("F101")
        return None
    if not identity.get(formspec.SIGNATURE_FIELD) or not formspec.verify(key, identity):
        reader.add("F102", formspec.SHEET_IDENTITY)
        return None
    unit = identity.get("unit", "")
    if unit not in reader.plan.units:
        reader.add("F103", unit=unit)
        return None
    found = identity.get("period", "")
    if found != reader.period.id:
        reader.add("F104", found=_period_text(found), expected=_period_text(reader.period.id))
        return None
    version = identity.get("plan_version", "")
    current = reader.index.version
    if not version or not (version == current or (len(version) >= 8 and
                                                    current.startswith(version))):
        reader.add("F105", found=version or "không rõ", expected=current)
        return None
    return unit


def _period_text(period_id: str) -> str:
    from .periods import parse_period

    try:
        return f"{period_id} ({parse_period(period_id).label})"
    except Exception:  # an identity edited into nonsense still gets named
        return f"'{period_id}'"


def read_report(reader: _Reader, sub: Submission) -> bool:
    """Task rows and unit fields; False when the sheet has no recognisable task table."""
    name = reader.book.sheet_name(formspec.SHEET_REPORT)
    cols_needed = ("tt", "status", "completed_on", "result")
    rows = reader.book.rows(name) if name else []
    head, cols = header(rows, formspec.REPORT_COLUMNS, cols_needed)
    if head is None:
        labels = ", ".join(f"'{formspec.REPORT_COLUMNS[k]}'" for k in cols_needed)
        reader.add("F106", name or formspec.SHEET_REPORT, name=formspec.SHEET_REPORT,
                   columns=labels)
        return False
    assigned = dict(reader.index.tasks_of(reader.plan, sub.unit))
    seen: dict[str, int] = {}
    for r in range(head + 1, len(rows)):
        tt = as_text(rows[r][cols["tt"]]).rstrip(".") if cols["tt"] < len(rows[r]) else ""
        if not _TASK_TT.match(tt):
            continue
        if tt in seen:
            reader.add("R012", name, cell_ref(r, cols["tt"]), tt=tt, first=seen[tt])
            continue
        seen[tt] = r + 1
        task = read_task(reader, name, rows, r, cols, tt)
        if tt in assigned:
            task.role = assigned[tt]
            sub.tasks[tt] = task
        else:
            reader.add("R009" if tt in reader.index.tts else "R008", name,
                       cell_ref(r, cols["tt"]), tt=tt)
            sub.extra_tasks.append(task)
    for tt in assigned:
        if tt not in seen:
            reader.add("R011", name, tt=tt)
    read_unit_fields(reader, sub, name, rows)
    return True


def read_task(reader: _Reader, sheet: str, rows, r: int, cols: dict, tt: str) -> TaskReport:
    task = TaskReport(tt=tt, row=r + 1)
    before = len(reader.out)
    status_text = reader.text(sheet, rows, r, cols["status"])
    formula_missing = len(reader.out) > before and reader.out[-1].code == "F107"
    task.status = match_status(status_text) or ""
    if status_text and not task.status:
        reader.add("R002", sheet, cell_ref(r, cols["status"]), value=status_text[:60], tt=tt)
    elif not status_text and not formula_missing:
        reader.add("R001", sheet, cell_ref(r, cols["status"]), tt=tt)
    task.completed_on = reader.date(sheet, rows, r, cols["completed_on"])
    task.result = reader.text(sheet, rows, r, cols["result"])
    task.difficulty = reader.text(sheet, rows, r, cols.get("difficulty"))
    check_task(reader, sheet, task, r, cols["completed_on"], cols["result"])
    return task


def check_task(reader: _Reader, sheet: str, task: TaskReport, r: int, date_col: int,
               result_col: int) -> None:
    """Rules on one task row; a cell that already has a finding gets no second one."""
    if task.status == STATUS_DONE and task.completed_on is None:
        date_cell = cell_ref(r, date_col)
        if not _has_finding(reader, sheet, date_cell):
            reader.add("R003", sheet, date_cell, tt=task.tt)
    if task.completed_on is not None:
        cutoff, start = reader.period.cutoff_end, reader.plan.date
        if task.completed_on > cutoff:
            reader.add("R004", sheet, cell_ref(r, date_col),
                       value=fmt_date_plain(task.completed_on), tt=task.tt,
                       cutoff=fmt_date_plain(cutoff))
        elif isinstance(start, dt.date) and task.completed_on < start:
            reader.add("R005", sheet, cell_ref(r, date_col),
                       value=fmt_date_plain(task.completed_on), tt=task.tt,
                       date=fmt_date_plain(start))
    if task.status == STATUS_DONE and not task.result:
        result_cell = cell_ref(r, result_col)
        if not _has_finding(reader, sheet, result_cell):
            reader.add("R007", sheet, result_cell, tt=task.tt)


def _has_finding(reader: _Reader, sheet: str, cell: str) -> bool:
    return any(f.sheet == sheet and f.cell == cell for f in reader.out)


_FIELD_KEYS = {fold(label): key for key, label in formspec.UNIT_FIELDS.items()}


def read_unit_fields(reader: _Reader, sub: Submission, sheet: str, rows) -> None:
    """Unit-level cells: the label anywhere, the value in the first non-empty cell right of it."""
    found = _field_cells(rows)
    for key, label in formspec.UNIT_FIELDS.items():
        if key not in found:
            if key in formspec.REQUIRED_UNIT_FIELDS:
                reader.add("R010", sheet, name=label)
            continue
        r, c = found[key]
        row = rows[r]
        col = next((i for i in range(c + 1, len(row)) if row[i] not in ("", None)), c + 1)
        if key == "prepared_on":
            sub.prepared_on = reader.date(sheet, rows, r, col)
            continue
        value = reader.text(sheet, rows, r, col)
        setattr(sub, key, value)
        if not value and key in formspec.REQUIRED_UNIT_FIELDS and \
                not _has_finding(reader, sheet, cell_ref(r, col)):
            reader.add("R010", sheet, cell_ref(r, col), name=label)


def _field_cells(rows) -> dict[str, tuple[int, int]]:
    """{field: (row, col)} of the first cell (row by row) holding each unit-field label.

    The labels are looked up once per distinct text (a sheet repeats the same statuses and
    results on every task row), then only rows holding one of them are walked for positions."""
    labels = {}
    for value in {v for row in rows for v in row if isinstance(v, str)}:
        key = _FIELD_KEYS.get(label_key(value)) if value else None
        if key:
            labels[value] = key
    found: dict[str, tuple[int, int]] = {}
    if not labels:
        return found
    for r, row in enumerate(rows):
        if labels.keys().isdisjoint(row):  # cells are str, numbers, dates: all hashable
            continue
        for c, value in enumerate(row):
            key = labels.get(value) if isinstance(value, str) else None
            if key and key not in found:
                found[key] = (r, c)
    return found


def read_indicators(reader: _Reader, sub: Submission) -> None:
    wanted = reader.index.indicators_of(reader.plan, sub.unit)
    if not wanted:
        return
    name = reader.book.sheet_name(formspec.SHEET_INDICATORS)
    rows = reader.book.rows(name) if name else []
    head, cols = header(rows, formspec.INDICATOR_COLUMNS, ("code", "value"))
    if head is None:
        labels = ", ".join(f"'{formspec.INDICATOR_COLUMNS[k]}'" for k in ("code", "value"))
        reader.add("F106", name or formspec.SHEET_INDICATORS,
                   name=formspec.SHEET_INDICATORS, columns=labels)
        return
    by_code, folded = reader.index.codes_of(reader.plan, sub.unit)
    found: dict[str, int] = {}  # code -> row of its value cell
    for r in range(head + 1, len(rows)):
        raw_code = as_text(rows[r][cols["code"]]) if cols["code"] < len(rows[r]) else ""
        if not raw_code:
            continue
        code = raw_code if raw_code in by_code else folded.get(fold(raw_code))
        if code is None:
            reader.add("I004", name, cell_ref(r, cols["code"]), code=raw_code[:40])
            continue
        if code in found or by_code[code].agg == "ratio":
            continue  # ratios are computed from their numerator and denominator
        found[code] = r
        sub.indicators[code] = indicator_value(reader, name, rows, r, cols["value"], code)
    for indicator in wanted:
        if indicator.agg != "ratio" and indicator.code not in found:
            reader.add("I005", name, code=indicator.code)
    check_ratios(reader, sub, name, wanted, found, cols["value"])


def indicator_value(reader: _Reader, sheet: str, rows, r: int, c: int, code: str):
    value = reader.raw(sheet, rows, r, c)
    if isinstance(value, str):
        value = reader.unlegacy(sheet, r, c, tidy(value))
    try:
        number = parse_number(value)
    except BadValue as exc:
        reader.add("I001", sheet, cell_ref(r, c), value=str(exc)[:60], code=code)
        return None
    if number is None:  # left empty: the form says so when there is no data
        return None
    if number < 0:
        reader.add("I002", sheet, cell_ref(r, c), value=as_text(value), code=code)
        return None
    return number


def check_ratios(reader: _Reader, sub: Submission, sheet: str, wanted, rows: dict[str, int],
                 col: int) -> None:
    """A ratio's numerator above its denominator: an error on the numerator's cell."""
    for indicator in wanted:
        if indicator.agg != "ratio":
            continue
        num, den = sub.indicators.get(indicator.num), sub.indicators.get(indicator.den)
        if num is not None and den is not None and num > den:
            cell = cell_ref(rows[indicator.num], col) if indicator.num in rows else ""
            reader.add("I003", sheet, cell, code=indicator.num,
                       value=_num_text(num), den=indicator.den, den_value=_num_text(den),
                       ratio=indicator.code)


def _num_text(value: float) -> str:
    from .text import fmt_num

    return fmt_num(value, 2)


# --------------------------------------------------------------------------- district detail

_KIND_BY_FOLD = {fold(label): key for key, label in formspec.CHILD_KINDS.items()}
_KIND_BY_FOLD.update({key: key for key in formspec.CHILD_KINDS})
_CHILD_FIELD = {**{fold(k): k for k in formspec.UNIT_FIELDS},
                **{fold(label): k for k, label in formspec.UNIT_FIELDS.items()}}


def read_children(reader: _Reader, sub: Submission) -> None:
    """A district's consolidated return: one child Submission per commune on SHEET_CHILDREN."""
    name = reader.book.sheet_name(formspec.SHEET_CHILDREN)
    if name is None:
        return
    rows = reader.book.rows(name)
    need = ("unit", "kind", "key")
    head, cols = header(rows, formspec.CHILD_COLUMNS, need)
    if head is None:
        labels = ", ".join(f"'{formspec.CHILD_COLUMNS[k]}'" for k in need)
        reader.add("F106", name, name=formspec.SHEET_CHILDREN, columns=labels)
        return
    children: dict[str, Submission] = {}
    allowed = {u.code for u in reader.plan.children(sub.unit)}
    for r in range(head + 1, len(rows)):
        code = _child_code(as_text(_at(rows[r], cols["unit"])), allowed)
        kind_text = as_text(_at(rows[r], cols["kind"]))
        if not code and not kind_text:
            continue
        if code not in allowed:
            reader.add("F108", name, cell_ref(r, cols["unit"]), unit=code,
                       parent=reader.plan.units[sub.unit].name)
            continue
        kind = _KIND_BY_FOLD.get(fold(kind_text))
        if kind is None:
            reader.add("F109", name, cell_ref(r, cols["kind"]), value=kind_text[:40],
                       kinds=", ".join(formspec.CHILD_KINDS.values()))
            continue
        child = children.get(code)
        if child is None:
            child = children[code] = Submission(code, sub.period, plan_version=sub.plan_version)
        read_child_row(reader, child, name, rows, r, cols, kind)
    sub.children = list(children.values())


def _at(row, c):
    return row[c] if c is not None and c < len(row) else None


def _child_code(code: str, allowed: set[str]) -> str:
    """A commune code that lost its leading zeros to a number format still matches."""
    if code in allowed or not code.isdigit():
        return code
    return next((c for c in allowed if c.lstrip("0") == code.lstrip("0")), code)


def read_child_row(reader: _Reader, child: Submission, sheet: str, rows, r: int, cols: dict,
                   kind: str) -> None:
    key = as_text(_at(rows[r], cols["key"]))
    if kind == "task":
        roles = dict(reader.index.tasks_of(reader.plan, child.unit))
        task = TaskReport(tt=key, role=roles.get(key, ""), row=r + 1)
        status_text = reader.text(sheet, rows, r, cols.get("status"))
        task.status = match_status(status_text) or ""
        status_cell = cell_ref(r, cols.get("status", cols["key"]))
        if status_text and not task.status:
            reader.add("R002", sheet, status_cell, value=status_text[:60], tt=key)
        elif not status_text:
            reader.add("R001", sheet, status_cell, tt=key)
        task.completed_on = reader.date(sheet, rows, r, cols.get("completed_on"))
        task.result = reader.text(sheet, rows, r, cols.get("text"))
        check_task(reader, sheet, task, r, cols.get("completed_on", cols["key"]),
                   cols.get("text", cols["key"]))
        if key in roles:
            child.tasks[key] = task
        else:
            reader.add("R009" if key in reader.index.tts else "R008", sheet,
                       cell_ref(r, cols["key"]), tt=key)
            child.extra_tasks.append(task)
    elif kind == "indicator":
        if "value" in cols:
            child.indicators[key] = indicator_value(reader, sheet, rows, r, cols["value"], key)
    else:
        field_key = _CHILD_FIELD.get(fold(key))
        if field_key == "prepared_on":
            child.prepared_on = reader.date(sheet, rows, r, cols.get("text"))
        elif field_key:
            setattr(child, field_key, reader.text(sheet, rows, r, cols.get("text")))


# --------------------------------------------------------------------------- entry points


def read_form(path, plan, period, key: bytes,
              limit_bytes=None) -> tuple[Submission | None, list[F.Finding]]:
    """Read one returned file; never raises. None = rejected (not a usable form).
    limit_bytes: the size limit ([intake] max_mb of baocao.toml; None = the default)."""
    path = Path(path)
    try:
        return _read_form(path, plan, period, key, limit_bytes)
    except Exception as exc:  # one bad file must never stop the others
        return None, [F.finding("F100", path.name, reason=_reason(exc))]
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None, [F.finding("F100", path.name, reason=_reason(exc))]


def _reason(exc: Exception) -> str:
    text = clean(str(exc)) or type(exc).__name__
    return text[:200]


def _read_form(path: Path, plan, period, key: bytes, limit_bytes=None):
    screened, archive = safety.screen_open(path, limit_bytes)
    try:
        return _read_screened(path, plan, period, key, screened, archive)
    finally:
        if archive is not None:
            archive.close()


def _read_screened(path: Path, plan, period, key: bytes, screened, archive):
    """The file passed or failed the screen (`screened`); `archive` is its open zip."""
    name = nfc(path.name)
    found = [f if f.file else _with_file(f, name) for f in screened]
    if F.has_errors(found):
        return None, found
    try:
        book = _Book(path, archive)
    except Exception as exc:  # calamine raises several types for broken files
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    reader = _Reader(book, plan, period, name)
    identity = read_identity(book)
    unit = check_identity(reader, identity, key)
    if unit is None:
        return None, found + reader.out
    sub = Submission(unit, period.id, form_id=identity.get("form_id", ""),
                     plan_version=identity.get("plan_version", ""))
    if not read_report(reader, sub):  # no task table: recording it would erase the unit's report
        return None, found + reader.out
    read_indicators(reader, sub)
    read_children(reader, sub)
    return sub, found + reader.out


def _with_file(finding: F.Finding, name: str) -> F.Finding:
    return dataclasses.replace(finding, file=name)


# Worker state: the plan travels once per process, not once per file.
_WORKER: dict = {}


def _init_worker(plan, period, key, limit_bytes) -> None:
    _WORKER.update(plan=plan, period=period, key=key, limit_bytes=limit_bytes)
    plan_index(plan)


def _read_in_worker(path: str):
    submission, found = read_form(path, _WORKER["plan"], _WORKER["period"], _WORKER["key"],
                                  _WORKER["limit_bytes"])
    return submission, found


def read_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None):
    """Read many files; results in input order as (path, submission, findings)."""
    return list(iter_many(paths, plan, period, key, workers, limit_bytes))


def iter_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None):
    """read_many as a stream, in input order, so the caller records one file while the
    pool reads the next. More than PARALLEL_THRESHOLD files go to a process pool
    (2 workers by default)."""
    paths = [Path(p) for p in paths]
    workers = DEFAULT_WORKERS if workers is None else workers
    if len(paths) <= PARALLEL_THRESHOLD or workers <= 1:
        for p in paths:
            yield (p, *read_form(p, plan, period, key, limit_bytes))
        return
    chunk = max(1, min(64, len(paths) // (workers * 4)))
    done = 0
    try:
        # spawn, not fork: forking a process that runs threads (a progress bar, a thread
        # pool) can deadlock, and spawn is what Windows does anyway.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=_init_worker,
                                 initargs=(plan, period, key, limit_bytes)) as pool:
            results = pool.map(_read_in_worker, [str(p) for p in paths], chunksize=chunk)
            for p, (sub, found) in zip(paths, results, strict=True):
                yield p, sub, found
                done += 1
    except Exception:  # a broken pool (killed worker): read the rest in this process
        for p in paths[done:]:
            yield (p, *read_form(p, plan, period, key, limit_bytes))


# --------------------------------------------------------------------------- baocao check


@dataclass
class CheckedFile:
    file: str  # the name as the unit sent it
    unit: str | None
    accepted: bool
    findings: list[F.Finding]

    @property
    def errors(self) -> int:
        return sum(f.severity == F.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity != F.ERROR for f in self.findings)

    def as_json(self) -> dict:
        return {"file": self.file, "unit": self.unit, "accepted": self.accepted,
                "findings": [{"severity": f.severity, "code": f.code, "sheet": f.sheet,
                              "cell": f.cell, "message": f.message} for f in self.findings]}


@dataclass
class CheckResult:
    period: str
    files: list[CheckedFile]

    @property
    def rejected(self) -> list[CheckedFile]:
        return [f for f in self.files if not f.accepted]

    def as_json(self) -> dict:
        return {"period": self.period, "files": [f.as_json() for f in self.files]}


def check_files(workspace, plan, period, sources=None, workers=None) -> CheckResult:
    """`baocao check`: read every returned file (folders, files, saved emails), record nothing."""
    import tempfile

    from . import receive
    from .collect import default_sources, guess_unit

    key = workspace.secret_key()
    sources = list(sources) if sources else default_sources(workspace, period)
    with tempfile.TemporaryDirectory(prefix="baocao-check-") as tmp:
        incoming = receive.gather(sources, Path(tmp))
        results = read_many([i.path for i in incoming], plan, period, key, workers=workers,
                            limit_bytes=safety.limit_bytes(workspace))
    files = []
    for item, (_path, submission, found) in zip(incoming, results, strict=True):
        found = [_with_file(f, item.name) for f in found]
        unit = submission.unit if submission is not None else guess_unit(plan, item)
        files.append(CheckedFile(item.name, unit, submission is not None, found))
    return CheckResult(period.id, files)
