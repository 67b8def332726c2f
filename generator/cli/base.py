"""What every command shares: the consoles, the global state (workspace, --json, --debug),
the options declared once, and the mapping of library errors to exit codes.

Library code raises BaocaoError subclasses with Vietnamese messages; this layer prints them
and maps them to exit codes (0 done, 1 input errors, 2 usage, 3 internal), never a traceback
unless --debug.
"""

from __future__ import annotations

import functools
import json
import tempfile
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from generator.errors import BaocaoError
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.workspace import SHIPPED_PLANS, find_workspace

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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


def current_plan(state):
    """The plan of the current workspace (or the embedded default)."""
    return load_plan(state.workspace.plan_path)


def _period(_ctx, _param, value):
    try:
        return parse_period(value) if value is not None else None
    except BaocaoError as exc:  # a usage error (exit 2), not a traceback
        raise click.BadParameter(str(exc)) from None


def period_option(default: str | None = None, help_: str | None = None,
                  required: bool = True):
    """-p/--period: required, or with a default (the demo's), or optional."""
    # No default=None for a required option: click would take None as a given value.
    extra = {"default": default, "show_default": True} if default else \
        {"required": True} if required else {}
    return click.option("-p", "--period", "period", metavar="KỲ", callback=_period,
                        help=help_ or "Kỳ báo cáo: 2022-07, 2022-Q3, 2022-H1, 2022-9M, 2022.",
                        **extra)


def _plan_name(_ctx, _param, value):
    if value is not None and value not in SHIPPED_PLANS:
        raise click.BadParameter(f"không có kế hoạch đi kèm tên '{value}'; chọn một trong: "
                                 f"{', '.join(SHIPPED_PLANS)}.")
    return value


def plan_option(help_extra: str = ""):
    """--plan: one of the plans shipped with the tool."""
    return click.option(
        "--plan", "plan_name", default=None, metavar="TÊN", callback=_plan_name,
        help="Kế hoạch đi kèm: lao-cai-2022 (mặc định, Kế hoạch 239/KH-UBND, ba cấp) hoặc "
             "lao-cai-2025 (tỉnh Lào Cai sau sắp xếp, hai cấp, 99 xã, phường)." + help_extra)


def units_option(help_: str = "Chỉ các đơn vị có mã này (lặp lại cho nhiều đơn vị)."):
    return click.option("-u", "--unit", "units", multiple=True, metavar="MÃ", help=help_)


def scope_option(help_: str):
    return click.option("--scope", "scope", metavar="MÃ_HUYỆN", help=help_)


def pdf_option(help_: str = "Có/không tạo bản PDF của báo cáo Word (mặc định: có khi máy có "
                            "LibreOffice)."):
    return click.option("--pdf/--no-pdf", "pdf", default=None, help=help_)


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
