"""The plan workbook: dimensions, tasks, units, indicators and details, as data.

The workbook is the metadata: nothing about PAPI or Lào Cai lives in code.
`check_plan` returns every problem as a finding with sheet and cell;
`load_plan` raises InputError when there is any error.

Besides what the plan asks (tasks, units, indicators), the workbook says how its reports
travel and add up, like a DHIS2 data element's levels and aggregation type:

* each indicator: which unit levels or groups report it ("Cấp báo cáo": a commune form never
  asks for a district chair's figure) and how an area's figure is made ("Cách tổng hợp":
  a flow is summed over its reporting units; a stock is taken at one level, never summed
  across levels; a ratio comes from summed parts);
* consistency rules (sheet QuyTac: left, operator, right over indicator codes, such as
  overdue ≤ received), checked at intake and again after consolidation;
* the reporting line (sheet TuyenBaoCao): whom each unit group reports to, and the last day
  on time ("trước ngày 15" is the 14th); units no line names report to the compiling body;
* the compiling body (KeHoach "Mã cơ quan tổng hợp", default the focal unit), which is never
  late to itself, and the periods the plan reports (KeHoach "Kỳ báo cáo").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_rowcol_to_cell

from generator import findings as F
from generator.cells import BadValue, find_header, parse_date
from generator.errors import InputError, UsageError
from generator.plan import checks as plan_checks
from generator.plan.deadlines import Deadline, DeadlineError, parse_deadline
from generator.plan.periods import Period, next_in_cadence, parse_cadence
from generator.text import clean, fold

LEVELS = ("tinh", "huyen", "xa")  # highest first
LEVEL_LABELS = {"tinh": "Cấp tỉnh", "huyen": "Cấp huyện", "xa": "Cấp xã"}
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
ROLE_LEAD, ROLE_PARTNER = "Chủ trì", "Phối hợp"

# Sheet name -> {field: header label}; the first label row found is the header.
SHEETS: dict[str, dict[str, str]] = {
    "KeHoach": {"key": "Thông tin", "value": "Giá trị"},
    "NoiDung": {"no": "Số", "name": "Tên nội dung", "short": "Tên ngắn"},
    "NhiemVu": {"tt": "TT", "dimension": "Nội dung", "text": "Nhiệm vụ", "lead": "Chủ trì",
                "partner": "Phối hợp", "deadline": "Thời hạn", "note": "Ghi chú",
                "confirm": "Cần xác nhận"},
    "DonVi": {"code": "Mã đơn vị", "name": "Tên đơn vị", "short": "Tên ngắn", "level": "Cấp",
              "group": "Khối", "parent": "Mã cấp trên", "email": "Email",
              "aliases": "Tên gọi khác", "note": "Ghi chú"},
    "NhomDonVi": {"name": "Tên nhóm", "level": "Cấp", "group": "Khối", "note": "Ghi chú"},
    "ChiTieu": {"code": "Mã chỉ tiêu", "task": "Nhiệm vụ", "name": "Tên chỉ tiêu",
                "unit": "Đơn vị tính", "agg": "Cách tổng hợp", "num": "Tử số",
                "den": "Mẫu số", "kind": "Loại số liệu", "levels": "Cấp báo cáo"},
    "DiemChiSo": {"year": "Năm", "dimension": "Nội dung", "score": "Điểm", "rank": "Xếp hạng",
                  "of": "Số tỉnh", "source": "Nguồn", "group": "Nhóm"},
    # Units of an earlier plan (before a reorganisation) -> the unit of this plan they became.
    "ChuyenDoi": {"old": "Mã cũ", "old_name": "Tên cũ", "new": "Mã mới", "new_name": "Tên mới",
                  "note": "Ghi chú"},
    # Consistency rules over indicator codes: left <op> right, each side a code or codes + codes.
    "QuyTac": {"rule": "Mã quy tắc", "left": "Vế trái", "op": "So sánh", "right": "Vế phải",
               "meaning": "Diễn giải"},
    # The reporting line: a unit group, whom it reports to, its last day on time.
    "TuyenBaoCao": {"members": "Nhóm đơn vị", "to": "Báo cáo về", "day": "Hạn nộp",
                    "note": "Ghi chú"},
}
OPTIONAL_SHEETS = {"DiemChiSo", "ChuyenDoi", "QuyTac", "TuyenBaoCao"}
OPTIONAL_COLUMNS = {"note", "confirm", "aliases", "email", "short", "group", "num", "den",
                    "rank", "of", "parent", "kind", "source", "old_name", "new_name", "levels",
                    "rule", "meaning", "day"}
# An indicator's kind: a count takes whole numbers (cases, people); a measure may be
# fractional (money, area, hours). Written in Vietnamese or English in the plan.
INDICATOR_KINDS = {"dem": "count", "count": "count", "do": "measure", "measure": "measure"}
# How an area's figure is made from its units' own figures (folded word -> key):
#   sum: a flow (cases handled in the period), summed over every unit that reports it;
#   stock: what exists at a moment (procedures in force, villages, households), taken at one
#     level (the highest in the area that reports it) and summed only across that level;
#   ratio: summed numerator / summed denominator, never an average of percentages.
AGGREGATIONS = {"sum": "sum", "cong don": "sum", "stock": "stock", "thoi diem": "stock",
                "so thoi diem": "stock", "ratio": "ratio", "ty le": "ratio"}
AGG_LABELS = {"sum": "Cộng dồn", "stock": "Thời điểm", "ratio": "Tỷ lệ"}
# Consistency rule operators as written -> canonical; the symbol shown; the words for a
# broken rule ("CT5.1c = 40 lớn hơn CT5.1a = 30").
OPERATORS = {"<=": "<=", "=<": "<=", "≤": "<=", ">=": ">=", "=>": ">=", "≥": ">=",
             "=": "==", "==": "==", "<": "<", ">": ">"}
OPERATOR_SYMBOLS = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}
BROKEN_WORDS = {"<=": "lớn hơn", ">=": "nhỏ hơn", "==": "khác", "<": "không nhỏ hơn",
                ">": "không lớn hơn"}
# "Báo cáo về" meaning the unit's parent in DonVi (a commune's district), folded.
TO_PARENT = {"cap tren truc tiep", "cap tren", "don vi cap tren"}
PARENT = "^"  # ReportingLine.to for "its parent"; never a unit code (codes are [A-Za-z0-9-])

# Values of the NhiemVu column "Cần xác nhận" that flag a task (folded).
CONFIRM_VALUES = ("x", "co", "1", "true", "can xac nhan")

# KeHoach keys: label -> field (looked up folded).
DETAIL_LABELS = {
    "Số kế hoạch": "number", "Ngày ban hành": "date", "Cơ quan ban hành": "issuer",
    "Tên kế hoạch": "title", "Địa danh": "place", "Tên chỉ số": "index_name",
    "Mã đơn vị đầu mối": "focal_code", "Email đầu mối": "focal_email",
    "Năm kế hoạch": "year", "Ghi chú": "note",
    "Mã cơ quan tổng hợp": "compiler_code", "Kỳ báo cáo": "cadence",
    "Mục tiêu chỉ số": "index_target",
}
DETAIL_KEYS = {fold(label): key for label, key in DETAIL_LABELS.items()}
REQUIRED_DETAILS = ("number", "date", "issuer", "title", "focal_code")
UNIT_CODE = re.compile(r"^[A-Za-z0-9-]+$")
TT_FORM = re.compile(r"^(\d+)(\.\d+)*[a-z]?$")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    short: str
    level: str
    group: str = ""
    parent: str = ""
    email: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    tt: str
    dimension: int
    text: str
    lead_text: str
    partner_text: str
    deadline: Deadline | None
    note: str = ""
    confirm: bool = False
    leads: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    other_partners: tuple[str, ...] = ()  # partners that are not reporting units


@dataclass(frozen=True)
class Indicator:
    code: str
    task: str
    name: str
    unit: str
    agg: str  # 'sum' | 'ratio'
    num: str = ""
    den: str = ""
    kind: str = "count"  # 'count' (whole numbers) | 'measure' (may be fractional)
    levels: str = ""  # "Cấp báo cáo" as written; "" = every unit responsible for the task
    reporters: tuple[str, ...] = ()  # the units `levels` names (resolved when read)


@dataclass(frozen=True)
class Link:
    """A unit of an earlier plan (old code, name) and the unit of this plan it became."""

    old: str
    old_name: str
    new: str
    new_name: str
    note: str = ""


@dataclass(frozen=True)
class ConsistencyRule:
    """left <op> right over indicator codes (each side one code or a sum of codes)."""

    code: str
    left: tuple[str, ...]
    op: str  # '<=' | '>=' | '==' | '<' | '>'
    right: tuple[str, ...]
    meaning: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return self.left + self.right

    @property
    def text(self) -> str:
        """'CT5.1c ≤ CT5.1a'."""
        return f"{' + '.join(self.left)} {OPERATOR_SYMBOLS[self.op]} {' + '.join(self.right)}"

    @property
    def label(self) -> str:
        """'CT5.1c ≤ CT5.1a (Hồ sơ quá hạn không vượt số đã tiếp nhận)'."""
        return f"{self.text} ({self.meaning})" if self.meaning else self.text

    def holds(self, left: float, right: float) -> bool:
        slack = 1e-9 * max(1.0, abs(left), abs(right))  # sums of decimals are not exact
        return {"<=": left <= right + slack, ">=": left >= right - slack,
                "==": abs(left - right) <= slack, "<": left < right - slack,
                ">": left > right + slack}[self.op]


@dataclass(frozen=True)
class ReportingLine:
    """A group of units, whom they report to, and their last day on time."""

    members: str  # as written in the plan: "UBND cấp xã"
    units: tuple[str, ...]  # the codes it names
    to: str  # PARENT, or the code of the receiving unit
    day: int | None = None  # in the period's last month; None: the workspace's [deadlines]
    note: str = ""

@dataclass
class Plan:
    details: dict
    dimensions: dict[int, tuple[str, str]]
    tasks: list[Task]
    units: dict[str, Unit]
    indicators: list[Indicator]
    scores: list[dict] = field(default_factory=list)
    source: str = ""
    links: list[Link] = field(default_factory=list)  # sheet ChuyenDoi, for comparisons
    rules: list[ConsistencyRule] = field(default_factory=list)
    lines: list[ReportingLine] = field(default_factory=list)
    # Memoised lookups (see _memo); not part of the plan, not copied by dataclasses.replace.
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _memo(self, name: str, parts: tuple, compute):
        """compute() once for these parts: a plan changed in place (a unit replaced, a task
        added) compares unequal to the parts it was computed from and is recomputed.
        Comparing the same objects is an identity check, so a hit costs microseconds."""
        held = self._cache.get(name)
        if held is None or held[0] != parts:
            held = (parts, compute())
            self._cache[name] = held
        return held[1]

    @property
    def number(self) -> str:
        return self.details["number"]

    @property
    def date(self) -> dt.date:
        return self.details["date"]

    @property
    def version(self) -> str:
        """Hash of the plan's content (not its bytes): a re-saved plan keeps its version."""
        parts = (tuple(self.details.items()), tuple(self.dimensions.items()), tuple(self.tasks),
                 tuple(self.units.values()), tuple(self.indicators), tuple(self.lines))
        return self._memo("version", parts, self._content_hash)

    def _content_hash(self) -> str:
        content = {
            "details": {k: str(v) for k, v in sorted(self.details.items())},
            "dimensions": self.dimensions,
            "tasks": [asdict(t) for t in self.tasks],
            "units": [asdict(u) for u in self.units.values()],
            "indicators": [asdict(i) for i in self.indicators],
        }
        if self.lines:  # a plan without a reporting line keeps the version it had
            content["lines"] = [asdict(line) for line in self.lines]
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    @property
    def focal(self) -> Unit:
        return self.units[self.details["focal_code"]]

    def task(self, tt: str) -> Task | None:
        return next((t for t in self.tasks if t.tt == tt), None)

    def unit(self, code: str) -> Unit:
        try:
            return self.units[code]
        except KeyError:
            raise UsageError(f"Không có đơn vị mã '{code}' trong kế hoạch.") from None

    def children(self, code: str) -> list[Unit]:
        index = self._memo("children", tuple(self.units.values()), self._children_index)
        return list(index.get(code, ()))

    def _children_index(self) -> dict[str, list[Unit]]:
        index: dict[str, list[Unit]] = {}
        for unit in self.units.values():
            index.setdefault(unit.parent, []).append(unit)
        return index

    def tasks_for(self, code: str) -> list[tuple[Task, str]]:
        """The unit's tasks with its role, lead first when a unit is both."""
        # An index, not a scan: with 10.000 communes every task's lead list is 10.000 long.
        index = self._memo("roles", tuple(self.tasks), self._roles_index)
        return list(index.get(code, ()))

    def _roles_index(self) -> dict[str, list[tuple[Task, str]]]:
        index: dict[str, list[tuple[Task, str]]] = {}
        for task in self.tasks:
            leads = dict.fromkeys(task.leads)
            for code in leads:
                index.setdefault(code, []).append((task, ROLE_LEAD))
            for code in dict.fromkeys(task.partners):
                if code not in leads:
                    index.setdefault(code, []).append((task, ROLE_PARTNER))
        return index

    def roles(self, code: str) -> dict[str, str]:
        """{task TT: role} of the unit's tasks."""
        index = self._memo("role_maps", tuple(self.tasks), dict)
        if code not in index:
            index[code] = {t.tt: role for t, role in self.tasks_for(code)}
        return index[code]

    @property
    def task_tts(self) -> frozenset[str]:
        return self._memo("tts", tuple(self.tasks), lambda: frozenset(t.tt for t in self.tasks))

    def reporters(self, code: str) -> frozenset[str]:
        """The units that report an indicator: those responsible for its task (lead or
        partner) that its levels name; for a ratio, the units that report both parts."""
        index = self._memo("reporters", (tuple(self.tasks), tuple(self.indicators)), dict)
        if code not in index:
            index[code] = self._reporters(code, set())
        return index[code]

    def _reporters(self, code: str, seen: set) -> frozenset[str]:
        ind = self.indicator(code)
        if ind is None or code in seen:  # a ratio of ratios that loops reports nothing
            return frozenset()
        if ind.agg == "ratio":
            seen = seen | {code}
            units = self._reporters(ind.num, seen) & self._reporters(ind.den, seen)
        else:
            task = self.task(ind.task)
            units = frozenset(task.leads + task.partners) if task else frozenset()
        return units & frozenset(ind.reporters) if ind.levels else units

    def indicators_for(self, code: str) -> list[Indicator]:
        """The indicators a unit reports, in plan order (a ratio when it reports both parts)."""
        index = self._memo("indicators_for", (tuple(self.tasks), tuple(self.indicators)), dict)
        if code not in index:
            index[code] = [i for i in self.indicators if code in self.reporters(i.code)]
        return list(index[code])

    def form_indicators(self, code: str) -> list[Indicator]:
        """The indicators a unit's form asks for: its own, plus the parts of its ratios."""
        index = self._memo("form_indicators", (tuple(self.tasks), tuple(self.indicators)), dict)
        if code not in index:
            own = self.indicators_for(code)
            codes = {i.code for i in own}
            extra = []
            for ratio in (i for i in own if i.agg == "ratio"):
                for part in (self.indicator(ratio.num), self.indicator(ratio.den)):
                    if part is not None and part.code not in codes:
                        codes.add(part.code)
                        extra.append(part)
            index[code] = own + extra
        return list(index[code])

    def recipient_email(self, unit: Unit) -> str:
        """Where a unit sends its form: the unit it reports to (a commune's district under
        plan 239), or the focal point for the compiling body."""
        receiver = self.units.get(self.reports_to(unit.code))
        if receiver is not None and receiver.code != self.compiler.code and receiver.email:
            return receiver.email
        return self.details.get("focal_email") or self.focal.email

    # ----------------------------------------------------------------- reporting line

    @property
    def compiler(self) -> Unit:
        """The compiling body (cơ quan tổng hợp): receives the reports, never late to itself."""
        return self.units.get(self.details.get("compiler_code") or "", self.focal)

    @property
    def cadence(self) -> tuple[tuple[str, int], ...]:
        """The periods the plan reports ((kind, number)); () when the plan does not say."""
        return self.details.get("cadence") or ()

    def next_period(self, period: Period) -> Period:
        """The plan's next report after `period` (its cadence; else the same kind)."""
        return next_in_cadence(period, self.cadence)

    def line_of(self, code: str) -> ReportingLine | None:
        index = self._memo("line_of", tuple(self.lines), self._line_index)
        return index.get(code)

    def _line_index(self) -> dict[str, ReportingLine]:
        index: dict[str, ReportingLine] = {}
        for line in self.lines:
            for code in line.units:
                index.setdefault(code, line)  # the first line naming a unit (plan check warns)
        return index

    def reports_to(self, code: str) -> str:
        """The code of the unit `code` sends its report to; "" for the compiling body (it
        reports to the plan's issuer). Units no line names report to the compiling body."""
        compiler = self.compiler.code
        if code == compiler:
            return ""
        line = self.line_of(code)
        if line is None:
            return compiler
        if line.to == PARENT:
            parent = self.units[code].parent
            return parent if parent in self.units else compiler
        return line.to

    def deadline(self, code: str, period: Period, days: dict | None = None) -> dt.date:
        """A unit's last day on time: its reporting line's day, else the workspace's
        [deadlines] for its level."""
        line = self.line_of(code)
        if line is not None and line.day:
            return period.on_day(line.day)
        return period.deadline(self.units[code].level, days)

    def subtree(self, code: str) -> list[str]:
        """`code` and every unit below it (any depth), in plan order."""
        inside, frontier = {code}, [code]
        while frontier:
            frontier = [u.code for parent in frontier for u in self.children(parent)
                        if u.code not in inside]
            inside.update(frontier)
        return [c for c in self.units if c in inside]

    def expected_units(self, scope: str | None = None) -> list[str]:
        """The units whose reports the compiler of a consolidation receives, in plan order:
        for the province, the units that report to the compiling body; for a district
        (`scope`), the units below it. Only units with tasks; never the compiler itself."""
        if scope:
            members = [c for c in self.subtree(scope) if c != scope]
        else:
            receiver = self.compiler.code
            members = [c for c in self.units if self.reports_to(c) == receiver]
        return [c for c in members if self.tasks_for(c)]

    def reporting_through(self, scope: str | None = None) -> dict[str, list[str]]:
        """{unit the compiler receives: the units with tasks that report to it}: the communes
        a district's return carries under plan 239. Empty in district mode and for plans
        where every unit reports straight to the compiler."""
        if scope:
            return {}
        expected = set(self.expected_units())
        out: dict[str, list[str]] = {}
        for code in self.units:
            receiver = self.reports_to(code)
            if receiver in expected and self.tasks_for(code):
                out.setdefault(receiver, []).append(code)
        return out

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


