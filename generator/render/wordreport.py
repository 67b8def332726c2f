"""The Word report to UBND tỉnh (Nghị định 30/2020/NĐ-CP), its charts and its PDF.

`build_context` turns a Consolidation into the plain data the template shows:
short Vietnamese paragraphs written from the figures, appendix rows and chart
PNGs. `write_report` renders templates/bao-cao.docx with docxtpl (autoescape on,
so a unit's "<", "&" or "{{" appear literally), normalises the zip so the same
inputs give the same bytes, and converts to PDF with LibreOffice when asked.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from generator import office
from generator.consolidate.frames import GENERAL_DIMENSION, KIND_DIFFICULTY, KIND_PROPOSAL
from generator.errors import PartialWrite, UsageError
from generator.excel import atomic_path, verify_zip
from generator.plan.periods import Period, parse_period
from generator.plan.workbook import LEVEL_LABELS
from generator.render import charts
from generator.render.template_builder import TEMPLATE_NAME, normalise_zip
from generator.text import (
    clean,
    fmt_date,
    fmt_date_long,
    fmt_date_plain,
    fmt_int,
    fmt_num,
    fmt_pct,
    fold,
    roman,
)
from generator.vocab import STATUS_DONE, STATUS_NA, status_of

CHART_KEYS = ("bieu_do_nop_bao_cao", "bieu_do_hoan_thanh", "bieu_do_diem")
CHART_WIDTH = Mm(150)
NUMBER_BLANK = " " * 7  # "Số:        /BC-SNV" until the clerk writes the number
QUOTES_PER_DIMENSION = 3
QUOTE_CHARS = 400
NOTES_LISTED = 15
# Characters XML 1.0 forbids: a unit's cell may hold them (Excel accepts \x0b), Word won't.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- small helpers

def _period(value) -> Period:
    return value if isinstance(value, Period) else parse_period(str(value))


def _lower_first(text: str) -> str:
    """'Số hội nghị' -> 'số hội nghị', but 'UBND ...' and 'PAPI ...' keep their capitals."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = clean(text)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _names(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " và " + names[-1]


