"""Every output of a period from the ledger: the consolidated workbook and the Word report
(and its PDF).

Province mode writes output/<period>/TongHop_<period>.xlsx; district mode (scope D) writes
TongHop_<period>_<D>.xlsx, which is also D's signed return to the province.

Each output is written to a temporary file beside it, checked, then renamed (excel.
atomic_path, office.to_pdf). One that cannot be written (open in another program,
read-only, disk full) does not stop the others: PartialWrite names it and lists the
ones written. `report` holds the ledger lock like `collect`, so the two never interleave.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from generator.consolidate.build import from_ledger
from generator.errors import PartialWrite, UsageError
from generator.excel import SYSTEM_TEMP_PREFIX, remove_leftovers
from generator.ledger.store import Ledger
from generator.render import wordreport
from generator.render.workbook import write_workbook


def build_outputs(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """Consolidate the period from the ledger and write its outputs; the paths written."""
    cons = from_ledger(workspace, plan, period, scope=scope)
    key = workspace.secret_key() if scope else None
    written, problems = [], []
    try:
        written.append(write_workbook(cons, workspace.workbook_path(period, scope), key=key))
    except UsageError as exc:
        problems.append(exc)
    try:
        written += [Path(p) for p in wordreport.write_report(
            workspace, cons, workspace.report_path(period, scope), pdf=pdf)]
    except PartialWrite as exc:
        written += exc.written
        problems += exc.problems
    except UsageError as exc:
        problems.append(exc)
    if problems:
        raise PartialWrite(problems, written)
    return written


def clear_leftovers(workspace, period) -> None:
    """Temporary files a killed run left in the period's output folders and the system's
    temp folder (those of a run still going are kept)."""
    folder = workspace.output_dir(period)
    for place in (folder, *(p for p in _subfolders(folder))):
        remove_leftovers(place)
    remove_leftovers(Path(tempfile.gettempdir()), SYSTEM_TEMP_PREFIX)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def rebuild(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """`baocao report`: the outputs from the ledger alone; a usage error when the ledger
    has nothing for the period or the period is closed (its outputs stay as signed). Holds
    the ledger lock: a `collect` running beside it waits, and so does this."""
    with Ledger(workspace) as ledger, ledger.lock():
        closed = ledger.closing(period.id)
        if closed is not None:
            raise UsageError(closed.message(period))
        if not ledger.receipts(period.id):
            raise UsageError(f"Sổ theo dõi chưa có báo cáo nào của kỳ {period.label} "
                             f"({period.id}). Chạy 'baocao collect -p {period.id}' để thu "
                             "nhận các tệp đơn vị gửi về trước.")
        clear_leftovers(workspace, period)
        return build_outputs(workspace, plan, period, scope=scope, pdf=pdf)
