"""The wheel carries the default plan, its sources, the Word template, click's Vietnamese
catalogue (one copy each in the repository: input/, templates/, generator/cli/locale/) and
the officer's page's templates and static files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_plan_template_and_catalogue(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("baocao-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read("generator/input/ke-hoach.xlsx") == \
            (ROOT / "input" / "ke-hoach.xlsx").read_bytes()
        assert archive.read("generator/templates/bao-cao.docx") == \
            (ROOT / "templates" / "bao-cao.docx").read_bytes()
    assert {"generator/input/sources/phu-luc-nhiem-vu.tsv",
            "generator/cli/locale/vi/LC_MESSAGES/click.mo",
            "generator/cli/locale/vi/LC_MESSAGES/click.po",  # the .mo's source, checked by test_cli
            "generator/plan/workbook.py", "generator/cli/app.py"} <= names
    # The officer's page: its templates and static files (htmx vendored).
    web = ROOT / "generator" / "web"
    assert {f"generator/web/{p.relative_to(web).as_posix()}"
            for folder in ("templates", "static") for p in (web / folder).iterdir()} <= names
    # Every stage package is in the wheel (setup.cfg lists them by name).
    packages = {p.parent.relative_to(ROOT).as_posix()
                for p in (ROOT / "generator").rglob("__init__.py")}
    assert {f"{p}/__init__.py" for p in packages} <= names
