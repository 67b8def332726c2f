"""Simulated returns: fill the units' forms the way ~180 officers would (for the demo).

Everything is decided from a seed, per unit, in the parent process (`plan_return`),
then applied to each unit's form in a 2-process pool (`apply_return`), so the same seed
gives the same files in any order of work. Most units fill their form completely and on
time; some are late (file time after the deadline), some never send, a few make mistakes
(missing status, done without date, negative number, a figure breaking one of the plan's
consistency rules), a few send a file that must be rejected (last quarter's form, content
pasted into a new workbook), and a few save as .xls with LibreOffice when it is installed.
The figures respect the plan's consistency rules (overdue ≤ received) unless an error is
planted, and a figure a department owns agrees with the communes' count it is a share of.

The plan's reporting line is followed: units that report through another (plan 239:
communes through their district's Phòng Nội vụ) send their files to it; each such
district collects them in a workspace of its own (`collect --scope`) and sends the
province one consolidated return. One district reports late, and one district's return
lacks some of its communes.
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
from generator.collect import take_in
from generator.consolidate.build import from_ledger
from generator.consolidate.indicators import contributors
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.plan.workbook import ROLE_LEAD, load_plan
from generator.render.workbook import write_workbook
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
DISTRICT, DISTRICT_LATE, AFTER_DISTRICT = "district", "district_late", "after_district"
KIND_LABELS = {ON_TIME: "đúng hạn", LATE: "trễ hạn", MISSING: "không gửi",
               CONTENT_ERROR: "có lỗi nội dung", REJECTED: "tệp bị từ chối",
               XLS: "lưu dạng .xls", DISTRICT: "gửi bảng tổng hợp của huyện (kèm các xã)",
               DISTRICT_LATE: "gửi bảng tổng hợp của huyện trễ hạn",
               AFTER_DISTRICT: "gửi huyện sau khi huyện đã báo cáo"}
# Shares of the units (the rest are on time and clean).
SHARES = {MISSING: 0.05, LATE: 0.08, CONTENT_ERROR: 0.03, REJECTED: 0.012, XLS: 0.017}
ERROR_KINDS = ("missing_status", "done_without_date", "negative_indicator", "broken_rule")

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
# What a commune has (a stock): people, households, villages...
STOCK_RANGES = {"người": (2500, 7000), "hộ": (300, 1500), "thẻ": (300, 1500),
                "trường": (2, 6), "thôn, tổ": (5, 20), "mô hình": (1, 6), "thủ tục": (80, 130)}


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
                if r.path is not None and (not r.via or r.kind in (DISTRICT, DISTRICT_LATE))]


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
    last_day = min(period.cutoff_end, received.date())
    # A period that ends before the plan was issued (2022-Q1, 2022-H1 under plan 239 of
    # 30/6/2022): work is dated within the period itself.
    first_day = min(max(period.cutoff_start, plan.date), last_day)
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
    quiet = {tt for tt, item in tasks.items() if item["status"] == STATUS_NA}
    values = indicator_values(plan, unit, rng, quiet)
    if _whole_quarters(period):  # the rng draws above stay: later draws are unchanged
        values = period_values(plan, unit, seed, period, quiet)
    errors = []
    if kind == CONTENT_ERROR:
        errors = [rng.choice(ERROR_KINDS)]
        errors = [_make_error(errors[0], tasks, values, rng, plan.rules)]
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


def indicator_values(plan, unit, rng: random.Random, quiet=()) -> dict[str, float]:
    """A value for every input indicator of the unit; a ratio's numerator ≤ denominator,
    the plan's consistency rules kept; no flow on a task in `quiet` (the unit said it did
    not arise: "Không phát sinh")."""
    scale = LEVEL_SCALE.get(unit.level, 1)
    own = plan.indicators_for(unit.code)
    parts = {c for i in own if i.agg == "ratio" for c in (i.num, i.den)}
    wanted = [i for i in own if i.agg != "ratio"] + [
        plan.indicator(c) for c in sorted(parts) if plan.indicator(c) is not None]
    values: dict[str, float] = {}
    for item in wanted:
        low, high = _range(plan, item, unit)
        values[item.code] = float(rng.randint(low, high))
    for item in own:
        if item.agg == "ratio" and item.num in values and item.den in values:
            den = max(values[item.den], float(rng.randint(5, 40) * scale))
            values[item.den] = den
            values[item.num] = float(round(den * rng.uniform(0.55, 1.0)))
    for item in wanted:
        if item.task in quiet and item.agg == "sum":
            values[item.code] = 0.0
    keep_rules(plan.rules, values, rng)
    return values


def _whole_quarters(period) -> list[int]:
    """The quarters wholly inside a period: Q3 → [3], 6 tháng → [1, 2], năm → [1, 2, 3, 4];
    a month → []."""
    return [q for q in range(1, 5) if period.first_month <= 3 * q - 2 and
            3 * q <= period.last_month]


def period_values(plan, unit, seed: int, period, quiet=()) -> dict[str, float]:
    """A unit's figures for a period of whole quarters, built from each quarter's figures
    drawn once (the same quarter in every period that holds it): flows added over the
    quarters, stocks the last quarter's. So one unit's Quý I ≤ 6 tháng ≤ năm, as real
    returns read, and a year's report never shows fewer meetings than its third quarter."""
    drawn = [indicator_values(plan, unit, _rng(seed, "quarter", unit.code, period.year, q),
                              quiet) for q in _whole_quarters(period)]
    values = {}
    for code in drawn[-1]:
        item = plan.indicator(code)
        values[code] = drawn[-1][code] if item.agg == "stock" else \
            float(sum(part[code] for part in drawn))
    keep_rules(plan.rules, values, _rng(seed, "period", unit.code, period.id))
    return values


