"""Checks of a plan workbook beyond reading it: typos and cells to confirm.

`plan.check_plan` reads each sheet; these functions look at what it read and add
findings (catalogue codes P0xx) that name the sheet, the cell and the fix:
- a header or a KeHoach key that is almost a known one (a typo), a sheet name likewise;
- a group ("Khối") or class that matches no unit, an e-mail address that cannot be one;
- every cell that says "cần xác nhận": the officer sees each figure or name to confirm.
Only findings and text are imported: this module knows sheets by duck type.
"""

from __future__ import annotations

import difflib
import re

from generator import findings as F
from generator.text import clean, fold

CONFIRM_MARK = "can xac nhan"  # folded "cần xác nhận"
SIMILAR = 0.5  # difflib ratio above which an unknown label is taken for a typo of a known one
EMAIL = re.compile(r"^[^@\s;,]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def closest(label: str, candidates: dict) -> object | None:
    """The key of the candidate text most like `label` (folded), or None if none is close."""
    target = fold(label)
    best, score = None, SIMILAR
    for key, text in candidates.items():
        ratio = difflib.SequenceMatcher(None, target, fold(text)).ratio()
        if ratio > score:
            best, score = key, ratio
    return best


def seen(value: str) -> str:
    """' (ô này ghi '…')' for messages about a cell holding the wrong text."""
    return f" (ô này ghi '{value}')" if value else ""


def header_findings(sheet, fields: dict[str, str], optional: set[str]) -> None:
    """A missing column: at the header cell that looks like a typo of it, else where it would
    go. A required one is an error (P002); an optional one misspelt is a warning (P021)."""
    row = max(sheet.header_row, 0)
    header = sheet.rows[row] if row < len(sheet.rows) else []
    known = {fold(label) for label in fields.values()}
    unknown = {c: clean(v) for c, v in enumerate(header) if clean(v) and fold(v) not in known}
    filled = [c for c, v in enumerate(header) if clean(v)]
    free = (max(filled) + 1) if filled else 0
    for key, label in fields.items():
        if key in sheet.cols:
            continue
        guess = closest(label, unknown)
        value = unknown.pop(guess) if guess is not None else ""
        if key not in optional:
            sheet.error("P002", row, guess if guess is not None else free, name=label,
                        seen=seen(value))
            if guess is None:
                free += 1
        elif guess is not None:
            sheet.error("P021", row, guess, value=value, name=label)


def missing_sheet(file: str, name: str, present: list[str]) -> F.Finding:
    """P001, naming the sheet that looks like a misspelling of the missing one."""
    near = closest(name, {n: n for n in present})
    hint = f" (trang '{near}' có phải là trang này?)" if near else ""
    return F.finding("P001", file, near or "", name=name, seen=hint)


def detail_findings(sheet, rows_by_key: dict[str, int], labels: dict[str, str],
                    required: tuple[str, ...], unknown: dict[int, str]) -> set[str]:
    """KeHoach rows whose key is not a known one: a typo of a missing required key is an error
    at that cell (P026), of another key a warning (P021). Returns the required keys so named."""
    named = set()
    missing = {key: label for label, key in labels.items() if key not in rows_by_key}
    for index, text in sorted(unknown.items()):
        key = closest(text, missing)
        if key is None:
            continue
        label = missing.pop(key)
        if key in required:
            sheet.error("P026", index, 0, value=text, name=label)
            named.add(key)
        else:
            sheet.error("P021", index, 0, value=text, name=label)
    return named


def unit_findings(sheet, rows: dict[str, int], units: dict) -> None:
    """Groups used by a single unit that look like a typo of a common group (P022), and
    e-mail addresses that cannot be one (P023)."""
    counts: dict[str, int] = {}
    for unit in units.values():
        if unit.group:
            counts[unit.group] = counts.get(unit.group, 0) + 1
    common = {g: g for g, n in counts.items() if n > 1}
    for code, unit in units.items():
        if unit.group and counts[unit.group] == 1:
            guess = closest(unit.group, common)
            if guess is not None:
                sheet.error("P022", rows[code], "group", value=unit.group, name=guess)
        for address in (a for a in unit.email.replace(",", ";").split(";") if a.strip()):
            if not EMAIL.match(address.strip()):
                sheet.error("P023", rows[code], "email", code=code, value=address.strip())


def class_findings(sheet, rows: dict[str, int], classes: dict, units: dict, levels) -> None:
    """A unit class whose level is not a level (P014) or whose group no unit has (P022)."""
    groups = {u.group: u.group for u in units.values() if u.group}
    for name, (level, group) in classes.items():
        index = rows[name]
        if level and level not in levels:
            sheet.error("P014", index, "level", value=level)
        if group and group not in groups:
            sheet.error("P022", index, "group", value=group,
                        name=groups.get(closest(group, groups), "") or "một khối có trong DonVi")


def confirm_findings(sheets: dict, what) -> None:
    """P018 for every cell that says "cần xác nhận", on every sheet; `what(sheet, row)` names
    the row ("Nhiệm vụ '4.2'"). A task flagged in its "Cần xác nhận" column without the words
    in any cell is named at its TT cell by the task reader."""
    for sheet in sheets.values():
        if sheet.header_row < 0:
            continue
        for index in range(sheet.header_row + 1, len(sheet.rows)):
            for col, value in enumerate(sheet.rows[index]):
                text = clean(value)
                if text and CONFIRM_MARK in fold(text):
                    sheet.error("P018", index, col, what=what(sheet, index),
                                value=excerpt(text))


def excerpt(text: str, limit: int = 240) -> str:
    """The sentences of a cell that say "cần xác nhận" (the whole cell if it is one),
    without the final full stop the message adds."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    marked = [s for s in sentences if CONFIRM_MARK in fold(s)] or [text]
    short = " ".join(marked).rstrip(". ")
    return short if len(short) <= limit else short[:limit - 1].rstrip() + "…"
