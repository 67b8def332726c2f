"""Shared fixtures: the default plan, a fresh workspace, the real LibreOffice."""

from __future__ import annotations

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
