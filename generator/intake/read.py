"""Reading one returned file: screen, open, identify, read its rules; never raises.

`read_form` returns (None, findings) when the file is not a usable form of this unit,
period and plan version (screen errors, unreadable, identity missing and no unit named on
the report sheet, identity broken or for something else, no task table on the report
sheet); otherwise a Submission with its content findings. A file whose identity was lost,
or disagrees with the unit its report sheet names, comes back with a holding finding
(findings.HOLDING): it waits for the officer's confirmation.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from generator import findings as F
from generator.forms import layout as formspec
from generator.intake import safety
from generator.intake.book import Book, is_panic
from generator.intake.district import read_children
from generator.intake.evidence import SHEET_EVIDENCE, visible_unit
from generator.intake.rules import (
    Reader,
    check_identity,
    read_identity,
    read_indicators,
    read_report,
)
from generator.model import Submission
from generator.text import clean, nfc


def read_form(path, plan, period, key: bytes, limit_bytes=None,
              unit: str | None = None) -> tuple[Submission | None, list[F.Finding]]:
    """Read one returned file; never raises. None = rejected (not a usable form).
    limit_bytes: the size limit ([intake] max_mb of baocao.toml; None = the default).
    unit: read the file as this unit's (the officer confirmed a held file); a broken
    signature or a form of another period or plan version is still rejected."""
    path = Path(path)
    try:
        return _read_form(path, plan, period, key, limit_bytes, unit)
    except Exception as exc:  # one bad file must never stop the others
        return None, [F.finding("F100", path.name, reason=_reason(exc))]
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None, [F.finding("F100", path.name, reason=_reason(exc))]


def _reason(exc: Exception) -> str:
    text = clean(str(exc)) or type(exc).__name__
    return text[:200]


def _read_form(path: Path, plan, period, key: bytes, limit_bytes=None, unit=None):
    screened, archive = safety.screen_open(path, limit_bytes)
    try:
        return _read_screened(path, plan, period, key, screened, archive, unit)
    finally:
        if archive is not None:
            archive.close()


def _read_screened(path: Path, plan, period, key: bytes, screened, archive, forced=None):
    """The file passed or failed the screen (`screened`); `archive` is its open zip."""
    name = nfc(path.name)
    found = [f if f.file else _with_file(f, name) for f in screened]
    if F.has_errors(found):
        return None, found
    try:
        book = Book(path, archive)
    except Exception as exc:  # calamine raises several types for broken files
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    reader = Reader(book, plan, period, name)
    identity = read_identity(book) or {}
    unit = _identify(reader, identity, key, forced)
    if unit is None:
        return None, found + reader.out
    sub = Submission(unit, period.id, form_id=identity.get("form_id", ""),
                     plan_version=identity.get("plan_version", plan.version))
    if not read_report(reader, sub):  # no task table: recording it would erase the unit's report
        return None, found + reader.out
    read_indicators(reader, sub)
    read_children(reader, sub)
    return sub, found + reader.out


def _identify(reader: Reader, identity: dict, key: bytes, forced: str | None) -> str | None:
    """The unit to read the file as; a holding finding when the identity was lost (and the
    report sheet names a unit) or names another unit than the report sheet does."""
    plan = reader.plan
    shown = visible_unit(reader.book, plan)
    if not identity:
        if forced or shown is None:
            if not forced:
                reader.add("F101")
            return forced
        reader.add("F111", evidence=SHEET_EVIDENCE, found=shown,
                   found_name=plan.units[shown].name)
        return shown
    claimed = check_identity(reader, identity, key)
    if claimed is None or forced:
        return forced if claimed is not None else None
    if shown is not None and shown != claimed:
        reader.add("F110", formspec.SHEET_REPORT, source="trang nhận dạng", claimed=claimed,
                   claimed_name=plan.units[claimed].name, evidence=SHEET_EVIDENCE,
                   found=shown, found_name=plan.units[shown].name)
    return claimed


def _with_file(finding: F.Finding, name: str) -> F.Finding:
    return dataclasses.replace(finding, file=name)