# --------------------------------------------------------------------------- reading


class _Sheet:
    """A sheet read by calamine, with columns found by header label."""

    def __init__(self, name: str, rows: list[list], fields: dict[str, str], out: list, file):
        self.name, self.rows, self.out, self.file = name, rows, out, file
        # The header: the first row with two known labels, else (a typo in a two-column
        # sheet) the first with one, so the misspelt label is still found at its cell.
        head, cols = find_header(rows, fields, need=(), limit=15, at_least=min(2, len(fields)))
        if head is None:
            head, cols = find_header(rows, fields, need=(), limit=15, at_least=1)
        self.header_row, self.cols = (-1, {}) if head is None else (head, cols)
        plan_checks.header_findings(self, fields, OPTIONAL_COLUMNS)

    def error(self, code: str, row: int, col: int | str, /, **params):
        if isinstance(col, str):
            col = self.cols.get(col, 0)
        self.out.append(F.finding(code, self.file, self.name, xl_rowcol_to_cell(row, col), **params))

    def records(self):
        """(row index, {field: cleaned text or raw value}) for non-empty data rows."""
        if self.header_row < 0:
            return
        for index in range(self.header_row + 1, len(self.rows)):
            row = self.rows[index]
            rec = {k: (row[c] if c < len(row) else "") for k, c in self.cols.items()}
            if any(clean(v) for v in rec.values()):
                yield index, rec


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(value)


