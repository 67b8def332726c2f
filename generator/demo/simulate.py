"""Simulated returns: fill the units' forms the way ~180 officers would (for the demo).

Everything is decided from a seed, per unit, in the parent process (`plan_return`),
then applied to each unit's form with openpyxl in a 2-process pool (`apply_return`),
so the same seed gives the same files in any order of work. Most units fill their
form completely and on time; some are late (file time after the deadline), some never
send, a few make mistakes (missing status, done without date, negative number), a few
send a file the province must reject (last quarter's form, content pasted into a new
workbook), and a few save as .xls with LibreOffice when it is installed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import multiprocessing
import os
import random
import re
import shutil
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from generator import office
from generator.cells import SERIAL_EPOCH, find_header
from generator.collect import collect
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.plan.workbook import ROLE_LEAD
from generator.vocab import (
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    unit_file_name,
)
from generator.workspace import find_workspace, init_workspace

VN_TZ = dt.timezone(dt.timedelta(hours=7))

# Kinds of return a unit makes.
ON_TIME, LATE, MISSING, CONTENT_ERROR, REJECTED, XLS = (
    "on_time", "late", "missing", "content_error", "rejected", "xls")
DISTRICT, AFTER_DISTRICT = "district", "after_district"
KIND_LABELS = {ON_TIME: "đúng hạn", LATE: "trễ hạn", MISSING: "không gửi",
               CONTENT_ERROR: "có lỗi nội dung", REJECTED: "tệp bị từ chối",
               XLS: "lưu dạng .xls", DISTRICT: "gửi bảng tổng hợp của huyện (kèm các xã)",
               AFTER_DISTRICT: "gửi huyện sau khi huyện đã báo cáo"}
# Shares of the units (the rest are on time and clean).
SHARES = {MISSING: 0.05, LATE: 0.08, CONTENT_ERROR: 0.03, REJECTED: 0.012, XLS: 0.017}
ERROR_KINDS = ("missing_status", "done_without_date", "negative_indicator")

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Lò", "Giàng", "Sùng",
          "Vàng", "Lù", "Hầu", "Ma", "Tẩn", "Lý", "Đặng", "Phan", "Nông")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Thanh", "Quang", "A", "Seo", "Thị Thu", "Ngọc")
GIVEN = ("Hoa", "Sáng", "Dung", "Hùng", "Lan", "Chứ", "Mai", "Pử", "Tuấn", "Hà", "Dín", "Hương",
         "Phong", "Sử", "Thảo", "Quyết", "Nhung", "Chung", "Khoa", "Vân")
DIFFICULTIES = (
    "Kinh phí bố trí cho nhiệm vụ còn hạn chế.",
    "Địa bàn rộng, giao thông đi lại khó khăn, nhất là vào mùa mưa.",
    "Một bộ phận người dân chưa quen sử dụng dịch vụ công trực tuyến.",
    "Cán bộ kiêm nhiệm nhiều việc, chưa được tập huấn chuyên sâu.",
    "Đường truyền mạng ở một số thôn, bản chưa ổn định.",
    "Tài liệu tuyên truyền bằng tiếng dân tộc còn ít.",
)
PROPOSALS = (
    "Đề nghị Sở Nội vụ tổ chức tập huấn về Chỉ số PAPI cho cán bộ cấp xã.",
    "Đề nghị bố trí kinh phí in tài liệu tuyên truyền song ngữ.",
    "Đề nghị hướng dẫn thống nhất cách tính các chỉ tiêu tỷ lệ.",
    "Đề nghị hỗ trợ thiết bị cho bộ phận một cửa.",
)
RESULT_DONE = (
    "Đã hoàn thành việc {task}; ban hành {docs} văn bản chỉ đạo, hướng dẫn.",
    "Đã triển khai xong: {task}; tổ chức {meetings} hội nghị với {people} lượt người tham dự.",
    "Hoàn thành {task}; kết quả được tổng hợp, báo cáo cấp trên đúng quy định.",
)
RESULT_ONGOING = (
    "Đang triển khai {task}; đến nay đạt khoảng {pct}% khối lượng công việc.",
    "Tiếp tục thực hiện {task}; đã tổ chức {meetings} buổi tuyên truyền ở thôn, bản.",
    "Đang thực hiện {task}; dự kiến hoàn thành trong kỳ tới.",
)
NOT_STARTED_REASONS = (
    "Chưa được bố trí kinh phí thực hiện.",
    "Đang chờ hướng dẫn của cơ quan cấp trên.",
    "Nhiệm vụ có thời hạn thực hiện vào cuối năm.",
)
# Plausible ranges by indicator unit of measure, for a commune; larger levels scale up.
RANGES = {"văn bản": (0, 6), "hội nghị": (0, 8), "lượt người": (20, 600), "tin, bài": (0, 15),
          "cuộc": (0, 6), "hồ sơ": (5, 400), "người": (2, 60), "thôn, tổ": (3, 20),
          "hộ": (20, 800), "phiếu": (10, 300), "lần": (0, 6), "thủ tục": (20, 150),
          "thư": (0, 10), "trường": (1, 8), "ý kiến": (0, 30), "đơn": (0, 20),
          "vụ, việc": (0, 10), "vụ việc": (0, 10), "trường hợp": (0, 20), "vụ": (0, 5),
          "vấn đề": (0, 10), "phương án": (0, 3), "lớp": (0, 4), "triệu đồng": (10, 500),
          "thẻ": (50, 1500), "cơ sở": (0, 10), "tấn": (0, 50), "mô hình": (0, 3)}
LEVEL_SCALE = {"xa": 1, "huyen": 4, "tinh": 8}


@dataclass
class UnitReturn:
    """What the simulation did for one unit."""

    code: str
    kind: str  # one of KIND_LABELS
    path: Path | None = None
    received_at: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)  # ERROR_KINDS made in the file
    via: str = ""  # the district the file went to, when not straight to the province


@dataclass
class Simulation:
    period: str
    folder: Path
    returns: list[UnitReturn]

    def codes(self, kind: str) -> list[str]:
        return [r.code for r in self.returns if r.kind == kind]

    @property
    def files(self) -> list[Path]:
        """The files the province receives."""
        return [r.path for r in self.returns
                if r.path is not None and (not r.via or r.kind == DISTRICT)]


# --------------------------------------------------------------------------- deciding

def _rng(seed: int, *parts) -> random.Random:
    text = "|".join(str(p) for p in (seed, *parts))
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def assign_kinds(codes: list[str], seed: int, xls: bool = True) -> dict[str, str]:
    """Each unit's kind of return; shares of SHARES, at least one of each when there are
    enough units (.xls only when LibreOffice can write it)."""
    order = sorted(codes, key=lambda c: _rng(seed, "kind", c).random())
    kinds: dict[str, str] = {}
    start = 0
    for kind, share in SHARES.items():
        if kind == XLS and not xls:
            continue
        count = max(1, round(share * len(codes))) if len(codes) >= 20 else 0
        for code in order[start:start + count]:
            kinds[code] = kind
        start += count
    return {code: kinds.get(code, ON_TIME) for code in codes}


def received_time(rng: random.Random, deadline: dt.date, kind: str,
                  cutoff_end: dt.date) -> dt.datetime:
    if kind == LATE:
        day = deadline + dt.timedelta(days=rng.randint(1, 7))
    else:
        day = deadline - dt.timedelta(days=rng.randint(0, 6))
        day = max(day, cutoff_end - dt.timedelta(days=10))
    return dt.datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59),
                       tzinfo=VN_TZ)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _task_phrase(text: str, limit: int = 90) -> str:
    """The task's text as a clause: first sentence, lower-case start, shortened at a comma
    (an officer writes a whole clause, never a word cut with "…")."""
    first = text.split(";")[0].split(". ")[0].strip().rstrip(".")
    if len(first) > limit and ", " in first[:limit]:
        first = first[:limit].rsplit(", ", 1)[0]
    return first[:1].lower() + first[1:]


def _status(rng: random.Random, role: str) -> str:
    weights = (50, 36, 7, 7) if role == ROLE_LEAD else (42, 42, 8, 8)
    return rng.choices((STATUS_DONE, STATUS_ONGOING, STATUS_NOT_STARTED, STATUS_NA),
                       weights)[0]


def plan_return(plan, unit, period, seed: int, kind: str, deadline: dt.date) -> dict:
    """The values one unit writes into its form (a picklable dict)."""
    rng = _rng(seed, "return", unit.code, period.id)
    received = received_time(rng, deadline, kind, period.cutoff_end)
    tasks = {}
    first_day = max(period.cutoff_start, plan.date)
    last_day = min(period.cutoff_end, received.date())
    for task, role in plan.tasks_for(unit.code):
        status = _status(rng, role)
        phrase = _task_phrase(task.text)
        done_on, result, difficulty = None, "", ""
        if status == STATUS_DONE:
            done_on = first_day + dt.timedelta(days=rng.randint(0, (last_day - first_day).days))
            result = rng.choice(RESULT_DONE).format(
                task=phrase, docs=rng.randint(1, 4), meetings=rng.randint(1, 6),
                people=rng.randint(3, 40) * 10)
        elif status == STATUS_ONGOING:
            result = rng.choice(RESULT_ONGOING).format(
                task=phrase, pct=rng.randint(4, 9) * 10, meetings=rng.randint(1, 12))
        elif status == STATUS_NOT_STARTED:
            difficulty = rng.choice(NOT_STARTED_REASONS)
        else:
            result = "Trong kỳ không phát sinh."
        if status in (STATUS_DONE, STATUS_ONGOING) and rng.random() < 0.12:
            difficulty = rng.choice(DIFFICULTIES)
        tasks[task.tt] = {"status": status, "completed_on": done_on, "result": result,
                          "difficulty": difficulty}
    values = indicator_values(plan, unit, rng)
    errors = []
    if kind == CONTENT_ERROR:
        errors = [rng.choice(ERROR_KINDS)]
        _make_error(errors[0], tasks, values, rng)
    fields = {
        "difficulties": rng.choice(DIFFICULTIES) if rng.random() < 0.5 else "Không.",
        "proposals": rng.choice(PROPOSALS) if rng.random() < 0.4 else "Không.",
        "preparer": _person(rng),
        "phone": f"09{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "prepared_on": received.date(),
        "head": _person(rng),
    }
    return {"tasks": tasks, "indicators": values, "fields": fields, "errors": errors,
            "received_at": received}


def indicator_values(plan, unit, rng: random.Random) -> dict[str, float]:
    """A value for every input indicator of the unit; a ratio's numerator ≤ denominator."""
    scale = LEVEL_SCALE.get(unit.level, 1)
    own = plan.indicators_for(unit.code)
    parts = {c for i in own if i.agg == "ratio" for c in (i.num, i.den)}
    wanted = [i for i in own if i.agg != "ratio"] + [
        plan.indicator(c) for c in sorted(parts) if plan.indicator(c) is not None]
    values: dict[str, float] = {}
    for item in wanted:
        low, high = RANGES.get(item.unit.strip().lower(), (0, 20))
        values[item.code] = float(rng.randint(low * scale, high * scale))
    for item in own:
        if item.agg == "ratio" and item.num in values and item.den in values:
            den = max(values[item.den], float(rng.randint(5, 40) * scale))
            values[item.den] = den
            values[item.num] = float(round(den * rng.uniform(0.55, 1.0)))
    return values


