"""Every output of a period from the ledger: the consolidated workbook and the Word report
(and its PDF).

Province mode writes output/<period>/TongHop_<period>.xlsx; district mode (scope D) writes
TongHop_<period>_<D>.xlsx, which is also D's signed return to the province.
"""

from __future__ import annotations

from pathlib import Path

from . import wordreport
from .consolidate import from_ledger
from .errors import UsageError
from .ledger import Ledger
from .workbook import write_workbook


def workbook_name(period, scope: str | None = None) -> str:
    return f"TongHop_{period}_{scope}.xlsx" if scope else f"TongHop_{period}.xlsx"


def report_name(period, scope: str | None = None) -> str:
    return f"BaoCao_{period}_{scope}.docx" if scope else f"BaoCao_{period}.docx"


def build_outputs(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """Consolidate the period from the ledger and write its outputs; the paths written."""
    cons = from_ledger(workspace, plan, period, scope=scope)
    folder = workspace.output_dir(period)
    key = workspace.secret_key() if scope else None
    written = [write_workbook(cons, folder / workbook_name(period, scope), key=key)]
    written += [Path(p) for p in wordreport.write_report(
        workspace, cons, folder / report_name(period, scope), pdf=pdf)]
    return written


def rebuild(workspace, plan, period, scope: str | None = None, pdf=None) -> list[Path]:
    """`baocao report`: the outputs from the ledger alone; a usage error when the ledger
    has nothing for the period."""
    with Ledger(workspace) as ledger:
        has_data = bool(ledger.receipts(period.id))
    if not has_data:
        raise UsageError(f"Sổ theo dõi chưa có báo cáo nào của kỳ {period.label} ({period.id}). "
                         f"Chạy 'baocao collect -p {period.id}' để thu nhận các tệp đơn vị gửi "
                         "về trước.")
    return build_outputs(workspace, plan, period, scope=scope, pdf=pdf)
