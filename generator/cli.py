"""The `baocao` command: a thin click layer over the library functions.

Library code raises BaocaoError subclasses with Vietnamese messages; this layer
prints them and maps them to exit codes (0 done, 1 input errors, 2 usage, 3 internal).
"""

from __future__ import annotations

import functools
import json
import re
import sys
import tempfile
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from . import findings as F
from .default_plan import SHIPPED_PLANS
from .errors import BaocaoError
from .periods import parse_period
from .plan import check_plan, load_plan
from .workspace import find_workspace, init_workspace

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# Click's own words, in Vietnamese (headings and the commonest usage errors).
_HEADINGS = {"Options": "Tùy chọn", "Commands": "Lệnh", "Arguments": "Tham số"}
_CLICK_ERRORS = [
    (r"No such option:? '?([^'\s]+)'?\.?", r"Không có tùy chọn '\1'."),
    (r"No such command '([^']+)'\.?", r"Không có lệnh '\1'."),
    (r"Missing option '([^']+)'\.?", r"Thiếu tùy chọn bắt buộc '\1'."),
    (r"Missing argument '([^']+)'\.?", r"Thiếu tham số '\1'."),
    (r"Option '([^']+)' requires an argument\.", r"Tùy chọn '\1' cần một giá trị."),
    (r"Got unexpected extra arguments? \((.+)\)", r"Thừa tham số: \1"),
    (r"Invalid value for ('[^']+'(?: / '[^']+')?): ", r"Giá trị không hợp lệ cho \1: "),
    (r"Path '([^']+)' does not exist\.", r"đường dẫn '\1' không tồn tại."),
]


class VietnameseFormatter(click.HelpFormatter):
    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, args, prefix="Cách dùng: " if prefix is None else prefix)

    def section(self, name):
        return super().section(_HEADINGS.get(name, name))

    def write_dl(self, rows, *args, **kwargs):
        # click appends "[required]" / "[default: x]" to option help in English.
        rows = [(term, text.replace("[required]", "[bắt buộc]").replace("default: ", "mặc định: "))
                for term, text in rows]
        super().write_dl(rows, *args, **kwargs)


click.Context.formatter_class = VietnameseFormatter


class _VietnameseHelp:
    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Hiện hướng dẫn này rồi thoát."
        return option


class Command(_VietnameseHelp, click.Command):
    pass


class Group(_VietnameseHelp, click.Group):
    command_class = Command
    group_class = type  # subgroups are Groups too

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _translate_click(message: str) -> str:
    for pattern, repl in _CLICK_ERRORS:
        message = re.sub(pattern, repl, message)
    return message


class State:
    def __init__(self, workspace_dir, as_json, debug):
        self.workspace_dir, self.as_json, self.debug = workspace_dir, as_json, debug
        self._workspace = None

    @property
    def workspace(self):
        if self._workspace is None:
            self._workspace = find_workspace(explicit=self.workspace_dir)
        return self._workspace

    def emit_json(self, document) -> None:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


pass_state = click.make_pass_decorator(State)


def period_option(func):
    def convert(_ctx, _param, value):
        try:
            return parse_period(value) if value is not None else None
        except BaocaoError as exc:  # a usage error (exit 2), not a traceback
            raise click.BadParameter(str(exc)) from None

    return click.option("-p", "--period", "period", required=True, metavar="KỲ",
                        callback=convert,
                        help="Kỳ báo cáo: 2022-07, 2022-Q3, 2022-H1, 2022-9M, 2022.")(func)