def _make_error(kind: str, tasks: dict, values: dict, rng: random.Random) -> None:
    if kind == "negative_indicator" and values:
        values[rng.choice(sorted(values))] = -float(rng.randint(1, 9))
        return
    tt = rng.choice(sorted(tasks))
    if kind == "missing_status" or not tasks:
        tasks[tt]["status"] = ""
        tasks[tt]["result"] = tasks[tt]["result"] or "Đang tổng hợp kết quả."
    else:
        tasks[tt].update(status=STATUS_DONE, completed_on=None,
                         result=tasks[tt]["result"] or "Đã hoàn thành.")


# --------------------------------------------------------------------------- writing

def apply_return(form: Path, target: Path, values: dict, drop_identity: bool = False) -> Path:
    """Write `values` into a copy of the unit's form (rows found by TT and code)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return fill_xlsx(form, target, values, drop_identity=drop_identity)


# Filling by editing the sheet XML the form writer produced: 50 times faster than an
# openpyxl load and save, which keeps the demo well under a minute and lets the
# benchmark make 10.000 returns. Only the input cells change; everything else is copied.
_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_SI = re.compile(r"<si>(.*?)</si>", re.S)
_T = re.compile(r"<t[^>]*>(.*?)</t>", re.S)
_SHEET = re.compile(r"<sheet [^>]*?/>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_REL = re.compile(r"<Relationship [^>]*?/>")


def _sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> zip member of its XML."""
    rels = {}
    for tag in _REL.findall(files["xl/_rels/workbook.xml.rels"].decode("utf-8")):
        attrs = dict(_ATTR.findall(tag))
        rels[attrs["Id"]] = "xl/" + attrs["Target"].lstrip("/").removeprefix("xl/")
    out = {}
    for tag in _SHEET.findall(files["xl/workbook.xml"].decode("utf-8")):
        attrs = dict(_ATTR.findall(tag))
        out[html.unescape(attrs["name"])] = rels[attrs["r:id"]]
    return out


