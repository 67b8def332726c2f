"""The `baocao` command: a thin click layer over the library functions, one function per
command. Shared pieces (state, options, error handling) are in base.py, tables in present.py.

Each command imports the stage it drives when it runs: pandas, matplotlib and docxtpl take
2 s to load, which `baocao --help` or `baocao status` should not pay.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from generator import __version__
from generator import findings as F
from generator.cli import i18n
from generator.cli.base import (
    CONTEXT,
    State,
    configure_logging,
    console,
    current_plan,
    err_console,
    handle_errors,
    log_unraisable,
    pass_state,
    pdf_option,
    period_option,
    plan_option,
    scope_option,
    shown,
    units_option,
    visible,
)
from generator.cli.present import print_findings, print_mail_result
from generator.errors import PartialWrite, UsageError
from generator.plan.workbook import check_plan
from generator.text import fmt_date
from generator.vocab import HELD, ON_TIME, STATE_BY_KEY, SUBMISSION_STATES
from generator.workspace import init_workspace

i18n.install()

# Global options, accepted before or after the command name ("baocao check -p X --json").
GLOBAL_FLAGS = {"--json", "--debug"}
GLOBAL_VALUED = {"-w", "--workspace"}


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the command name to the front, where click reads
    them; anything after "--" is left alone."""
    front, rest = [], []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_VALUED and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_VALUED and index + 1 < len(args):
            front += [arg, args[index + 1]]
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


class Command(click.Command):
    pass


class Group(click.Group):
    command_class = Command
    group_class = type  # subgroups are Groups too

    def parse_args(self, ctx, args):
        if ctx.parent is None:  # the root command: global options may come anywhere
            args = hoist_global_options(list(args))
        return super().parse_args(ctx, args)


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("-w", "--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục không gian làm việc (mặc định: tìm baocao.toml từ thư mục hiện tại lên).")
@click.option("--json", "as_json", is_flag=True, help="In một tài liệu JSON ra stdout, không gì khác.")
@click.option("--debug", is_flag=True, help="Hiện chi tiết lỗi (traceback) khi có lỗi.")
@click.version_option(__version__, "--version", prog_name="baocao",
                      message="%(prog)s %(version)s", help="Hiện phiên bản rồi thoát.")
@click.pass_context
def cli(ctx, workspace_dir, as_json, debug):
    """Theo dõi, tổng hợp báo cáo thực hiện kế hoạch (mặc định: Kế hoạch 239/KH-UBND
    cải thiện Chỉ số PAPI tỉnh Lào Cai năm 2022).

    \b
    Ví dụ:
      baocao init lao-cai && cd lao-cai
      baocao forms -p 2022-Q3
      baocao collect -p 2022-Q3
    """
    ctx.obj = State(workspace_dir, as_json, debug)
    configure_logging(debug)


@cli.command(context_settings=CONTEXT)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@plan_option()
@pass_state
@handle_errors
def init(state, directory, plan_name):
    """Tạo không gian làm việc mới: baocao.toml, input/ke-hoach.xlsx (kế hoạch đi kèm, mặc
    định Kế hoạch 239/KH-UBND năm 2022), templates/, output/ và khóa ký biểu mẫu.

    \b
    Ví dụ:
      baocao init lao-cai
      baocao init lao-cai-moi --plan lao-cai-2025
    """
    created = init_workspace(directory, plan_name)
    if state.as_json:
        state.emit_json({"workspace": str(Path(directory).resolve()),
                         "created": [str(p) for p in created]})
        return
    for path in created:
        console.print(f"  đã tạo {shown(path)}")
    console.print(f"Không gian làm việc: {shown(Path(directory).resolve())} "
                  f"({len(created)} tệp, thư mục mới).")


@cli.group(context_settings=CONTEXT)
def plan():
    """Kiểm tra tệp kế hoạch (nhiệm vụ, đơn vị, chỉ tiêu).

    \b
    Ví dụ:
      baocao plan check input/ke-hoach.xlsx
    """


@plan.command("check", context_settings=CONTEXT)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_state
@handle_errors
def plan_check(state, file):
    """Kiểm tra một tệp kế hoạch; mỗi lỗi ghi rõ trang tính và ô. Thoát với mã 1 nếu có lỗi.

    \b
    Ví dụ:
      baocao plan check
      baocao plan check input/ke-hoach.xlsx
    """
    path = Path(file) if file else state.workspace.plan_path
    loaded, found = check_plan(path)
    errors = [f for f in found if f.severity == F.ERROR]
    if state.as_json:
        state.emit_json({"file": str(path), "valid": not errors,
                         "findings": [f.as_dict() for f in found]})
    else:
        print_findings(found)
        if loaded is not None:
            console.print(f"Kế hoạch {shown(loaded.number)} hợp lệ: {len(loaded.dimensions)} nội dung, "
                          f"{len(loaded.tasks)} nhiệm vụ, {len(loaded.units)} đơn vị, "
                          f"{len(loaded.indicators)} chỉ tiêu ({len(found)} lưu ý).")
        else:
            console.print(f"Kế hoạch {shown(path.name)} có {len(errors)} lỗi.")
    if errors:
        click.get_current_context().exit(1)


