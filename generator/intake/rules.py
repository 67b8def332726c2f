"""The rules of a returned form: its identity, task rows, unit fields and indicators, each
read into the Submission with a Finding for everything wrong (never an exception).

Reading the forms units send back: judge each file, keep what is usable.

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

import datetime as dt
import re

from generator import findings as F
from generator.cells import (
    BadValue,
    as_text,
    cell_ref,
    find_header,
    label_key,
    parse_date,
    parse_number,
    tidy,
)
from generator.forms import layout as formspec
from generator.intake.book import Book
from generator.intake.values import detect_legacy, match_status
from generator.model import Submission, TaskReport
from generator.plan.periods import parse_period
from generator.plan.workbook import BROKEN_WORDS
from generator.text import clean_text, fmt_date_plain, fmt_num, fold
from generator.vocab import STATUS_DONE

_TASK_TT = re.compile(r"^\d+(\.\d+)*$")


class Reader:
    """Reads one opened workbook into a Submission, collecting findings."""

    def __init__(self, book: Book, plan, period, name: str):
        self.book, self.plan, self.period, self.file = book, plan, period, name
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
        """A cell's text as typed: line breaks, tabs and non-breaking spaces kept."""
        value = self.raw(sheet, rows, r, c)
        if isinstance(value, str):
            return self.unlegacy(sheet, r, c, clean_text(value))
        return as_text(value)

    def unlegacy(self, sheet: str, r: int, c: int, text: str) -> str:
        if not text or text.isascii():
            return text
        converted, encoding = detect_legacy(text)
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


def read_identity(book: Book) -> dict | None:
    name = book.sheet_name(formspec.SHEET_IDENTITY)
    if name is None:
        return None
    identity = {}
    for row in book.rows(name):
        if len(row) >= 2 and as_text(row[0]):
            identity[as_text(row[0])] = as_text(row[1])
    return identity


def check_identity(reader: Reader, identity: dict | None, key: bytes) -> str | None:
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
    current = reader.plan.version
    if not version or not (version == current or (len(version) >= 8 and
                                                    current.startswith(version))):
        reader.add("F105", found=version or "không rõ", expected=current)
        return None
    return unit


def _period_text(period_id: str) -> str:
    try:
        return f"{period_id} ({parse_period(period_id).label})"
    except Exception:  # an identity edited into nonsense still gets named
        return f"'{period_id}'"


def read_report(reader: Reader, sub: Submission) -> bool:
    """Task rows and unit fields; False when the sheet has no recognisable task table."""
    name = reader.book.sheet_name(formspec.SHEET_REPORT)
    cols_needed = ("tt", "status", "completed_on", "result")
    rows = reader.book.rows(name) if name else []
    head, cols = find_header(rows, formspec.REPORT_COLUMNS, cols_needed)
    if head is None:
        labels = ", ".join(f"'{formspec.REPORT_COLUMNS[k]}'" for k in cols_needed)
        reader.add("F106", name or formspec.SHEET_REPORT, name=formspec.SHEET_REPORT,
                   columns=labels)
        return False
    fields = _field_cells(rows)
    end = min((r for r, _c in fields.values() if r > head), default=len(rows))
    assigned = reader.plan.roles(sub.unit)
    seen: dict[str, int] = {}
    last: TaskReport | None = None  # the task a row without TT continues
    for r in range(head + 1, len(rows)):
        tt = as_text(rows[r][cols["tt"]]).rstrip(".") if cols["tt"] < len(rows[r]) else ""
        if not _TASK_TT.match(tt):
            # Inside the task table (above the unit's own cells), a row without TT is text
            # the unit typed on an inserted row; rows it added further down need a TT.
            if r < end and not _HEADING.match(tt):
                last = _continuation(reader, sub, name, rows, r, cols, last)
            continue
        if tt in seen:
            reader.add("R012", name, cell_ref(r, cols["tt"]), tt=tt, first=seen[tt])
            last = None  # a duplicate row is not recorded: nothing continues it
            continue
        seen[tt] = r + 1
        task = last = read_task(reader, name, rows, r, cols, tt)
        if tt in assigned:
            task.role = assigned[tt]
            sub.tasks[tt] = task
        else:
            reader.add("R009" if tt in reader.plan.task_tts else "R008", name,
                       cell_ref(r, cols["tt"]), tt=tt)
            task.text = reader.text(name, rows, r, cols.get("text"))
            sub.extra_tasks.append(task)
    for tt in assigned:
        if tt not in seen:
            reader.add("R011", name, tt=tt)
    read_unit_fields(reader, sub, name, rows, fields)
    return True


_HEADING = re.compile(r"^[IVXLC]+$")  # a dimension heading's Roman numeral


