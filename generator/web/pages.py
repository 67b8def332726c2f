"""The pages: Kỳ báo cáo, Tình hình nộp, Nhận báo cáo, Kết quả, Thư, Kế hoạch, and the
progress of a running job. Each view reads the request, makes the library call the
matching command makes (directly, or through actions.py for what changes the
workspace) and renders a template; what it shows, it takes from the library's records
and the vocabulary (labels, colours), not from words of its own.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.parser
import email.policy
import os
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from generator import vocab
from generator.consolidate.build import from_ledger
from generator.errors import BaocaoError
from generator.intake import mailbox
from generator.intake.safety import human_size, limit_bytes
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.mail import outgoing
from generator.plan.periods import ACCEPTED_FORMS, parse_period
from generator.plan.workbook import LEVELS, check_plan
from generator.render import charts
from generator.text import fmt_int, fold
from generator.vocab import unit_file_name
from generator.web import actions, files
from generator.web.actions import HELD_KEY, MAIL_KINDS, Upload

bp = Blueprint("pages", __name__)


def _memo():
    return current_app.extensions["baocao"]["memo"]


def _jobs():
    return current_app.extensions["baocao"]["jobs"]


def _plan():
    return _memo().plan(g.workspace)


def _period(pid: str):
    period = parse_period(pid)
    session["ky"] = period.id  # the menu's period (a choice of the page, not of the workspace)
    return period


def _start(title: str, period, work, links=()):
    job = _jobs().start(title, period.id if period else None,
                        _then_warm(work, _memo(), g.workspace, period), links)
    return _go(url_for("pages.job", job_id=job.id))


def _then_warm(work, memo, workspace, period):
    """The job, then the period's submissions decoded for the status page the officer
    opens next (the job changed the ledger: decoding 181 returns is most of that page's
    time)."""
    def run(job):
        work(job)
        memo.submissions(workspace, period)
    return run


@bp.app_context_processor
def _common():
    workspace = g.get("workspace")  # None: baocao.toml itself could not be read
    plan = current = None
    if workspace is not None:
        # A plan with errors still lets every page say so (and Kế hoạch list them).
        with contextlib.suppress(BaocaoError):
            plan = _memo().plan(workspace)
        with contextlib.suppress(BaocaoError):
            pid = (request.view_args or {}).get("pid") or session.get("ky")
            # No period chosen yet: the menu opens on the latest one the workspace has.
            current = parse_period(pid) if pid else next(
                iter(actions.known_periods(workspace)), None)
    return {"plan": plan, "workspace": workspace, "current": current,
            "download": lambda path: _download_url(workspace, path)}


@bp.get("/mau.css")
def colours():
    """The vocabulary's colours as CSS classes (no inline styles: the page's CSP)."""
    css = render_template("colours.css", severities=vocab.SEVERITIES)
    return current_app.response_class(css, mimetype="text/css")


def _download_url(workspace, path) -> str | None:
    """The link to a file of output/ or input/, None when there is no such file. Each
    folder is listed once a request (a status page links 360 files); the download itself
    checks the path again (files.inside)."""
    path = Path(path)
    listings = g.setdefault("listings", {})
    if path.parent not in listings:
        listings[path.parent] = set(os.listdir(path.parent)) if path.parent.is_dir() else set()
    if path.name not in listings[path.parent]:
        return None
    try:
        rel = path.relative_to(workspace.root).as_posix()
    except ValueError:
        return None
    return url_for("pages.download", rel=rel) if rel.split("/")[0] in files.PUBLIC else None


# --------------------------------------------------------------------------- Kỳ báo cáo

@bp.get("/")
def home():
    return redirect(url_for("pages.periods"))


@bp.get("/ky")
def periods():
    workspace, plan = g.workspace, _plan()
    levels = _levels(plan)
    rows = []
    for period in actions.known_periods(workspace):
        forms_dir = workspace.forms_dir(period)
        rows.append({"period": period,
                     "deadlines": [(lv, period.deadline(lv, workspace.deadline_days))
                                   for lv in levels],
                     "forms": len(list(forms_dir.glob("*.xlsx"))) if forms_dir.is_dir() else 0,
                     "files": _count(workspace.input_dir(period))})
    return render_template("periods.html", rows=rows, accepted=ACCEPTED_FORMS)


def _count(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0


@bp.post("/ky")
def create_period():
    period = parse_period(request.form.get("ky", ""))
    actions.open_period(g.workspace, period)
    session["ky"] = period.id
    if request.form.get("bieu_mau"):
        return make_forms(period.id)
    flash(f"Đã tạo kỳ {period.label}: thư mục input/{period.id}/.")
    return redirect(url_for("pages.status_page", pid=period.id), 303)


@bp.post("/ky/<pid>/bieu-mau")
def make_forms(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    links = [("Tải tất cả biểu mẫu (.zip)", url_for("pages.forms_zip", pid=period.id)),
             ("Ghi, gửi thư kèm biểu mẫu", url_for("pages.mail", pid=period.id))]
    return _start(f"Tạo biểu mẫu kỳ {period.label}", period,
                  lambda job: actions.make_forms(job, workspace, plan, period), links)


@bp.get("/ky/<pid>/bieu-mau.zip")
def forms_zip(pid):
    period = _period(pid)
    return files.send_zip(g.workspace.root, g.workspace.forms_dir(period),
                          f"bieu-mau_{period.id}.zip")


# --------------------------------------------------------------------------- Tình hình nộp

@bp.get("/ky/<pid>/nop")
def status_page(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    report = status(workspace, plan, period, _memo().submissions(workspace, period))
    chosen = {"cap": request.args.get("cap", ""), "huyen": request.args.get("huyen", ""),
              "tinh_trang": request.args.get("tinh_trang", ""),
              "tim": request.args.get("tim", "").strip()}
    # The chips count the units the other filters leave; the state chip filters further.
    listed = [u for u in report.units if _shown(plan, u, chosen)]
    rows = [u for u in listed if chosen["tinh_trang"] in ("", u.state)]
    context = {"period": period, "report": report, "listed": listed, "rows": rows,
               "chosen": chosen, "levels": _levels(plan),
               "districts": [u for u in plan.units.values() if u.level == "huyen"],
               "counts": {s.key: sum(u.state == s.key for u in listed)
                          for s in vocab.SUBMISSION_STATES},
               "held_key": HELD_KEY,
               # Query strings of the chips: the other filters kept, empty ones left out.
               "args": {k: v for k, v in chosen.items() if v and k != "tinh_trang"},
               "names": {u.code: unit_file_name(plan.units[u.code], period) for u in rows},
               "forms": _folder_links(workspace, workspace.forms_dir(period)),
               "feedback": _folder_links(workspace, workspace.output_dir(period) /
                                         vocab.FEEDBACK_DIR)}
    template = "_status_rows.html" if request.headers.get("HX-Request") else "status.html"
    return render_template(template, **context)


def _folder_links(workspace, folder: Path) -> dict[str, str]:
    """{file name: download address} for a folder of output/: one listing and one url_for
    for 181 rows (the page's time budget); the download checks each path again."""
    if not folder.is_dir():
        return {}
    base = url_for("pages.download", rel=folder.relative_to(workspace.root).as_posix())
    return {name: f"{base}/{quote(name)}" for name in os.listdir(folder)}


def _levels(plan) -> list[str]:
    return [lv for lv in LEVELS if any(u.level == lv for u in plan.units.values())]


def _shown(plan, row, chosen) -> bool:
    """Whether a unit passes the level, district and name filters."""
    unit = plan.units[row.code]
    if chosen["cap"] and unit.level != chosen["cap"]:
        return False
    if chosen["huyen"] and chosen["huyen"] not in (unit.code, unit.parent):
        return False
    return not chosen["tim"] or fold(chosen["tim"]) in fold(f"{unit.code} {unit.name}")


@bp.post("/ky/<pid>/xac-nhan")
def confirm(pid):
    period = _period(pid)
    unit = request.form.get("don_vi", "")
    _plan().unit(unit)  # a code not in the plan is refused with the library's message
    actions.confirm_held(g.workspace, request.form.get("tep", ""), unit,
                         request.form.get("ly_do", ""))
    flash(f"Đã xác nhận tệp là báo cáo của đơn vị {unit}. Bấm \"Viết lại bảng tổng hợp và "
          "báo cáo\" ở trang Kết quả để đưa vào tổng hợp.")
    return redirect(url_for("pages.status_page", pid=period.id), 303)


@bp.get("/ky/<pid>/tep-nhan/<sha>")
def received(pid, sha):
    period = _period(pid)
    with Ledger(g.workspace) as ledger:
        receipt = ledger.receipt(period.id, sha)
        path = ledger.archived(receipt) if receipt else None
    if path is None:
        abort(404)
    return files.send(g.workspace.root, path, name=receipt.file_name)


# --------------------------------------------------------------------------- Nhận báo cáo

@bp.get("/ky/<pid>/nhan")
def intake(pid):
    period, workspace = _period(pid), g.workspace
    folder = workspace.input_dir(period)
    present = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                     key=lambda p: p.name) if folder.is_dir() else []
    return render_template("intake.html", period=period, present=present,
                           imap=bool(str(mailbox.settings(workspace).get("host") or "").strip()),
                           limit=human_size(limit_bytes(workspace)))