def _as_date(value) -> dt.date | None:
    try:
        return parse_date(value)
    except BadValue:
        return None


def _split(value) -> list[str]:
    return [p for p in (clean(x) for x in _text(value).split(";")) if p]


def _read_workbook(path: Path, out: list) -> dict[str, list[list]] | None:
    try:
        book = CalamineWorkbook.from_path(str(path))
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in book.sheet_names}
    except Exception as exc:  # calamine raises several types for broken files
        out.append(F.finding("P016", path.name, reason=str(exc)[:200]))
        return None


def check_plan(path: Path) -> tuple[Plan | None, list[F.Finding]]:
    """Read and check a plan workbook; returns the plan (None if unusable) and findings."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"Không tìm thấy tệp kế hoạch: {path}")
    out: list[F.Finding] = []
    raw = _read_workbook(path, out)
    if raw is None:
        return None, out
    sheets = {}
    for name, fields in SHEETS.items():
        if name in raw:
            sheets[name] = _Sheet(name, raw[name], fields, out, path.name)
        elif name not in OPTIONAL_SHEETS:
            others = [n for n in raw if n not in SHEETS]
            out.append(plan_checks.missing_sheet(path.name, name, others))
    if any(f.code in ("P001", "P002") for f in out):
        return None, out
    details, detail_rows = _details(sheets["KeHoach"])
    dimensions = _dimensions(sheets["NoiDung"])
    units = _units(sheets["DonVi"])
    classes = _classes(sheets["NhomDonVi"], units)
    plan_checks.confirm_findings(sheets, _row_name)
    tasks = _tasks(sheets["NhiemVu"], dimensions, units, classes)
    indicators = _indicators(sheets["ChiTieu"], tasks, units, classes)
    scores = _scores(sheets["DiemChiSo"], dimensions) if "DiemChiSo" in sheets else []
    links = _links(sheets["ChuyenDoi"], units) if "ChuyenDoi" in sheets else []
    rules = _rules(sheets["QuyTac"], indicators) if "QuyTac" in sheets else []
    compiler = details.get("compiler_code") or details.get("focal_code")
    lines = (_lines(sheets["TuyenBaoCao"], units, classes, compiler)
             if "TuyenBaoCao" in sheets else [])
    if details.get("focal_code") and details["focal_code"] not in units:
        sheets["KeHoach"].error("P009", detail_rows["focal_code"], 1, code="đầu mối",
                                value=details["focal_code"])
    if details.get("compiler_code") and details["compiler_code"] not in units:
        sheets["KeHoach"].error("P047", detail_rows.get("compiler_code", 0), 1,
                                value=details["compiler_code"])
    plan = Plan(details, dimensions, tasks, units, indicators, scores, source=str(path),
                links=links, rules=rules, lines=lines)
    return (None if F.has_errors(out) else plan), out


def _row_name(sheet: _Sheet, index: int) -> str:
    """How a P018 finding names the row: 'Nhiệm vụ '4.2'', 'Đơn vị 'SXD''..."""
    row = sheet.rows[index]

    def cell(key: str) -> str:
        col = sheet.cols.get(key)
        return _text(row[col]) if col is not None and col < len(row) else ""

    named = {"NhiemVu": ("Nhiệm vụ", "tt"), "DonVi": ("Đơn vị", "code"),
             "ChiTieu": ("Chỉ tiêu", "code"), "NoiDung": ("Nội dung", "no"),
             "NhomDonVi": ("Nhóm", "name"), "KeHoach": ("Thông tin", "key"),
             "ChuyenDoi": ("Đơn vị cũ", "old")}
    if sheet.name == "DiemChiSo":
        dim = cell("dimension")
        part = "" if dim in ("", "0") else f", nội dung {dim}"
        return f"Điểm chỉ số năm {cell('year')}{part}"
    label, key = named.get(sheet.name, ("Dòng", ""))
    value = cell(key) if key else ""
    return f"{label} '{value}'" if value else f"Dòng {index + 1}"


def load_plan(path: Path) -> Plan:
    plan, found = check_plan(path)
    if plan is None:
        first = next(f for f in found if f.severity == F.ERROR)
        raise InputError(f"Kế hoạch {Path(path).name} có lỗi: {first.message} "
                         f"Chạy 'baocao plan check' để xem đủ danh sách.")
    return plan


def _details(sheet: _Sheet) -> tuple[dict, dict[str, int]]:
    """The plan's details and the row of each key."""
    details: dict = {}
    rows: dict[str, int] = {}
    unknown: dict[int, str] = {}
    for index, rec in sheet.records():
        key = DETAIL_KEYS.get(fold(rec["key"]))
        if key:
            details[key], rows[key] = rec["value"], index
        elif _text(rec["key"]):
            unknown[index] = _text(rec["key"])
    labels = {label: key for label, key in DETAIL_LABELS.items()}
    named = plan_checks.detail_findings(sheet, rows, labels, REQUIRED_DETAILS, unknown)
    for key in REQUIRED_DETAILS:
        if not _text(details.get(key)) and key not in named:
            label = next(k for k, v in DETAIL_LABELS.items() if v == key)
            sheet.error("P003", rows.get(key, sheet.header_row), 1, name=label)
    for key, value in list(details.items()):
        if key == "date":
            day = _as_date(value)
            if day is None and _text(value):
                sheet.error("P015", rows[key], 1, value=_text(value))
            details[key] = day
        elif key == "year":
            number = _int(value)
            if number is None and _text(value):
                sheet.error("P027", rows[key], 1, value=_text(value), name="Năm kế hoạch",
                            example="2022")
            details[key] = number
        elif key == "cadence":
            try:
                details[key] = parse_cadence(_text(value))
            except ValueError as exc:
                sheet.error("P045", rows[key], 1, value=str(exc))
                details[key] = ()
        else:
            details[key] = _text(value)
    if details.get("focal_email") and not plan_checks.EMAIL.match(details["focal_email"]):
        sheet.error("P023", rows["focal_email"], 1, code="đầu mối", value=details["focal_email"])
    if details.get("date") and not details.get("year"):
        details["year"] = details["date"].year
    details.setdefault("place", "")
    details.setdefault("index_name", "")
    return details, rows


