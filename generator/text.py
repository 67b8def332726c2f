"""Vietnamese text helpers: NFC, number and date style, ASCII slugs."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
_SPACES = re.compile(r"\s+")
# Texts repeat across thousands of returns (statuses, labels, "Không", codes): clean and
# fold each distinct short text once. Long free text is rarely repeated and not memoised,
# and the memo is bounded, so a long-lived process does not grow with every period.
MEMO_TEXT_LEN = 300
MEMO_ENTRIES = 1 << 16


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean(value) -> str:
    """NFC text with outer whitespace trimmed and inner runs collapsed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _clean_memo(text) if len(text) <= MEMO_TEXT_LEN else _clean(text)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", nfc(text)).strip()


_clean_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_clean)


_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029]")


def clean_text(value) -> str:
    """Free text as a person typed it: NFC, line ends as "\\n", trailing spaces of each line
    and blank lines around the text trimmed; line breaks, tabs and non-breaking spaces kept
    ("Kết quả:\\n•\\t3 hội nghị" stays two lines)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\n" not in text and "\r" not in text and "\t" not in text and "\xa0" not in text:
        return clean(text)  # one plain line: the memoised path
    text = _LINE_ENDS.sub("\n", nfc(text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n").strip()


def fold(value: str) -> str:
    """Lower-case ASCII form used to compare names typed without diacritics."""
    text = clean(value)
    return _fold_memo(text) if len(text) <= MEMO_TEXT_LEN else _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


_fold_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_fold)


_ROMAN_DIGITS = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                 (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(number: int) -> str:
    """4 -> 'IV': quarters, dimension headings and section numbers of a report."""
    if number < 1:
        return str(number)
    out = ""
    for value, digits in _ROMAN_DIGITS:
        count, number = divmod(number, value)
        out += digits * count
    return out


def slug(value: str, max_len: int = 40) -> str:
    """ASCII file-name part: 'Sở Tư pháp' -> 'so-tu-phap'."""
    text = re.sub(r"[^a-z0-9]+", "-", fold(value)).strip("-")
    return text[:max_len].rstrip("-") or "x"


def fmt_int(value) -> str:
    """1250 -> '1.250' (Vietnamese thousands separator)."""
    return f"{int(round(value)):,}".replace(",", ".")


def fmt_num(value, decimals: int = 1) -> str:
    """Number with Vietnamese separators; integers lose their decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return fmt_int(value)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_pct(ratio, decimals: int = 1) -> str:
    """0.455 -> '45,5%'."""
    if ratio is None:
        return ""
    return fmt_num(round(ratio * 100, decimals), decimals) + "%"


def fmt_date(day: dt.date) -> str:
    """Short form used in tables: 14/09/2022."""
    return day.strftime("%d/%m/%Y")


def fmt_date_long(day: dt.date) -> str:
    """Prose form: 'ngày 14 tháng 9 năm 2022'."""
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def fmt_date_plain(day: dt.date) -> str:
    """Plan style without leading zeros: 30/6/2022."""
    return f"{day.day}/{day.month}/{day.year}"