def _texts(xml: str, strings: list[str]) -> dict[tuple[str, int], str]:
    """(column, row) -> text of every string cell of a sheet."""
    out = {}
    for col, row, attrs, inner in _CELL.findall(xml):
        if inner and 't="s"' in attrs:
            value = re.search(r"<v>(\d+)</v>", inner)
            if value:
                out[(col, int(row))] = strings[int(value.group(1))].strip()
        elif inner and "inlineStr" in attrs:
            out[(col, int(row))] = html.unescape("".join(_T.findall(inner))).strip()
    return out


def _cell_xml(col: str, row: int, attrs: str, value) -> str:
    style = re.search(r' s="\d+"', attrs)
    head = f'<c r="{col}{row}"{style.group(0) if style else ""}'
    if value is None or value == "":
        return head + "/>"
    if isinstance(value, dt.date):
        return f"{head}><v>{(value - SERIAL_EPOCH).days}</v></c>"
    if isinstance(value, (int, float)):
        number = int(value) if float(value).is_integer() else value
        return f"{head}><v>{number}</v></c>"
    text = escape(str(value))
    return f'{head} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _put(xml: str, targets: dict[tuple[str, int], object]) -> str:
    done = set()

    def replace(match):
        key = (match.group(1), int(match.group(2)))
        if key not in targets:
            return match.group(0)
        done.add(key)
        return _cell_xml(key[0], key[1], match.group(3), targets[key])

    out = _CELL.sub(replace, xml)
    if len(done) != len(targets):
        raise ValueError(f"cells not in the form: {sorted(set(targets) - done)[:5]}")
    return out