def _int(value) -> int | None:
    try:
        number = float(_text(value))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _dimensions(sheet: _Sheet) -> dict[int, tuple[str, str]]:
    out = {}
    for index, rec in sheet.records():
        number = _int(rec["no"])
        if number is None:
            if _text(rec["no"]):
                sheet.error("P027", index, "no", value=_text(rec["no"]), name="Số", example="1")
            else:
                sheet.error("P003", index, "no", name="Số")
            continue
        name = _text(rec["name"])
        if not name:
            sheet.error("P003", index, "name", name="Tên nội dung")
        out[number] = (name, _text(rec.get("short")) or name)
    return out


def _units(sheet: _Sheet) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    first: dict[str, int] = {}
    for index, rec in sheet.records():
        if not _text(rec["name"]):
            sheet.error("P003", index, "name", name="Tên đơn vị")
        code = _text(rec["code"])
        if not code:
            sheet.error("P003", index, "code", name="Mã đơn vị")
            continue
        if not UNIT_CODE.match(code):
            sheet.error("P019", index, "code", code=code)
            continue
        if code in first:
            sheet.error("P010", index, "code", code=code, first=first[code] + 1)
            continue
        level = fold(rec["level"])
        if level not in LEVELS:
            sheet.error("P014", index, "level", value=_text(rec["level"]))
        first[code] = index
        name = _text(rec["name"])
        units[code] = Unit(code, name, _text(rec.get("short")) or name, level,
                           fold(rec.get("group", "")), _text(rec.get("parent")),
                           _text(rec.get("email")), tuple(_split(rec.get("aliases", ""))))
    for index, rec in sheet.records():
        parent = _text(rec.get("parent"))
        if parent and parent not in units:
            sheet.error("P009", index, "parent", code=_text(rec["code"]), value=parent)
    plan_checks.unit_findings(sheet, first, units)
    return units


