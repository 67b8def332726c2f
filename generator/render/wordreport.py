"""The Word report to UBND tỉnh (Nghị định 30/2020/NĐ-CP), its charts and its PDF.

`build_context` turns a Consolidation into the plain data the template shows: a short body
written from the figures (5-8 pages for the default plan), the appendices with the detail
(tasks, receipts, indicators, units' comments), chart PNGs and the document's properties.
`write_report` renders templates/bao-cao.docx with docxtpl (autoescape on, so a unit's "<",
"&" or "{{" appear literally), sets the lines under the agency name, the motto and the
subject from the width of their text, normalises the zip so the same inputs give the same
bytes, and converts to PDF with LibreOffice when asked.

Figures and statuses are read from the consolidation's frames; the words for statuses and
states from generator.vocab. The body never repeats a task's full wording (Phụ lục I has
it) and never cuts a unit's sentence: comments are grouped (render.comments), quotes whole.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path

import jinja2
from docx.shared import Mm, Pt, Twips
from docxtpl import DocxTemplate, InlineImage
from holidays.countries.vietnam import Vietnam

from generator import office
from generator.consolidate.frames import KIND_DIFFICULTY, KIND_PROPOSAL
from generator.errors import PartialWrite, UsageError
from generator.excel import atomic_path, verify_zip
from generator.plan.periods import Period, parse_period
from generator.plan.workbook import LEVEL_LABELS, LEVELS, ROLE_LEAD
from generator.render import charts
from generator.render.comments import Group, folded, group_sentences, whole_quote
from generator.render.template_builder import (
    CELL_MARGIN_TWIPS,
    RULE_SHARE,
    TEMPLATE_NAME,
    normalise_zip,
    text_width,
)
from generator.text import clean, fmt_date_long, fmt_date_plain, fmt_int, fmt_num, fold, roman
from generator.vocab import (
    DONE,
    HELD,
    LATE,
    MISSING,
    NOT_APPLICABLE,
    NOT_REPORTED,
    NOT_STARTED,
    ON_TIME,
    ONGOING,
    REJECTED,
    STATUS_DONE,
    STATUS_NA,
    SUBMISSION_STATES,
)

RECEIVED = (ON_TIME.key, LATE.key)  # states of a unit whose report is counted

CHART_KEYS = ("bieu_do_nop_bao_cao", "bieu_do_hoan_thanh", "bieu_do_diem", "bieu_do_diem_nam")
CHART_WIDTH = Mm(140)
NUMBER_BLANK = " " * 7  # "Số:        /BC-SNV" until the clerk writes the number
QUOTES_PER_DIMENSION = 1  # the body stays within 8 pages; the rest is in the workbook
FIGURES_PER_DIMENSION = 3
POINTS_IN_BODY = 5  # most-raised difficulties / proposals per group in the body
NAMES_IN_CELL = 4  # Phụ lục IV names the units up to this many, else counts them by level
# Words written out at first use (NĐ 30: abbreviations explained where first used).
ABBREVIATIONS = {"UBND": "Ủy ban nhân dân", "HĐND": "Hội đồng nhân dân"}
# Verbs that open a proposal; the body named right after is whom it is addressed to.
_PROPOSAL_VERB = re.compile(r"^(đề nghị|kiến nghị|đề xuất|mong|xin)\s+", re.IGNORECASE)
# Characters XML 1.0 forbids: a unit's cell may hold them (Excel accepts \x0b), Word won't.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NBSP = "\u00a0"
_DIGIT = re.compile(r"\d")


# --------------------------------------------------------------------------- small helpers

def _period(value) -> Period:
    return value if isinstance(value, Period) else parse_period(str(value))


def _lower_first(text: str) -> str:
    """'Số hội nghị' -> 'số hội nghị', but 'UBND ...' and 'PAPI ...' keep their capitals."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _names(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " và " + names[-1]


def _pct(ratio) -> str:
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return ""
    return charts.share_text(ratio)


