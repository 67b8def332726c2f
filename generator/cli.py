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
from rich.table import Table

from . import __version__
from . import findings as F
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
            err_console.print(f"[bold red]Lỗi:[/] {exc}", markup=True)
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
        table.add_row(level, f.code, Path(f.file).name, where, f.message)
    console.print(table)


def current_plan(state):
    """The plan of the current workspace (or the embedded default)."""
    return load_plan(state.workspace.plan_path)


# ---- forms (issue 3) ----

# ---- check (issue 4) ----

# ---- collect, status (issue 4) ----


@cli.command(context_settings=CONTEXT)
@period_option
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@pass_state
@handle_errors
def collect(state, period, sources):
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
    """
    from .collect import collect as run_collect

    result = run_collect(state.workspace, current_plan(state), period, sources or None)
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

# ---- mail, demo (issue 7) ----


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