def _range(plan, item, unit) -> tuple[int, int]:
    """Plausible bounds of a unit's figure: flows by the unit's level; stocks (population,
    households, schools) per commune, times the communes a province body's figure covers."""
    measure = item.unit.strip().lower()
    if item.agg != "stock":
        low, high = RANGES.get(measure, (0, 20))
        scale = LEVEL_SCALE.get(unit.level, 1)
    else:
        low, high = STOCK_RANGES.get(measure, RANGES.get(measure, (0, 20)))
        scale = LEVEL_SCALE.get(unit.level, 1)
        if plan.reporters(item.code) == {unit.code}:  # the body that owns the figure
            scale = max(1, sum(1 for u in plan.units.values() if u.level == "xa"))
    return low * scale, high * scale


def _applies(rule, values: dict) -> bool:
    return rule.op in ("<=", "<", ">=", ">") and all(c in values for c in rule.codes)


def keep_rules(rules, values: dict, rng: random.Random) -> None:
    """Shrink the larger side of each broken rule (overdue files above files received) until
    every rule over the unit's figures holds; shrinking one code may break a rule where it
    is the larger side, hence the passes."""
    for _ in range(len(rules) + 1):
        broken = False
        for rule in (r for r in rules if _applies(r, values)):
            small, large = (rule.left, rule.right) if rule.op in ("<=", "<") else \
                (rule.right, rule.left)
            top, bound = sum(values[c] for c in small), sum(values[c] for c in large)
            if top <= bound - (1 if rule.op in ("<", ">") else 0):
                continue
            broken = True
            share = rng.uniform(0.5, 0.95) * max(bound - 1, 0) / top if top else 0.0
            for code in small:
                values[code] = float(int(values[code] * share))
        if not broken:
            return


