"""Shared xlsxwriter set-up: deterministic files, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import xlsxwriter

# A fixed creation date keeps generated workbooks byte-for-byte reproducible.
FIXED_CREATED = dt.datetime(2022, 1, 1)


def new_workbook(path, **options) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False, **options})
    book.set_properties({"created": FIXED_CREATED, "author": "baocao"})
    return book


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside target; rename onto target only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
