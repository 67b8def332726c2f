"""Reading cell values and header rows: one date parser, one number parser, one header finder,
shared by every reader of a sheet (the plan workbook, returned forms, the demo's filler).

Cells come as python-calamine gives them (str, float, int, bool, date, datetime, time) or as
text typed by a person: dates day first (30/9/2022, 30-09-2022, 30.9.22, Excel serials),
numbers in Vietnamese style (1.250 = 1250; 1,5 = 1.5).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from xlsxwriter.utility import xl_rowcol_to_cell

from generator.text import MEMO_ENTRIES, clean, fmt_date_plain, fold

SERIAL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (with the 1900 leap-year bug absorbed)
_DATE_TEXT = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.250 / 1.250,5
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+(,\d+)?$")  # 1250 / 1,5
_POINT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")  # 1.5 typed English style (not 3 digits)
_LABEL_NOISE = re.compile(r"\(.*?\)|[*:]")


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


def find_header(rows, labels: dict[str, str], need=None, limit: int = 40,
                at_least: int = 1) -> tuple[int | None, dict[str, int]]:
    """(row index, {field: column}) of the first row (within `limit`) holding every label
    in `need` (default: all) and at least `at_least` of `labels`; (None, {}) if none does.
    Labels match folded, without '(...)', '*' and ':' ('Tình trạng (*):' is 'Tình trạng')."""
    need = tuple(labels) if need is None else tuple(need)
    wanted = {fold(label): key for key, label in labels.items()}
    for index, row in enumerate(rows[:limit]):
        cols: dict[str, int] = {}
        for c, value in enumerate(row):
            key = wanted.get(label_key(value))
            if key and key not in cols:
                cols[key] = c
        if len(cols) >= at_least and all(k in cols for k in need):
            return index, cols
    return None, {}