def _classes(sheet: _Sheet, units: dict[str, Unit]) -> dict[str, tuple[str, str]]:
    """Folded class name -> (level, group); both empty means 'not a reporting unit'."""
    out, rows = {}, {}
    for index, rec in sheet.records():
        key = fold(rec["name"])
        out[key] = (fold(rec.get("level", "")), fold(rec.get("group", "")))
        rows[key] = index
    plan_checks.class_findings(sheet, rows, out, units, LEVELS)
    return out


def _resolve(name: str, units: dict[str, Unit], classes) -> tuple[list[str], bool] | None:
    """Codes a lead/partner name stands for, and whether it is text only; None if unknown."""
    key = fold(name)
    for unit in units.values():
        if key in {fold(unit.code), fold(unit.name), fold(unit.short), *map(fold, unit.aliases)}:
            return [unit.code], False
    if key in classes:
        level, group = classes[key]
        if not level and not group:
            return [], True
        return [u.code for u in units.values()
                if (not level or u.level == level) and (not group or u.group == group)], False
    return None


def _tasks(sheet: _Sheet, dimensions, units, classes) -> list[Task]:
    tasks, first = [], {}
    for index, rec in sheet.records():
        tt = _text(rec["tt"])
        if not tt:
            sheet.error("P003", index, "tt", name="TT")
            continue
        if tt in first:
            sheet.error("P004", index, "tt", tt=tt, first=first[tt] + 1)
            continue
        first[tt] = index
        try:
            dimension = int(float(_text(rec["dimension"])))
        except ValueError:
            dimension = -1
        if dimension not in dimensions:
            sheet.error("P005", index, "dimension", tt=tt, value=_text(rec["dimension"]))
        form = TT_FORM.match(tt)
        if dimension in dimensions and (not form or int(form.group(1)) != dimension):
            sheet.error("P028", index, "tt", tt=tt, dimension=dimension)
        if not _text(rec["text"]):
            sheet.error("P003", index, "text", name="Nhiệm vụ")
        lists = {}
        for column in ("lead", "partner"):
            codes, others = [], []
            for name in _split(rec[column]):
                resolved = _resolve(name, units, classes)
                if resolved is None:
                    sheet.error("P006", index, column, value=name)
                elif resolved[1]:
                    others.append(name)
                else:
                    codes.extend(c for c in resolved[0] if c not in codes)
            lists[column] = (codes, others)
        deadline = None
        phrase = _text(rec["deadline"])
        try:
            deadline = parse_deadline(phrase)
        except DeadlineError as exc:
            sheet.error("P007", index, "deadline", value=phrase, reason=str(exc))
        leads = tuple(lists["lead"][0])
        partners = tuple(c for c in lists["partner"][0] if c not in leads)
        flag = fold(rec.get("confirm", ""))
        confirm = flag in CONFIRM_VALUES
        if flag and not confirm:
            sheet.error("P029", index, "confirm", value=_text(rec.get("confirm")))
        marked = any(plan_checks.CONFIRM_MARK in fold(v) for v in sheet.rows[index] if clean(v))
        if confirm and not marked:  # flagged, no cell says why: named at its TT
            sheet.error("P018", index, "tt", what=f"Nhiệm vụ '{tt}'",
                        value=_text(rec.get("note")) or "chưa rõ")
        if not leads and not lists["lead"][1]:
            sheet.error("P017", index, "lead", tt=tt)
        tasks.append(Task(tt, dimension, _text(rec["text"]), _text(rec["lead"]),
                          _text(rec["partner"]), deadline, _text(rec.get("note")), confirm,
                          leads, partners, tuple(lists["partner"][1] + lists["lead"][1])))
    return tasks


