"""LibreOffice in headless mode: PDF of reports, and the real spreadsheet program in tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from generator.errors import UsageError

INSTALL_HINT = ("Chưa cài LibreOffice. Trên Debian/Ubuntu: sudo apt-get install "
                "libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation; trên Windows: "
                "cài LibreOffice từ libreoffice.org rồi chạy lại.")


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
    with tempfile.TemporaryDirectory(prefix="baocao-lo-") as profile:
        cmd = [binary, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
               "--norestore", "--convert-to", fmt, "--outdir", str(outdir), str(source)]
        subprocess.run(cmd, check=False, capture_output=True, timeout=timeout)
    extension = fmt.split(":")[0]
    target = outdir / f"{source.stem}.{extension}"
    if not target.is_file():
        raise UsageError(f"LibreOffice không chuyển được {source.name} sang {extension}.")
    return target