def _columns(texts, labels: dict[str, str], need) -> tuple[int, dict[str, str]]:
    """(header row, {field: column letter}) of a sheet given as {(column, row): text},
    found by the same header finder intake uses."""
    grid: dict[int, dict[int, str]] = {}
    for (col, row), text in texts.items():
        grid.setdefault(row, {})[xl_cell_to_rowcol(f"{col}1")[1]] = text
    width = 1 + max((c for cells in grid.values() for c in cells), default=0)
    rows = [[grid.get(r, {}).get(c, "") for c in range(width)] for r in range(1, 41)]
    head, cols = find_header(rows, labels, need)
    if head is None:
        raise ValueError(f"no header row with {list(labels.values())}")
    return head + 1, {key: xl_col_to_name(c) for key, c in cols.items()}


def _next_col(col: str) -> str:
    return xl_col_to_name(xl_cell_to_rowcol(f"{col}1")[1] + 1)


def _report_targets(texts, values: dict) -> dict:
    head, at = _columns(texts, formspec.REPORT_COLUMNS, ("tt", "status", "completed_on", "result"))
    targets = {}
    by_label = {label: key for key, label in formspec.UNIT_FIELDS.items()}
    for (col, row), text in texts.items():
        if row <= head:
            continue
        if col == at["tt"] and text in values["tasks"]:
            item = values["tasks"][text]
            for key in ("status", "completed_on", "result", "difficulty"):
                if key in at:
                    targets[(at[key], row)] = item[key]
        elif text.rstrip(":") in by_label:
            targets[(_next_col(col), row)] = values["fields"].get(by_label[text.rstrip(":")])
    return targets