def _indicators(sheet: _Sheet, tasks: list[Task], units, classes) -> list[Indicator]:
    by_tt = {t.tt: t for t in tasks}
    items, first = [], {}
    for index, rec in sheet.records():
        code = _text(rec["code"])
        if not code:
            sheet.error("P003", index, "code", name="Mã chỉ tiêu")
            continue
        if code in first:
            sheet.error("P013", index, "code", code=code, first=first[code] + 1)
            continue
        first[code] = index
        task = _text(rec["task"])
        if task not in by_tt:
            sheet.error("P011", index, "task", code=code, value=task)
        agg = AGGREGATIONS.get(fold(rec["agg"]) or "sum")
        if agg is None:
            sheet.error("P012", index, "agg", value=_text(rec["agg"]))
        kind = INDICATOR_KINDS.get(fold(rec.get("kind", "")) or "count")
        if kind is None:
            sheet.error("P031", index, "kind", value=_text(rec["kind"]))
        levels = _text(rec.get("levels"))
        reporters = _level_units(sheet, index, levels, units, classes)
        if reporters and task in by_tt and agg != "ratio":  # none: P006 said why
            responsible = set(by_tt[task].leads + by_tt[task].partners)
            if not responsible & set(reporters):
                sheet.error("P046", index, "levels", code=code, task=task, value=levels)
        items.append(Indicator(code, task, _text(rec["name"]), _text(rec["unit"]), agg or "sum",
                               _text(rec.get("num")), _text(rec.get("den")), kind or "count",
                               levels, reporters))
    codes = {i.code for i in items}
    for index, rec in sheet.records():
        if AGGREGATIONS.get(fold(rec["agg"])) != "ratio":
            continue
        for column in ("num", "den"):
            ref = _text(rec.get(column))
            if ref not in codes:
                sheet.error("P008", index, column if column in sheet.cols else "agg",
                            code=_text(rec["code"]), value=ref)
    return items