def _make_error(kind: str, tasks: dict, values: dict, rng: random.Random, rules=()) -> str:
    """Plant one error of `kind` (a broken rule when the unit has none to break: a negative
    figure); the kind planted."""
    if kind == "broken_rule":
        usable = [r for r in rules if r.op in ("<=", "<") and _applies(r, values)]
        if usable:
            rule = rng.choice(usable)
            values[rule.left[0]] = sum(values[c] for c in rule.right) + rng.randint(1, 9)
            return kind
        kind = "negative_indicator"
    if kind == "negative_indicator" and values:
        values[rng.choice(sorted(values))] = -float(rng.randint(1, 9))
        return kind
    tt = rng.choice(sorted(tasks))
    if kind == "missing_status" or not tasks:
        tasks[tt]["status"] = ""
        tasks[tt]["result"] = tasks[tt]["result"] or "Đang tổng hợp kết quả."
        return "missing_status"
    tasks[tt].update(status=STATUS_DONE, completed_on=None,
                     result=tasks[tt]["result"] or "Đã hoàn thành.")
    return "done_without_date"


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
    the province receives into `folder` (file time = when the unit sent it).

    With `district`, the plan's reporting line is followed: each unit that others report
    through (a district, under plan 239) collects their files in a workspace of its own
    under .baocao/mo-phong/ and sends the province one consolidated return,
    TongHop_<period>_<district>.xlsx, instead of separate files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = forms.reporting_units(plan, units)
    if any(not workspace.form_path(period, u).is_file() for u in chosen):
        forms.write_forms(workspace, plan, period, units=[u.code for u in chosen])
    hubs = _hubs(plan, chosen) if district else {}
    kinds = _kinds(plan, chosen, hubs, seed, xls=office.soffice_path() is not None)
    via_of = {c: hub for hub, members in hubs.items() for c in (hub, *members)}
    hub_ws = {hub: _district_workspace(workspace, hub) for hub in hubs}
    returns, planned = [], {}
    for unit in chosen:
        kind, via = kinds[unit.code], via_of.get(unit.code, "")
        if kind == MISSING:
            returns.append(UnitReturn(unit.code, kind, via=via))
            continue
        planned[unit.code] = plan_return(plan, unit, period, seed, kind, plan.deadline(
            unit.code, period, workspace.deadline_days))
        returns.append(UnitReturn(unit.code, kind, None, planned[unit.code]["received_at"],
                                  planned[unit.code]["errors"], via))
    agree_with_areas(plan, planned, seed)
    jobs = []
    for item in (r for r in returns if r.code in planned):
        unit = plan.units[item.code]
        form = workspace.form_path(period, unit)
        if item.kind == REJECTED and len([r for r in returns if r.kind == REJECTED and
                                          r.path is not None]) % 2 == 0:
            form = _old_form(workspace, plan, period, unit, folder)
        where = hub_ws[item.via].input_dir(period) if item.via else folder
        item.path = where / unit_file_name(unit, period)
        jobs.append((form, item.path, planned[item.code],
                     item.kind == REJECTED and form == workspace.form_path(period, unit)))
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
        late = _pick(hubs, seed, "late") if len(hubs) >= 3 else ""
        _district_returns(hub_ws, plan, period, returns, folder, seed, late, workers)
        for item, future in zip(old, converted, strict=True):
            item.path = future.result()
            _stamp(item.path, item.received_at)
    return Simulation(period.id, folder, returns)


def _hubs(plan, chosen) -> dict[str, list[str]]:
    """{unit others report through: those of them chosen}, from the plan's reporting line
    (plan 239: each district and its communes)."""
    codes = {u.code for u in chosen}
    out = {}
    for hub, members in plan.reporting_through().items():
        mine = [c for c in members if c in codes]
        if hub in codes and mine:
            out[hub] = mine
    return out


def _pick(hubs: dict, seed: int, why: str, besides: str = "") -> str:
    """One hub, the same for the same seed."""
    return min((h for h in hubs if h != besides), key=lambda h: _rng(seed, why, h).random())


def _kinds(plan, chosen, hubs: dict, seed: int, xls: bool) -> dict[str, str]:
    """Each unit's kind of return: shares among the units the province receives from, and
    among the units reporting through a district; the compiling body and the districts
    themselves send theirs (a district's own report goes inside its return). With three
    districts or more, one district's return lacks a commune (made missing if none is)."""
    through = {c for members in hubs.values() for c in members}
    direct = [u.code for u in chosen if u.code not in through and u.code not in hubs
              and u.code != plan.compiler.code]
    kinds = {**assign_kinds(direct, seed, xls),
             **assign_kinds([u.code for u in chosen if u.code in through], seed, xls)}
    for code in (u.code for u in chosen if u.code not in kinds):
        kinds[code] = ON_TIME
    for members in hubs.values():  # the district reads its communes' files before any
        for code in members:       # conversion: none of them is saved as .xls
            if kinds[code] == XLS:
                kinds[code] = ON_TIME
    if len(hubs) >= 3:
        gap = _pick(hubs, seed, "gap", besides=_pick(hubs, seed, "late"))
        if not any(kinds[c] in (MISSING, REJECTED) for c in hubs[gap]):
            kinds[hubs[gap][0]] = MISSING
    return kinds