def _indicator_targets(texts, values: dict) -> dict:
    head, at = _columns(texts, formspec.INDICATOR_COLUMNS, ("code", "value"))
    return {(at["value"], row): values["indicators"][text]
            for (col, row), text in texts.items()
            if row > head and col == at["code"] and text in values["indicators"]}


def _identity_targets(texts, identity: dict) -> dict:
    return {(_next_col(col), row): identity[text] for (col, row), text in texts.items()
            if col == "A" and text in identity}


class FormParts:
    """A blank form's zip members, read once, to fill many returns from (the demo, bench/).

    Filling patches the sheets' XML in place (cell values only), so a filled return keeps
    every style, validation and the signed identity sheet of the form it came from."""

    def __init__(self, form: Path):
        with zipfile.ZipFile(form) as source:
            self.infos = source.infolist()
            self.files = {info.filename: source.read(info) for info in self.infos}
        shared = self.files.get("xl/sharedStrings.xml", b"").decode("utf-8")
        self.strings = [html.unescape("".join(_T.findall(si))) for si in _SI.findall(shared)]
        self.sheets = _sheet_parts(self.files)  # sheet name -> zip member

    def filled(self, values: dict | None = None, identity: dict | None = None) -> dict[str, str]:
        """{member: XML} of the report and indicator sheets with `values` written in (the
        shape plan_return gives), and of the identity sheet with `identity`'s fields."""
        jobs = []
        if values is not None:
            jobs.append((formspec.SHEET_REPORT, lambda texts: _report_targets(texts, values)))
            if values.get("indicators") and formspec.SHEET_INDICATORS in self.sheets:
                jobs.append((formspec.SHEET_INDICATORS,
                             lambda texts: _indicator_targets(texts, values)))
        if identity:
            jobs.append((formspec.SHEET_IDENTITY,
                         lambda texts: _identity_targets(texts, identity)))
        out = {}
        for sheet, targets in jobs:
            member = self.sheets[sheet]
            xml = self.files[member].decode("utf-8")
            out[member] = _put(xml, targets(_texts(xml, self.strings)))
        return out

    def write(self, target: Path, members: dict, drop_identity: bool = False,
              compresslevel: int | None = None) -> Path:
        """The form's package with `members` replaced; the same entries, order and dates
        (reproducible bytes)."""
        files = {**self.files, **{m: x.encode("utf-8") if isinstance(x, str) else x
                                  for m, x in members.items()}}
        if drop_identity:
            _drop_sheet(files, self.sheets, formspec.SHEET_IDENTITY)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.infos:
                if info.filename in files:
                    out.writestr(info, files[info.filename], compress_type=zipfile.ZIP_DEFLATED,
                                 compresslevel=compresslevel)
        return target


