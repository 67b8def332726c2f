"""Deadline phrases of a plan ("Trước 30/9/2022", "Quý III/2022", ...) as data."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from generator.plan.periods import Period
from generator.text import fold, roman

ROMAN_TO_INT = {roman(n).lower(): n for n in range(1, 5)}


@dataclass(frozen=True)
class Deadline:
    """kind: date (due by a day), recurring (every period or quarter), regulation."""

    kind: str
    phrase: str
    due: dt.date | None = None
    every: str | None = None  # 'period' | 'quarter' for recurring deadlines

    def due_in(self, period: Period) -> bool:
        """Whether the task must be done by the end of this period's cut-off."""
        if self.kind == "date":
            return self.due <= period.cutoff_end
        return self.kind == "recurring"

    def overdue(self, period: Period) -> bool:
        """A dated task is overdue once its due date is before the cut-off."""
        return self.kind == "date" and self.due < period.cutoff_end


class DeadlineError(ValueError):
    pass


_DATE = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
_QUARTER = re.compile(r"^quy\s+(i{1,3}|iv)\s*/\s*(\d{4})$")


def parse_deadline(phrase: str) -> Deadline:
    key = fold(phrase)
    if key in ("thuong xuyen", "hang thang", "dinh ky hang thang"):
        return Deadline("recurring", phrase, every="period")
    if key in ("dinh ky hang quy", "hang quy"):
        return Deadline("recurring", phrase, every="quarter")
    if key in ("theo quy dinh", "theo ke hoach"):
        return Deadline("regulation", phrase)
    quarter = _QUARTER.match(key)
    if quarter:
        number, year = ROMAN_TO_INT[quarter.group(1)], int(quarter.group(2))
        last_day = calendar.monthrange(year, 3 * number)[1]
        return Deadline("date", phrase, due=dt.date(year, 3 * number, last_day))
    date = _DATE.search(key)
    if date and re.search(r"\b(truoc|den|han)\b", key):
        day, month, year = (int(x) for x in date.groups())
        try:
            return Deadline("date", phrase, due=dt.date(year, month, day))
        except ValueError as exc:
            raise DeadlineError(f"ngày không tồn tại: {date.group(0)}") from exc
    raise DeadlineError("không nhận dạng được thời hạn")
