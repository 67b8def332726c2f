"""Reading one returned file: screen, open, identify, read its rules; never raises.

`read_form` returns (None, findings) when the file is not a usable form of this unit,
period and plan version (screen errors, unreadable, identity missing, broken or for
something else, no task table on the report sheet); otherwise a Submission with its
content findings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from generator import findings as F
from generator.intake import safety
from generator.intake.book import Book, is_panic
from generator.intake.district import read_children
from generator.intake.rules import (
    Reader,
    check_identity,
    read_identity,
    read_indicators,
    read_report,
)
from generator.model import Submission
from generator.text import clean, nfc


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
        book = Book(path, archive)
    except Exception as exc:  # calamine raises several types for broken files
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None, found + [F.finding("F100", name, reason=_reason(exc))]
    reader = Reader(book, plan, period, name)
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