def _continuation(reader: Reader, sub: Submission, sheet: str, rows, r: int, cols: dict,
                  last: TaskReport | None) -> TaskReport | None:
    """A row without TT inside the task table (a row the unit inserted): whatever was typed
    on it continues the result of the task above, so nothing typed is dropped. Returns the
    task later rows without TT continue."""
    row = rows[r]
    texts, first = [], None
    for c in sorted(set(cols.values())):
        if c < len(row) and row[c] not in ("", None):
            text = reader.text(sheet, rows, r, c)
            if text and text not in texts:
                texts.append(text)
                first = c if first is None else first
    if not texts:
        return last
    text = "\n".join(texts)
    cell = cell_ref(r, first)
    if last is None:
        reader.add("R014", sheet, cell, text=_excerpt(text))
        last = TaskReport(tt="", row=r + 1, text=text)
        sub.extra_tasks.append(last)
        return last
    reader.add("R013", sheet, cell, tt=last.tt, text=_excerpt(text))
    last.result = f"{last.result}\n{text}" if last.result else text
    return last


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"


def read_task(reader: Reader, sheet: str, rows, r: int, cols: dict, tt: str) -> TaskReport:
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


def check_task(reader: Reader, sheet: str, task: TaskReport, r: int, date_col: int,
               result_col: int) -> None:
    """Rules on one task row; a cell that already has a finding gets no second one."""
    if task.status == STATUS_DONE and task.completed_on is None:
        date_cell = cell_ref(r, date_col)
        if not _has_finding(reader, sheet, date_cell):
            reader.add("R003", sheet, date_cell, tt=task.tt)
    if task.completed_on is not None:
        check_completion(reader, sheet, cell_ref(r, date_col), task)
    if task.status == STATUS_DONE and not task.result:
        result_cell = cell_ref(r, result_col)
        if not _has_finding(reader, sheet, result_cell):
            reader.add("R007", sheet, result_cell, tt=task.tt)


def check_completion(reader: Reader, sheet: str, cell: str, task: TaskReport) -> None:
    """A completion date lies between the plan's date and the period's cut-off."""
    cutoff, start = reader.period.cutoff_end, reader.plan.date
    day = task.completed_on
    first = start if isinstance(start, dt.date) else reader.period.cutoff_start
    if isinstance(day, dt.datetime):
        day = day.date()
    if first <= day <= cutoff:
        return
    if _swap_finding(reader, sheet, cell, day, first, cutoff,
                     f"Ngày hoàn thành của nhiệm vụ {task.tt}"):
        return
    if day > cutoff:
        reader.add("R004", sheet, cell, value=fmt_date_plain(day), tt=task.tt,
                   cutoff=fmt_date_plain(cutoff))
    elif isinstance(start, dt.date):
        reader.add("R005", sheet, cell, value=fmt_date_plain(day), tt=task.tt,
                   date=fmt_date_plain(start))


def swapped(day: dt.date) -> dt.date | None:
    """The date with day and month exchanged (9/12 -> 12/9), when that is another date."""
    if day.day > 12 or day.day == day.month:
        return None
    return dt.date(day.year, day.day, day.month)


def _swap_finding(reader: Reader, sheet: str, cell: str, day: dt.date, first: dt.date,
                  last: dt.date, what: str) -> bool:
    """R016 when a date outside [first, last] falls inside once day and month are swapped:
    what an English-locale spreadsheet makes of 12/9/2022 typed for 12 September."""
    other = swapped(day)
    if other is None or not first <= other <= last:
        return False
    reader.add("R016", sheet, cell, what=what, value=fmt_date_plain(day),
               first=fmt_date_plain(first), last=fmt_date_plain(last),
               swapped=fmt_date_plain(other))
    return True


def _has_finding(reader: Reader, sheet: str, cell: str) -> bool:
    return any(f.sheet == sheet and f.cell == cell for f in reader.out)


_FIELD_KEYS = {fold(label): key for key, label in formspec.UNIT_FIELDS.items()}


def read_unit_fields(reader: Reader, sub: Submission, sheet: str, rows, found=None) -> None:
    """Unit-level cells: the label anywhere, the value in the first non-empty cell right of it."""
    found = _field_cells(rows) if found is None else found
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
            check_prepared(reader, sheet, cell_ref(r, col), sub.prepared_on)
            continue
        value = reader.text(sheet, rows, r, col)
        if key == "phone":
            value = _phone(reader, sheet, rows, r, col, value)
        setattr(sub, key, value)
        if not value and key in formspec.REQUIRED_UNIT_FIELDS and \
                not _has_finding(reader, sheet, cell_ref(r, col)):
            reader.add("R010", sheet, cell_ref(r, col), name=label)


