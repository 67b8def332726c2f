"""Reporting periods per Nghị định 09/2019/NĐ-CP.

Canonical ids: 2022-07 (month), 2022-Q3 (quarter), 2022-H1 (6 months),
2022-9M (9 months), 2022 (year). The data cut-off runs from the 15th of the
month before the period to the 14th of the period's last month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from generator.errors import UsageError
from generator.text import fold, roman
from generator.workspace import DEFAULT_DEADLINE_DAYS

ACCEPTED_FORMS = "2022-07 (tháng), 2022-Q3 (quý), 2022-H1 (6 tháng), 2022-9M (9 tháng), 2022 (năm)"

_PATTERNS = [
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("half", re.compile(r"^(\d{4})-H1$")),
    ("nine", re.compile(r"^(\d{4})-9M$")),
    ("year", re.compile(r"^(\d{4})$")),
]


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | half | nine | year
    year: int
    number: int  # month 1-12, quarter 1-4, otherwise 0

    @property
    def id(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        if self.kind == "half":
            return f"{self.year}-H1"
        if self.kind == "nine":
            return f"{self.year}-9M"
        return str(self.year)

    def __str__(self) -> str:
        return self.id

    @property
    def first_month(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number - 2}.get(self.kind, 1)

    @property
    def last_month(self) -> int:
        if self.kind == "month":
            return self.number
        if self.kind == "quarter":
            return 3 * self.number
        return {"half": 6, "nine": 9, "year": 12}[self.kind]

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        last = calendar.monthrange(self.year, self.last_month)[1]
        return dt.date(self.year, self.last_month, last)

    @property
    def cutoff_start(self) -> dt.date:
        year, month = _shift_month(self.year, self.first_month, -1)
        return dt.date(year, month, 15)

    @property
    def cutoff_end(self) -> dt.date:
        return dt.date(self.year, self.last_month, 14)

    def deadline(self, level: str, days: dict[str, int] | None = None) -> dt.date:
        """Submission deadline for a unit level: a day of the period's last month."""
        table = {**DEFAULT_DEADLINE_DAYS, **(days or {})}
        return self.on_day(int(table.get(level, table["tinh"])))

    def on_day(self, day: int) -> dt.date:
        """That day of the period's last month (the month's last day if it is shorter): the
        last day on time. "Trước ngày 15 của tháng cuối kỳ" is on_day(14)."""
        last = calendar.monthrange(self.year, self.last_month)[1]
        return dt.date(self.year, self.last_month, min(day, last))

    @property
    def label(self) -> str:
        """Vietnamese label: 'quý III năm 2022', '6 tháng đầu năm 2022'."""
        if self.kind == "month":
            return f"tháng {self.number} năm {self.year}"
        if self.kind == "quarter":
            return f"quý {roman(self.number)} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng đầu năm {self.year}"
        if self.kind == "nine":
            return f"9 tháng đầu năm {self.year}"
        return f"năm {self.year}"

    def previous(self) -> Period:
        """The previous period of the same kind (for comparisons)."""
        if self.kind == "month":
            year, month = _shift_month(self.year, self.number, -1)
            return Period("month", year, month)
        if self.kind == "quarter":
            if self.number == 1:
                return Period("quarter", self.year - 1, 4)
            return Period("quarter", self.year, self.number - 1)
        return Period(self.kind, self.year - 1, 0)

    def next(self) -> Period:
        """The next period of the same kind."""
        if self.kind == "month":
            year, month = _shift_month(self.year, self.number, 1)
            return Period("month", year, month)
        if self.kind == "quarter":
            if self.number == 4:
                return Period("quarter", self.year + 1, 1)
            return Period("quarter", self.year, self.number + 1)
        return Period(self.kind, self.year + 1, 0)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def quarters(self) -> list[int]:
        """Quarters whose end falls inside the period (for quarterly tasks)."""
        return [q for q in range(1, 5) if self.first_month <= 3 * q <= self.last_month]


# --------------------------------------------------------------------------- a plan's cadence

# The periods a plan reports, as its text says them (folded): plan 239 reports
# "Quý I, 6 tháng, Quý III và năm".
_CADENCE_WORDS = {
    **{f"quy {roman(n).lower()}": (("quarter", n),) for n in range(1, 5)},
    "6 thang": (("half", 0),), "6 thang dau nam": (("half", 0),),
    "9 thang": (("nine", 0),), "9 thang dau nam": (("nine", 0),),
    "nam": (("year", 0),), "ca nam": (("year", 0),),
    "hang quy": tuple(("quarter", n) for n in range(1, 5)),
    "hang thang": tuple(("month", n) for n in range(1, 13)),
}


def parse_cadence(text: str) -> tuple[tuple[str, int], ...]:
    """'Quý I; 6 tháng; Quý III; Năm' -> (kind, number) of each period kind the plan reports.
    Raises ValueError naming the part not understood."""
    out: list[tuple[str, int]] = []
    for part in re.split(r"[;,]|\bva\b", fold(text)):
        part = part.strip(" .")
        if not part:
            continue
        if part not in _CADENCE_WORDS:
            raise ValueError(part)
        out += [k for k in _CADENCE_WORDS[part] if k not in out]
    return tuple(out)


def next_in_cadence(period: Period, cadence) -> Period:
    """The plan's next report after `period`: the first period of the cadence ending after it
    (239: after Quý III comes the year's report, after the year next year's Quý I). Without a
    cadence, the next period of the same kind."""
    if not cadence:
        return period.next()
    candidates = [Period(kind, year, number) for year in (period.year, period.year + 1)
                  for kind, number in cadence]
    later = [p for p in candidates if p.end > period.end]
    return min(later, key=lambda p: (p.end, p.start))


def parse_period(text: str) -> Period:
    """Parse a canonical period id; a bad id is a usage error naming the forms."""
    value = (text or "").strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        number = int(match.group(2)) if kind in ("month", "quarter") else 0
        if kind == "month" and not 1 <= number <= 12:
            break
        if not 2000 <= year <= 2100:
            break
        return Period(kind, year, number)
    raise UsageError(
        f"Kỳ báo cáo không hợp lệ: '{text}'. Các dạng được chấp nhận: {ACCEPTED_FORMS}."
    )
