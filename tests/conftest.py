"""Shared fixtures: the default plan, a fresh workspace, the real LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from generator.cli.app import cli
from generator.office import soffice_path
from generator.plan.default import DEFAULT_PLAN
from generator.plan.workbook import load_plan
from generator.workspace import find_workspace, init_workspace

requires_soffice = pytest.mark.skipif(soffice_path() is None,
                                      reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="session")
def default_plan():
    return load_plan(DEFAULT_PLAN)


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    init_workspace(root)
    return find_workspace(explicit=root)


@pytest.fixture
def run():
    """Run the CLI in-process: run(args, workspace=None) -> click Result."""

    def _run(args, workspace=None):
        prefix = ["-w", str(workspace.root)] if workspace is not None else []
        return CliRunner().invoke(cli, prefix + list(args), catch_exceptions=False)

    return _run


def header_columns(sheet, labels) -> tuple[int, dict[str, int]]:
    """(header row, label -> column) of the row of an openpyxl sheet holding every label."""
    for row in sheet.iter_rows():
        found = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if all(label in found for label in labels):
            return row[0].row, found
    raise AssertionError(f"no header row with {labels} in {sheet.title}")


@pytest.fixture
def small_disk():
    """mount(folder, kilobytes, read_only=False): a tmpfs of that size on folder, unmounted
    after the test; the test is skipped where it cannot mount (not root, no mount)."""
    mounted = []

    def mount(folder, kilobytes, read_only=False):
        if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a small disk needs root and mount(8)")
        folder.mkdir(parents=True, exist_ok=True)
        options = f"size={kilobytes}k" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_disk(folder, leave: int):
    """Fill the file system holding folder until `leave` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "chiem-cho.bin", "wb") as stream:
        stream.write(bytes(max(0, free - leave)))


@pytest.fixture
def immutable():
    """lock(path): make a file impossible to replace or delete, even for root (chattr +i:
    what a file open in Excel or a PDF reader is on Windows); undone after the test."""
    locked = []

    def lock(path):
        if shutil.which("chattr") is None:
            pytest.skip("needs chattr")
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot lock a file here: {done.stderr.strip()}")
        locked.append(path)
        return path

    yield lock
    for path in locked:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