# A report is dated within a month of its cut-off; beyond that, a date that fits once day
# and month are swapped is most likely an English-locale slip.
PREPARED_WITHIN = dt.timedelta(days=31)
_PHONE_DIGITS = re.compile(r"^[1-9]\d{8,9}$")  # a mobile (9) or landline (10) number minus 0


def _phone(reader: Reader, sheet: str, rows, r: int, c: int, text: str) -> str:
    """A phone number that a number format turned into 912345678 gets its leading 0 back."""
    raw = rows[r][c] if c < len(rows[r]) else None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and _PHONE_DIGITS.match(text):
        fixed = "0" + text
        reader.add("R015", sheet, cell_ref(r, c), value=text, fixed=fixed)
        return fixed
    return text


def check_prepared(reader: Reader, sheet: str, cell: str, day: dt.date | None) -> None:
    """The report's date lies in the period or after it; a date only right with day and
    month swapped (an English-locale slip) is named as such."""
    if day is None or _has_finding(reader, sheet, cell):
        return
    if isinstance(day, dt.datetime):
        day = day.date()
    first = reader.period.cutoff_start
    last = reader.period.cutoff_end + PREPARED_WITHIN
    if first <= day <= last:
        return
    if _swap_finding(reader, sheet, cell, day, first, last, "Ngày lập báo cáo"):
        return
    if day < first:  # a later date is a late report, not a slip
        reader.add("R017", sheet, cell, value=fmt_date_plain(day), first=fmt_date_plain(first))


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


def read_indicators(reader: Reader, sub: Submission) -> None:
    wanted = reader.plan.form_indicators(sub.unit)
    if not wanted:
        return
    name = reader.book.sheet_name(formspec.SHEET_INDICATORS)
    rows = reader.book.rows(name) if name else []
    head, cols = find_header(rows, formspec.INDICATOR_COLUMNS, ("code", "value"))
    if head is None:
        labels = ", ".join(f"'{formspec.INDICATOR_COLUMNS[k]}'" for k in ("code", "value"))
        reader.add("F106", name or formspec.SHEET_INDICATORS,
                   name=formspec.SHEET_INDICATORS, columns=labels)
        return
    by_code = {i.code: i for i in wanted}
    folded = {fold(c): c for c in by_code}
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
        sub.indicators[code] = indicator_value(reader, name, rows, r, cols["value"], code,
                                               by_code[code])
    for indicator in wanted:
        if indicator.agg != "ratio" and indicator.code not in found:
            reader.add("I005", name, code=indicator.code)
    check_ratios(reader, sub, name, wanted, found, cols["value"])
    check_consistency(reader, sub, name, found, cols["value"])


def indicator_value(reader: Reader, sheet: str, rows, r: int, c: int, code: str,
                    indicator=None):
    """The value of an indicator's cell; None when empty or wrong (with its finding). A
    count (Indicator.kind) must be whole: 1,25 "lượt người" is 1.250 read the English way."""
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
    if indicator is not None and indicator.kind == "count" and not number.is_integer():
        reader.add("I006", sheet, cell_ref(r, c), value=fmt_num(number, 3).rstrip("0"), code=code,
                   unit=indicator.unit)
        return None
    return number


def check_ratios(reader: Reader, sub: Submission, sheet: str, wanted, rows: dict[str, int],
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


def check_consistency(reader: Reader, sub: Submission, sheet: str, rows: dict[str, int],
                      col: int) -> None:
    """The plan's consistency rules (sheet QuyTac of the plan) on one form's figures: a broken
    rule is an error at the first cell of its left side, naming the cells of both sides.
    Rules over codes this form does not hold all are checked after consolidation; a cell
    that already has a finding (a numerator above its denominator, I003) gets no second."""
    for rule in reader.plan.rules:
        if any(c not in rows or sub.indicators.get(c) is None for c in rule.codes):
            continue
        left = sum(sub.indicators[c] for c in rule.left)
        right = sum(sub.indicators[c] for c in rule.right)
        if rule.holds(left, right):
            continue
        left_cells = [cell_ref(rows[c], col) for c in rule.left]
        if _has_finding(reader, sheet, left_cells[0]):
            continue
        reader.add("I010", sheet, left_cells[0], left=" + ".join(rule.left),
                   left_value=_num_text(left), left_cells=", ".join(left_cells),
                   relation=BROKEN_WORDS[rule.op], right=" + ".join(rule.right),
                   right_value=_num_text(right),
                   right_cells=", ".join(cell_ref(rows[c], col) for c in rule.right),
                   rule=rule.label)


def _num_text(value: float) -> str:
    return fmt_num(value, 2)