def agree_with_areas(plan, planned: dict[str, dict], seed: int) -> None:
    """A figure one body owns that is a share of what many units count (a department's
    villages with broadband of the communes' villages) is drawn as a share of their sum, so
    the province's ratio and rules hold."""
    codes = list(planned)
    for ratio in (i for i in plan.indicators if i.agg == "ratio"):
        num, den = plan.indicator(ratio.num), plan.indicator(ratio.den)
        owners = contributors(plan, num, codes)
        counted = contributors(plan, den, codes)
        if len(owners) != 1 or owners == counted:
            continue
        total = sum(planned[c]["indicators"].get(den.code, 0) for c in counted)
        values = planned[owners[0]]["indicators"]
        if num.code in values and total:
            rng = _rng(seed, "area", num.code)
            values[num.code] = float(round(total * rng.uniform(0.55, 0.98)))


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


def _district_returns(hub_ws: dict, plan, period, returns, folder: Path, seed: int,
                      late: str, workers: int) -> None:
    """Each district collects what reached it before it reports, then sends its consolidated
    workbook (signed as its own return) to the province: before its last day on time, or
    (`late`) a few days after it. The districts work side by side, one process each."""
    jobs, sent_at = [], {}
    for code, district in hub_ws.items():
        rng = _rng(seed, "district", code, period.id)
        deadline = plan.deadline(code, period, district.deadline_days)
        day = deadline + dt.timedelta(days=rng.randint(1, 4)) if code == late else \
            deadline - dt.timedelta(days=rng.randint(0, 2))
        sent = dt.datetime(day.year, day.month, day.day, rng.randint(8, 16),
                           rng.randint(0, 59), tzinfo=VN_TZ)
        mine = [r for r in returns if r.via == code and r.path is not None]
        # Its own report is compiled with the rest; its communes' files if they arrived.
        arrived = [r.path for r in mine if r.code == code or r.received_at <= sent]
        jobs.append((str(district.root), period.id, code, [str(p) for p in arrived]))
        sent_at[code] = sent
    if workers > 1 and len(jobs) > 1:
        context = multiprocessing.get_context("spawn")  # see _run_jobs
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            books = list(pool.map(_district_collect, jobs))
    else:
        books = [_district_collect(job) for job in jobs]
    for (_root, _period, code, _files), book in zip(jobs, books, strict=True):
        target = folder / Path(book).name
        shutil.copyfile(book, target)
        _stamp(target, sent_at[code])
        hub = next(r for r in returns if r.code == code)
        hub.kind = DISTRICT_LATE if code == late else DISTRICT
        hub.path, hub.received_at = target, sent_at[code]
        for item in returns:
            if item.via == code and item is not hub and item.path is not None and \
                    item.received_at > sent_at[code]:
                item.kind = AFTER_DISTRICT  # reached the district after it had reported


def _district_collect(job) -> str:
    """What a district's Phòng Nội vụ runs (`collect --scope`): intake of its communes'
    files into its ledger, then its consolidated workbook, which is its return. (Its Word
    report and feedback are left out: the province does not receive them.)"""
    root, period_id, code, files = job
    district = find_workspace(explicit=Path(root))
    plan = load_plan(district.plan_path)
    period = parse_period(period_id)
    with Ledger(district) as ledger, ledger.lock():
        take_in(ledger, district, plan, period, [Path(f) for f in files], workers=1)
    cons = from_ledger(district, plan, period, scope=code)
    path = district.workbook_path(period, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(write_workbook(cons, path, key=district.secret_key()))


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