def _level_units(sheet: _Sheet, index: int, text: str, units, classes,
                 column: str = "levels") -> tuple[str, ...]:
    """The units a cell names ("Cấp báo cáo", "Nhóm đơn vị"): levels (xa, Cấp xã), unit
    classes, units; a name not understood is P006 at the cell."""
    by_level = {fold(k): k for k in LEVELS} | {fold(v): k for k, v in LEVEL_LABELS.items()}
    codes: list[str] = []
    for name in _split(text):
        level = by_level.get(fold(name))
        if level:
            found = [u.code for u in units.values() if u.level == level]
        else:
            resolved = _resolve(name, units, classes)
            if resolved is None:
                sheet.error("P006", index, column, value=name)
                continue
            found = resolved[0]
        codes.extend(c for c in found if c not in codes)
    return tuple(codes)


def _sides(text: str) -> tuple[str, ...]:
    return tuple(p for p in (clean(x) for x in _text(text).split("+")) if p)


def _rules(sheet: _Sheet, indicators: list[Indicator]) -> list[ConsistencyRule]:
    """Sheet QuyTac: each rule with its codes and operator checked."""
    known = {i.code for i in indicators}
    rules = []
    for index, rec in sheet.records():
        code = _text(rec.get("rule")) or f"QT{len(rules) + 1}"
        left, right = _sides(rec["left"]), _sides(rec["right"])
        op = OPERATORS.get(_text(rec["op"]).replace(" ", ""))
        usable = True
        for column, side in (("left", left), ("right", right)):
            if not side:
                sheet.error("P003", index, column, name=SHEETS["QuyTac"][column])
                usable = False
            for ref in side:
                if ref not in known:
                    sheet.error("P040", index, column, rule=code, value=ref)
                    usable = False
        if op is None:
            sheet.error("P041", index, "op", rule=code, value=_text(rec["op"]))
        if usable and op is not None:
            rules.append(ConsistencyRule(code, left, op, right, _text(rec.get("meaning"))))
    return rules


