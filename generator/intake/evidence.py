"""Who sent a returned file, by evidence other than its signed identity: the unit named on
its visible report sheet, the unit code its file name starts with, and the plan unit whose
email address sent it. A file whose evidence disagrees with its identity (a colleague's
form filled and sent as one's own), or whose identity sheet was lost, is held for the
officer's confirmation: it never replaces another unit's report on its own."""

from __future__ import annotations

import re

from generator import findings as F
from generator.cells import find_header
from generator.forms import layout as formspec
from generator.text import clean, fold

_CODE_ON_SHEET = re.compile(r"mã đơn vị\s*:?\s*([A-Za-z0-9-]+)", re.IGNORECASE)
SHEET_EVIDENCE = f"tên đơn vị ghi trên trang '{formspec.SHEET_REPORT}'"

# One index per plan object (a worker reads thousands of files against the same plan).
_INDEX: dict[str, tuple[object, dict]] = {}


def _index(plan, name: str, build) -> dict:
    held = _INDEX.get(name)
    if held is None or held[0] is not plan:
        held = (plan, build(plan))
        _INDEX[name] = held
    return held[1]


def _names(plan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for unit in plan.units.values():
        out.setdefault(fold(unit.name), []).append(unit.code)
    return out


def _emails(plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for unit in plan.units.values():
        if unit.email:
            out.setdefault(fold(unit.email), set()).add(unit.code)
    return out


def visible_unit(book, plan) -> str | None:
    """The unit the report sheet's heading names: "(mã đơn vị STP)", else its name alone."""
    sheet = book.sheet_name(formspec.SHEET_REPORT)
    if sheet is None:
        return None
    rows = book.rows(sheet)
    head, _cols = find_header(rows, formspec.REPORT_COLUMNS, ("tt", "status"))
    texts = [clean(v) for row in rows[:head if head is not None else 10] for v in row
             if isinstance(v, str) and v]
    for text in texts:
        match = _CODE_ON_SHEET.search(text)
        if match and match.group(1) in plan.units:
            return match.group(1)
    names = _index(plan, "names", _names)
    for text in texts:
        codes = names.get(fold(text), [])
        if len(codes) == 1:
            return codes[0]
    return None


def unit_in_name(plan, file_name: str) -> str | None:
    """The plan unit code a file name starts with (forms are named <CODE>_<name>_<period>)."""
    prefix = file_name.split("_", 1)[0].strip() if "_" in file_name else ""
    return prefix if prefix in plan.units else None


def units_of_sender(plan, sender: str) -> set[str]:
    return _index(plan, "emails", _emails).get(fold(sender), set()) if sender else set()


def _line_above(plan, code: str) -> set[str]:
    """Units that may send a unit's file on its behalf: those above it in the reporting
    line (a district forwarding its commune's file) and the plan's compiling body."""
    out = {plan.details.get("focal_code", "")}
    unit = plan.units.get(code)
    while unit is not None and unit.parent and unit.parent not in out:
        out.add(unit.parent)
        unit = plan.units.get(unit.parent)
    return out


def weigh(plan, submission, found: list, file_name: str, sender: str = ""
          ) -> tuple[list, str | None]:
    """(findings, the unit the file stands for in the ledger) once the file name and the
    sender are compared with the unit a readable file was read as; the file is held when
    any finding is a holding one."""
    if submission is None:
        return found, None
    unit = submission.unit
    named = unit_in_name(plan, file_name)
    senders = units_of_sender(plan, sender)
    sender_unit = None
    if senders and unit not in senders and not senders & _line_above(plan, unit):
        sender_unit = sorted(senders)[0]
    source = SHEET_EVIDENCE if any(f.code == "F111" for f in found) else "trang nhận dạng"
    added = []
    for evidence, other in ((f"tên tệp '{file_name}'", named if named != unit else None),
                            (f"địa chỉ gửi thư {sender}", sender_unit)):
        if other:
            added.append(F.finding("F110", file_name, source=source, claimed=unit,
                                   claimed_name=plan.units[unit].name, evidence=evidence,
                                   found=other, found_name=plan.units[other].name))
    found = [*found, *added]
    if not F.is_held(found):
        return found, unit
    return found, sender_unit or (named if named != unit else None) or unit
