"""`baocao serve`: the officer's page, a Flask application over the library calls the
commands make, for one workspace, on 127.0.0.1 unless told otherwise.

Safety: every POST carries the session's CSRF token (checked with hmac.compare_digest);
the session cookie is SameSite=Strict; only the Host names the server was started on are
answered (a page elsewhere cannot reach it through DNS rebinding); files are served only
from inside the workspace (web/files.py); errors are Vietnamese pages, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import ipaddress
import secrets
import socket
import tempfile
import threading
import traceback
import webbrowser
from pathlib import Path

from flask import Flask, Response, current_app, g, render_template, request, session
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.serving import WSGIRequestHandler, make_server

from generator import vocab
from generator.errors import BaocaoError
from generator.plan.workbook import LEVEL_LABELS
from generator.text import fmt_date, fmt_int, fmt_pct
from generator.web import pages
from generator.web.jobs import LOG_NAME, Jobs
from generator.web.memo import Memo
from generator.workspace import find_workspace

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    403: "Không được phép.",
    404: "Không có trang hoặc tệp này trong không gian làm việc.",
    405: "Trang này không nhận yêu cầu kiểu này.",
    413: "Tệp gửi lên quá lớn.",
}
HOST_REFUSED = "Trang chỉ trả lời theo địa chỉ đã mở nó (http://127.0.0.1:…)."
CSRF_REFUSED = ("Biểu mẫu bị từ chối vì thiếu mã bảo vệ (CSRF) hoặc mã đã hết hạn. Tải lại "
                "trang rồi làm lại.")


def create_app(root: Path, hosts=("127.0.0.1", "localhost")) -> Flask:
    """The application for the workspace at `root` (checked now: a wrong folder is a usage
    error before anything starts). hosts: the Host names answered; None: any (a server
    the officer chose to open to the network)."""
    workspace = find_workspace(explicit=Path(root))
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # sessions last as long as the server runs
        SESSION_COOKIE_SAMESITE="Strict",
        TRUSTED_HOSTS=list(hosts) if hosts is not None else None,
        # One request may carry a whole folder of returns; each file has its own limit.
        MAX_CONTENT_LENGTH=None,
        BAOCAO_ROOT=workspace.root,
    )
    memo = Memo()
    with contextlib.suppress(BaocaoError):  # read now, not on the first page (Kế hoạch
        memo.plan(workspace)                # shows a plan with errors)
    app.extensions["baocao"] = {"jobs": Jobs(), "memo": memo}
    app.jinja_env.globals.update(csrf_token=csrf_token, states=vocab.SUBMISSION_STATES,
                                 state_by_key=vocab.STATE_BY_KEY, level_labels=LEVEL_LABELS,
                                 CSRF_FIELD=CSRF_FIELD, CSRF_HEADER=CSRF_HEADER)
    app.jinja_env.filters.update(
        date=fmt_date, int=fmt_int, pct=fmt_pct,
        when=lambda moment: moment.strftime("%d/%m/%Y %H:%M"),
        when_ts=lambda seconds: dt.datetime.fromtimestamp(seconds).strftime("%d/%m/%Y %H:%M"))
    app.before_request(_before)
    app.after_request(_headers)
    app.register_error_handler(Exception, _error)
    app.register_blueprint(pages.bp)
    for name in app.jinja_env.list_templates():  # compiled now, not on the first page
        app.jinja_env.get_template(name)
    return app


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _before():
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception  # a Host this server does not answer for
    # Read again for each request: an edit of baocao.toml applies without a restart.
    g.workspace = find_workspace(explicit=current_app.config["BAOCAO_ROOT"])
    if request.method == "POST":
        sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
        held = session.get("csrf", "")
        if not held or not hmac.compare_digest(held.encode(), sent.encode()):
            return render_template("error.html", message=CSRF_REFUSED), 400
    return None


def _headers(response):
    if response.mimetype == "text/html":
        # Scripts and styles only from the page's static folder; charts are data: images.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _error(exc):
    if isinstance(exc, SecurityError):  # no page: URLs cannot be built for a foreign Host
        return Response(HOST_REFUSED, 400, mimetype="text/plain; charset=utf-8")
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        message = MESSAGES.get(code, exc.description or "")
        return render_template("error.html", message=message), code
    if isinstance(exc, BaocaoError):
        return render_template("error.html", message=str(exc)), 400
    log = Path(tempfile.gettempdir()) / LOG_NAME
    log.write_text(traceback.format_exc(), encoding="utf-8")
    message = f"Lỗi nội bộ. Chi tiết đã ghi vào {log}; gửi tệp này cho nhóm phát triển."
    return render_template("error.html", message=message), 500


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make(root: Path, host: str = "127.0.0.1", port: int = 0):
    """A server for the page, bound now (a port in use is an OSError, not werkzeug's
    English message and exit); serve_forever() runs it, shutdown() stops it; .port is the
    port bound (port 0: a free one)."""
    app = create_app(root, ("127.0.0.1", "localhost") if is_loopback(host) else None)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family) as listener:
        return make_server(host, port, app, threaded=True, request_handler=_QuietHandler,
                           fd=listener.fileno())  # werkzeug keeps its own copy


class _QuietHandler(WSGIRequestHandler):
    """No line on the console for each request (the officer's window stays readable);
    errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


def serve(root: Path, host: str = "127.0.0.1", port: int = 0,
          open_browser: bool = True, announce=print) -> None:
    """Run until interrupted (Ctrl+C)."""
    server = make(root, host, port)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{server.port}/"
    announce(f"Trang làm việc của baocao: {url} (không gian làm việc {root}). "
             "Nhấn Ctrl+C để dừng.")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        announce("Đã dừng.")
    finally:
        server.server_close()
