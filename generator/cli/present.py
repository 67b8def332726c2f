"""How results are shown: tables of findings and mail results (rich), in Vietnamese."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from generator import findings as F
from generator.cli.base import console, shown, visible


def print_findings(found) -> None:
    if not found:
        return
    table = Table(show_lines=False, header_style="bold")
    for label in ("Mức", "Mã", "Tệp", "Vị trí", "Nội dung"):
        table.add_column(label, overflow="fold")
    for f in found:
        level = "[red]Lỗi[/]" if f.severity == F.ERROR else "[yellow]Lưu ý[/]"
        where = f"{f.sheet}!{f.cell}" if f.cell else f.sheet
        table.add_row(level, shown(f.code), shown(Path(f.file).name), shown(where),
                      shown(f.message))
    console.print(table)


def print_mail_result(result, folder, send_now) -> None:
    if not send_now:
        console.print(f"Đã ghi {len(result.drafts)} thư nháp (.eml) vào {shown(folder)}.")
    else:
        console.print(f"Đã gửi {len(result.sent)} thư; {len(result.skipped)} thư đã gửi "
                      "trước đây nên không gửi lại.")
    if result.failed:
        console.print(f"[red]Không gửi được {len(result.failed)} thư:[/]")
        for item, reason in result.failed:
            console.print(visible(f"  {item.unit or ', '.join(item.recipients)}: {reason}"),
                          markup=False)
    if result.no_email:
        console.print("Đơn vị chưa có địa chỉ thư điện tử trong kế hoạch (trang DonVi): "
                      f"{shown(', '.join(result.no_email))}.")
