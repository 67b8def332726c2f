"""The plan workbook: dimensions, tasks, units, indicators and details, as data.

The workbook is the metadata: nothing about PAPI or Lào Cai lives in code.
`check_plan` returns every problem as a finding with sheet and cell;
`load_plan` raises InputError when there is any error.
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
from generator.plan.deadlines import Deadline, DeadlineError, parse_deadline
from generator.text import clean, fold

LEVELS = ("tinh", "huyen", "xa")
LEVEL_LABELS = {"tinh": "Cấp tỉnh", "huyen": "Cấp huyện", "xa": "Cấp xã"}
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
              "aliases": "Tên gọi khác"},
    "NhomDonVi": {"name": "Tên nhóm", "level": "Cấp", "group": "Khối", "note": "Ghi chú"},
    "ChiTieu": {"code": "Mã chỉ tiêu", "task": "Nhiệm vụ", "name": "Tên chỉ tiêu",
                "unit": "Đơn vị tính", "agg": "Cách tổng hợp", "num": "Tử số",
                "den": "Mẫu số", "kind": "Loại số liệu"},
    "DiemChiSo": {"year": "Năm", "dimension": "Nội dung", "score": "Điểm", "rank": "Xếp hạng",
                  "of": "Số tỉnh", "group": "Nhóm"},
}
OPTIONAL_SHEETS = {"DiemChiSo"}
OPTIONAL_COLUMNS = {"note", "confirm", "aliases", "email", "short", "group", "num", "den",
                    "rank", "of", "parent", "kind"}
# An indicator's kind: a count takes whole numbers (cases, people); a measure may be
# fractional (money, area, hours). Written in Vietnamese or English in the plan.
INDICATOR_KINDS = {"dem": "count", "count": "count", "do": "measure", "measure": "measure"}

# KeHoach keys (folded label -> field).
DETAIL_KEYS = {
    "so ke hoach": "number", "ngay ban hanh": "date", "co quan ban hanh": "issuer",
    "ten ke hoach": "title", "dia danh": "place", "ten chi so": "index_name",
    "ma don vi dau moi": "focal_code", "email dau moi": "focal_email",
    "nam ke hoach": "year", "ghi chu": "note", "muc tieu chi so": "index_target",
}
REQUIRED_DETAILS = ("number", "date", "issuer", "title", "focal_code")
UNIT_CODE = re.compile(r"^[A-Za-z0-9-]+$")


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


@dataclass
class Plan:
    details: dict
    dimensions: dict[int, tuple[str, str]]
    tasks: list[Task]
    units: dict[str, Unit]
    indicators: list[Indicator]
    scores: list[dict] = field(default_factory=list)
    source: str = ""
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
                 tuple(self.units.values()), tuple(self.indicators))
        return self._memo("version", parts, self._content_hash)

    def _content_hash(self) -> str:
        content = {
            "details": {k: str(v) for k, v in sorted(self.details.items())},
            "dimensions": self.dimensions,
            "tasks": [asdict(t) for t in self.tasks],
            "units": [asdict(u) for u in self.units.values()],
            "indicators": [asdict(i) for i in self.indicators],
        }
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

    def indicators_for(self, code: str) -> list[Indicator]:
        tts = {t.tt for t, _ in self.tasks_for(code)}
        return [i for i in self.indicators if i.task in tts]

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
        """Where a unit sends its form: its parent (district) or the focal point."""
        if unit.parent and unit.parent in self.units and self.units[unit.parent].email:
            return self.units[unit.parent].email
        return self.details.get("focal_email") or self.focal.email

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


# --------------------------------------------------------------------------- reading


class _Sheet:
    """A sheet read by calamine, with columns found by header label."""

    def __init__(self, name: str, rows: list[list], fields: dict[str, str], out: list, file):
        self.name, self.rows, self.out, self.file = name, rows, out, file
        head, cols = find_header(rows, fields, need=(), limit=15, at_least=min(2, len(fields)))
        self.header_row, self.cols = (-1, {}) if head is None else (head, cols)
        for key, label in fields.items():
            if key not in self.cols and key not in OPTIONAL_COLUMNS:
                row = max(self.header_row, 0)
                self.error("P002", row, 0, name=label)

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
            out.append(F.finding("P001", path.name, name=name))
    if any(f.code in ("P001", "P002") for f in out):
        return None, out
    details = _details(sheets["KeHoach"])
    dimensions = _dimensions(sheets["NoiDung"])
    units = _units(sheets["DonVi"])
    classes = _classes(sheets["NhomDonVi"])
    tasks = _tasks(sheets["NhiemVu"], dimensions, units, classes)
    indicators = _indicators(sheets["ChiTieu"], {t.tt for t in tasks})
    scores = _scores(sheets["DiemChiSo"]) if "DiemChiSo" in sheets else []
    if details.get("focal_code") and details["focal_code"] not in units:
        sheets["KeHoach"].error("P009", 0, 1, code="đầu mối", value=details["focal_code"])
    plan = Plan(details, dimensions, tasks, units, indicators, scores, source=str(path))
    return (None if F.has_errors(out) else plan), out


def load_plan(path: Path) -> Plan:
    plan, found = check_plan(path)
    if plan is None:
        first = next(f for f in found if f.severity == F.ERROR)
        raise InputError(f"Kế hoạch {Path(path).name} có lỗi: {first.message} "
                         f"Chạy 'baocao plan check' để xem đủ danh sách.")
    return plan


def _details(sheet: _Sheet) -> dict:
    details: dict = {}
    rows = {}
    for index, rec in sheet.records():
        key = DETAIL_KEYS.get(fold(rec["key"]))
        if key:
            details[key], rows[key] = rec["value"], index
    for key in REQUIRED_DETAILS:
        if not _text(details.get(key)):
            label = next(k for k, v in DETAIL_KEYS.items() if v == key)
            sheet.error("P003", rows.get(key, sheet.header_row), 1, name=label)
    for key, value in list(details.items()):
        if key == "date":
            day = _as_date(value)
            if day is None and _text(value):
                sheet.error("P015", rows[key], 1, value=_text(value))
            details[key] = day
        elif key == "year":
            details[key] = int(float(value)) if _text(value) else None
        else:
            details[key] = _text(value)
    if details.get("date") and not details.get("year"):
        details["year"] = details["date"].year
    details.setdefault("place", "")
    details.setdefault("index_name", "")
    return details


def _dimensions(sheet: _Sheet) -> dict[int, tuple[str, str]]:
    out = {}
    for index, rec in sheet.records():
        try:
            number = int(float(_text(rec["no"])))
        except ValueError:
            sheet.error("P003", index, "no", name="Số")
            continue
        name = _text(rec["name"])
        out[number] = (name, _text(rec.get("short")) or name)
    return out


def _units(sheet: _Sheet) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    first: dict[str, int] = {}
    for index, rec in sheet.records():
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
    return units


def _classes(sheet: _Sheet) -> dict[str, tuple[str, str]]:
    """Folded class name -> (level, group); both empty means 'not a reporting unit'."""
    out = {}
    for _index, rec in sheet.records():
        out[fold(rec["name"])] = (fold(rec.get("level", "")), fold(rec.get("group", "")))
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
        confirm = fold(rec.get("confirm", "")) in ("x", "co", "1", "true", "can xac nhan")
        if confirm:
            sheet.error("P018", index, "tt", tt=tt, value=_text(rec.get("note")) or "chưa rõ")
        if not leads and not lists["lead"][1]:
            sheet.error("P017", index, "lead", tt=tt)
        tasks.append(Task(tt, dimension, _text(rec["text"]), _text(rec["lead"]),
                          _text(rec["partner"]), deadline, _text(rec.get("note")), confirm,
                          leads, partners, tuple(lists["partner"][1] + lists["lead"][1])))
    return tasks


def _indicators(sheet: _Sheet, tts: set[str]) -> list[Indicator]:
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
        if task not in tts:
            sheet.error("P011", index, "task", code=code, value=task)
        agg = fold(rec["agg"]) or "sum"
        if agg not in ("sum", "ratio"):
            sheet.error("P012", index, "agg", value=_text(rec["agg"]))
        kind = INDICATOR_KINDS.get(fold(rec.get("kind", "")) or "count")
        if kind is None:
            sheet.error("P021", index, "kind", value=_text(rec["kind"]))
        items.append(Indicator(code, task, _text(rec["name"]), _text(rec["unit"]), agg,
                               _text(rec.get("num")), _text(rec.get("den")), kind or "count"))
    codes = {i.code for i in items}
    for index, rec in sheet.records():
        if fold(rec["agg"]) != "ratio":
            continue
        for column in ("num", "den"):
            ref = _text(rec.get(column))
            if ref not in codes:
                sheet.error("P008", index, column if column in sheet.cols else "agg",
                            code=_text(rec["code"]), value=ref)
    return items


def _scores(sheet: _Sheet) -> list[dict]:
    """Year, dimension (0: the whole index), score, rank and the published group ("nhóm đạt
    điểm thấp nhất"); a row may give only the group (the plan names a dimension's group
    without its score)."""
    out = []
    for index, rec in sheet.records():
        group = _text(rec.get("group"))
        try:
            score = None if group and not _text(rec["score"]) else float(rec["score"])
            out.append({"year": int(float(rec["year"])), "dimension": int(float(rec["dimension"])),
                        "score": score, "group": group,
                        "rank": int(float(rec["rank"])) if _text(rec.get("rank")) else None,
                        "of": int(float(rec["of"])) if _text(rec.get("of")) else None})
        except (TypeError, ValueError):
            # Never dropped silently: the officer sees which row was not understood.
            bad = next((k for k in ("year", "dimension", "score", "rank", "of")
                        if k in sheet.cols and not _is_number(rec.get(k), k)), "score")
            sheet.error("P020", index, bad, value=_text(rec.get(bad)))
    return out


def _is_number(value, key: str) -> bool:
    if key in ("rank", "of") and not _text(value):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