def fill_xlsx(form: Path, target: Path, values: dict, identity: dict | None = None,
              drop_identity: bool = False) -> Path:
    """A copy of the form with the values (and, for synthetic units, another identity;
    with drop_identity, no identity sheet: content pasted into a new workbook)."""
    parts = FormParts(form)
    return parts.write(target, parts.filled(values, identity), drop_identity)


def _drop_sheet(files: dict[str, bytes], parts: dict[str, str], name: str) -> None:
    """Remove a sheet from the package: its part, relationship, content type, entry."""
    member = parts[name]
    target = member.removeprefix("xl/")
    del files[member]

    def edit(part: str, pattern: str) -> None:
        files[part] = re.sub(pattern, "", files[part].decode("utf-8")).encode("utf-8")

    edit("xl/workbook.xml", rf'<sheet name="{re.escape(escape(name))}"[^>]*/>')
    edit("xl/_rels/workbook.xml.rels", rf'<Relationship [^>]*Target="/?(?:xl/)?'
                                       rf'{re.escape(target)}"[^>]*/>')
    edit("[Content_Types].xml", rf'<Override PartName="/{re.escape(member)}"[^>]*/>')


def _apply(job):
    form, target, values, drop_identity = job
    return apply_return(form, target, values, drop_identity)


def _stamp(path: Path, moment: dt.datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


# --------------------------------------------------------------------------- the whole set

def fill_returns(workspace, plan, period, folder: Path, seed: int = 2022, workers: int = 2,
                 units=None, progress=None, district: bool = True) -> Simulation:
    """Fill the forms in output/<period>/bieu-mau/ as the units would and put the files
    they send into `folder` (file time = when the unit sent it).

    With `district`, the smallest district collects its communes' files itself (in a
    workspace of its own under .baocao/mo-phong/) and sends the province one
    consolidated return, TongHop_<period>_<district>.xlsx, instead of separate files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = forms.reporting_units(plan, units)
    if any(not workspace.form_path(period, u).is_file() for u in chosen):
        forms.write_forms(workspace, plan, period, units=[u.code for u in chosen])
    kinds = assign_kinds([u.code for u in chosen], seed, xls=office.soffice_path() is not None)
    hub = _hub(plan, chosen) if district else None
    hub_ws = _district_workspace(workspace, hub) if hub else None
    if hub:
        kinds[hub] = ON_TIME  # the district itself reports (its own form goes in its file)
    returns, jobs = [], []
    for unit in chosen:
        kind = kinds[unit.code]
        via = hub if hub and hub in (unit.code, unit.parent) else ""
        if via and kind == XLS:
            kind = ON_TIME  # the district reads its communes' files before they are converted
        if kind == MISSING:
            returns.append(UnitReturn(unit.code, kind, via=via))
            continue
        values = plan_return(plan, unit, period, seed, kind,
                             period.deadline(unit.level, workspace.deadline_days))
        form = workspace.form_path(period, unit)
        if kind == REJECTED and len([r for r in returns if r.kind == REJECTED]) % 2 == 0:
            form = _old_form(workspace, plan, period, unit, folder)
        where = hub_ws.input_dir(period) if via else folder
        target = where / unit_file_name(unit, period)
        returns.append(UnitReturn(unit.code, kind, target, values["received_at"],
                                  values["errors"], via))
        jobs.append((form, target, values,
                     kind == REJECTED and form == workspace.form_path(period, unit)))
    old = [item for item in returns if item.kind == XLS]
    first = {item.path for item in old}
    _run_jobs([job for job in jobs if job[1] in first], 1, None)
    # LibreOffice takes seconds to start: its conversions run while the rest is filled.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        converted = [pool.submit(_as_xls, item.path) for item in old]
        _run_jobs([job for job in jobs if job[1] not in first], workers, progress)
        for item in returns:
            if item.path is not None and item.kind != XLS:
                _stamp(item.path, item.received_at)
        shutil.rmtree(folder / ".cu", ignore_errors=True)
        if hub:
            _district_return(hub_ws, plan, period, hub, returns, folder, seed)
        for item, future in zip(old, converted, strict=True):
            item.path = future.result()
            _stamp(item.path, item.received_at)
    return Simulation(period.id, folder, returns)


def _hub(plan, chosen) -> str | None:
    """The district that sends one consolidated return: the one with fewest communes."""
    codes = {u.code for u in chosen}
    districts = [u for u in chosen if any(c.code in codes for c in plan.children(u.code))]
    if not districts:
        return None
    return min(districts, key=lambda u: (len(plan.children(u.code)), u.code)).code


def _district_workspace(workspace, code: str):
    """The district's own workspace: the same plan and signing key as the province."""
    root = workspace.state_dir / "mo-phong" / f"huyen-{code}"
    if root.exists():
        shutil.rmtree(root)  # a fresh district run every time: same seed, same files
    init_workspace(root)
    shutil.copyfile(workspace.plan_path, root / "input" / "ke-hoach.xlsx")
    (root / ".baocao" / "secret.key").write_text(workspace.secret_key().hex())
    district = find_workspace(explicit=root)
    return district


def _district_return(district, plan, period, code: str, returns, folder: Path,
                     seed: int) -> None:
    """The district collects what reached it before it reports (`collect --scope`), then
    sends its consolidated workbook (signed as its own return) to the province."""
    rng = _rng(seed, "district", code, period.id)
    deadline = period.deadline("huyen", district.deadline_days)
    sent = dt.datetime(deadline.year, deadline.month, deadline.day, 8, 0,
                       tzinfo=VN_TZ) - dt.timedelta(days=rng.randint(1, 3))
    mine = [r for r in returns if r.via == code and r.path is not None]
    arrived = [r for r in mine if r.received_at <= sent]
    result = collect(district, plan, period, [r.path for r in arrived], workers=1, scope=code,
                     pdf=False)
    book = next(p for p in result.outputs if p.suffix == ".xlsx")
    target = folder / book.name
    shutil.copyfile(book, target)
    _stamp(target, sent)
    hub = next(r for r in returns if r.code == code)
    hub.kind, hub.path, hub.received_at = DISTRICT, target, sent
    for item in mine:
        if item is not hub and item.path is not None and item.received_at > sent:
            item.kind = AFTER_DISTRICT  # reached the district after it had reported


def _old_form(workspace, plan, period, unit, folder: Path) -> Path:
    """Last period's form: a unit that filled the wrong file."""
    old = period.previous()
    path = folder / ".cu" / unit_file_name(unit, old)
    return forms.write_form(plan, unit.code, old, workspace.secret_key(), path,
                            workspace.deadline_days)


def _run_jobs(jobs, workers: int, progress) -> None:
    if workers > 1 and len(jobs) > 8:
        # Spawned, not forked: LibreOffice conversions run in threads meanwhile, and a
        # child forked while another thread holds a lock can hang for ever.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for index, _ in enumerate(pool.map(_apply, jobs, chunksize=8), 1):
                if progress is not None:
                    progress(index, len(jobs))
        return
    for index, job in enumerate(jobs, 1):
        _apply(job)
        if progress is not None:
            progress(index, len(jobs))


def _as_xls(path: Path) -> Path:
    """Save as Excel 97-2003 with LibreOffice, as an old machine would."""
    workdir = path.parent / f".xls-{path.stem}"
    target = office.convert(path, "xls:MS Excel 97", workdir)
    final = path.with_suffix(".xls")
    shutil.move(str(target), final)
    path.unlink()
    shutil.rmtree(workdir, ignore_errors=True)
    return final


def describe(sim: Simulation) -> str:
    """One Vietnamese line: how many units did what."""
    parts = [f"{len(sim.codes(k))} {label}" for k, label in KIND_LABELS.items()
             if sim.codes(k)]
    return f"{len(sim.returns)} đơn vị: " + ", ".join(parts)

