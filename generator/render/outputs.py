"""Every output of a period from the ledger: the consolidated workbook and the Word report
(and its PDF).

Province mode writes output/<period>/TongHop_<period>.xlsx; district mode (scope D) writes
TongHop_<period>_<D>.xlsx, which is also D's signed return to the province.
"""

from __future__ import annotations

from pathlib import Path

from generator.consolidate.build import from_ledger
from generator.errors import UsageError
from generator.ledger.store import Ledger
from generator.render import wordreport
from generator.render.workbook import write_workbook


def build_outputs(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """Consolidate the period from the ledger and write its outputs; the paths written."""
    cons = from_ledger(workspace, plan, period, scope=scope)
    key = workspace.secret_key() if scope else None
    written = [write_workbook(cons, workspace.workbook_path(period, scope), key=key)]
    written += [Path(p) for p in wordreport.write_report(
        workspace, cons, workspace.report_path(period, scope), pdf=pdf)]
    return written


def rebuild(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """`baocao report`: the outputs from the ledger alone; a usage error when the ledger
    has nothing for the period."""
    with Ledger(workspace) as ledger:
        has_data = bool(ledger.receipts(period.id))
        closed = ledger.closing(period.id)
    if closed is not None:
        raise UsageError(closed.message(period))
    if not has_data:
        raise UsageError(f"Sổ theo dõi chưa có báo cáo nào của kỳ {period.label} ({period.id}). "
                         f"Chạy 'baocao collect -p {period.id}' để thu nhận các tệp đơn vị gửi "
                         "về trước.")
    return build_outputs(workspace, plan, period, scope=scope, pdf=pdf)