def handle_errors(func):
    """Turn library errors into a message and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        state = ctx.find_object(State)
        try:
            return func(*args, **kwargs)
        except BaocaoError as exc:
            if state and state.debug:
                raise
            # escape: a message may hold "[email]" or a unit's text, not rich markup.
            err_console.print(f"[bold red]Lỗi:[/] {escape(str(exc))}", markup=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:
            if state and state.debug:
                raise
            log = Path(tempfile.gettempdir()) / "baocao-loi.log"
            log.write_text(traceback.format_exc(), encoding="utf-8")
            err_console.print(f"[bold red]Lỗi nội bộ.[/] Chi tiết đã ghi vào {log}; "
                              "gửi tệp này cho nhóm phát triển, hoặc chạy lại với --debug.")
            ctx.exit(3)

    return wrapper


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


def _plan_name(_ctx, _param, value):
    if value is not None and value not in SHIPPED_PLANS:
        raise click.BadParameter(f"không có kế hoạch đi kèm tên '{value}'; chọn một trong: "
                                 f"{', '.join(SHIPPED_PLANS)}.")
    return value


PLAN_HELP = ("Kế hoạch đi kèm: lao-cai-2022 (mặc định, Kế hoạch 239/KH-UBND, ba cấp) hoặc "
             "lao-cai-2025 (tỉnh Lào Cai sau sắp xếp, hai cấp, 99 xã, phường).")


@cli.command(context_settings=CONTEXT)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--plan", "plan_name", default=None, metavar="TÊN", callback=_plan_name,
              help=PLAN_HELP)
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
        console.print(f"  đã tạo {path}")
    console.print(f"Không gian làm việc: {Path(directory).resolve()} "
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
            console.print(f"Kế hoạch {loaded.number} hợp lệ: {len(loaded.dimensions)} nội dung, "
                          f"{len(loaded.tasks)} nhiệm vụ, {len(loaded.units)} đơn vị, "
                          f"{len(loaded.indicators)} chỉ tiêu ({len(found)} lưu ý).")
        else:
            console.print(f"Kế hoạch {path.name} có {len(errors)} lỗi.")
    if errors:
        click.get_current_context().exit(1)


def print_findings(found) -> None:
    if not found:
        return
    table = Table(show_lines=False, header_style="bold")
    for label in ("Mức", "Mã", "Tệp", "Vị trí", "Nội dung"):
        table.add_column(label, overflow="fold")
    for f in found:
        level = "[red]Lỗi[/]" if f.severity == F.ERROR else "[yellow]Lưu ý[/]"
        where = f"{f.sheet}!{f.cell}" if f.cell else f.sheet
        table.add_row(level, f.code, escape(Path(f.file).name), escape(where), escape(f.message))
    console.print(table)


def current_plan(state):
    """The plan of the current workspace (or the embedded default)."""
    return load_plan(state.workspace.plan_path)


# ---- forms (issue 3) ----


@cli.command(context_settings=CONTEXT)
@period_option
@click.option("-u", "--unit", "units", multiple=True, metavar="MÃ",
              help="Chỉ tạo biểu mẫu cho đơn vị có mã này (lặp lại cho nhiều đơn vị).")
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

    from .forms import write_forms

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
    folder = (workspace.output_dir(period) / "bieu-mau").relative_to(workspace.root)
    console.print(f"Đã ghi {len(written)} biểu mẫu kỳ {period.label} vào "
                  f"{folder.as_posix()}/")


# ---- check (issue 4) ----


@cli.command(context_settings=CONTEXT)
@period_option
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
    from .intake import check_files

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
            table.add_row(item.file, item.unit or "", verdict, str(item.errors),
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
@period_option
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--scope", "scope", metavar="MÃ_HUYỆN",
              help="Chỉ tổng hợp một huyện và các xã trực thuộc (Phòng Nội vụ cấp huyện); bảng "
                   "tổng hợp TongHop_KỲ_MÃ.xlsx là báo cáo của huyện gửi tỉnh.")
@click.option("--pdf/--no-pdf", "pdf", default=None,
              help="Có/không tạo bản PDF của báo cáo Word (mặc định: có khi máy có LibreOffice).")
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
    from .collect import collect as run_collect
    from .consolidate import scope_units

    plan_ = current_plan(state)
    if scope:
        scope_units(plan_, scope)  # a wrong code stops before anything is recorded
    result = run_collect(state.workspace, plan_, period, sources or None, scope=scope, pdf=pdf)
    if state.as_json:
        state.emit_json(result.as_json())
        return
    errors = [f for r in result.rejected for f in r.findings if f.severity == F.ERROR]
    print_findings(errors)
    console.print(f"Kỳ {period.label}: {len(result.receipts)} tệp ({result.new} tệp mới), "
                  f"{len(result.accepted)} hợp lệ, {len(result.rejected)} bị từ chối.")
    if result.feedback:
        console.print(f"Tệp phản hồi cho {len(result.feedback)} đơn vị: "
                      f"{result.feedback[0].parent}")
    for path in result.outputs:
        console.print(f"  đã ghi {path}")


@cli.command(context_settings=CONTEXT)
@period_option
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
    from .collect import ON_TIME, STATE_LABELS
    from .collect import status as unit_status
    from .text import fmt_date

    plan_ = current_plan(state)
    report = unit_status(state.workspace, plan_, period)
    if state.as_json:
        state.emit_json(report.as_json())
        return
    order = list(STATE_LABELS)
    rows = sorted((u for u in report.units if show_all or u.state != ON_TIME),
                  key=lambda u: order.index(u.state), reverse=True)
    table = Table(header_style="bold")
    for label in ("Mã", "Đơn vị", "Hạn nộp", "Ngày nhận", "Tình trạng"):
        table.add_column(label, overflow="fold")
    for u in rows:
        received = fmt_date(u.receipt.received_at.date()) if u.receipt else ""
        table.add_row(u.code, plan_.units[u.code].name, fmt_date(u.deadline), received,
                      STATE_LABELS[u.state])
    if rows:
        console.print(table)
    counts = ", ".join(f"{len(report.codes(s))} {STATE_LABELS[s].lower()}" for s in order)
    console.print(f"Kỳ {period.label}: {len(report.expected)} đơn vị phải báo cáo: {counts}.")


# ---- report (issues 5, 6) ----


@cli.command(context_settings=CONTEXT)
@period_option
@click.option("--pdf/--no-pdf", "pdf", default=None,
              help="Xuất (hoặc không xuất) thêm báo cáo PDF; mặc định: xuất khi máy có "
                   "LibreOffice.")
@click.option("--scope", "scope", metavar="MÃ_HUYỆN",
              help="Chỉ tổng hợp một huyện và các xã trực thuộc; ghi TongHop_KỲ_MÃ.xlsx.")
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
    from .outputs import rebuild

    paths = rebuild(state.workspace, current_plan(state), period, scope=scope, pdf=pdf)
    if state.as_json:
        state.emit_json({"period": period.id, "outputs": [str(p) for p in paths]})
        return
    for path in paths:
        console.print(f"  đã ghi {path}")
    console.print(f"Kỳ {period.label}: đã ghi {len(paths)} tệp kết quả.")

# ---- mail, demo (issue 7) ----


def _mail_kind(_ctx, _param, value):
    if value not in ("forms", "remind", "report"):
        raise click.BadParameter(f"'{value}' không phải một trong: forms, remind, report.")
    return value


@cli.command("mail", context_settings=CONTEXT)
@click.argument("kind", metavar="LOẠI", callback=_mail_kind)
@period_option
@click.option("-u", "--unit", "units", multiple=True, metavar="MÃ",
              help="Chỉ các đơn vị này (có thể lặp lại); mặc định: mọi đơn vị.")
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
    from . import mail

    result = mail.run(kind, state.workspace, current_plan(state), period, send_now=send_now,
                      units=list(units) or None)
    if state.as_json:
        state.emit_json(result.as_json())
    else:
        print_mail_result(result, state.workspace.output_dir(period) / mail.MAIL_DIR, send_now)
    if result.failed:
        click.get_current_context().exit(1)


def print_mail_result(result, folder, send_now) -> None:
    if not send_now:
        console.print(f"Đã ghi {len(result.drafts)} thư nháp (.eml) vào {folder}.")
    else:
        console.print(f"Đã gửi {len(result.sent)} thư; {len(result.skipped)} thư đã gửi "
                      "trước đây nên không gửi lại.")
    if result.failed:
        console.print(f"[red]Không gửi được {len(result.failed)} thư:[/]")
        for item, reason in result.failed:
            console.print(f"  {item.unit or ', '.join(item.recipients)}: {reason}",
                          markup=False)
    if result.no_email:
        console.print("Đơn vị chưa có địa chỉ thư điện tử trong kế hoạch (trang DonVi): "
                      f"{', '.join(result.no_email)}.")


def _demo_period(_ctx, _param, value):
    if value is None:
        return None
    try:
        return parse_period(value)
    except BaocaoError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command(context_settings=CONTEXT)
@click.argument("directory", default=None, required=False, metavar="[THƯ_MỤC]",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("-p", "--period", "period", default=None, metavar="KỲ", callback=_demo_period,
              help="Kỳ báo cáo mô phỏng (mặc định: quý III của năm kế hoạch, ví dụ 2022-Q3).")
@click.option("--plan", "plan_name", default=None, metavar="TÊN", callback=_plan_name,
              help=PLAN_HELP + " Thư mục mặc định: demo, hoặc demo-TÊN với kế hoạch khác.")
@click.option("--seed", default=2022, show_default=True, type=int, metavar="SỐ",
              help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu mô phỏng.")
@pass_state
@handle_errors
def demo(state, directory, period, seed, plan_name):
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
    """
    from .demo import run_demo, summary_lines

    def progress(index, label):
        if not state.as_json:
            err_console.print(f"[{index + 1}/5] {label}…", markup=False)

    result = run_demo(directory, period, seed=seed, progress=progress, plan=plan_name)
    if state.as_json:
        state.emit_json(result.as_json())
        return
    for line in summary_lines(result):
        console.print(line, markup=False)


def main(argv=None):
    try:
        # Without standalone mode click returns ctx.exit's code instead of exiting.
        code = cli.main(args=argv, prog_name="baocao", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        err_console.print(f"[bold red]Lỗi cách dùng:[/] {_translate_click(exc.format_message())}")
        err_console.print("Xem hướng dẫn: baocao --help")
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort:
        err_console.print("Đã dừng.")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
