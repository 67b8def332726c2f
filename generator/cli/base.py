"""What every command shares: the consoles, the global state (workspace, --json, --debug),
the options declared once, and the mapping of library errors to exit codes.

Library code raises BaocaoError subclasses with Vietnamese messages; this layer prints them
and maps them to exit codes (0 done, 1 input errors, 2 usage, 3 internal), never a traceback
unless --debug. A file that cannot be written (locked, read-only, disk full) or a damaged
ledger is a usage error naming it, wherever it surfaces.

Text from units and file names may hold control characters (a status cell holding
"_x001B_[2J" decodes to ESC [2J: clear screen): everything printed goes through shown()
or visible(), which print them escaped. Library warnings, and anything a dying object
reports on its way out, go to the log (with --debug), never the terminal.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
import sys
import tempfile
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from generator.errors import BaocaoError, UsageError, write_error
from generator.ledger.store import REBUILD_HINT
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.workspace import SHIPPED_PLANS, find_workspace

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
CRASH_LOG = "baocao-loi.log"
DEBUG_LOG = "baocao-debug.log"
log = logging.getLogger("baocao")

# C0 and C1 controls (newline and tab aside), and the bidirectional overrides that reorder
# what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(value) -> str:
    """The text with its control characters written out (ESC as \\x1b): shown, not obeyed."""
    return _CONTROL.sub(lambda m: _escape_char(m.group()), str(value))


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value) -> str:
    """visible(), and safe inside rich markup ('[email]' stays literal)."""
    return escape(visible(value))


_LOG_HANDLER: logging.Handler | None = None


def configure_logging(debug: bool) -> Path | None:
    """Warnings of libraries (openpyxl, pypdf) and the workers' output go to a log file
    with --debug and nowhere otherwise: never to the terminal. The log's path, if any."""
    global _LOG_HANDLER
    root = logging.getLogger()
    if _LOG_HANDLER is not None:  # an earlier command in this process (tests, the demo)
        root.removeHandler(_LOG_HANDLER)
        _LOG_HANDLER.close()
    logging.captureWarnings(True)
    path = None
    if debug:
        try:
            path = Path(tempfile.gettempdir()) / DEBUG_LOG
            _LOG_HANDLER = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            path, _LOG_HANDLER = None, logging.NullHandler()
        _LOG_HANDLER.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG)
    else:
        # A handler on the root keeps logging's last resort (stderr) from printing them.
        _LOG_HANDLER = logging.NullHandler()
        root.setLevel(logging.WARNING)
    root.addHandler(_LOG_HANDLER)
    return path


def log_unraisable(hook_args) -> None:
    """sys.unraisablehook: an exception in a destructor (a ZipFile left open by a write
    the disk cut short) is logged, not printed as 'Exception ignored in ...'."""
    log.debug("Exception ignored in %r", hook_args.object,
              exc_info=(hook_args.exc_type, hook_args.exc_value, hook_args.exc_traceback))


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
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if state and state.debug:
                raise
            known = exc if isinstance(exc, BaocaoError) else known_failure(exc)
            if known is None:
                report_crash(traceback.format_exc())
                ctx.exit(3)
            # shown: a message may hold "[email]", a unit's text, a file's name.
            err_console.print(f"[bold red]Lỗi:[/] {shown(known)}", markup=True)
            ctx.exit(known.exit_code)

    return wrapper


def known_failure(exc: Exception) -> BaocaoError | None:
    """A failure with a known cause outside the program: a file that cannot be written
    (locked, read-only, disk full), a damaged ledger. None for a bug."""
    if isinstance(exc, sqlite3.DatabaseError):
        return _LedgerFailure(exc)
    return write_error(exc, getattr(exc, "filename", None) or "")


class _LedgerFailure(UsageError):
    """An SQLite failure the ledger did not map itself (a damaged page met mid-run)."""

    def __init__(self, exc):
        if "full" in str(exc):
            text = "Không ghi được sổ theo dõi: ổ đĩa đã đầy. Giải phóng chỗ trống rồi chạy lại."
        else:
            text = f"Sổ theo dõi (.baocao/ledger.sqlite) bị lỗi: {exc}. {REBUILD_HINT}"
        super().__init__(text)


def report_crash(text: str) -> None:
    """The traceback to the crash log; to stderr when the log cannot be written."""
    try:
        path = Path(tempfile.gettempdir()) / CRASH_LOG
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        err_console.print(f"[bold red]Lỗi nội bộ.[/] Không ghi được nhật ký lỗi "
                          f"({shown(exc.strerror or exc)}); chi tiết dưới đây, gửi cho nhóm "
                          "phát triển:", markup=True)
        sys.stderr.write(visible(text))
        return
    err_console.print(f"[bold red]Lỗi nội bộ.[/] Chi tiết đã ghi vào {shown(path)}; "
                      "gửi tệp này cho nhóm phát triển, hoặc chạy lại với --debug.")
