"""Closing a period once its report is signed (`baocao close`), and reopening it with a
reason (`baocao reopen`).

A closed period's consolidated workbook, Word report and PDF are a record: `collect` still
takes in and archives late or corrected returns (nothing a unit sends is lost) and lists
them as received after closing, but leaves those outputs as they were; `report` refuses to
rewrite them until the period is reopened. The ledger keeps every close and reopen with who,
when, why, and the signed outputs' hashes.
"""

from __future__ import annotations

import getpass

from generator.errors import UsageError
from generator.ledger.store import Closing, Ledger, sha256_of
from generator.plan.workbook import load_plan


def signed_outputs(workspace, period) -> list:
    """The outputs a sign-off covers: the workbook, the Word report and its PDF if made."""
    docx = workspace.report_path(period.id)
    paths = [workspace.workbook_path(period.id), docx, docx.with_suffix(".pdf")]
    return [p for p in paths if p.is_file()]


def who_default() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name on some Windows services
        return "không rõ"


def close(workspace, period, number: str = "", date: str = "", who: str = "",
          plan=None) -> Closing:
    """Sign the period off; the ledger also records the plan (number, version) it was
    reported under (default: the workspace's plan), for comparisons across plans."""
    config = workspace.section("report")
    with Ledger(workspace) as ledger, ledger.lock():
        held = ledger.closing(period.id)
        if held is not None:
            raise UsageError(held.message(period))
        paths = signed_outputs(workspace, period)
        names = {p.name for p in paths}
        wanted = {workspace.workbook_path(period.id).name, workspace.report_path(period.id).name}
        if not wanted <= names:
            raise UsageError(f"Chưa có bảng tổng hợp và báo cáo Word của kỳ {period.label} "
                             f"trong {workspace.output_dir(period)}. Chạy 'baocao collect -p "
                             f"{period.id}' hoặc 'baocao report -p {period.id}' trước khi chốt.")
        return ledger.close_period(period.id, {p.name: sha256_of(p) for p in paths},
                                   who or who_default(), number or str(config.get("number", "")),
                                   date or str(config.get("date", "")),
                                   plan=plan if plan is not None else
                                   load_plan(workspace.plan_path))


def reopen(workspace, period, reason: str, who: str = "") -> Closing:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise UsageError("Ghi lý do mở lại kỳ: --ly-do \"…\" (lý do được lưu vào sổ theo dõi).")
    with Ledger(workspace) as ledger, ledger.lock():
        if ledger.closing(period.id) is None:
            raise UsageError(f"Kỳ {period.label} chưa chốt nên không cần mở lại.")
        return ledger.reopen_period(period.id, reason, who or who_default())


def state(workspace, period) -> tuple[Closing | None, list]:
    """(the sign-off in force or None, receipts recorded after it)."""
    with Ledger(workspace) as ledger:
        return ledger.closing(period.id), ledger.after_closing(period.id)