@bp.post("/ky/<pid>/nhan")
def upload(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    times = request.form.getlist("ngay_sua")
    uploads = [Upload(f.filename or "", f.stream, _seconds(times, index))
               for index, f in enumerate(request.files.getlist("tep")) if f.filename]
    saved = actions.save_uploads(workspace, period, uploads)
    for message in saved.refused:
        flash(message, "loi")
    if saved.ignored:
        flash("Bỏ qua tệp tạm của Office: " + ", ".join(saved.ignored) + ".")
    if saved.same:
        flash("Đã có sẵn trong thư mục (không lưu lại): " + ", ".join(saved.same) + ".")
    if not saved.saved:
        if not uploads:
            flash("Chưa chọn tệp nào.", "loi")
        return _go(url_for("pages.intake", pid=period.id))
    flash(f"Đã lưu {len(saved.saved)} tệp vào input/{period.id}/.")
    return _start(f"Thu nhận báo cáo kỳ {period.label}", period,
                  lambda job: actions.run_collect(job, workspace, plan, period))


def _go(url: str):
    """A redirect; for drop.js's upload (an XMLHttpRequest, which would follow a redirect
    itself and use up the page's messages), the address to go to."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return {"location": url}
    return redirect(url, 303)


def _seconds(values: list[str], index: int) -> float | None:
    """The browser's lastModified (milliseconds) of the index-th file, in seconds."""
    try:
        return int(values[index]) / 1000 or None
    except (IndexError, ValueError):
        return None


@bp.post("/ky/<pid>/thu-nhan")
def collect_folder(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    actions.open_period(workspace, period)
    return _start(f"Thu nhận báo cáo kỳ {period.label}", period,
                  lambda job: actions.run_collect(job, workspace, plan, period))


@bp.post("/ky/<pid>/lay-thu")
def fetch_mail(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    return _start(f"Lấy thư và thu nhận báo cáo kỳ {period.label}", period,
                  lambda job: actions.run_fetch(job, workspace, plan, period))


@bp.get("/viec/<job_id>")
def job(job_id):
    found = _jobs().get(job_id)
    if found is None:
        abort(404)
    template = "_job.html" if request.headers.get("HX-Request") else "job.html"
    return render_template(template, job=found)


# --------------------------------------------------------------------------- Kết quả

@bp.get("/ky/<pid>/ket-qua")
def results(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    with Ledger(workspace) as ledger:
        has_data = bool(ledger.receipts(period.id))
    figures = pictures = None
    if has_data:
        figures, pictures = _memo().get(
            ("results", str(workspace.root), period.id),
            (_memo().ledger_stamp(workspace), workspace.plan_path.stat().st_mtime_ns),
            lambda: _results(workspace, plan, period))
    report = workspace.report_path(period)
    outputs = [("Bảng tổng hợp (Excel)", workspace.workbook_path(period)),
               ("Báo cáo (Word)", report), ("Báo cáo (PDF)", report.with_suffix(".pdf"))]
    return render_template("results.html", period=period, figures=figures, charts=pictures,
                           outputs=outputs)


def _results(workspace, plan, period):
    """The consolidation's key figures, with the labels of the workbook's overview, and
    the report's charts as data: URIs."""
    cons = from_ledger(workspace, plan, period)
    key = cons.key
    units = [("Đơn vị phải báo cáo", key["units_expected"], "int"),
             ("Đã nộp báo cáo", key["units_received"], "int"),
             *[(s.label, key[f"units_{s.key}"], "int") for s in vocab.SUBMISSION_STATES
               if f"units_{s.key}" in key]]
    tasks = [("Nhiệm vụ theo dõi", key["tasks"], "int"),
             *[(s.value, key[f"tasks_{s.key}"], "int") for s in vocab.TASK_STATUSES],
             ("Nhiệm vụ quá hạn", key["tasks_overdue"], "int"),
             ("Tỷ lệ nhiệm vụ hoàn thành", key["share_done"], "pct")]
    figures = [("Nộp báo cáo", units), ("Thực hiện nhiệm vụ", tasks)]
    rates = cons.rates[cons.rates["level"] != ""] if not cons.rates.empty else cons.rates
    drawn = [("Tình hình thực hiện nhiệm vụ theo nội dung",
              charts.completion_by_dimension(cons.dimensions)),
             ("Tình hình gửi báo cáo theo cấp", charts.submission_by_level(rates)),
             (f"Điểm Chỉ số {plan.details.get('index_name') or 'PAPI'} theo nội dung",
              charts.scores_by_dimension(plan.scores, plan.dimensions,
                                         plan.details.get("index_name") or "PAPI"))]
    pictures = [(title, "data:image/png;base64," + base64.b64encode(png).decode("ascii"))
                for title, png in drawn if png]
    return figures, pictures


@bp.post("/ky/<pid>/bao-cao")
def rebuild(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    return _start(f"Viết lại bảng tổng hợp và báo cáo kỳ {period.label}", period,
                  lambda job: actions.run_report(job, workspace, plan, period))


@bp.post("/ky/<pid>/chot")
def close(pid):
    period = _period(pid)
    if not request.form.get("xac_nhan"):
        lines = [f"Chốt kỳ {period.label}: bảng tổng hợp, báo cáo Word và PDF hiện có được "
                 "giữ nguyên như đã ký. Tệp đơn vị gửi sau vẫn được nhận và lưu, nhưng không "
                 f"làm thay đổi các tệp này cho đến khi mở lại kỳ (baocao reopen -p "
                 f"{period.id} --ly-do …)."]
        return render_template("confirm.html", title=f"Chốt kỳ {period.label}", lines=lines,
                               action=url_for("pages.close", pid=period.id), fields={},
                               button="Chốt kỳ ngay", back=url_for("pages.results",
                                                                   pid=period.id))
    actions.close_period(g.workspace, period)
    flash(f"Đã chốt kỳ {period.label}.")
    return redirect(url_for("pages.results", pid=period.id), 303)


# --------------------------------------------------------------------------- Thư

@bp.get("/ky/<pid>/thu")
def mail(pid):
    period, workspace = _period(pid), g.workspace
    folder = workspace.mail_dir(period)
    drafts = {kind: [] for kind in MAIL_KINDS}
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        kind = next((k for k, p in outgoing.DRAFT_PREFIX.items()
                     if path.name.startswith(p + "_")), None)
        if kind is not None:
            drafts[kind].append((path, _headers(path)))
    smtp = bool(str(outgoing.settings(workspace).get("host") or "").strip())
    return render_template("mail.html", period=period, drafts=drafts, kinds=MAIL_KINDS,
                           smtp=smtp)


def _headers(path: Path):
    with open(path, "rb") as stream:
        return email.parser.BytesHeaderParser(policy=email.policy.default).parse(stream)


@bp.post("/ky/<pid>/thu")
def mail_run(pid):
    period, workspace, plan = _period(pid), g.workspace, _plan()
    kind, send = request.form.get("loai", ""), bool(request.form.get("gui"))
    if kind not in MAIL_KINDS:
        abort(400)
    if send and not request.form.get("xac_nhan"):
        return _confirm_sending(workspace, plan, period, kind)
    verb = "Gửi" if send else "Ghi nháp"
    return _start(f"{verb} {MAIL_KINDS[kind]} kỳ {period.label}", period,
                  lambda job: actions.run_mail(job, workspace, plan, period, kind, send))


def _confirm_sending(workspace, plan, period, kind: str):
    """Nothing leaves the office on one click: what would be sent, then a second click."""
    batch = outgoing.BUILDERS[kind](workspace, plan, period)
    host = outgoing.settings(workspace).get("host")
    lines = [f"Gửi {fmt_int(len(batch.messages))} {MAIL_KINDS[kind]} kỳ {period.label} qua "
             f"máy chủ thư {host}, mỗi thư như thư nháp cùng tên ở trang Thư. Thư đã gửi "
             "trước đây không gửi lại."]
    if batch.no_email:
        lines.append("Đơn vị chưa có địa chỉ thư điện tử (không gửi được): "
                     + ", ".join(batch.no_email) + ".")
    return render_template("confirm.html", title=f"Gửi {MAIL_KINDS[kind]}", lines=lines,
                           action=url_for("pages.mail_run", pid=period.id),
                           fields={"loai": kind, "gui": "1"}, button="Gửi ngay",
                           back=url_for("pages.mail", pid=period.id))


@bp.get("/ky/<pid>/thu/<name>")
def mail_view(pid, name):
    period = _period(pid)
    path = files.inside(g.workspace.root, g.workspace.mail_dir(period) / name, files.PUBLIC)
    if path is None or path.suffix != ".eml":
        abort(404)
    with open(path, "rb") as stream:
        message = email.message_from_binary_file(stream, policy=email.policy.default)
    body = message.get_body(("plain",))
    return render_template("mail_view.html", period=period, path=path, message=message,
                           body=body.get_content() if body else "",
                           attachments=[a.get_filename() for a in message.iter_attachments()])


# --------------------------------------------------------------------------- Kế hoạch

@bp.get("/ke-hoach")
def plan_page():
    path = g.workspace.plan_path
    loaded, found = check_plan(path)
    return render_template("plan.html", loaded=loaded, found=found, path=path,
                           severity=vocab.SEVERITY_BY_KEY)


# --------------------------------------------------------------------------- downloads

@bp.get("/tai/<path:rel>")
def download(rel):
    path = Path(rel)
    return files.send(g.workspace.root, path, files.PUBLIC, inline=path.suffix == ".pdf")
