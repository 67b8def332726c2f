"""LibreOffice in headless mode: PDF of reports, and the real spreadsheet program in tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader

from generator.errors import BaocaoError, UsageError, write_error
from generator.excel import OUTPUT_MODE, system_temp_prefix, temp_prefix

INSTALL_HINT = ("Chưa cài LibreOffice. Trên Debian/Ubuntu: sudo apt-get install "
                "libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation; trên Windows: "
                "cài LibreOffice từ libreoffice.org rồi chạy lại.")
# Below this much free space a conversion that produced no valid file is put down to a
# full disk (LibreOffice itself says nothing useful: it may even exit 0).
LOW_SPACE = 4 * 1024 * 1024


def soffice_path() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (r"C:\Program Files\LibreOffice\program\soffice.exe",
                      r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"):
        if Path(candidate).is_file():
            return candidate
    return None


def convert(source: Path, fmt: str, outdir: Path | None = None, timeout: int = 180) -> Path:
    """Convert with `soffice --headless --convert-to FMT`; returns the new file's path.

    Each call gets its own user profile so conversions can run side by side.
    """
    binary = soffice_path()
    if binary is None:
        raise UsageError(INSTALL_HINT)
    source = Path(source).resolve()
    outdir = Path(outdir or source.parent).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=system_temp_prefix("lo")) as profile:
        cmd = [binary, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
               "--norestore", "--convert-to", fmt, "--outdir", str(outdir), str(source)]
        _run(cmd, timeout, source.name)
    extension = fmt.split(":")[0]
    target = outdir / f"{source.stem}.{extension}"
    if not target.is_file():
        raise UsageError(f"LibreOffice không chuyển được {source.name} sang {extension}.")
    return target


def _run(cmd: list[str], timeout: int, name: str) -> None:
    """Run LibreOffice; on timeout its whole process group goes (soffice starts
    soffice.bin, which subprocess alone would leave running)."""
    group = {"start_new_session": True} if os.name == "posix" else {}
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          **group) as proc:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover
                proc.kill()
            proc.wait()
            raise UsageError(f"LibreOffice không chuyển xong {name} sau {timeout} giây. "
                             "Đóng các cửa sổ LibreOffice đang mở rồi chạy lại.") from None


def to_pdf(source: Path, target: Path, timeout: int = 180) -> Path:
    """The PDF of source at target, replaced only by a PDF that opens and has pages:
    converted in a temporary folder beside target (same disk, so the final rename is
    atomic), checked, then renamed. An old PDF stays as it was when anything fails."""
    source, target = Path(source), Path(target)
    try:
        work = Path(tempfile.mkdtemp(prefix=temp_prefix(), dir=target.parent))
    except OSError as exc:
        raise write_error(exc, target) or exc from None
    try:
        try:
            made = convert(source, "pdf", work, timeout)
            verify_pdf(made)
        except BaocaoError:
            _blame_disk(target)
            raise
        os.chmod(made, OUTPUT_MODE)
        os.replace(made, target)
    except OSError as exc:
        mapped = write_error(exc, target)
        if mapped is None:
            raise
        raise mapped from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _blame_disk(target: Path) -> None:
    """A conversion that failed on a nearly full disk is reported as that."""
    try:
        free = shutil.disk_usage(target.parent).free
    except OSError:
        return
    if free < LOW_SPACE:
        raise UsageError(f"Không ghi được {target}: ổ đĩa đã đầy (thư mục {target.parent}). "
                         "Giải phóng chỗ trống trên ổ đĩa rồi chạy lại.")


def verify_pdf(path: Path) -> int:
    """The number of pages of a PDF that opens; a UsageError for one cut short (no
    trailer), empty, or unreadable."""
    try:
        reader = PdfReader(path, strict=True)
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # noqa: B018 - each page object must parse
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for a broken file
        raise UsageError(f"Bản PDF {path.name} do LibreOffice tạo ra bị hỏng ({exc}); chưa "
                         "thay bản PDF cũ. Chạy lại; nếu vẫn lỗi, mở tệp Word rồi lưu thành "
                         "PDF.") from None
    if pages == 0:
        raise UsageError(f"Bản PDF {path.name} do LibreOffice tạo ra không có trang nào; chưa "
                         "thay bản PDF cũ.")
    return pages