def _value(value, agg: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _pct(value) if agg == "ratio" else fmt_num(value)


def _day(value) -> str:
    """Prose dates: 'ngày 14 tháng 9 năm 2022'."""
    return fmt_date_long(_as_date(value))


def _cell_day(value) -> str:
    """Table dates: '14/9/2022'; '' for none."""
    day = _as_date(value)
    return fmt_date_plain(day) if day is not None else ""


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp (NaT is caught below)
        value = None if value != value else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _sentence_end(text: str) -> str:
    """A unit's sentence without its final full stop, to continue it: 'x (5 đơn vị nêu)'."""
    return clean(text).rstrip(" .;")


def _sanitise(value):
    """Drop characters XML cannot hold, everywhere in the context."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {k: _sanitise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitise(v) for v in value]
    return value


def spelled(name: str) -> str:
    """'UBND tỉnh Lào Cai' -> 'Ủy ban nhân dân tỉnh Lào Cai'."""
    words = clean(name).split(" ")
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def short_issuer(plan) -> str:
    """How the body names the plan's issuer after first use: 'UBND tỉnh'."""
    words = clean(plan.details.get("issuer", "")).split(" ")
    return " ".join(words[:2]) if words and words[0] in ABBREVIATIONS else " ".join(words)


def body_name(config: dict, plan) -> str:
    """The issuing body in running text: 'Sở Nội vụ', not 'SỞ NỘI VỤ'."""
    issuing = clean(config.get("issuing_body", ""))
    for unit in (plan.focal, *plan.units.values()):
        if fold(unit.name) == fold(issuing):
            return unit.name
    return issuing[:1] + issuing[1:].lower() if issuing else plan.focal.name


def addressee(config: dict, plan) -> str:
    """'Kính gửi': the configured addressee, else the plan's issuer, written out."""
    return clean(config.get("addressee", "")) or spelled(plan.details.get("issuer", ""))


def plan_subject(plan) -> str:
    """The plan's title without 'Kế hoạch': 'cải thiện Chỉ số ... (PAPI) ... năm 2022'."""
    title = clean(plan.details.get("title", ""))
    return title[len("Kế hoạch "):] if fold(title).startswith("ke hoach ") else title


def short_title(plan, index: str) -> str:
    """'Kế hoạch cải thiện Chỉ số PAPI của tỉnh Lào Cai năm 2022': the index by its short
    name (the long one is written once, in the opening)."""
    subject = plan_subject(plan)
    if index:
        subject = re.sub(rf"Chỉ số [^()]*\({re.escape(index)}\)", f"Chỉ số {index}", subject)
    return f"Kế hoạch {subject}" if subject else f"Kế hoạch số {plan.number}"


def _keep_together(text: str, *phrases: str) -> str:
    """Non-breaking spaces inside names and dates, so a line never breaks 'Lào / Cai'."""
    for phrase in phrases:
        if phrase:
            text = text.replace(phrase, phrase.replace(" ", NBSP))
    return text


# --------------------------------------------------------------------------- date and cut-off

def last_receipt(cons) -> dt.datetime | None:
    """When the last file the report counts arrived (any unit, any state)."""
    received = [_as_datetime(v) for v in cons.submissions["received_at"]]
    received = [v for v in received if v is not None]
    return max(received) if received else None


def _as_datetime(value) -> dt.datetime | None:
    if value is None or value != value:  # None or NaT
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def next_working_day(day: dt.date) -> dt.date:
    """The first day after `day` that is neither a weekend nor a Vietnamese public holiday."""
    public = Vietnam(years=range(day.year, day.year + 2))
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in public:
        day += dt.timedelta(days=1)
    return day


def report_date(config: dict, cons) -> dt.date:
    """The given date ([report] date or --ngay), else the first working day after both the
    province's deadline and the last receipt counted: a report is never dated before the
    data it counts (a given date that is earlier is refused, naming the receipt)."""
    period = _period(cons.period)
    last = last_receipt(cons)
    given = _given_date(config.get("date"))
    if given is None:
        floor = period.deadline("tinh", config.get("deadline_days"))
        if last is not None:
            floor = max(floor, last.date())
        return next_working_day(floor)
    if last is not None and given < last.date():
        raise UsageError(f"Ngày báo cáo {fmt_date_plain(given)} trước ngày nhận báo cáo cuối "
                         f"cùng được tổng hợp ({fmt_date_plain(last.date())}); chọn ngày từ "
                         f"{fmt_date_plain(last.date())} trở đi (--ngay hoặc date trong mục "
                         "[report] của baocao.toml), hoặc để trống để công cụ tự chọn.")
    return given


def _given_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise UsageError(f"Ngày báo cáo '{text}' trong mục [report] của baocao.toml không hợp lệ; "
                     "ghi theo dạng 14/9/2022 hoặc để trống.")


# The placeholder signer earlier versions wrote into baocao.toml: never printed as a name.
PLACEHOLDER_SIGNERS = frozenset({"nguyen van a"})


def signer(config: dict) -> str:
    name = clean(config.get("signer_name", ""))
    return "" if fold(name) in PLACEHOLDER_SIGNERS else name


def config_warnings(config: dict) -> list[str]:
    """What the officer should know before signing (`report` prints these)."""
    out = []
    if not signer(config):
        out.append("Chưa khai báo người ký (signer_name trong mục [report] của baocao.toml): "
                   "dòng tên người ký trong báo cáo để trống.")
    return out


# --------------------------------------------------------------------------- seams for issue 12

def next_report_period(period: Period) -> Period:
    """The plan's next reporting period: Quý I -> 6 tháng -> Quý III -> năm (NĐ 09/2019 and
    plan 239 IV.2); months and other kinds go to the next of their kind.
    One place to switch to the plan's own cadence when the plan carries it."""
    if period.kind == "quarter" and period.number == 1:
        return Period("half", period.year, 0)
    if (period.kind == "half") or (period.kind == "quarter" and period.number == 2):
        return Period("quarter", period.year, 3)
    if period.kind == "nine" or (period.kind == "quarter" and period.number in (3, 4)):
        return Period("year", period.year, 0)
    if period.kind == "year":
        return Period("quarter", period.year + 1, 1)
    return period.next()


def district_completeness(cons) -> list[tuple[str, int, int]]:
    """(district name, communes that sent a usable report, communes) for each district with
    communes in scope, from the submissions frame. One place to switch to issue 12's
    per-district figures."""
    # Communes report through their district (the plan's reporting line): the coverage
    # frame counts those that reported, by their own file or inside the district's return.
    if len(cons.coverage):
        return [(r.unit_name, int(r.reported), int(r.expected))
                for r in cons.coverage.itertuples()]
    subs = cons.submissions
    communes = subs[subs["level"] == "xa"]
    out = []
    for row in subs[subs["level"] == "huyen"].itertuples():
        mine = communes[communes["parent"] == row.unit]
        if len(mine):
            sent = int(mine["state"].isin(RECEIVED).sum())
            out.append((cons.plan.units[row.unit].short, sent, len(mine)))
    return out


# --------------------------------------------------------------------------- I.1

def _opening(cons, period, name, index) -> list[str]:
    plan = cons.plan
    issuer = clean(plan.details.get("issuer", ""))
    first_use, short = spelled(issuer), short_issuer(plan)
    if short != first_use:  # 'Ủy ban nhân dân tỉnh Lào Cai (UBND tỉnh)': the abbreviation
        first_use += f" ({short})"  # used from here on, explained where first used
    where = f" trên địa bàn {_lower_first(cons.area_name)}" if cons.scope else ""
    return [f"Thực hiện Kế hoạch số {plan.number} {_day(plan.date)} của {first_use} về "
            f"{plan_subject(plan)} (sau đây gọi là Kế hoạch), {name} báo cáo kết quả thực "
            f"hiện Kế hoạch{where} {period.label} như sau:"]


CHANGES_PER_UNIT = 3  # values a resent return changed, named in the body; all in the workbook
UNITS_NAMED = 6  # units whose returns arrived or changed after sign-off, named in the body


def _signed_day(closing) -> str:
    """The signed report's date as given at closing (dd/mm/yyyy), else the day it was
    closed."""
    try:
        day = _given_date(closing.date)
    except UsageError:  # kept as typed: the number and date are the clerk's
        return clean(closing.date)
    return fmt_date_plain(day or closing.at.date())


def _replaced(cons, period, name) -> list[str]:
    """A reopened period's report: the signed report it replaces (NĐ 30 style) and what
    changed since it was signed."""
    since = cons.replaces
    if since is None:
        return []
    signed, plan = since.signed, cons.plan
    what = (f"Báo cáo số {clean(signed.number)} ngày {_signed_day(signed)}" if
            clean(signed.number) else f"báo cáo ngày {_signed_day(signed)}")
    reason = _sentence_end(since.reopened.reason)
    out = [f"Báo cáo này thay thế {what} của {name} về kết quả thực hiện Kế hoạch "
           f"{period.label} (kỳ báo cáo được mở lại {_day(since.reopened.at)}"
           + (f", lý do: {reason}" if reason else "") + ")."]
    parts = []
    if since.arrived:
        names = [f"{plan.units[r.unit].name} (nhận {_cell_day(r.received_at)})"
                 if r.unit in plan.units else r.unit for r in since.arrived]
        parts.append("nhận thêm báo cáo của " + _names(_named(names)))
    by_unit: dict[str, list] = {}
    for change in since.changes:
        by_unit.setdefault(change.unit, []).append(change)
    for unit, changed in list(by_unit.items())[:UNITS_NAMED]:
        parts.append(_resent(plan, unit, changed))
    if len(by_unit) > UNITS_NAMED:
        parts.append(f"{fmt_int(len(by_unit) - UNITS_NAMED)} đơn vị khác gửi lại số liệu")
    if not parts:
        out.append("Sau khi báo cáo được ký, không có đơn vị gửi thêm hay gửi lại số liệu "
                   "khác với số liệu đã tổng hợp.")
        return out
    tail = (" (chi tiết từng ô số liệu thay đổi tại trang Số liệu gửi lại của bảng tổng hợp "
            "gửi kèm)" if since.changes else "")
    out.append(f"Những điểm thay đổi so với báo cáo đã ký{tail}:")
    out += [f"- {part[0].upper()}{part[1:]}" + (";" if i < len(parts) - 1 else ".")
            for i, part in enumerate(parts)]
    return out


def _named(names: list[str]) -> list[str]:
    if len(names) <= UNITS_NAMED:
        return names
    return names[:UNITS_NAMED] + [f"{fmt_int(len(names) - UNITS_NAMED)} đơn vị khác"]


def _resent(plan, unit: str, changed: list) -> str:
    """'Sở Tư pháp gửi lại báo cáo (nhận 13/9/2022): Nhiệm vụ 1.2 – Kết quả thực hiện từ
    “…” thành “…”; …'"""
    name = plan.units[unit].name if unit in plan.units else unit
    shown = [f"{c.where} từ “{c.old or 'để trống'}” thành “{c.new or 'để trống'}”"
             for c in changed[:CHANGES_PER_UNIT]]
    more = (f" và {fmt_int(len(changed) - CHANGES_PER_UNIT)} nội dung khác"
            if len(changed) > CHANGES_PER_UNIT else "")
    return (f"{name} gửi lại báo cáo (nhận {_cell_day(changed[-1].new_received)}), thay đổi: "
            + "; ".join(shown) + more)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def trend_series(trends, kind: str):
    """(period ids, period labels, [(item, item name, agg, [value by period])]) of one
    comparison, periods oldest first, this period last."""
    part = trends[trends["kind"] == kind]
    periods = list(dict.fromkeys(part["period"]))
    labels = [_capital(parse_period(p).label) for p in periods]
    labels[-1] += " (kỳ này)"
    value = {(r.item, r.period): float(r.value) for r in part.itertuples()}
    items = dict.fromkeys((r.item, r.item_name, r.agg) for r in part.itertuples())
    return periods, labels, [(item, name, agg, [value.get((item, p), math.nan)
                                                for p in periods])
                             for item, name, agg in items]


def trend_charts(trends, first: int) -> list[dict]:
    """The trend charts (PNG) with their captions, numbered from `first`."""
    if trends is None or trends.empty:
        return []
    out = []
    _ids, labels, rows = trend_series(trends, "completion")
    out.append((charts.shares_by_period([n for _i, n, _a, _v in rows], labels,
                                        [v for *_x, v in rows], "Tỷ lệ nhiệm vụ hoàn thành"),
                "Tỷ lệ nhiệm vụ hoàn thành theo nội dung qua các kỳ đã chốt"))
    _ids, labels, rows = trend_series(trends, "on_time")
    out.append((charts.shares_by_period([n for _i, n, _a, _v in rows], labels,
                                        [v for *_x, v in rows], "Tỷ lệ đơn vị gửi đúng hạn"),
                "Tỷ lệ đơn vị gửi báo cáo đúng hạn theo cấp qua các kỳ đã chốt"))
    _ids, labels, rows = trend_series(trends, "indicator")
    out.append((charts.indicators_by_period([(n, a, v) for _i, n, a, v in rows], labels),
                "Một số chỉ tiêu chính của toàn tỉnh qua các kỳ đã chốt"))
    return [{"hinh": png, "chu_thich": f"Biểu đồ {first + n}. {caption}"}
            for n, (png, caption) in enumerate(c for c in out if c[0])]


def _series_text(values, agg: str) -> str:
    """'lần lượt 10,3%, 15,4% và kỳ này 15,4%': earlier periods oldest first."""
    shown = [_value(v, agg) or "chưa có số liệu" for v in values]
    return f"lần lượt {', '.join(shown[:-1])} và kỳ này {shown[-1]}"


def trend_paragraphs(cons, first: int) -> list[str]:
    """What the trend charts show, in words; nothing without an earlier closed period."""
    trends = cons.trends
    if trends is None or trends.empty:
        return []
    ids, labels, rows = trend_series(trends, "completion")
    earlier = [_lower_first(label) for label in labels[:-1]]
    whole = next(v for i, _n, _a, v in rows if i == "")
    _ids, _labels, levels = trend_series(trends, "on_time")
    total = next(v for i, _n, _a, v in levels if i == "")
    out = [f"So với {fmt_int(len(earlier))} kỳ báo cáo trước đã chốt ({_names(earlier)}): tỷ "
           f"lệ nhiệm vụ hoàn thành (trên số nhiệm vụ có phát sinh) {_series_text(whole, 'ratio')}"
           f" (Biểu đồ {first}); tỷ lệ đơn vị gửi báo cáo đúng hạn "
           f"{_series_text(total, 'ratio')} (Biểu đồ {first + 1})."]
    moves = sorted(((v[-1] - v[-2], n, v) for i, n, _a, v in rows if i and
                    not math.isnan(v[-1] - v[-2])), key=lambda m: -m[0])
    if moves and moves[0][0] > 0:
        gain, name, values = moves[0]
        out.append(f"So với {earlier[-1]}, nội dung có tỷ lệ hoàn thành tăng nhiều nhất là "
                   f"{name} (từ {_pct(values[-2])} lên {_pct(values[-1])}).")
    _ids, _labels, indicators = trend_series(trends, "indicator")
    parts = [f"{name}: {_series_text(values, agg)}" for _i, name, agg, values in indicators]
    # Periods of different lengths: a flow over "6 tháng" holds the first quarter's too.
    mixed = len({parse_period(p).kind for p in ids}) > 1 and \
        any(agg == "sum" for _i, _n, agg, _v in indicators)
    if parts:
        out.append("Một số chỉ tiêu chính của toàn tỉnh (chỉ tiêu đầu tiên của mỗi loại trong "
                   "Kế hoạch: cộng dồn, thời điểm, tỷ lệ) qua các kỳ: " + "; ".join(parts)
                   + f" (Biểu đồ {first + 2})." + (
                       " Chỉ tiêu cộng dồn tính trong thời gian chốt số liệu của từng kỳ, nên "
                       "kỳ 6 tháng, 9 tháng, năm bao gồm cả các quý trước trong năm." if mixed
                       else ""))
    if getattr(cons, "trends_note", ""):  # earlier periods of the plan before the reform
        out.append(cons.trends_note)
    out.append("Số liệu các kỳ trước được tổng hợp lại từ sổ theo dõi theo cùng cách tính của "
               "báo cáo này (kể cả báo cáo đơn vị gửi sau khi chốt kỳ, nếu có); chi tiết tại "
               "trang So sánh các kỳ của bảng tổng hợp gửi kèm.")
    return out


def annual_note(cons) -> list[str]:
    """How a year's figures are made: from the units' annual returns, whose window is the
    whole year, never by adding the year's quarters and halves (they overlap)."""
    period = _period(cons.period)
    if period.kind != "year":
        return []
    return [f"Số liệu cả năm {period.year} tổng hợp từ báo cáo năm của các đơn vị (số liệu "
            f"tính từ {_day(period.cutoff_start)} đến {_day(period.cutoff_end)}): chỉ tiêu cộng "
            "dồn là tổng của các đơn vị trong cả năm, chỉ tiêu thời điểm lấy số liệu cuối kỳ, "
            "chỉ tiêu tỷ lệ tính từ tổng tử số và tổng mẫu số; không cộng thêm số liệu các kỳ "
            "quý, 6 tháng, 9 tháng vì các kỳ này nằm trong năm (cộng lại sẽ tính trùng)."]


def _level_rates(cons):
    rates = cons.rates
    return rates[rates["level"] != ""] if not rates.empty else rates


def _deployment(cons, period, name) -> list[str]:
    key = cons.key
    rates = _level_rates(cons)
    breakdown = _names([f"{fmt_int(r.expected)} đơn vị {r.level_name.lower()}"
                        for r in rates.itertuples()])
    subs = cons.submissions
    flagged = int(((subs["findings"] > 0) & subs["state"].isin(RECEIVED)).sum())
    out = [f"{name} đã gửi biểu mẫu báo cáo {period.label} đến {fmt_int(key['units_expected'])}"
           f" cơ quan, đơn vị được giao nhiệm vụ ({breakdown}); mỗi đơn vị nhận một biểu mẫu "
           "gồm các nhiệm vụ và chỉ tiêu của mình. Báo cáo gửi về được kiểm tra, ghi sổ theo dõi"
           " và tổng hợp bằng công cụ tổng hợp báo cáo"
           + (f"; {fmt_int(flagged)} đơn vị có sai sót trong biểu mẫu được gửi phiếu phản "
              "hồi để sửa." if flagged else ".")]
    last = last_receipt(cons)
    counted = f", tổng hợp từ các báo cáo nhận được đến hết {_day(last)}" if last else ""
    out.append(f"Số liệu báo cáo tính từ {_day(period.cutoff_start)} đến "
               f"{_day(period.cutoff_end)}{counted}.")
    expected = key["units_expected"]
    received = [f"{fmt_int(key[k])} đơn vị {w}" for k, w in (
        ("units_on_time", "gửi đúng hạn"), ("units_late", "gửi trễ hạn")) if key[k]]
    text = (f"Đã nhận báo cáo của {fmt_int(key['units_received'])}/{fmt_int(expected)} cơ quan,"
            f" đơn vị ({_pct(key['units_received'] / expected if expected else 0)})"
            + (f", trong đó {', '.join(received)}" if received else ""))
    # Every unit not counted is accounted for, each state named only when it has units.
    for count, words in ((key["units_missing"], "chưa gửi báo cáo"),
                         (key["units_rejected"], "gửi tệp không hợp lệ"),
                         (key["units_held"], "gửi tệp đang chờ xác nhận (thông tin nhận dạng "
                          "trong tệp không khớp với tên tệp, địa chỉ gửi hoặc tên đơn vị ghi "
                          f"trên biểu mẫu; {name} đang xác minh với đơn vị)")):
        if count:
            text += f"; {fmt_int(count)} đơn vị {words}"
    by_level = _names([f"{r.level_name.lower()} {fmt_int(r.received)}/{fmt_int(r.expected)}"
                       for r in rates.itertuples()])
    out.append(text + f". Theo cấp: {by_level} đơn vị (Biểu đồ 1; chi tiết từng đơn vị tại "
                      "Phụ lục II).")
    short = [f"{_lower_first(n)} {fmt_int(s)}/{fmt_int(t)}"
             for n, s, t in district_completeness(cons) if s < t]
    if short:
        out.append("Số đơn vị cấp xã đã gửi báo cáo ở các huyện chưa đủ: " + ", ".join(short)
                   + ".")
    return out


# --------------------------------------------------------------------------- I.2

def _known_scores(plan, day: dt.date) -> list[dict]:
    """Index scores published by the report's date: a year's index comes out the next year."""
    return [s for s in plan.scores if s["year"] < day.year]


def _score(value: float) -> str:
    """Index scores keep up to four decimals, without trailing zeros: 40,151; 42,96."""
    text = fmt_num(round(value, 4), 4)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _score_text(score: dict) -> str:
    text = f"{_score(score['score'])} điểm"
    if score.get("rank") and score.get("of"):
        text += f", xếp thứ {score['rank']}/{score['of']} tỉnh, thành phố"
    return text


def _overall(scores) -> list[dict]:
    return sorted((s for s in scores if s["dimension"] == 0 and s.get("score") is not None),
                  key=lambda s: s["year"])


def _groups_of(scores, year: int, dimensions) -> dict[str, list[int]]:
    """{'nhóm đạt điểm thấp nhất': [3, 4, 6, 7], ...} for a year, in the plan's order."""
    out: dict[str, list[int]] = {}
    for s in scores:
        if s["year"] == year and s["dimension"] in dimensions and s.get("group"):
            out.setdefault(s["group"], []).append(s["dimension"])
    return out


def _plan_year(plan) -> int:
    return plan.details.get("year") or plan.date.year


def _baseline(plan, day: dt.date) -> dict | None:
    """The overall score the plan starts from: the last year before the plan's (else the
    first known), as published by the report's date."""
    overall = _overall(_known_scores(plan, day))
    before = [s for s in overall if s["year"] < _plan_year(plan)]
    return (before or overall or [None])[-1 if before else 0]


def index_paragraphs(plan, day: dt.date, index: str, chart: bool = False) -> list[str]:
    """The index the plan starts from (score, rank, groups), its target, later results."""
    scores = _known_scores(plan, day)
    overall = _overall(scores)
    latest = _baseline(plan, day)
    if latest is None:
        return [f"Kế hoạch chưa có số liệu điểm Chỉ số {index} của tỉnh để so sánh."]
    plan_year = _plan_year(plan)
    base = [s for s in overall if s["year"] <= latest["year"]]
    text = f"Năm {latest['year']}, Chỉ số {index} của tỉnh đạt {_score_text(latest)}"
    if latest.get("group"):
        text += f", thuộc {latest['group']}"
    where = "; điểm từng nội dung tại Biểu đồ 3" if chart else ""
    if len(base) > 1:
        before = base[-2]
        text += f" (năm {before['year']}: {_score_text(before)}{where})"
    elif where:
        text += f" ({where[2:]})"
    groups = _groups_of(scores, latest["year"], plan.dimensions)
    total = len(plan.dimensions)
    parts = [f"{len(dims):02d}/{total:02d} nội dung thuộc {group} ("
             + _names([plan.dimensions[d][1] for d in dims]) + ")"
             for group, dims in groups.items()]
    out = [text + ("; " + "; ".join(parts) if parts else "") + "."]
    target = clean(plan.details.get("index_target", ""))
    if target:
        out.append(f"Mục tiêu của Kế hoạch: Chỉ số {index} năm {plan_year} {target}.")
    for score in (s for s in overall if s["year"] > latest["year"]):
        change = score["score"] - latest["score"]
        verb = "tăng" if change >= 0 else "giảm"
        out.append(f"Năm {score['year']}, Chỉ số {index} của tỉnh đạt {_score_text(score)}, "
                   f"{verb} {_score(abs(change))} điểm so với năm {latest['year']}.")
    return out


def _year_caption(plan, index: str, number: int) -> str:
    """'Biểu đồ 4. Điểm Chỉ số PAPI của tỉnh qua các năm; mục tiêu của Kế hoạch: …'"""
    target = clean(plan.details.get("index_target", ""))
    text = f"Biểu đồ {number}. Điểm Chỉ số {index} của tỉnh qua các năm"
    if target:
        text += f"; mục tiêu của Kế hoạch: Chỉ số {index} năm {_plan_year(plan)} {target}"
    return text


def _results_intro(cons, index, day, has_score_chart: bool) -> list[str]:
    key = cons.key
    period = _period(cons.period)
    na = key.get("tasks_not_applicable", 0)
    parts = [f"{fmt_int(n)} nhiệm vụ {what}" for n, what in (
        (key["tasks_ongoing"], "đang thực hiện"), (key["tasks_not_started"], "chưa thực hiện"),
        (na, "không phát sinh trong kỳ")) if n]
    text = (f"Kế hoạch có {fmt_int(key['tasks'])} nhiệm vụ thuộc {len(cons.dimensions)} nội "
            f"dung của Chỉ số {index}. Tính đến {_day(period.cutoff_end)}, "
            f"{fmt_int(key['tasks_done'])} nhiệm vụ đã hoàn thành "
            f"({_pct(key['share_done'])} số nhiệm vụ có phát sinh trong kỳ)"
            + "".join(f", {part}" for part in parts))
    if key["tasks_overdue"]:
        text += f"; {fmt_int(key['tasks_overdue'])} nhiệm vụ đã quá thời hạn mà chưa hoàn thành"
    out = [text + " (Biểu đồ 2; tình hình từng nhiệm vụ tại Phụ lục I, kết quả các chỉ tiêu "
                  "tại Phụ lục III)."]
    out += index_paragraphs(cons.plan, day, index, has_score_chart)
    # The quotes come from units that finished their own part (notable_results), also under
    # a task still "đang thực hiện" overall: the sentence must not say the task is done.
    out.append("Kết quả nổi bật nêu ở từng nội dung dưới đây được trích từ báo cáo của các cơ "
               "quan, đơn vị đã hoàn thành phần việc của mình trong kỳ (nhiệm vụ giao nhiều đơn "
               "vị chỉ được tính là hoàn thành khi mọi đơn vị báo cáo đều đã hoàn thành), ưu "
               "tiên kết quả có số liệu và đơn vị chủ trì, mỗi cơ quan, đơn vị được nêu một lần, "
               "trích nguyên văn câu đơn vị báo cáo; kết quả của từng đơn vị tại trang Kết quả "
               "thực hiện của bảng tổng hợp gửi kèm.")
    return out


def _tts(frame) -> str:
    return ", ".join(frame["tt"])


def _status_counts(part) -> str:
    """'1 nhiệm vụ đã hoàn thành (1.1), 2 nhiệm vụ đang thực hiện (1.2, 1.3)'."""
    shown = []
    for status in (DONE, ONGOING, NOT_STARTED, NOT_APPLICABLE):
        rows = part[part["status"] == status.value]
        if len(rows):
            shown.append(f"{fmt_int(len(rows))} nhiệm vụ {status.value.lower()} ({_tts(rows)})")
    return ", ".join(shown) or "chưa có nhiệm vụ nào được báo cáo"


def key_figures(cons, tts: list[str]) -> list[str]:
    """Up to three whole-area figures: for each task in order its first ratio (shares compare
    across areas), else its first count."""
    frame = cons.indicators
    rows = frame[(frame["area"] == "") & frame["task"].isin(tts)]
    picked = []
    for tt in tts:
        mine = [r for r in rows[rows["task"] == tt].itertuples() if _value(r.value, r.agg)]
        mine.sort(key=lambda r: r.agg != "ratio")
        if mine:
            picked.append(mine[0])
        if len(picked) == FIGURES_PER_DIMENSION:
            break
    out = []
    for row in picked:
        unit = "" if row.agg == "ratio" or row.unit_of_measure in ("", "%") \
            else f" {row.unit_of_measure}"
        out.append(f"{_lower_first(row.name)}: {_value(row.value, row.agg)}{unit}"
                   f"{_partly(row)}")
    return out


def _partly(row) -> str:
    """' (140/152 đơn vị báo cáo)' when a figure is made from fewer units than report it."""
    if not row.expected or row.reported >= row.expected:
        return ""
    return f" ({fmt_int(row.reported)}/{fmt_int(row.expected)} đơn vị báo cáo)"


def notable_results(cons, tts: list[str], used: set[str]) -> list[str]:
    """Whole sentences from units that completed a task in the period: results with figures
    first, lead units first, then by level (province, district, commune) and plan order;
    one quote per unit in the whole report (`used`), one per task, no wording twice."""
    period = _period(cons.period)
    frame = cons.task_units
    part = frame[frame["tt"].isin(tts) & (frame["status"] == STATUS_DONE)
                 & (frame["result"] != "") & frame["completed_on"].notna()]
    order = {tt: n for n, tt in enumerate(tts)}
    level = {lv: n for n, lv in enumerate(LEVELS)}
    candidates = []
    for n, row in enumerate(part.itertuples()):
        done_on = _as_date(row.completed_on)
        if done_on is None or not period.cutoff_start <= done_on <= period.cutoff_end:
            continue
        quote = whole_quote(row.result)
        if quote is None:
            continue
        rank = (_DIGIT.search(quote) is None, row.role != ROLE_LEAD,
                level.get(row.level, 9), order[row.tt], n)
        candidates.append((rank, row, quote))
    quotes, tasks, wordings = [], set(), set()
    for _rank, row, quote in sorted(candidates, key=lambda c: c[0]):
        if row.unit in used or row.tt in tasks or folded(quote) in wordings:
            continue
        used.add(row.unit)
        tasks.add(row.tt)
        wordings.add(folded(quote))
        quotes.append(f"- {row.unit_name} (nhiệm vụ {row.tt}): “{quote}”")
        if len(quotes) == QUOTES_PER_DIMENSION:
            break
    return quotes


def _index_link(cons, number: int, short: str, day: dt.date) -> str:
    """'Năm 2021, nội dung Trách nhiệm giải trình thuộc nhóm đạt điểm thấp nhất; năm 2020
    đạt 4,98 điểm.' from the scores known by the report's date."""
    scores = [s for s in _known_scores(cons.plan, day) if s["dimension"] == number]
    grouped = sorted((s for s in scores if s.get("group")), key=lambda s: s["year"])
    scored = sorted((s for s in scores if s.get("score") is not None), key=lambda s: s["year"])
    parts = []
    if grouped:
        parts.append(f"năm {grouped[-1]['year']}, nội dung {short} thuộc {grouped[-1]['group']}")
    if scored:
        last = scored[-1]
        who = "" if grouped else f"nội dung {short} "
        parts.append(f"năm {last['year']} {who}đạt {_score(last['score'])} điểm")
    if not parts:
        return ""
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _dimensions(cons, day: dt.date) -> list[dict]:
    out, used = [], set()
    tasks = cons.tasks
    for index, dim in enumerate(cons.dimensions.itertuples(), start=1):
        number = int(dim.dimension)
        short = cons.plan.dimensions.get(number, (dim.name, dim.name))[1]
        part = tasks[tasks["dimension"] == dim.dimension]
        text = f"Nội dung {short} có {fmt_int(len(part))} nhiệm vụ: {_status_counts(part)}"
        overdue = part[part["overdue"]]
        if len(overdue):
            text += f"; nhiệm vụ {_tts(overdue)} đã quá thời hạn"
        text += "."
        figures = key_figures(cons, list(part["tt"]))
        if figures:
            text += " Kết quả chính: " + "; ".join(figures) + "."
        link = _index_link(cons, number, short, day)
        if link:
            text += " " + link
        paragraphs = [text, *notable_results(cons, list(part["tt"]), used)]
        out.append({"tieu_de": f"2.{index}. Nội dung {number}: {dim.name}",
                    "doan": paragraphs})
    return out


# --------------------------------------------------------------------------- I.3

def _assessment(cons, day: dt.date, index: str) -> list[str]:
    key, dims, plan = cons.key, cons.dimensions, cons.plan
    applicable = key["tasks"] - key.get("tasks_not_applicable", 0)
    started = key["tasks_done"] + key["tasks_ongoing"]
    expected = key["units_expected"]
    out = [f"Các cơ quan, đơn vị đã triển khai {fmt_int(started)}/{fmt_int(applicable)} nhiệm "
           f"vụ có phát sinh trong kỳ (đã hoàn thành hoặc đang thực hiện); "
           f"{_pct(key['units_received'] / expected if expected else 0)} cơ quan, đơn vị "
           "gửi báo cáo."]
    ranking = _completion_ranking(dims, plan)
    if ranking:
        out.append(ranking)
    out += _weak_dimensions(cons, day, index)
    return out


def _completion_ranking(dims, plan) -> str:
    """Where the share of tasks done is highest and lowest, naming every dimension at
    either end (six dimensions at 0% are six, not the last one sorted); dimensions where
    no task arose have no share and are left out."""
    shares: dict[float, list[str]] = {}
    for row in dims.itertuples(index=False):
        if row.tasks - getattr(row, NOT_APPLICABLE.key) > 0:
            shown = round(float(row.share_done), 3)  # equal as printed, equal here
            shares.setdefault(shown, []).append(plan.dimensions[int(row.dimension)][1])
    if len(shares) < 2:
        return ""
    high, low = max(shares), min(shares)
    # A list of names ends at a semicolon, not at a comma its own names may hold.
    pause = ";" if len(shares[high]) > 1 else ","
    return (f"Tỷ lệ nhiệm vụ hoàn thành cao nhất {_where(shares[high], high)}{pause} "
            f"thấp nhất {_where(shares[low], low)}.")


def _where(names: list[str], share: float) -> str:
    """'ở nội dung X (20,0%)', or '(0%) ở 6 nội dung: A, B và C'."""
    if len(names) == 1:
        return f"ở nội dung {names[0]} ({_pct(share)})"
    return f"({_pct(share)}) ở {fmt_int(len(names))} nội dung: {_names(names)}"


def _weak_dimensions(cons, day: dt.date, index: str) -> list[str]:
    """How the tasks of the dimensions in the index's lowest group are going."""
    plan, tasks = cons.plan, cons.tasks
    base = _baseline(plan, day)
    if base is None:
        return []
    year = base["year"]
    groups = _groups_of(_known_scores(plan, day), year, plan.dimensions)
    if not groups:
        return []
    # The index's own group when a dimension shares it (the lowest), else the first listed.
    group = base.get("group") if base.get("group") in groups else next(iter(groups))
    dims = groups[group]
    part = tasks[tasks["dimension"].isin(dims)]
    done = int((part["status"] == STATUS_DONE).sum())
    text = (f"Ở {fmt_int(len(dims))} nội dung thuộc {group} năm {year} ("
            + _names([plan.dimensions[d][1] for d in dims])
            + f"), {fmt_int(done)}/{fmt_int(len(part))} nhiệm vụ đã hoàn thành")
    overdue = int(part["overdue"].sum())
    if overdue:
        text += f", {fmt_int(overdue)} nhiệm vụ quá thời hạn"
    plan_year = _plan_year(plan)
    text += (f". Kết quả Chỉ số {index} năm {plan_year} được công bố trong năm "
             f"{plan_year + 1}, là căn cứ đánh giá mức độ đạt mục tiêu của Kế hoạch.")
    return [text]


# --------------------------------------------------------------------------- II

def _unit_names(cons, state: str) -> str:
    """'cấp tỉnh: A, B; 11 đơn vị cấp xã' for the units in a submission state."""
    subs = cons.submissions
    part = subs[subs["state"] == state]
    groups = []
    for level, label in LEVEL_LABELS.items():
        names = list(part[part["level"] == level]["unit_name"])
        if not names:
            continue
        if level == "xa":
            groups.append(f"{fmt_int(len(names))} đơn vị {label.lower()}")
        else:
            groups.append(f"{label.lower()}: {', '.join(names)}")
    return "; ".join(groups)


def _lead(text: str) -> str:
    return clean(text).replace("; ", ", ")


def _shortcomings(cons) -> list[str]:
    key, tasks = cons.key, cons.tasks
    out = []
    overdue = tasks[tasks["overdue"]]
    if len(overdue):
        listed = "; ".join(f"{t.tt} (chủ trì: {_lead(t.lead)})" for t in overdue.itertuples())
        out.append(f"- Về thực hiện nhiệm vụ: {fmt_int(len(overdue))} nhiệm vụ đã quá thời hạn"
                   f" mà chưa hoàn thành: nhiệm vụ {listed}.")
    waiting = tasks[(tasks["status"] == NOT_STARTED.value) & ~tasks["overdue"]]
    if len(waiting):
        out.append(f"- {fmt_int(len(waiting))} nhiệm vụ chưa được đơn vị chủ trì triển khai: "
                   f"nhiệm vụ {_tts(waiting)}.")
    states = ((LATE, key["units_late"]), (MISSING, key["units_missing"]),
              (REJECTED, key["units_rejected"]), (HELD, key["units_held"]))
    parts = [f"{fmt_int(count)} đơn vị {state.wording} ({_unit_names(cons, state.key)})"
             for state, count in states if count]
    if parts:
        out.append("- Về chế độ báo cáo: " + "; ".join(parts)
                   + " (danh sách tại Phụ lục II).")
    if not out:
        out.append("- Các cơ quan, đơn vị gửi báo cáo đầy đủ, đúng hạn; không có nhiệm vụ quá "
                   "thời hạn.")
    return out


def _notes(cons, kind: str, own: bool = False):
    """The notes of a kind from the reporting units (own=False) or from the compiling body
    itself: its difficulties are its own, not a reporting unit's."""
    notes = cons.notes
    if notes.empty:
        return notes
    return notes[(notes["kind"] == kind) & ((notes["unit"] == cons.plan.compiler.code) == own)]


def _own_difficulties(cons) -> list[str]:
    notes = _notes(cons, KIND_DIFFICULTY, own=True)
    if notes.empty:
        return []
    texts = list(dict.fromkeys(_sentence_end(t) for t in notes["text"]))
    return ([f"- Khó khăn, vướng mắc của {cons.plan.compiler.name} trong tổ chức thực hiện:"]
            + [f"+ {t}" for t in texts])


def _grouped(cons, kind: str) -> list[Group]:
    notes = _notes(cons, kind)
    return group_sentences(zip(notes["unit"], notes["text"], strict=True)) \
        if not notes.empty else []


def _point(group: Group, last: bool) -> str:
    return f"+ {_counted(group)}" + ("." if last else ";")


def _causes(cons, difficulties: list[Group]) -> list[str]:
    key = cons.key
    out = []
    notes = _notes(cons, KIND_DIFFICULTY)
    if difficulties:
        shown = difficulties[:POINTS_IN_BODY]
        out.append(f"- Khách quan: theo báo cáo của các cơ quan, đơn vị ({fmt_int(len(notes))} "
                   f"ý kiến của {fmt_int(notes['unit'].nunique())} đơn vị, gộp thành "
                   f"{fmt_int(len(difficulties))} nội dung), các khó khăn, vướng mắc được nêu "
                   "nhiều nhất là:")
        out += [_point(g, n == len(shown) - 1) for n, g in enumerate(shown)]
        if len(difficulties) > len(shown):
            out.append(f"Các khó khăn, vướng mắc còn lại ({fmt_int(len(difficulties) - len(shown))}"
                       " nội dung) tại Phụ lục IV.")
    if key["units_late"] or key["units_missing"] or key["units_rejected"] or key["tasks_overdue"]:
        out.append("- Chủ quan: một số cơ quan, đơn vị chưa quan tâm đúng mức đến việc triển "
                   "khai nhiệm vụ đúng thời hạn và chế độ báo cáo của Kế hoạch.")
    return out or ["- Trong kỳ, các cơ quan, đơn vị không nêu khó khăn, vướng mắc."]


# --------------------------------------------------------------------------- III

def _due(cons, tt: str) -> dt.date | None:
    task = cons.plan.task(tt)
    return task.deadline.due if task is not None and task.deadline is not None else None


def _next_tasks(cons, period, name, config) -> list[str]:
    following = next_report_period(period)
    tasks = cons.tasks
    out = [f"Đến kỳ báo cáo {following.label} (số liệu tính đến {_day(following.cutoff_end)}),"
           f" {name} đề nghị các cơ quan, đơn vị tập trung:"]
    overdue = tasks[tasks["overdue"]]
    dated = [tt for tt in overdue["tt"] if _due(cons, tt)]
    recurring = [tt for tt in overdue["tt"] if not _due(cons, tt)]
    if dated:
        out.append(f"- Hoàn thành {fmt_int(len(dated))} nhiệm vụ đã quá thời hạn (nhiệm vụ "
                   f"{', '.join(dated)}) trước {_day(following.cutoff_end)}.")
    if recurring:
        out.append(f"- Triển khai ngay các nhiệm vụ thường xuyên, định kỳ chưa thực hiện trong "
                   f"kỳ: nhiệm vụ {', '.join(recurring)}.")
    by_day: dict[dt.date, list[str]] = {}
    for tt in tasks[tasks["due_next"]]["tt"]:
        by_day.setdefault(_due(cons, tt), []).append(tt)
    if by_day:
        parts = [f"nhiệm vụ {', '.join(tts)} (hạn {_day(day)})"
                 for day, tts in sorted(by_day.items())]
        out.append("- Hoàn thành đúng thời hạn các nhiệm vụ đến hạn: " + "; ".join(parts) + ".")
    rest = tasks[~tasks["status"].isin([STATUS_DONE, STATUS_NA]) & ~tasks["overdue"]
                 & ~tasks["due_next"]]
    # Only tasks a unit reported under way "continue"; one not started, or that no unit
    # reported on, is asked for by what it lacks.
    for wanted, line in ((NOT_STARTED, "- Triển khai {n} nhiệm vụ chưa thực hiện: nhiệm vụ "
                                       "{tts}."),
                         (NOT_REPORTED, "- Báo cáo kết quả {n} nhiệm vụ chưa có đơn vị báo "
                                        "cáo: nhiệm vụ {tts}.")):
        part = rest[rest["status"] == wanted.value]
        if len(part):
            out.append(line.format(n=fmt_int(len(part)), tts=_tts(part)))
    ongoing = rest[rest["status"] == ONGOING.value]
    if len(ongoing):
        out.append(f"- Tiếp tục thực hiện {fmt_int(len(ongoing))} nhiệm vụ đang triển khai và "
                   "thường xuyên, định kỳ (Phụ lục I).")
    out.append(_next_report_line(cons, period, following, name, config))
    return out


def _next_report_line(cons, period, following, name, config) -> str:
    days = config.get("deadline_days")
    by_day: dict[dt.date, list[str]] = {}
    for level in (r.level for r in _level_rates(cons).itertuples()):
        if level in LEVEL_LABELS:
            by_day.setdefault(following.deadline(level, days), []).append(
                LEVEL_LABELS[level].lower())
    # Deadlines are the last day on time ("trước ngày 15" is the 14th): "chậm nhất".
    dates = "; ".join(f"{', '.join(levels)} chậm nhất {_day(day)}"
                      for day, levels in sorted(by_day.items(), reverse=True))
    text = f"- Gửi báo cáo {following.label} đúng thời hạn: {dates}"
    if cons.key["units_missing"]:
        text += (f"; {fmt_int(cons.key['units_missing'])} đơn vị chưa gửi báo cáo "
                 f"{period.label} gửi bổ sung về {name}")
    return text + "."


# --------------------------------------------------------------------------- IV

def addressed_to(text: str, plan) -> str:
    """The body a proposal names right after its verb ('Đề nghị Sở Nội vụ tổ chức ...' ->
    'Sở Nội vụ'), or '' when it names none."""
    rest = _PROPOSAL_VERB.sub("", clean(text), count=1)
    if rest == clean(text):
        return ""
    issuer = clean(plan.details.get("issuer", ""))
    names = {fold(issuer): short_issuer(plan), fold(spelled(issuer)): short_issuer(plan),
             fold(short_issuer(plan)): short_issuer(plan)}
    for unit in plan.units.values():
        for alias in (unit.name, unit.short, *unit.aliases):
            names.setdefault(fold(alias), unit.name)
    head = fold(rest)
    for key in sorted(names, key=len, reverse=True):
        if key and (head == key or head.startswith(key + " ")):
            return names[key]
    return ""


def _proposals(cons, name, proposals: list[Group], period) -> list[dict]:
    """IV, grouped by the body addressed: the plan's issuer first (the compiling body's own
    requests, then units' proposals to it), each other named body, then the rest."""
    plan = cons.plan
    issuer = short_issuer(plan)
    by_body: dict[str, list[Group]] = {}
    for group in proposals:
        by_body.setdefault(addressed_to(group.text, plan), []).append(group)
    sections = []
    own = _notes(cons, KIND_PROPOSAL, own=True)
    typed = list(dict.fromkeys(_sentence_end(t).rstrip(".") for t in own["text"])) \
        if not own.empty else []
    to_issuer = _own_proposals(cons, period) + typed + \
        [_counted(g) for g in by_body.pop(issuer, [])]
    if to_issuer:
        sections.append((f"Đối với {issuer}", to_issuer))
    named = sorted((b for b in by_body if b), key=lambda b: -sum(g.count for g in by_body[b]))
    for body in [*named, *([""] if "" in by_body else [])]:
        title = (f"Các cơ quan, đơn vị đề xuất với {body}" if body
                 else "Các đề xuất khác của cơ quan, đơn vị")
        sections.append((title, [_counted(g) for g in by_body[body]]))
    out, cut = [], False
    for number, (title, lines) in enumerate(sections, start=1):
        cut = cut or len(lines) > POINTS_IN_BODY
        shown = lines[:POINTS_IN_BODY]
        out.append({"tieu_de": f"{number}. {title}",
                    "doan": [f"- {line}" + ("." if n == len(shown) - 1 else ";")
                             for n, line in enumerate(shown)]})
    if cut:
        out[-1]["doan"].append("Toàn bộ đề xuất, kiến nghị của các cơ quan, đơn vị tại Phụ "
                               "lục IV.")
    if not out:
        out.append({"tieu_de": "", "doan": [f"Trong kỳ, {name} và các cơ quan, đơn vị không có "
                                            "đề xuất, kiến nghị."]})
    return out


def _counted(group: Group) -> str:
    return f"{_sentence_end(group.text)} ({fmt_int(group.count)} đơn vị nêu)"


def _own_proposals(cons, period) -> list[str]:
    """The compiling body's own requests to the plan's issuer, from the figures."""
    key, tasks = cons.key, cons.tasks
    following = next_report_period(period)
    out = []
    if key["units_missing"] or key["units_late"]:
        out.append(f"Chỉ đạo {fmt_int(key['units_missing'] + key['units_late'])} cơ quan, đơn "
                   f"vị chưa gửi hoặc gửi trễ báo cáo {period.label} thực hiện nghiêm chế độ báo "
                   "cáo theo Kế hoạch")
    overdue = tasks[tasks["overdue"]]
    if len(overdue):
        out.append(f"Chỉ đạo các đơn vị chủ trì nhiệm vụ {_tts(overdue)} tập trung hoàn thành "
                   f"trong kỳ báo cáo {following.label}")
    return out


# --------------------------------------------------------------------------- appendices

def _appendix_tasks(cons) -> list[dict]:
    groups = []
    tasks = cons.tasks
    for dim in cons.dimensions.itertuples():
        rows = []
        for task in tasks[tasks["dimension"] == dim.dimension].itertuples():
            applicable = int(task.units) - int(task.not_applicable)
            status = (task.status or "Chưa có đơn vị báo cáo") + \
                ("; quá thời hạn" if task.overdue else "")
            rows.append({"tt": task.tt, "noi_dung": task.text, "chu_tri": task.lead,
                         "thoi_han": task.deadline,
                         "hoan_thanh": f"{fmt_int(task.done)}/{fmt_int(applicable)}",
                         "tinh_trang": status})
        groups.append({"ten": f"{roman(int(dim.dimension))}. {dim.name}", "dong": rows,
                       "cong": ""})
    return groups


def _register_row(row, number: int) -> dict:
    return {"tt": fmt_int(number), "don_vi": row.unit_name, "han": _cell_day(row.deadline),
            "ngay_nhan": _cell_day(row.received_at), "tinh_trang": row.state_label}


def _subtotal(part) -> str:
    sent = int(part["state"].isin(RECEIVED).sum())
    counts = [f"{fmt_int(int((part['state'] == s.key).sum()))} {s.label.lower()}"
              for s in SUBMISSION_STATES if (part["state"] == s.key).any()]
    return f"Cộng: {fmt_int(sent)}/{fmt_int(len(part))} đơn vị đã gửi báo cáo ({', '.join(counts)})"


def register_groups(cons) -> list[tuple[str, object]]:
    """(heading, rows) of Phụ lục II: province-level units, then each district with its
    communes under it, then units whose parent is not in the list (a two-level plan:
    communes by level)."""
    subs = cons.submissions
    groups, placed = [], set()
    top = subs[subs["level"] == "tinh"]
    if len(top):
        groups.append((f"{LEVEL_LABELS['tinh']} ({fmt_int(len(top))} đơn vị)", top))
        placed |= set(top["unit"])
    for row in subs[subs["level"] == "huyen"].itertuples():
        mine = subs[(subs["unit"] == row.unit) | (subs["parent"] == row.unit)]
        short = cons.plan.units[row.unit].short
        communes = len(mine) - 1
        heading = short + (f" ({fmt_int(communes)} đơn vị cấp xã)" if communes else "")
        groups.append((heading, mine))
        placed |= set(mine["unit"])
    rest = subs[~subs["unit"].isin(placed)]
    for level, label in LEVEL_LABELS.items():
        part = rest[rest["level"] == level]
        if len(part):
            groups.append((f"{label} ({fmt_int(len(part))} đơn vị)", part))
    return groups


def _appendix_register(cons) -> list[dict]:
    out, counter = [], 0
    for number, (heading, part) in enumerate(register_groups(cons), start=1):
        rows = []
        for row in part.itertuples():
            counter += 1
            rows.append(_register_row(row, counter))
        out.append({"ten": f"{roman(number)}. {heading}", "dong": rows,
                    "cong": _subtotal(part)})
    return out


def _appendix_indicators(cons) -> list[dict]:
    frame = cons.indicators[cons.indicators["area"] == ""]
    dimension_of = dict(zip(cons.tasks["tt"], cons.tasks["dimension"], strict=True))
    groups = []
    for dim in cons.dimensions.itertuples():
        mine = [r for r in frame.itertuples() if dimension_of.get(r.task) == dim.dimension]
        rows = [{"tt": fmt_int(n), "ten": f"{r.name} (nhiệm vụ {r.task})",
                 "don_vi_tinh": r.unit_of_measure,
                 "gia_tri": _value(r.value, r.agg) or "Chưa có số liệu"}
                for n, r in enumerate(mine, start=1)]
        if rows:
            groups.append({"ten": f"{roman(int(dim.dimension))}. {dim.name}", "dong": rows,
                           "cong": ""})
    return groups


def _who(cons, units: list[str]) -> str:
    """Names up to NAMES_IN_CELL, else how many units per level."""
    plan = cons.plan
    if len(units) <= NAMES_IN_CELL:
        return ", ".join(plan.units[u].name for u in units if u in plan.units)
    counts = {}
    for code in units:
        level = plan.units[code].level if code in plan.units else ""
        counts[level] = counts.get(level, 0) + 1
    return "; ".join(f"{LEVEL_LABELS[lv].lower()}: {fmt_int(counts[lv])}"
                     for lv in LEVEL_LABELS if lv in counts)


def _appendix_comments(cons, difficulties, proposals) -> list[dict]:
    out = []
    for letter, title, groups in (("A", KIND_DIFFICULTY, difficulties),
                                  ("B", KIND_PROPOSAL, proposals)):
        if groups:
            rows = [{"tt": fmt_int(n), "noi_dung": g.text, "so_don_vi": fmt_int(g.count),
                     "don_vi": _who(cons, g.units)} for n, g in enumerate(groups, start=1)]
            out.append({"ten": f"{letter}. {title}", "dong": rows, "cong": ""})
    if not out:
        out.append({"ten": "Các cơ quan, đơn vị không nêu khó khăn, vướng mắc, đề xuất, kiến "
                           "nghị.", "dong": [], "cong": ""})
    return out


# --------------------------------------------------------------------------- context

def _so_hieu(config) -> str:
    number = clean(config.get("number", ""))
    suffix = clean(config.get("number_suffix", ""))
    return f"{number or NUMBER_BLANK}/{suffix}" if suffix else (number or NUMBER_BLANK)


def _subject(cons, period, index) -> str:
    plan = cons.plan
    text = short_title(plan, index)
    if cons.scope:
        text += f" trên địa bàn {_lower_first(cons.area_name)}"
    text = f"Kết quả thực hiện {text} ({period.label})"
    return _keep_together(text, plan.details.get("place", ""), f"Chỉ số {index}",
                          period.label, f"năm {plan.details.get('year') or plan.date.year}")


def _recipients(config, plan) -> list[str]:
    """Nơi nhận: '- Như trên;' first (it stands for the addressee of 'Kính gửi', who is then
    not listed again, e.g. an older config's 'UBND tỉnh (b/c)'), the last with a full stop."""
    listed = [clean(r) for r in config.get("recipients", []) if clean(r)]
    if not any(fold(r) == "nhu tren" for r in listed):
        addressed = (fold(short_issuer(plan)), fold(addressee(config, plan)))
        listed = ["Như trên", *(r for r in listed if not fold(r).startswith(addressed))]
    return [r + ";" for r in listed[:-1]] + [r + "." for r in listed[-1:]]


def build_context(cons, config: dict, year_chart: bool = True) -> dict:
    """Everything the template shows, as plain strings, lists and dicts (charts as PNG).
    year_chart: False for a template from before the chart of scores by year (an
    officer's own copy), so the charts after it keep their numbers."""
    plan = cons.plan
    period = _period(cons.period)
    day = report_date(config, cons)
    name = body_name(config, plan)
    index = plan.details.get("index_name") or "PAPI"
    difficulties = _grouped(cons, KIND_DIFFICULTY)
    proposals = _grouped(cons, KIND_PROPOSAL)
    scores = _known_scores(plan, day)
    score_chart = charts.scores_by_dimension(scores, plan.dimensions, index)
    subject = _subject(cons, period, index)
    number = 3 if score_chart is None else 4  # after Biểu đồ 1-2 and the one by dimension
    year_chart = charts.scores_by_year(_overall(scores), index, _baseline(plan, day)) \
        if year_chart else None
    first_trend = number + (year_chart is not None)
    context = {
        "co_quan_chu_quan": clean(config.get("managing_body", "")).upper(),
        "co_quan_ban_hanh": clean(config.get("issuing_body", "")).upper(),
        "so_hieu": _so_hieu(config),
        "dia_danh_ngay": f"{clean(config.get('place', ''))}, {fmt_date_long(day)}",
        "ngay_dai": fmt_date_long(day),
        "ten_co_quan": name,
        "trich_yeu": subject,
        "kinh_gui": addressee(config, plan) + ".",
        "chi_so": index,
        "mo_dau": _replaced(cons, period, name) + _opening(cons, period, name, index),
        "trien_khai": _deployment(cons, period, name),
        "ket_qua_chung": annual_note(cons) + _results_intro(cons, index, day,
                                                            score_chart is not None),
        "noi_dung": _dimensions(cons, day),
        "danh_gia": _assessment(cons, day, index),
        "so_sanh_ky": trend_paragraphs(cons, first_trend),
        "bieu_do_ky": trend_charts(cons.trends, first_trend),
        "ton_tai": _shortcomings(cons) + _own_difficulties(cons),
        "nguyen_nhan": _causes(cons, difficulties),
        "nhiem_vu_toi": _next_tasks(cons, period, name, config),
        "de_xuat": _proposals(cons, name, proposals, period),
        "ket_luan": f"Trên đây là báo cáo của {name} về kết quả thực hiện Kế hoạch "
                    f"{period.label}, kính báo cáo {short_issuer(plan)} xem xét, chỉ đạo./.",
        "noi_nhan": _recipients(config, plan),
        "tham_quyen": clean(config.get("authority", "")).upper(),
        "chuc_vu": clean(config.get("signer_title", "")).upper(),
        "nguoi_ky": signer(config),
        "phu_luc_nhiem_vu": _appendix_tasks(cons),
        "phu_luc_nop": _appendix_register(cons),
        "phu_luc_chi_tieu": _appendix_indicators(cons),
        "phu_luc_y_kien": _appendix_comments(cons, difficulties, proposals),
        "bieu_do_nop_bao_cao": charts.submission_by_level(_level_rates(cons)),
        "bieu_do_hoan_thanh": charts.completion_by_dimension(cons.dimensions, plan.dimensions),
        "bieu_do_diem": score_chart,
        "chu_thich_diem": charts.score_caption(scores, plan.dimensions, index),
        "bieu_do_diem_nam": year_chart,
        "chu_thich_diem_nam": _year_caption(plan, index, number),
        "thuoc_tinh": {"title": f"Báo cáo {subject.replace(NBSP, ' ')}",
                       "subject": subject.replace(NBSP, " "), "author": name,
                       "created": dt.datetime.combine(day, dt.time())},
    }
    return _sanitise(context)


# --------------------------------------------------------------------------- writing

def fit_rules(doc) -> None:
    """Set each rule's length from the text above it: the indents that leave a line of
    RULE_SHARE x the text's width (its longest line, at most the room there is), centred."""
    for container, width in _containers(doc):
        previous = None
        for para in container.paragraphs:
            share = RULE_SHARE.get(para.style.name)
            if share is None:
                previous = para if para.text.strip() else previous
                continue
            if previous is None:
                continue
            size, bold = _font_of(previous)
            text = max(previous.text.split("\n"), key=len)
            room = width.pt
            line = min(text_width(text, size, bold), room) * share
            indent = Pt(max(room - line, 0) / 2)
            para.paragraph_format.left_indent = para.paragraph_format.right_indent = indent


def keep_table_ends(doc, rows: int = 3) -> None:
    """The last rows of each appendix table stay together: a page never holds one row.
    (The first two tables are the header block and the signature.)"""
    for table in doc.tables[2:]:
        for row in table.rows[-rows:-1]:
            for cell in row.cells:
                for para in cell.paragraphs:
                    para.paragraph_format.keep_with_next = True


def _containers(doc):
    """(block container, text width) for the body and for each cell of the header block
    (the first table: the rules are there and under the subject, never in the appendices)."""
    section = doc.sections[0]
    yield doc, Twips((section.page_width - section.left_margin - section.right_margin) // 635)
    for table in doc.tables[:1]:
        for row in table.rows:
            for cell in row.cells:
                if cell.width is not None:
                    yield cell, Twips(cell.width.twips - 2 * CELL_MARGIN_TWIPS)


def _font_of(para) -> tuple[float, bool]:
    """The size (pt) and weight of a paragraph's first run, as Word resolves them."""
    run = next((r for r in para.runs if r.text.strip()), None)
    size = run.font.size if run is not None else None
    bold = run.font.bold if run is not None else None
    style = para.style
    while style is not None and (size is None or bold is None):
        size = size or style.font.size
        bold = style.font.bold if bold is None else bold
        style = style.base_style
    return (size.pt if size else 14.0), bool(bold)


def _set_properties(doc, props: dict) -> None:
    core = doc.core_properties
    core.title, core.subject = props["title"], props["subject"]
    core.author = core.last_modified_by = props["author"]
    core.created = core.modified = core.last_printed = props["created"]
    core.comments = ""
    core.keywords = ""


def render(template: Path, context: dict) -> bytes:
    """The rendered .docx as bytes with fixed zip member times."""
    tpl = DocxTemplate(str(template))
    context = dict(context)
    for key in CHART_KEYS:
        png = context.get(key)
        context[key] = InlineImage(tpl, io.BytesIO(png), width=CHART_WIDTH) if png else ""
    context["bieu_do_ky"] = [{**c, "hinh": InlineImage(tpl, io.BytesIO(c["hinh"]),
                                                       width=CHART_WIDTH)}
                             for c in context.get("bieu_do_ky", [])]
    try:
        tpl.render(context, autoescape=True)
    except jinja2.TemplateError as exc:
        line = f" (dòng {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise UsageError(f"Mẫu báo cáo {template} có thẻ sai{line}: {exc}. Sửa lại thẻ trong "
                         f"Word hoặc xóa tệp để dùng mẫu mặc định.") from None
    fit_rules(tpl.docx)
    keep_table_ends(tpl.docx)
    if context.get("thuoc_tinh"):
        _set_properties(tpl.docx, context["thuoc_tinh"])
    buffer = io.BytesIO()
    tpl.save(buffer)
    return normalise_zip(buffer.getvalue())


def _has_tag(template: Path, tag: str) -> bool:
    with zipfile.ZipFile(template) as book:
        return tag.encode() in book.read("word/document.xml")


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
    data = render(template, build_context(cons, config, _has_tag(template, "bieu_do_diem_nam")))
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
