"""Shared xlsxwriter set-up: deterministic files, atomic writes, leftovers of killed runs."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import xlsxwriter

from generator.errors import BaocaoError, UsageError, write_error

# A fixed creation date keeps generated workbooks byte-for-byte reproducible.
FIXED_CREATED = dt.datetime(2022, 1, 1)
# Every output gets the same permissions (mkstemp would leave 0600): files are shared.
OUTPUT_MODE = 0o644
TEMP_PREFIX = ".tmp-"
# Where the owner of a temporary file cannot be asked (Windows), one this old is a leftover.
LEFTOVER_AGE = 24 * 3600


def new_workbook(path, **options) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False, **options})
    book.set_properties({"created": FIXED_CREATED, "author": "baocao"})
    return book


# Characters of the default font (Calibri 11) per column-width unit, and its line height.
CHARS_PER_WIDTH = 1.4
LINE_POINTS = 15.0


def wrapped_lines(text, width: float, chars_per_width: float = CHARS_PER_WIDTH) -> int:
    """Lines a text needs, wrapped in a column `width` units wide (an estimate from the
    font's average character width). Writers set row heights from it: spreadsheet programs
    do not grow a row for wrapped text when they open a file (LibreOffice never does)."""
    per_line = max(int(width * chars_per_width), 1)
    return sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))


def temp_prefix() -> str:
    """'.tmp-<pid>-': the process id tells a later run whether the writer is still alive."""
    return f"{TEMP_PREFIX}{os.getpid()}-"


@contextmanager
def atomic_path(target: Path, verify=None):
    """Yield a temporary path beside target; on success check it (verify(path) raises a
    BaocaoError for a bad file), give it the output permissions and rename it onto
    target. A target that cannot be written or replaced (open in another program,
    read-only folder, disk full) is a UsageError naming it, never a traceback."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=target.suffix,
                                   dir=target.parent)
        os.close(fd)
    except OSError as exc:
        mapped = write_error(exc, target)
        if mapped is None:
            raise
        raise mapped from None
    try:
        yield Path(tmp)
        if verify is not None:
            verify(Path(tmp))
        os.chmod(tmp, OUTPUT_MODE)
        os.replace(tmp, target)
    except BaocaoError:
        raise
    except Exception as exc:  # xlsxwriter wraps its OSError: write_error finds it
        mapped = write_error(exc, target)
        if mapped is None:
            raise
        raise mapped from None
    finally:
        _remove(Path(tmp))


def verify_zip(path: Path) -> None:
    """An .xlsx or .docx whose every member reads back with its CRC (a write cut short by a
    full disk leaves a file without its central directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        bad = str(exc) or type(exc).__name__
    if bad is not None:
        raise UsageError(f"Tệp vừa ghi {path.name} bị hỏng ({bad}); kiểm tra chỗ trống trên "
                         f"ổ đĩa ở thư mục {path.parent} rồi chạy lại.")


SYSTEM_TEMP_PREFIX = "baocao-"


def system_temp_prefix(what: str = "") -> str:
    """'baocao-<pid>-what-': the name of a work folder in the system's temp folder."""
    return f"{SYSTEM_TEMP_PREFIX}{os.getpid()}-{what + '-' if what else ''}"


def remove_leftovers(folder: Path, prefix: str = TEMP_PREFIX) -> list[Path]:
    """Remove the temporary files and folders ('<prefix><pid>-…') that a run killed
    midway left in folder; those of a run still going are kept. In an output folder
    ('.tmp-') a name without an owner is an older version's leftover and goes too; in
    the system's temp folder ('baocao-') it is kept. The paths removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(prefix) and _abandoned(entry, prefix) \
                and _remove(Path(entry.path)):
            removed.append(Path(entry.path))
    return removed


def _abandoned(entry: os.DirEntry, prefix: str) -> bool:
    pid = entry.name[len(prefix):].split("-", 1)[0]
    if not pid.isdigit():  # before temp names carried their owner, or not ours
        return prefix == TEMP_PREFIX
    if int(pid) == os.getpid():
        return False
    if os.name == "nt":  # pragma: no cover - no cheap liveness test there
        try:
            return time.time() - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AGE
        except OSError:
            return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False
    return True