def _lines(sheet: _Sheet, units, classes, compiler: str) -> list[ReportingLine]:
    """Sheet TuyenBaoCao: each unit group, whom it reports to, its last day on time."""
    lines, first = [], {}
    for index, rec in sheet.records():
        members = _text(rec["members"])
        codes = _level_units(sheet, index, members, units, classes, "members")
        again = [c for c in codes if c in first]
        if again:  # the first line naming a unit is used; said once per line
            sheet.error("P044", index, "members", code=again[0], first=first[again[0]] + 1)
        for code in codes:
            first.setdefault(code, index)
        to = _receiver(_text(rec["to"]), units, classes)
        if to is None:
            sheet.error("P042", index, "to", value=_text(rec["to"]))
        day = _day(rec.get("day"))
        if day is False:
            sheet.error("P043", index, "day", value=_text(rec.get("day")))
        if to == PARENT:  # a unit without a parent reports to the compiler: say so
            orphans = [c for c in codes if units[c].parent not in units and c != compiler]
            if orphans:  # one finding per line, not one per unit
                more = f" và {len(orphans) - 3} đơn vị khác" if len(orphans) > 3 else ""
                sheet.error("P048", index, "members",
                            codes=", ".join(f"'{c}'" for c in orphans[:3]) + more)
        if to is not None and day is not False and codes:
            lines.append(ReportingLine(members, tuple(codes), to, day, _text(rec.get("note"))))
    return lines


def _receiver(text: str, units, classes) -> str | None:
    """PARENT, the code of the one unit the text names, or None."""
    if fold(text) in TO_PARENT:
        return PARENT
    resolved = _resolve(text, units, classes) if text else None
    if resolved is None or len(resolved[0]) != 1:
        return None
    return resolved[0][0]


def _day(value) -> int | None | bool:
    """A day of the month (1-31), None when empty, False when not one."""
    text = _text(value)
    if not text:
        return None
    return int(text) if text.isdigit() and 1 <= int(text) <= 31 else False


def _scores(sheet: _Sheet, dimensions) -> list[dict]:
    """Index scores by year and dimension (0 = overall). A year may have a rank and no score
    (not published): score None. The source is kept: the report says what is unconfirmed.
    A row may give only the published group ("nhóm đạt điểm thấp nhất") of a dimension."""
    out = []
    for index, rec in sheet.records():
        group = _text(rec.get("group"))
        try:
            score = float(rec["score"]) if _text(rec["score"]) else None
            item = {"year": int(float(rec["year"])), "dimension": int(float(rec["dimension"])),
                    "score": score,
                    "rank": int(float(rec["rank"])) if _text(rec.get("rank")) else None,
                    "of": int(float(rec["of"])) if _text(rec.get("of")) else None,
                    "source": _text(rec.get("source")), "group": group}
        except (TypeError, ValueError):
            # Never dropped silently: the officer sees which row was not understood.
            bad = next((k for k in ("year", "dimension", "score", "rank", "of")
                        if k in sheet.cols and not _is_number(rec.get(k), k)), "score")
            sheet.error("P020", index, bad, value=_text(rec.get(bad)))
            continue
        if item["dimension"] != 0 and item["dimension"] not in dimensions:
            sheet.error("P020", index, "dimension", value=_text(rec["dimension"]))
        elif score is None and item["rank"] is None and not group:
            sheet.error("P020", index, "score", value="")
        else:
            out.append(item)
    return out


def _is_number(value, key: str) -> bool:
    if key in ("rank", "of", "score") and not _text(value):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _links(sheet: _Sheet, units: dict[str, Unit]) -> list[Link]:
    """Sheet ChuyenDoi: each unit of an earlier plan and the unit of this plan it became."""
    links, first = [], {}
    for index, rec in sheet.records():
        old, new = _text(rec["old"]), _text(rec["new"])
        if not old:
            sheet.error("P003", index, "old", name="Mã cũ")
            continue
        if not UNIT_CODE.match(old):
            sheet.error("P019", index, "old", code=old)
            continue
        if old in first:
            sheet.error("P025", index, "old", code=old, first=first[old] + 1)
            continue
        first[old] = index
        if new not in units:
            sheet.error("P024", index, "new", code=old, value=new)
            continue
        new_name = _text(rec.get("new_name"))
        if new_name and fold(new_name) not in {fold(units[new].name), fold(units[new].short)}:
            sheet.error("P030", index, "new_name", code=old, value=new_name,
                        name=units[new].short)
        links.append(Link(old, _text(rec.get("old_name")) or old, new,
                          new_name or units[new].short, _text(rec.get("note"))))
    return links
