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
    scope_option,
    shown,
    units_option,
    visible,
)
from generator.cli.present import print_findings, print_mail_result
from generator.errors import PartialWrite
from generator.plan.workbook import check_plan
from generator.text import fmt_date
from generator.vocab import ON_TIME, STATE_BY_KEY, SUBMISSION_STATES
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
@pass_state
@handle_errors
def init(state, directory):
    """Tạo không gian làm việc mới: baocao.toml, input/ke-hoach.xlsx (kế hoạch mặc định),
    templates/, output/ và khóa ký biểu mẫu.

    \b
    Ví dụ:
      baocao init lao-cai
    """
    created = init_workspace(directory)
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
    theo dõi: in từng lỗi, lưu ý (tệp, trang tính, ô) và kết quả từng tệp.

    Nguồn có thể là thư mục, tệp Excel (.xlsx, .xlsm, .xls), hoặc thư đã lưu (.eml).
    Thoát với mã 1 nếu có tệp bị từ chối (không phải biểu mẫu dùng được), 0 nếu không.

    \b
    Ví dụ:
      baocao check -p 2022-Q3
      baocao check -p 2022-Q3 thu-da-luu/ STP_so-tu-phap_2022-Q3.xlsx
      baocao --json check -p 2022-Q3
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
            verdict = "[green]Được nhận[/]" if item.accepted else "[red]Bị từ chối[/]"
            table.add_row(shown(item.file), shown(item.unit or ""), verdict, str(item.errors),
                          str(item.warnings))
        if result.files:
            console.print(table)
        console.print(f"Kỳ {period.label}: {len(result.files)} tệp, "
                      f"{len(result.files) - len(result.rejected)} được nhận, "
                      f"{len(result.rejected)} bị từ chối.")
    if result.rejected:
        click.get_current_context().exit(1)

# ---- collect, status (issue 4) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@scope_option("Chỉ tổng hợp một huyện và các xã trực thuộc (Phòng Nội vụ cấp huyện); bảng "
              "tổng hợp TongHop_KỲ_MÃ.xlsx là báo cáo của huyện gửi tỉnh.")