def _value(value, agg: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return fmt_pct(value) if agg == "ratio" else fmt_num(value)


def _sanitise(value):
    """Drop characters XML cannot hold, everywhere in the context."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {k: _sanitise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitise(v) for v in value]
    return value


def report_date(config: dict, period: Period) -> dt.date:
    """The configured [report] date, else the province's deadline for the period."""
    value = config.get("date") or ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    if not text:
        return period.deadline("tinh", config.get("deadline_days"))
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise UsageError(f"Ngày báo cáo '{text}' trong mục [report] của baocao.toml không hợp lệ; "
                     "ghi theo dạng 14/9/2022 hoặc để trống.")


def body_name(config: dict, plan) -> str:
    """The issuing body in running text: 'Sở Nội vụ', not 'SỞ NỘI VỤ'."""
    issuing = clean(config.get("issuing_body", ""))
    for unit in (plan.focal, *plan.units.values()):
        if fold(unit.name) == fold(issuing):
            return unit.name
    return issuing[:1] + issuing[1:].lower() if issuing else plan.focal.name


# --------------------------------------------------------------------------- sections

def _legal_basis(cons, period, name) -> list[str]:
    plan = cons.plan
    details = plan.details
    title = details.get("title", "")
    subject = title[len("Kế hoạch "):] if fold(title).startswith("ke hoach ") else title
    basis = (f"Căn cứ Kế hoạch số {plan.number} ngày {fmt_date_plain(plan.date)} của "
             f"{details.get('issuer', '')} về {subject};")
    key = cons.key
    return [basis, f"Trên cơ sở báo cáo của {fmt_int(key['units_received'])}/"
                   f"{fmt_int(key['units_expected'])} cơ quan, đơn vị, {name} báo cáo kết quả "
                   f"thực hiện Kế hoạch {period.label} như sau:"]


def _level_rates(cons):
    rates = cons.rates
    return rates[rates["level"] != ""] if not rates.empty else rates


def _leadership(cons, period, name) -> list[str]:
    key, plan = cons.key, cons.plan
    breakdown = _names([f"{fmt_int(r.expected)} đơn vị {r.level_name.lower()}"
                        for r in _level_rates(cons).itertuples()])
    out = [f"Thực hiện Kế hoạch số {plan.number} ngày {fmt_date_plain(plan.date)} của "
           f"{plan.details.get('issuer', '')}, {name} đã hướng dẫn, gửi biểu mẫu báo cáo "
           f"{period.label} đến {fmt_int(key['units_expected'])} cơ quan, đơn vị được giao "
           f"nhiệm vụ ({breakdown}); các cơ quan, đơn vị đã triển khai thực hiện các nhiệm vụ "
           "được giao và báo cáo kết quả theo biểu mẫu."]
    expected = key["units_expected"]
    share = key["units_received"] / expected if expected else 0.0
    text = (f"Đến thời điểm tổng hợp, đã nhận được báo cáo của {fmt_int(key['units_received'])}/"
            f"{fmt_int(expected)} đơn vị (đạt {fmt_pct(share)}), trong đó "
            f"{fmt_int(key['units_on_time'])} đơn vị gửi đúng hạn, {fmt_int(key['units_late'])} "
            f"đơn vị gửi trễ hạn; {fmt_int(key['units_missing'])} đơn vị chưa gửi báo cáo")
    if key["units_rejected"]:
        text += f"; {fmt_int(key['units_rejected'])} đơn vị gửi tệp không hợp lệ phải gửi lại"
    out.append(text + ". Tình hình gửi báo cáo theo từng cấp thể hiện tại Biểu đồ 1.")
    return out


def _overview(cons) -> list[str]:
    key = cons.key
    # The share is of the tasks that arose in the period; say so when some did not, or a
    # reader dividing done by all tasks gets another figure.
    na = key.get("tasks_not_applicable", 0)
    base = " số nhiệm vụ có phát sinh trong kỳ" if na else ""
    text = (f"Kế hoạch có {fmt_int(key['tasks'])} nhiệm vụ thuộc {len(cons.dimensions)} nội "
            f"dung. Đến nay đã hoàn thành {fmt_int(key['tasks_done'])} nhiệm vụ (đạt "
            f"{fmt_pct(key['share_done'])}{base}), {fmt_int(key['tasks_ongoing'])} nhiệm vụ đang "
            f"thực hiện, {fmt_int(key['tasks_not_started'])} nhiệm vụ chưa thực hiện")
    if na:
        text += f", {fmt_int(na)} nhiệm vụ không phát sinh trong kỳ"
    if key["tasks_overdue"]:
        text += f"; {fmt_int(key['tasks_overdue'])} nhiệm vụ đã quá thời hạn nhưng chưa hoàn thành"
    return [text + ". Kết quả cụ thể theo từng nội dung như sau (Biểu đồ 2):"]


def indicator_prose(cons, tt: str) -> str:
    """'số hội nghị ...: 245 hội nghị; tỷ lệ ...: 85,2%' for a task's whole-area figures."""
    frame = cons.indicators
    rows = frame[(frame["task"] == tt) & (frame["area"] == "")]
    parts = []
    for row in rows.itertuples():
        shown = _value(row.value, row.agg)
        if not shown:
            continue
        unit = "" if row.agg == "ratio" or row.unit_of_measure in ("", "%") \
            else f" {row.unit_of_measure}"
        parts.append(f"{_lower_first(row.name)}: {shown}{unit}")
    return "; ".join(parts)


def _task_paragraph(cons, task) -> str:
    phrase = status_of(task.status).phrase
    applicable = int(task.units) - int(task.not_applicable)
    text = f"- Nhiệm vụ {task.tt}. {task.text} (chủ trì: {task.lead}; thời hạn: {task.deadline}): "
    text += phrase
    if applicable > 1:
        text += f", {fmt_int(task.done)}/{fmt_int(applicable)} đơn vị đã hoàn thành"
    if task.missing:
        text += f", {fmt_int(task.missing)} đơn vị chưa báo cáo"
    if task.overdue:
        text += "; nhiệm vụ đã quá thời hạn"
    figures = indicator_prose(cons, task.tt)
    text += f". Kết quả: {figures}." if figures else "."
    return text


def notable_results(cons, tts: list[str]) -> list[str]:
    """A few units' own words per dimension: first non-empty results in plan order,
    one per unit, lead units first."""
    frame = cons.task_units
    part = frame[frame["tt"].isin(tts) & (frame["result"].astype(str).str.strip() != "")]
    order = {tt: n for n, tt in enumerate(tts)}
    part = part.assign(_task=part["tt"].map(order), _lead=(part["role"] != "Chủ trì"))
    part = part.sort_values(["_task", "_lead"], kind="stable")
    quotes, seen = [], set()
    for row in part.itertuples():
        if row.unit in seen:
            continue
        seen.add(row.unit)
        quotes.append(f"+ {row.unit_name} (nhiệm vụ {row.tt}): “{_quote(row.result)}”")
        if len(quotes) == QUOTES_PER_DIMENSION:
            break
    return quotes


def _counts(parts) -> str:
    """'2 nhiệm vụ đã hoàn thành, 1 nhiệm vụ đang thực hiện' without the zero parts."""
    shown = [f"{fmt_int(n)} nhiệm vụ {label}" for n, label in parts if n]
    return ", ".join(shown) or "chưa có nhiệm vụ nào được báo cáo"


def _dimensions(cons) -> list[dict]:
    out = []
    tasks = cons.tasks
    for index, dim in enumerate(cons.dimensions.itertuples(), start=1):
        part = tasks[tasks["dimension"] == dim.dimension]
        counts = _counts(((dim.done, "đã hoàn thành"), (dim.ongoing, "đang thực hiện"),
                          (dim.not_started, "chưa thực hiện")))
        paragraphs = [f"Nội dung này có {fmt_int(dim.tasks)} nhiệm vụ: {counts} (tỷ lệ hoàn "
                      f"thành {fmt_pct(dim.share_done)})."]
        paragraphs += [_task_paragraph(cons, task) for task in part.itertuples()]
        quotes = notable_results(cons, list(part["tt"]))
        if quotes:
            paragraphs.append("Một số kết quả nổi bật do các đơn vị báo cáo:")
            paragraphs += quotes
        out.append({"tieu_de": f"2.{index}. Nội dung {dim.dimension}: {dim.name}",
                    "doan": paragraphs})
    return out


def _score(value: float) -> str:
    """Index scores keep up to three decimals, without trailing zeros: 40,151; 42,5."""
    text = fmt_num(round(value, 3), 3)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _score_text(score: dict) -> str:
    text = f"{_score(score['score'])} điểm"
    if score.get("rank") and score.get("of"):
        text += f", xếp thứ {score['rank']}/{score['of']} tỉnh, thành phố"
    return text


def index_scores(plan) -> list[str]:
    """The index's baseline and later years, overall and by dimension when known."""
    name = plan.details.get("index_name") or "PAPI"
    overall = sorted((s for s in plan.scores if s["dimension"] == 0), key=lambda s: s["year"])
    by_dim = [s for s in plan.scores if s["dimension"] in plan.dimensions]
    if not overall and not by_dim:
        return [f"Kế hoạch chưa có số liệu điểm Chỉ số {name} của tỉnh để so sánh."]
    out = []
    plan_year = plan.details.get("year") or plan.date.year
    base = [s for s in overall if s["year"] < plan_year]
    later = [s for s in overall if s["year"] >= plan_year]
    if base:
        parts = [f"năm {s['year']} đạt {_score_text(s)}" for s in reversed(base)]
        out.append(f"Chỉ số {name} của tỉnh (số liệu làm cơ sở xây dựng Kế hoạch): "
                   + "; ".join(parts) + ".")
    for score in later:
        text = f"Năm {score['year']}, Chỉ số {name} của tỉnh đạt {_score_text(score)}"
        if base:
            change = score["score"] - base[-1]["score"]
            verb = "tăng" if change >= 0 else "giảm"
            text += f", {verb} {_score(abs(change))} điểm so với năm {base[-1]['year']}"
        out.append(text + ".")
    for year in sorted({s["year"] for s in by_dim}):
        parts = [f"{plan.dimensions[s['dimension']][1]} {_score(s['score'])}"
                 for s in sorted(by_dim, key=lambda s: s["dimension"]) if s["year"] == year]
        out.append(f"Điểm theo nội dung năm {year}: " + "; ".join(parts)
                   + " điểm (Biểu đồ 3).")
    return out


def _unit_lists(cons, state: str) -> str:
    """'cấp tỉnh: A, B; cấp xã (2 đơn vị): C, D' for the units in a submission state."""
    subs = cons.submissions
    part = subs[subs["state"] == state]
    groups = []
    for level, label in LEVEL_LABELS.items():
        names = list(part[part["level"] == level]["unit_name"])
        if names:
            groups.append(f"{label.lower()} ({fmt_int(len(names))} đơn vị): {', '.join(names)}")
    return "; ".join(groups)


def _overdue_lines(cons, prefix: str) -> list[str]:
    tasks = cons.tasks[cons.tasks["overdue"]]
    return [f"{prefix}nhiệm vụ {t.tt}. {t.text} (chủ trì: {t.lead}; thời hạn: {t.deadline})"
            for t in tasks.itertuples()]


def _notes(cons, kind: str):
    notes = cons.notes
    return notes[notes["kind"] == kind] if not notes.empty else notes


def _shortcomings(cons) -> list[str]:
    key = cons.key
    out = []
    if key["tasks_overdue"]:
        out.append(f"- Còn {fmt_int(key['tasks_overdue'])} nhiệm vụ đã quá thời hạn nhưng chưa "
                   "hoàn thành:")
        out += [line + ";" for line in _overdue_lines(cons, "+ ")]
    states = (("late", "đơn vị gửi báo cáo trễ hạn", key["units_late"]),
              ("missing", "đơn vị chưa gửi báo cáo", key["units_missing"]),
              ("rejected", "đơn vị gửi tệp báo cáo không hợp lệ, phải gửi lại",
               key["units_rejected"]))
    for state, label, count in states:
        if count:
            out.append(f"- Có {fmt_int(count)} {label}: {_unit_lists(cons, state)}.")
    difficulties = _notes(cons, KIND_DIFFICULTY)
    if not difficulties.empty:
        out.append("- Khó khăn, vướng mắc các đơn vị phản ánh:")
        for row in difficulties.head(NOTES_LISTED).itertuples():
            where = f" (nhiệm vụ {row.tt})" if row.tt else ""
            out.append(f"+ {row.unit_name}{where}: {_quote(row.text)}")
        if len(difficulties) > NOTES_LISTED:
            out.append(f"+ Và {fmt_int(len(difficulties) - NOTES_LISTED)} ý kiến khác (chi "
                       "tiết tại Biểu tổng hợp kèm theo).")
    if not out:
        out.append("- Các đơn vị đã gửi báo cáo đầy đủ, đúng hạn; không có nhiệm vụ quá hạn.")
    return out


def _causes(cons) -> list[str]:
    key = cons.key
    out = []
    difficulties = _notes(cons, KIND_DIFFICULTY)
    if not difficulties.empty:
        out.append(f"- Nguyên nhân khách quan: những khó khăn, vướng mắc nêu trên "
                   f"({fmt_int(len(difficulties))} ý kiến của "
                   f"{fmt_int(difficulties['unit'].nunique())} đơn vị).")
    if key["units_late"] or key["units_missing"] or key["units_rejected"]:
        out.append("- Nguyên nhân chủ quan: một số cơ quan, đơn vị chưa quan tâm đúng mức đến "
                   "việc theo dõi, báo cáo kết quả thực hiện Kế hoạch; việc gửi báo cáo còn "
                   "chậm hoặc chưa đúng biểu mẫu.")
    if key["tasks_overdue"]:
        out.append("- Một số nhiệm vụ chưa được các đơn vị chủ trì triển khai đúng thời hạn "
                   "Kế hoạch đề ra.")
    return out or ["- Không có tồn tại, hạn chế đáng kể trong kỳ báo cáo."]


def _next_tasks(cons, period, name, config) -> list[str]:
    following = period.next()
    tasks = cons.tasks
    open_tasks = tasks[~tasks["status"].isin([STATUS_DONE, STATUS_NA])]
    out = [f"Trong {following.label}, tiếp tục triển khai {fmt_int(len(open_tasks))} nhiệm vụ "
           "chưa hoàn thành của Kế hoạch, trong đó tập trung:"]
    out += [f"{line}." for line in _overdue_lines(cons, "- Khẩn trương triển khai, hoàn thành ")]
    for task in tasks[tasks["due_next"]].itertuples():
        out.append(f"- Hoàn thành nhiệm vụ {task.tt}. {task.text} (chủ trì: {task.lead}; thời "
                   f"hạn: {task.deadline}).")
    ongoing = open_tasks[~open_tasks["overdue"] & ~open_tasks["due_next"]]
    if not ongoing.empty:
        out.append(f"- Duy trì thực hiện các nhiệm vụ thường xuyên, định kỳ: nhiệm vụ "
                   f"{_names(list(ongoing['tt']))}.")
    days = config.get("deadline_days")
    levels = [r.level for r in _level_rates(cons).itertuples()]
    dates = _names([f"{LEVEL_LABELS[lv].lower()} trước {fmt_date_long(following.deadline(lv, days))}"
                    for lv in levels if lv in LEVEL_LABELS])
    text = f"- Các cơ quan, đơn vị gửi báo cáo {following.label} đúng thời hạn: {dates}"
    if cons.key["units_missing"]:
        text += (f"; {fmt_int(cons.key['units_missing'])} đơn vị chưa gửi báo cáo "
                 f"{period.label} khẩn trương gửi về {name}")
    return out + [text + "."]


def _proposals(cons, name, plan) -> list[dict]:
    groups = []
    proposals = _notes(cons, KIND_PROPOSAL)
    if not proposals.empty:
        for dim_name, part in proposals.groupby("dimension_name", sort=False):
            title = "Đề xuất chung của các đơn vị" if dim_name == GENERAL_DIMENSION else dim_name
            lines = [f"- {row.unit_name}: {_quote(row.text)}"
                     for row in part.head(NOTES_LISTED).itertuples()]
            if len(part) > NOTES_LISTED:
                lines.append(f"- Và {fmt_int(len(part) - NOTES_LISTED)} ý kiến khác (chi tiết "
                             "tại Biểu tổng hợp kèm theo).")
            groups.append({"tieu_de": title, "doan": lines})
    own = []
    issuer = plan.details.get("issuer", "")
    if cons.key["units_missing"] or cons.key["units_late"]:
        own.append(f"- Đề nghị {issuer} chỉ đạo các cơ quan, đơn vị chưa gửi hoặc gửi chậm "
                   f"báo cáo nghiêm túc thực hiện chế độ báo cáo theo Kế hoạch.")
    if cons.key["tasks_overdue"]:
        own.append(f"- Đề nghị {issuer} chỉ đạo các đơn vị chủ trì "
                   f"{fmt_int(cons.key['tasks_overdue'])} nhiệm vụ quá hạn tập trung hoàn "
                   "thành trong kỳ tới.")
    if own:
        groups.append({"tieu_de": f"Đề xuất của {name}", "doan": own})
    if not groups:
        groups.append({"tieu_de": "", "doan": ["Trong kỳ, các đơn vị không có đề xuất, "
                                               "kiến nghị."]})
    for number, group in enumerate(groups, start=1):
        if group["tieu_de"]:
            group["tieu_de"] = f"{number}. {group['tieu_de']}"
    return groups


# --------------------------------------------------------------------------- appendices

def _appendix_tasks(cons) -> list[dict]:
    groups = []
    tasks = cons.tasks
    for dim in cons.dimensions.itertuples():
        rows = []
        for task in tasks[tasks["dimension"] == dim.dimension].itertuples():
            applicable = int(task.units) - int(task.not_applicable)
            status = task.status + (" (quá hạn)" if task.overdue else "")
            rows.append({"tt": task.tt, "noi_dung": task.text, "chu_tri": task.lead,
                         "thoi_han": task.deadline,
                         "hoan_thanh": f"{fmt_int(task.done)}/{fmt_int(applicable)}",
                         "tinh_trang": status})
        groups.append({"so": roman(int(dim.dimension)), "ten": dim.name, "dong": rows})
    return groups


def _appendix_register(cons) -> list[dict]:
    groups = []
    subs = cons.submissions
    counter = 0
    for number, (level, label) in enumerate(
            ((lv, lb) for lv, lb in LEVEL_LABELS.items() if (subs["level"] == lv).any()),
            start=1):
        rows = []
        for row in subs[subs["level"] == level].itertuples():
            counter += 1
            received = row.received_at
            shown = "" if received is None or received != received else fmt_date(received)
            rows.append({"tt": fmt_int(counter), "don_vi": row.unit_name,
                         "han": fmt_date(row.deadline), "ngay_nhan": shown,
                         "tinh_trang": row.state_label,
                         "so_loi": fmt_int(row.findings) if row.findings else ""})
        groups.append({"so": roman(number), "ten": f"{label} ({fmt_int(len(rows))} đơn vị)",
                       "dong": rows})
    return groups


def _appendix_indicators(cons) -> list[dict]:
    frame = cons.indicators[cons.indicators["area"] == ""]
    dimension_of = dict(zip(cons.tasks["tt"], cons.tasks["dimension"], strict=True))
    groups = []
    for dim in cons.dimensions.itertuples():
        rows = [{"ma": r.code, "ten": r.name, "don_vi_tinh": r.unit_of_measure,
                 "gia_tri": _value(r.value, r.agg) or "Chưa có số liệu"}
                for r in frame.itertuples() if dimension_of.get(r.task) == dim.dimension]
        if rows:
            groups.append({"so": roman(int(dim.dimension)), "ten": dim.name, "dong": rows})
    return groups


# --------------------------------------------------------------------------- context

def build_context(cons, config: dict) -> dict:
    """Everything the template shows, as plain strings, lists and dicts (charts as PNG)."""
    plan = cons.plan
    period = _period(cons.period)
    day = report_date(config, period)
    name = body_name(config, plan)
    index = plan.details.get("index_name") or "PAPI"
    number = clean(config.get("number", ""))
    suffix = clean(config.get("number_suffix", ""))
    so_hieu = f"{number or NUMBER_BLANK}/{suffix}" if suffix else (number or NUMBER_BLANK)
    subject = f"Kết quả thực hiện Kế hoạch số {plan.number} ngày {fmt_date_plain(plan.date)} " \
              f"của {plan.details.get('issuer', '')}"
    if cons.scope:
        subject += f" trên địa bàn {_lower_first(plan.units[cons.scope].short)}"
    context = {
        "co_quan_chu_quan": clean(config.get("managing_body", "")).upper(),
        "co_quan_ban_hanh": clean(config.get("issuing_body", "")).upper(),
        "so_hieu": so_hieu,
        "dia_danh_ngay": f"{clean(config.get('place', ''))}, {fmt_date_long(day)}",
        "ngay_ngan": f"ngày {fmt_date_plain(day)}",
        "ten_co_quan": name,
        "trich_yeu": f"{subject} {period.label}",
        "chi_so": index,
        "can_cu": _legal_basis(cons, period, name),
        "lanh_dao": _leadership(cons, period, name),
        "tong_quan": _overview(cons),
        "noi_dung": _dimensions(cons),
        "diem_chi_so": index_scores(plan),
        "ton_tai": _shortcomings(cons),
        "nguyen_nhan": _causes(cons),
        "nhiem_vu_toi": _next_tasks(cons, period, name, config),
        "de_xuat": _proposals(cons, name, plan),
        "ket_luan": f"Trên đây là báo cáo kết quả thực hiện Kế hoạch số {plan.number} "
                    f"{period.label} của {name}, kính báo cáo {plan.details.get('issuer', '')} "
                    "xem xét, chỉ đạo./.",
        "noi_nhan": [*[clean(r) + ";" for r in config.get("recipients", [])[:-1]],
                     *[clean(r) + "." for r in config.get("recipients", [])[-1:]]],
        "tham_quyen": clean(config.get("authority", "")).upper(),
        "chuc_vu": clean(config.get("signer_title", "")).upper(),
        "nguoi_ky": clean(config.get("signer_name", "")),
        "phu_luc_nhiem_vu": _appendix_tasks(cons),
        "phu_luc_nop": _appendix_register(cons),
        "phu_luc_chi_tieu": _appendix_indicators(cons),
        "bieu_do_nop_bao_cao": charts.submission_by_level(_level_rates(cons)),
        "bieu_do_hoan_thanh": charts.completion_by_dimension(cons.dimensions),
        "bieu_do_diem": charts.scores_by_dimension(plan.scores, plan.dimensions, index),
    }
    return _sanitise(context)


# --------------------------------------------------------------------------- writing

def render(template: Path, context: dict) -> bytes:
    """The rendered .docx as bytes with fixed zip member times."""
    tpl = DocxTemplate(str(template))
    context = dict(context)
    for key in CHART_KEYS:
        png = context.get(key)
        context[key] = InlineImage(tpl, io.BytesIO(png), width=CHART_WIDTH) if png else ""
    try:
        tpl.render(context, autoescape=True)
    except jinja2.TemplateError as exc:
        line = f" (dòng {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise UsageError(f"Mẫu báo cáo {template} có thẻ sai{line}: {exc}. Sửa lại thẻ trong "
                         f"Word hoặc xóa tệp để dùng mẫu mặc định.") from None
    buffer = io.BytesIO()
    tpl.save(buffer)
    return normalise_zip(buffer.getvalue())


def write_report(workspace, cons, path, pdf=None) -> list[Path]:
    """Write the .docx (and its PDF: pdf=True requires LibreOffice, None = when present).

    Returns the files written, the .docx first.
    """
    path = Path(path)
    config = {**workspace.section("report"), "deadline_days": workspace.deadline_days}
    template = workspace.template(TEMPLATE_NAME)
    if not template.is_file():
        raise UsageError(f"Không tìm thấy mẫu báo cáo {TEMPLATE_NAME}; chạy "
                         "'python -m generator.render.template_builder' để tạo lại.")
    data = render(template, build_context(cons, config))
    with atomic_path(path, verify=verify_zip) as tmp:
        tmp.write_bytes(data)
    written = [path]
    if pdf is False:
        return written
    if office.soffice_path() is None:
        if pdf:
            raise UsageError(f"Đã ghi {path.name} nhưng chưa tạo được bản PDF. "
                             f"{office.INSTALL_HINT}")
        return written
    try:  # a PDF that cannot be made or replaced leaves the .docx written
        written.append(office.to_pdf(path, path.with_suffix(".pdf")))
    except UsageError as exc:
        raise PartialWrite([exc], written) from None
    return written