# ---- forms (issue 3) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@units_option("Chỉ tạo biểu mẫu cho đơn vị có mã này (lặp lại cho nhiều đơn vị).")
@pass_state
@handle_errors
def forms(state, period, units):
    """Tạo cho mỗi đơn vị báo cáo một biểu mẫu Excel của kỳ, chỉ gồm nhiệm vụ (chủ trì, phối
    hợp) và chỉ tiêu của đơn vị đó, vào output/KỲ/bieu-mau/MÃ_tên_KỲ.xlsx. Biểu mẫu được ký
    bằng khóa của không gian làm việc nên đơn vị không thể dùng biểu mẫu của đơn vị khác.

    \b
    Ví dụ:
      baocao forms -p 2022-Q3
      baocao forms -p 2022-Q3 -u STP -u 080
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from generator.forms.writer import write_forms

    workspace = state.workspace
    workspace.require()
    plan_ = current_plan(state)
    if state.as_json:
        written = write_forms(workspace, plan_, period, list(units) or None)
        state.emit_json({"period": period.id, "files": [str(p) for p in written]})
        return
    columns = (TextColumn("Biểu mẫu"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=err_console, transient=True) as bar:
        job = bar.add_task("", total=None)

        def advance(done, total, code):
            bar.update(job, completed=done, total=total, description=code)

        written = write_forms(workspace, plan_, period, list(units) or None, progress=advance)
    folder = workspace.forms_dir(period).relative_to(workspace.root)
    console.print(f"Đã ghi {len(written)} biểu mẫu kỳ {period.label} vào "
                  f"{shown(folder.as_posix())}/")


# ---- check (issue 4) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@pass_state
@handle_errors
def check(state, period, sources):
    """Kiểm tra các tệp báo cáo đơn vị gửi về (mặc định: input/KỲ/) mà không ghi vào sổ
    theo dõi: in từng lỗi, lưu ý (tệp, trang tính, ô) và kết quả từng tệp: được nhận, chờ
    xác nhận (trang nhận dạng không khớp tên tệp, địa chỉ gửi thư hay tên đơn vị trên trang
    Báo cáo, hoặc bị mất), bị từ chối.

    Nguồn có thể là thư mục, tệp bảng tính (.xlsx, .xlsm, .xls, .ods), hoặc thư đã lưu
    (.eml). Thoát với mã 1 nếu có tệp có lỗi (kể cả tệp vẫn được nhận, kèm phiếu phản hồi;
    tệp chờ xác nhận; tệp bị từ chối), 0 nếu mọi tệp không có lỗi (có thể có lưu ý).

    \b
    Ví dụ:
      baocao check -p 2022-Q3
      baocao check -p 2022-Q3 thu-da-luu/ STP_so-tu-phap_2022-Q3.xlsx
      baocao check -p 2022-Q3 --json
    """
    from generator.intake.check import check_files

    workspace = state.workspace
    result = check_files(workspace, current_plan(state), period, sources or None)
    if state.as_json:
        state.emit_json(result.as_json())
    else:
        print_findings([f for item in result.files for f in item.findings])
        table = Table(header_style="bold")
        for label in ("Tệp", "Đơn vị", "Kết quả", "Lỗi", "Lưu ý"):
            table.add_column(label, overflow="fold")
        for item in result.files:
            verdict = "[green]Được nhận[/]" if item.accepted else \
                "[blue]Chờ xác nhận[/]" if item.held else "[red]Bị từ chối[/]"
            table.add_row(shown(item.file), shown(item.unit or ""), verdict, str(item.errors),
                          str(item.warnings))
        if result.files:
            console.print(table)
        accepted = len(result.files) - len(result.rejected) - len(result.held)
        held = f"{len(result.held)} chờ xác nhận, " if result.held else ""
        console.print(f"Kỳ {period.label}: {len(result.files)} tệp, {accepted} được nhận, "
                      f"{held}{len(result.rejected)} bị từ chối.")
    if result.has_errors:
        click.get_current_context().exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("file", metavar="TỆP")
@click.option("--unit", "unit", required=True, metavar="MÃ",
              help="Mã đơn vị mà tệp là báo cáo của đơn vị đó.")
@period_option(required=False, help_="Kỳ báo cáo của tệp (khi cùng tên tệp chờ xác nhận ở "
                                     "nhiều kỳ).")
@click.option("--nguoi", "person", metavar="HỌ_TÊN",
              help="Người xác nhận (mặc định: tên đăng nhập trên máy).")
@click.option("--ly-do", "reason", default="", metavar="LÝ_DO",
              help="Lý do xác nhận, ghi vào sổ theo dõi.")
@pass_state
@handle_errors
def confirm(state, file, unit, period, person, reason):
    """Xác nhận một tệp đang chờ xác nhận (trang nhận dạng không khớp tên tệp, địa chỉ gửi
    thư hay tên đơn vị trên trang Báo cáo, hoặc bị mất) là báo cáo của đơn vị MÃ. Tệp được
    đọc lại như báo cáo của đơn vị đó và ghi vào sổ theo dõi cùng người xác nhận, thời điểm
    và lý do; sau đó chạy 'baocao report' để cập nhật bảng tổng hợp và báo cáo.

    TỆP là đường dẫn tới tệp đã nhận, tên tệp như đơn vị gửi, hoặc mã băm (xem 'baocao
    status').

    \b
    Ví dụ:
      baocao confirm input/2022-Q3/02776_xa-lung-khau-nhin_2022-Q3.xlsx --unit 02776 \\
          --ly-do "Xã Lùng Khấu Nhin dùng nhầm biểu mẫu của xã bạn; đã gọi điện xác nhận"
    """
    import getpass

    from generator.collect import confirm as run_confirm

    who = person or getpass.getuser()
    receipt = run_confirm(state.workspace, current_plan(state), file, unit, who, reason,
                          period)
    if state.as_json:
        state.emit_json({"period": receipt.period, "file": receipt.file_name,
                         "unit": receipt.unit, "sha256": receipt.sha256, "confirmed_by": who,
                         "reason": reason, "findings": [f.as_dict() for f in receipt.findings]})
        return
    print_findings(receipt.findings)
    console.print(f"Đã xác nhận tệp {shown(receipt.file_name)} là báo cáo kỳ {receipt.period} "
                  f"của đơn vị {unit} ({shown(who)}). Chạy 'baocao report -p {receipt.period}' "
                  "để cập nhật bảng tổng hợp và báo cáo.")


# ---- collect, status (issue 4) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@scope_option("Chỉ tổng hợp một huyện và các xã trực thuộc (Phòng Nội vụ cấp huyện); bảng "
              "tổng hợp TongHop_KỲ_MÃ.xlsx là báo cáo của huyện gửi tỉnh.")
@pdf_option()
@click.option("--fetch", "fetch_first", is_flag=True,
              help="Trước hết lấy thư báo cáo mới từ hộp thư vào input/KỲ/ (như baocao mail "
                   "fetch -p KỲ).")
@pass_state
@handle_errors
def collect(state, period, sources, scope, pdf, fetch_first):
    """Thu nhận các tệp báo cáo đơn vị gửi về (mặc định: input/KỲ/) vào sổ theo dõi, ghi tệp
    phản hồi cho đơn vị có lỗi, rồi tổng hợp và ghi mọi tệp kết quả.

    Nguồn có thể là thư mục, tệp Excel, hoặc thư đã lưu (.eml, lấy tệp đính kèm và ngày gửi
    thư làm ngày nhận). Mọi tệp nhận được đều được lưu trữ nguyên bản; tệp gửi sau của một
    đơn vị thay thế tệp trước; chạy lại không làm thay đổi gì. Tệp bị từ chối được liệt kê
    nhưng không làm lệnh thất bại: lệnh vẫn thoát với mã 0.

    \b
    Ví dụ:
      baocao collect -p 2022-Q3
      baocao collect -p 2022-Q3 thu-da-luu/
      baocao collect -p 2022-Q3 --scope 080
      baocao collect -p 2022-Q3 --fetch
    """
    from generator.collect import collect as run_collect
    from generator.consolidate.frames import scope_units

    plan_ = current_plan(state)
    if scope:
        scope_units(plan_, scope)  # a wrong code stops before anything is recorded
    fetched = run_fetch(state, period) if fetch_first else None
    try:
        result = run_collect(state.workspace, plan_, period, sources or None, scope=scope,
                             pdf=pdf)
    except PartialWrite as exc:  # what was written is said, then what could not be
        if exc.result is not None and not state.as_json:
            _print_collected(period, exc.result)
        raise
    if state.as_json:
        state.emit_json({**result.as_json(), **({"fetch": fetched.as_json()} if fetched else {})})
        return
    _print_collected(period, result)


def _print_collected(period, result) -> None:
    errors = [f for r in [*result.held, *result.rejected] for f in r.findings
              if f.severity == F.ERROR]
    print_findings(errors + [f for item in result.refused for f in item.findings])
    refused = f", {len(result.refused)} mục không phải tệp" if result.refused else ""
    console.print(f"Kỳ {period.label}: {len(result.receipts)} tệp ({result.new} tệp mới), "
                  f"{len(result.accepted)} hợp lệ, "
                  + (f"{len(result.held)} chờ xác nhận ('baocao confirm'), " if result.held
                     else "") + f"{len(result.rejected)} bị từ chối{refused}.")
    if result.feedback:
        console.print(f"Tệp phản hồi cho {len(result.feedback)} đơn vị: "
                      f"{shown(result.feedback[0].parent)}")
    for path in result.outputs:
        console.print(f"  đã ghi {shown(path)}")
    if result.closed is not None:
        console.print(shown(result.closed.message(period)))
        print_after_close(result.after_close)


def print_after_close(receipts) -> None:
    if receipts:
        console.print(f"Nhận sau khi chốt ({len(receipts)} tệp, đã lưu trữ):")
        for r in receipts:
            console.print(visible(f"  {fmt_date(r.received_at.date())}  {r.unit or ''}  "
                                  f"{r.file_name}"), markup=False)


@cli.command(context_settings=CONTEXT)
@period_option()
@click.option("--all", "show_all", is_flag=True, help="Liệt kê cả các đơn vị nộp đúng hạn.")
@pass_state
@handle_errors
def status(state, period, show_all):
    """Tình hình nộp báo cáo của kỳ: đơn vị phải báo cáo, đúng hạn, trễ hạn, chưa nộp,
    bị từ chối, có tệp chờ xác nhận (theo sổ theo dõi và hạn nộp của từng cấp).

    \b
    Ví dụ:
      baocao status -p 2022-Q3
      baocao --json status -p 2022-Q3
    """
    from generator.ledger.status import status as unit_status
    from generator.signoff import state as closed_state

    plan_ = current_plan(state)
    report = unit_status(state.workspace, plan_, period)
    closed, after = closed_state(state.workspace, period)
    if state.as_json:
        extra = {"closed": closed.as_dict(), "after_close": [r.file_name for r in after]} \
            if closed else {}
        state.emit_json({**report.as_json(), **extra})
        return
    order = [s.key for s in SUBMISSION_STATES]
    rows = sorted((u for u in report.units if show_all or u.state != ON_TIME.key),
                  key=lambda u: order.index(u.state), reverse=True)
    table = Table(header_style="bold")
    for label in ("Mã", "Đơn vị", "Hạn nộp", "Ngày nhận", "Tình trạng"):
        table.add_column(label, overflow="fold")
    for u in rows:
        received = fmt_date(u.receipt.received_at.date()) if u.receipt else ""
        label = STATE_BY_KEY[u.state].label
        if u.state == HELD.key:  # the file the officer must settle
            label = f"{label}: {shown(u.receipt.file_name)}"
        table.add_row(shown(u.code), shown(plan_.units[u.code].name), fmt_date(u.deadline),
                      received, label)
    if rows:
        console.print(table)
    counts = ", ".join(f"{len(report.codes(s.key))} {s.label.lower()}" for s in SUBMISSION_STATES)
    console.print(f"Kỳ {period.label}: {len(report.expected)} đơn vị phải báo cáo: {counts}.")
    if report.codes(HELD.key):
        console.print("Tệp chờ xác nhận: xem lỗi F110, F111 bằng 'baocao check', rồi xử lý bằng "
                      "'baocao confirm TỆP --unit MÃ --ly-do \"…\"'.", markup=False)
    if closed is not None:
        console.print(f"Kỳ đã chốt ngày {fmt_date(closed.at.date())} ({shown(closed.who)}"
                      f"{', báo cáo số ' + shown(closed.number) if closed.number else ''}).")
        print_after_close(after)


# ---- close, reopen, history (issue 15) ----


@cli.command("close", context_settings=CONTEXT)
@period_option()
@click.option("--so", "number", metavar="SỐ", default="",
              help="Số văn bản của báo cáo đã ký (mặc định: number trong mục [report]).")
@click.option("--ngay", "date", metavar="NGÀY", default="",
              help="Ngày ký báo cáo, dạng 14/9/2022 (mặc định: date trong mục [report]).")
@click.option("--nguoi", "who", metavar="TÊN", default="",
              help="Người chốt kỳ (mặc định: tên người dùng trên máy).")
@pass_state
@handle_errors
def close_command(state, period, number, date, who):
    """Chốt kỳ sau khi báo cáo đã ký: ghi vào sổ theo dõi mã băm của bảng tổng hợp, báo cáo
    Word và PDF, số và ngày báo cáo, người chốt. Sau khi chốt, 'collect' vẫn nhận và lưu
    trữ tệp gửi muộn hoặc gửi lại (liệt kê là "nhận sau khi chốt") nhưng không ghi lại các
    tệp đã ký; 'report' không ghi lại cho đến khi mở lại kỳ.

    \b
    Ví dụ:
      baocao close -p 2022-Q3 --so 125/BC-SNV --ngay 16/9/2022
    """
    from generator.signoff import close

    closing = close(state.workspace, period, number, date, who)
    if state.as_json:
        state.emit_json({"period": period.id, "closed": closing.as_dict()})
        return
    console.print(visible(f"Đã chốt kỳ {period.label} ({closing.who}); "
                          f"{len(closing.outputs)} tệp giữ nguyên: "
                          f"{', '.join(closing.outputs)}."), markup=False)


@cli.command("reopen", context_settings=CONTEXT)
@period_option()
@click.option("--ly-do", "reason", required=True, metavar="LÝ_DO", help="Lý do mở lại kỳ.")
@click.option("--nguoi", "who", metavar="TÊN", default="",
              help="Người mở lại (mặc định: tên người dùng trên máy).")
@pass_state
@handle_errors
def reopen_command(state, period, reason, who):
    """Mở lại một kỳ đã chốt (lý do được ghi vào sổ theo dõi) để 'report' hoặc 'collect'
    viết lại bảng tổng hợp và báo cáo.

    \b
    Ví dụ:
      baocao reopen -p 2022-Q3 --ly-do "UBND huyện Bát Xát gửi lại số liệu"
    """
    from generator.signoff import reopen

    item = reopen(state.workspace, period, reason, who)
    if state.as_json:
        state.emit_json({"period": period.id, "reopened": item.as_dict()})
        return
    console.print(visible(f"Đã mở lại kỳ {period.label}: {item.reason}"), markup=False)


@cli.command("history", context_settings=CONTEXT)
@period_option()
@click.option("-u", "--unit", "unit", required=True, metavar="MÃ", help="Mã đơn vị.")
@pass_state
@handle_errors
def history_command(state, period, unit):
    """Các lần gửi báo cáo của một đơn vị trong kỳ (tệp, ngày nhận, hợp lệ hay không, còn
    dùng hay đã được thay thế) và những ô có giá trị thay đổi giữa các lần (cũ → mới).

    \b
    Ví dụ:
      baocao history -u STP -p 2022-Q3
    """
    from generator.ledger.history import unit_changes
    from generator.ledger.store import Ledger

    current_plan(state).unit(unit)  # an unknown code is a usage error
    with Ledger(state.workspace) as ledger:
        versions = ledger.versions(period.id, unit)
        found = unit_changes(ledger, period.id, unit)
    if state.as_json:
        state.emit_json({"period": period.id, "unit": unit, "versions": [
            {"file": r.file_name, "received_at": r.received_at.isoformat(),
             "accepted": r.accepted, "superseded": r.superseded} for r, _ in versions],
            "changes": [{"where": c.where, "old": c.old, "new": c.new, "old_file": c.old_file,
                         "new_file": c.new_file} for c in found]})
        return
    if not versions:
        console.print(f"Sổ theo dõi chưa có tệp nào của đơn vị {unit} kỳ {period.label}.")
        return
    table = Table(header_style="bold")
    for label in ("Lần", "Tệp", "Ngày nhận", "Kết quả"):
        table.add_column(label, overflow="fold")
    for index, (r, _sub) in enumerate(versions, 1):
        verdict = ("Không hợp lệ" if not r.accepted else
                   "Đã được thay thế" if r.superseded else "Đang dùng")
        table.add_row(str(index), shown(r.file_name),
                      r.received_at.strftime("%d/%m/%Y %H:%M"), verdict)
    console.print(table)
    if found:
        changes = Table(header_style="bold")
        for label in ("Nội dung", "Cũ", "Mới", "Tệp cũ → tệp mới"):
            changes.add_column(label, overflow="fold")
        for c in found:
            changes.add_row(shown(c.where), shown(c.old), shown(c.new),
                            shown(f"{c.old_file} → {c.new_file}"))
        console.print(changes)


# ---- report (issues 5, 6) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@pdf_option()
@scope_option("Chỉ tổng hợp một huyện và các xã trực thuộc; ghi TongHop_KỲ_MÃ.xlsx.")
@click.option("--ngay", "day", metavar="NGÀY",
              help="Ngày của báo cáo, dạng 19/9/2022 (mặc định: date trong mục [report] của "
                   "baocao.toml, nếu trống thì ngày làm việc đầu tiên sau hạn gửi báo cáo và "
                   "sau ngày nhận báo cáo cuối cùng).")
@pass_state
@handle_errors
def report(state, period, pdf, scope, day):
    """Viết lại bảng tổng hợp Excel và báo cáo Word của kỳ chỉ từ sổ theo dõi (không đọc lại
    tệp đơn vị gửi về). Cùng một sổ theo dõi luôn cho cùng một nội dung.

    \b
    Ví dụ:
      baocao report -p 2022-Q3
      baocao report -p 2022-Q3 --pdf --ngay 19/9/2022
      baocao report -p 2022-Q3 --scope 080
    """
    from generator.render.outputs import rebuild
    from generator.render.wordreport import config_warnings

    workspace = state.workspace
    if day:  # this run's date, over [report] date (not written to baocao.toml)
        workspace.config.setdefault("report", {})["date"] = day
    try:
        paths = rebuild(workspace, current_plan(state), period, scope=scope, pdf=pdf)
    except PartialWrite as exc:
        if not state.as_json:
            for path in exc.written:
                console.print(f"  đã ghi {shown(path)}")
        raise
    if state.as_json:  # the JSON document only (its shape is a contract)
        state.emit_json({"period": period.id, "outputs": [str(p) for p in paths]})
        return
    for warning in config_warnings(workspace.section("report")):
        err_console.print(f"[bold yellow]Lưu ý:[/] {shown(warning)}", markup=True)
    for path in paths:
        console.print(f"  đã ghi {shown(path)}")
    console.print(f"Kỳ {period.label}: đã ghi {len(paths)} tệp kết quả.")

# ---- mail fetch, collect --fetch (issue 16) ----


def run_fetch(state, period, move_to=None, mark_read=False, keep_interrupted=False):
    """Fetch the returns from the [imap] mailbox; prints the summary unless --json. A lost
    connection is a usage error (exit 2), raised once what was saved has been printed
    (keep_interrupted: the caller reports it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from generator.intake.mailbox import fetch, summary_lines

    if state.as_json:
        result = fetch(state.workspace, period, move_to=move_to, mark_read=mark_read)
    else:
        columns = (TextColumn("Lấy thư"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            job = bar.add_task("", total=None)
            result = fetch(state.workspace, period, move_to=move_to, mark_read=mark_read,
                           progress=lambda done, total, *_: bar.update(job, completed=done,
                                                                       total=total))
        for line in summary_lines(result):
            console.print(visible(line), markup=False)
    if result.interrupted and not keep_interrupted:
        raise UsageError(result.interrupted)
    return result


@click.command("fetch", cls=Command, context_settings=CONTEXT)
@period_option(required=False,
               help_="Kỳ báo cáo: lưu vào input/KỲ/ các thư nhận từ ngày đầu kỳ. Mặc định: "
                     "đọc cả thư mục thư, mỗi thư lưu theo kỳ ghi trong biểu mẫu đính kèm.")
@click.option("--move-to", "move_to", metavar="THƯ_MỤC",
              help="Chuyển thư đã lưu sang thư mục này trong hộp thư (tạo nếu chưa có). "
                   "Mặc định: không chuyển, không xóa thư nào.")
@click.option("--mark-read", "mark_read", is_flag=True,
              help="Đánh dấu đã đọc các thư đã lưu. Mặc định: không đánh dấu.")
@pass_state
@handle_errors
def mail_fetch(state, period, move_to, mark_read):
    """Lấy báo cáo đơn vị gửi về từ hộp thư (máy chủ IMAP trong mục [imap] của baocao.toml,
    mật khẩu trong biến môi trường ghi ở password_env): mỗi thư có tệp bảng tính đính kèm
    (.xlsx, .xlsm, .xls, .ods) được lưu nguyên vẹn thành tệp .eml trong input/KỲ/ để
    'baocao collect' thu nhận. Thư đã lưu không bao giờ bị lưu lại (theo Message-ID và nội
    dung); thư lỗi được lưu riêng vào input/KỲ/_loi/; thư chưa rõ kỳ vào input/_chua-ro-ky/.
    In các thư đã lưu, bỏ qua (kèm lý do) và lỗi. Thoát với mã 1 nếu có thư lỗi, mã 2 nếu
    không kết nối, không đăng nhập được hoặc mất kết nối giữa chừng (chạy lại để lấy tiếp).

    \b
    Ví dụ:
      export BAOCAO_IMAP_PASSWORD='...'
      baocao mail fetch -p 2022-Q3
      baocao mail fetch -p 2022-Q3 --move-to "Đã lưu"
      baocao --json mail fetch -p 2022-Q3
      baocao collect -p 2022-Q3 --fetch
    """
    result = run_fetch(state, period, move_to=move_to, mark_read=mark_read,
                       keep_interrupted=state.as_json)
    if state.as_json:  # the partial result on stdout, the reason on stderr, exit 2
        state.emit_json(result.as_json())
        if result.interrupted:
            err_console.print(f"[bold red]Lỗi:[/] {shown(result.interrupted)}")
            click.get_current_context().exit(2)
    if result.failed:
        click.get_current_context().exit(1)


class MailCommand(Command):
    """`mail forms|remind|report` as before; `mail fetch ...` goes to mail_fetch."""

    def make_context(self, info_name, args, parent=None, **extra):
        if args and args[0] == "fetch":
            # A bare command for "mail": the usage line reads "baocao mail fetch", without LOẠI.
            mail_ctx = click.Context(Command(info_name), info_name=info_name, parent=parent)
            return mail_fetch.make_context("fetch", list(args[1:]), parent=mail_ctx, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)

# ---- ledger (issue 18) ----


@cli.group("ledger", context_settings=CONTEXT)
def ledger_group():
    """Sổ theo dõi (.baocao/ledger.sqlite) và kho lưu trữ các tệp đã nhận.

    \b
    Ví dụ:
      baocao ledger rebuild
    """


@ledger_group.command("rebuild", context_settings=CONTEXT)
@pass_state
@handle_errors
def ledger_rebuild(state):
    """Dựng lại sổ theo dõi từ kho lưu trữ (.baocao/archive/): đọc lại mọi tệp đã nhận cùng
    thông tin lưu kèm (tên tệp gốc, người gửi, ngày nhận, kỳ), ghi lại biên nhận, tình trạng
    và việc tệp sau thay tệp trước như khi thu nhận (tệp chờ xác nhận lại chờ xác nhận).
    Dùng khi sổ bị xóa, rỗng hoặc hỏng. Nếu sổ cũ còn đọc được, thư đã gửi, các lần xác nhận
    tệp chờ xác nhận và các lần chốt, mở lại kỳ được chép sang. Sổ cũ (nếu có) được giữ lại
    với tên ledger-cu-NGÀY-GIỜ.sqlite, không bị xóa.

    \b
    Ví dụ:
      baocao ledger rebuild
      baocao --json ledger rebuild
    """
    from generator.ledger.rebuild import rebuild as rebuild_ledger

    workspace = state.workspace
    workspace.require()
    result = rebuild_ledger(workspace, current_plan(state))
    if state.as_json:
        state.emit_json(result.as_json())
        return
    for period_id, count in result.periods.items():
        console.print(f"  kỳ {shown(period_id)}: {count} tệp")
    console.print(f"Đã dựng lại sổ theo dõi từ kho lưu trữ: {result.files} tệp.")
    if result.confirmations or result.closings:
        console.print(f"Giữ từ sổ cũ: {result.confirmations} lần xác nhận tệp chờ xác nhận, "
                      f"{result.closings} lần chốt hoặc mở lại kỳ.")
    if result.old_ledger is not None:
        console.print(f"Sổ cũ được giữ lại ở {shown(result.old_ledger)}.")
    if result.without_metadata:
        console.print(f"[yellow]{result.without_metadata} tệp trong kho lưu trữ không có "
                      "thông tin nhận kèm theo (lưu bởi phiên bản trước) nên không dựng lại "
                      "được; thu nhận lại các tệp đó bằng 'baocao collect'.[/]")

# ---- mail, demo (issue 7) ----


def _mail_kind(_ctx, _param, value):
    if value not in ("forms", "remind", "report"):
        raise click.BadParameter(f"'{value}' không phải một trong: forms, remind, report.")
    return value


@cli.command("mail", cls=MailCommand, context_settings=CONTEXT)
@click.argument("kind", metavar="LOẠI", callback=_mail_kind)
@period_option()
@units_option("Chỉ các đơn vị này (có thể lặp lại); mặc định: mọi đơn vị.")
@click.option("--send", "send_now", is_flag=True,
              help="Gửi qua máy chủ SMTP trong mục [email] của baocao.toml thay vì ghi thư nháp.")
@pass_state
@handle_errors
def mail_command(state, kind, period, units, send_now):
    """Thư điện tử của kỳ báo cáo. LOẠI: forms (gửi biểu mẫu cho từng đơn vị), remind (nhắc
    đơn vị chưa nộp, nộp trễ hoặc bị từ chối; gửi đơn vị có tệp còn lỗi các điểm cần sửa; kèm
    tệp phản hồi), report (gửi báo cáo Word, PDF
    và bảng tổng hợp tới UBND tỉnh, người nhận trong report_to của mục [email]); fetch (lấy
    báo cáo đơn vị gửi về từ hộp thư IMAP vào input/KỲ/, xem baocao mail fetch --help).

    Mặc định ghi thư nháp .eml vào output/KỲ/thu/ (mở bằng Thunderbird hoặc Outlook). Với
    --send, thư được gửi qua SMTP (mật khẩu lấy từ biến môi trường ghi trong password_env);
    thư đã gửi được ghi vào sổ theo dõi nên chạy lại không gửi trùng; thư lỗi được liệt kê,
    các thư khác vẫn gửi, lệnh thoát với mã 1.

    \b
    Ví dụ:
      baocao mail forms -p 2022-Q3
      baocao mail remind -p 2022-Q3 --send
      baocao mail report -p 2022-Q3
      baocao mail fetch -p 2022-Q3
    """
    from generator.mail import outgoing as mail

    result = mail.run(kind, state.workspace, current_plan(state), period, send_now=send_now,
                      units=list(units) or None)
    if state.as_json:
        state.emit_json(result.as_json())
    else:
        print_mail_result(result, state.workspace.mail_dir(period), send_now)
    if result.failed:
        click.get_current_context().exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("directory", default=None, required=False, metavar="[THƯ_MỤC]",
                type=click.Path(file_okay=False, path_type=Path))
@period_option(required=False,
               help_="Kỳ báo cáo mô phỏng (mặc định: quý III của năm kế hoạch, ví dụ 2022-Q3).")
@plan_option(" Thư mục mặc định: demo, hoặc demo-TÊN với kế hoạch khác.")
@click.option("--seed", default=2022, show_default=True, type=int, metavar="SỐ",
              help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu mô phỏng.")
@click.option("--periods", "periods", default="", metavar="KỲ,KỲ,…",
              help="Mô phỏng nhiều kỳ theo thứ tự, chốt từng kỳ trước kỳ sau; báo cáo kỳ "
                   "cuối so sánh với các kỳ đã chốt (ví dụ 2022-Q1,2022-H1,2022-Q3,2022).")
@pass_state
@handle_errors
def demo(state, directory, period, seed, plan_name, periods):
    """Chạy thử cả chu kỳ báo cáo trên kế hoạch đi kèm (mặc định Kế hoạch 239/KH-UBND năm
    2022), trong một thư mục mới (mặc định ./demo): tạo biểu mẫu, mô phỏng các đơn vị điền
    và gửi lại (phần lớn đúng hạn, một số trễ, thiếu, có lỗi, lưu dạng .xls, một huyện gửi
    bảng tổng hợp kèm các xã khi kế hoạch có cấp huyện), thu nhận, tổng hợp, viết bảng tổng
    hợp, báo cáo Word (và PDF nếu có LibreOffice), phiếu phản hồi và thư nháp. Không dùng
    mạng, không gửi thư.

    \b
    Ví dụ:
      baocao demo
      baocao demo thu-nghiem -p 2022-Q3 --seed 7
      baocao demo --plan lao-cai-2025
      baocao demo nhieu-ky --periods 2022-Q1,2022-H1,2022-Q3,2022
    """
    from generator.demo.run import run_demo, summary_lines
    from generator.plan.periods import parse_period

    several = [parse_period(p.strip()) for p in periods.split(",") if p.strip()]
    if several and period is not None:
        raise UsageError("Dùng -p cho một kỳ hoặc --periods cho nhiều kỳ, không dùng cả hai.")

    def progress(index, label):
        if not state.as_json:
            err_console.print(f"[{index + 1}/5] {label}…", markup=False)

    result = run_demo(directory, period, seed=seed, progress=progress, plan=plan_name,
                      periods=several)
    if state.as_json:
        state.emit_json(result.as_json())
        return
    for line in summary_lines(result):
        console.print(visible(line), markup=False)


# ---- serve (issue 17) ----


@cli.command(context_settings=CONTEXT)
@click.option("--port", default=8239, show_default=True, type=click.IntRange(0, 65535),
              metavar="CỔNG", help="Cổng của trang (0: một cổng còn trống bất kỳ).")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ĐỊA_CHỈ",
              help="Địa chỉ nhận kết nối. Mặc định chỉ máy này; chỉ đổi (ví dụ 0.0.0.0) khi "
                   "muốn máy khác trong mạng mở được trang.")
@click.option("--no-browser", "no_browser", is_flag=True,
              help="Không tự mở trình duyệt.")
@pass_state
@handle_errors
def serve(state, port, host, no_browser):
    """Mở trang làm việc của cán bộ trên trình duyệt (http://127.0.0.1:CỔNG/): kỳ báo cáo,
    tình hình nộp, nhận báo cáo (kéo thả tệp, lấy thư), kết quả, thư, kế hoạch. Trang dùng
    đúng các lệnh của baocao nên mọi việc làm trên trang, các lệnh đều thấy. Nhấn Ctrl+C để
    dừng.

    \b
    Ví dụ:
      baocao serve
      baocao -w lao-cai serve --port 8300 --no-browser
    """
    from generator.web.app import is_loopback
    from generator.web.app import serve as run_server

    root = state.workspace.require()
    if not is_loopback(host):
        err_console.print(f"[bold yellow]Lưu ý:[/] trang mở cho mọi máy kết nối được tới "
                          f"{shown(host)}:{port}, không chỉ máy này.")
    try:
        run_server(root, host, port, open_browser=not no_browser,
                   announce=lambda line: console.print(visible(line), markup=False))
    except OSError as exc:
        raise UsageError(f"Không mở được trang ở {host}:{port} ({exc.strerror or exc}). Cổng "
                         "có thể đang được chương trình khác dùng: chọn cổng khác, ví dụ "
                         f"--port {port + 1 if port else 8240}.") from None


def main(argv=None):
    sys.unraisablehook = log_unraisable
    try:
        # Without standalone mode click returns ctx.exit's code instead of exiting.
        code = cli.main(args=argv, prog_name="baocao", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        err_console.print(f"[bold red]Lỗi cách dùng:[/] {shown(exc.format_message())}")
        err_console.print("Xem hướng dẫn: baocao --help")
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort:
        err_console.print("Đã dừng.")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