@pdf_option()
@pass_state
@handle_errors
def collect(state, period, sources, scope, pdf):
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
    """
    from generator.collect import collect as run_collect
    from generator.consolidate.frames import scope_units

    plan_ = current_plan(state)
    if scope:
        scope_units(plan_, scope)  # a wrong code stops before anything is recorded
    try:
        result = run_collect(state.workspace, plan_, period, sources or None, scope=scope,
                             pdf=pdf)
    except PartialWrite as exc:  # what was written is said, then what could not be
        if exc.result is not None and not state.as_json:
            _print_collected(period, exc.result)
        raise
    if state.as_json:
        state.emit_json(result.as_json())
        return
    _print_collected(period, result)


def _print_collected(period, result) -> None:
    errors = [f for r in result.rejected for f in r.findings if f.severity == F.ERROR]
    print_findings(errors + [f for item in result.refused for f in item.findings])
    refused = f", {len(result.refused)} mục không phải tệp" if result.refused else ""
    console.print(f"Kỳ {period.label}: {len(result.receipts)} tệp ({result.new} tệp mới), "
                  f"{len(result.accepted)} hợp lệ, {len(result.rejected)} bị từ chối{refused}.")
    if result.feedback:
        console.print(f"Tệp phản hồi cho {len(result.feedback)} đơn vị: "
                      f"{shown(result.feedback[0].parent)}")
    for path in result.outputs:
        console.print(f"  đã ghi {shown(path)}")


@cli.command(context_settings=CONTEXT)
@period_option()
@click.option("--all", "show_all", is_flag=True, help="Liệt kê cả các đơn vị nộp đúng hạn.")
@pass_state
@handle_errors
def status(state, period, show_all):
    """Tình hình nộp báo cáo của kỳ: đơn vị phải báo cáo, đúng hạn, trễ hạn, chưa nộp,
    bị từ chối (theo sổ theo dõi và hạn nộp của từng cấp).

    \b
    Ví dụ:
      baocao status -p 2022-Q3
      baocao --json status -p 2022-Q3
    """
    from generator.ledger.status import status as unit_status


    plan_ = current_plan(state)
    report = unit_status(state.workspace, plan_, period)
    if state.as_json:
        state.emit_json(report.as_json())
        return
    order = [s.key for s in SUBMISSION_STATES]
    rows = sorted((u for u in report.units if show_all or u.state != ON_TIME.key),
                  key=lambda u: order.index(u.state), reverse=True)
    table = Table(header_style="bold")
    for label in ("Mã", "Đơn vị", "Hạn nộp", "Ngày nhận", "Tình trạng"):
        table.add_column(label, overflow="fold")
    for u in rows:
        received = fmt_date(u.receipt.received_at.date()) if u.receipt else ""
        table.add_row(shown(u.code), shown(plan_.units[u.code].name), fmt_date(u.deadline),
                      received, STATE_BY_KEY[u.state].label)
    if rows:
        console.print(table)
    counts = ", ".join(f"{len(report.codes(s.key))} {s.label.lower()}" for s in SUBMISSION_STATES)
    console.print(f"Kỳ {period.label}: {len(report.expected)} đơn vị phải báo cáo: {counts}.")


# ---- report (issues 5, 6) ----


@cli.command(context_settings=CONTEXT)
@period_option()
@pdf_option()
@scope_option("Chỉ tổng hợp một huyện và các xã trực thuộc; ghi TongHop_KỲ_MÃ.xlsx.")
@pass_state
@handle_errors
def report(state, period, pdf, scope):
    """Viết lại bảng tổng hợp Excel và báo cáo Word của kỳ chỉ từ sổ theo dõi (không đọc lại
    tệp đơn vị gửi về). Cùng một sổ theo dõi luôn cho cùng một nội dung.

    \b
    Ví dụ:
      baocao report -p 2022-Q3
      baocao report -p 2022-Q3 --pdf
      baocao report -p 2022-Q3 --scope 080
    """
    from generator.render.outputs import rebuild

    try:
        paths = rebuild(state.workspace, current_plan(state), period, scope=scope, pdf=pdf)
    except PartialWrite as exc:
        if not state.as_json:
            for path in exc.written:
                console.print(f"  đã ghi {shown(path)}")
        raise
    if state.as_json:
        state.emit_json({"period": period.id, "outputs": [str(p) for p in paths]})
        return
    for path in paths:
        console.print(f"  đã ghi {shown(path)}")
    console.print(f"Kỳ {period.label}: đã ghi {len(paths)} tệp kết quả.")


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
    và việc tệp sau thay tệp trước như khi thu nhận. Dùng khi sổ bị xóa, rỗng hoặc hỏng.
    Sổ cũ (nếu có) được giữ lại với tên ledger-cu-NGÀY-GIỜ.sqlite, không bị xóa.

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


@cli.command("mail", context_settings=CONTEXT)
@click.argument("kind", metavar="LOẠI", callback=_mail_kind)
@period_option()
@units_option("Chỉ các đơn vị này (có thể lặp lại); mặc định: mọi đơn vị.")
@click.option("--send", "send_now", is_flag=True,
              help="Gửi qua máy chủ SMTP trong mục [email] của baocao.toml thay vì ghi thư nháp.")
@pass_state
@handle_errors
def mail_command(state, kind, period, units, send_now):
    """Thư điện tử của kỳ báo cáo. LOẠI: forms (gửi biểu mẫu cho từng đơn vị), remind (nhắc
    đơn vị chưa nộp, nộp trễ hoặc bị từ chối, kèm tệp phản hồi), report (gửi báo cáo Word, PDF
    và bảng tổng hợp tới UBND tỉnh, người nhận trong report_to của mục [email]).

    Mặc định ghi thư nháp .eml vào output/KỲ/thu/ (mở bằng Thunderbird hoặc Outlook). Với
    --send, thư được gửi qua SMTP (mật khẩu lấy từ biến môi trường ghi trong password_env);
    thư đã gửi được ghi vào sổ theo dõi nên chạy lại không gửi trùng; thư lỗi được liệt kê,
    các thư khác vẫn gửi, lệnh thoát với mã 1.

    \b
    Ví dụ:
      baocao mail forms -p 2022-Q3
      baocao mail remind -p 2022-Q3 --send
      baocao mail report -p 2022-Q3
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
@click.argument("directory", default="demo", metavar="[THƯ_MỤC]",
                type=click.Path(file_okay=False, path_type=Path))
@period_option(default="2022-Q3", help_="Kỳ báo cáo mô phỏng.")
@click.option("--seed", default=2022, show_default=True, type=int, metavar="SỐ",
              help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu mô phỏng.")
@pass_state
@handle_errors
def demo(state, directory, period, seed):
    """Chạy thử cả chu kỳ báo cáo trên kế hoạch mặc định, trong một thư mục mới (mặc định
    ./demo): tạo biểu mẫu, mô phỏng khoảng 180 đơn vị điền và gửi lại (phần lớn đúng hạn,
    một số trễ, thiếu, có lỗi, lưu dạng .xls, một huyện gửi bảng tổng hợp kèm các xã), thu
    nhận, tổng hợp, viết bảng tổng hợp, báo cáo Word (và PDF nếu có LibreOffice), phiếu phản
    hồi và thư nháp. Không dùng mạng, không gửi thư.

    \b
    Ví dụ:
      baocao demo
      baocao demo thu-nghiem -p 2022-Q3 --seed 7
    """
    from generator.demo.run import run_demo, summary_lines

    def progress(index, label):
        if not state.as_json:
            err_console.print(f"[{index + 1}/5] {label}…", markup=False)

    result = run_demo(directory, period, seed=seed, progress=progress)
    if state.as_json:
        state.emit_json(result.as_json())
        return
    for line in summary_lines(result):
        console.print(visible(line), markup=False)


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
