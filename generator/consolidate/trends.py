"""This period beside every earlier closed period of the workspace (issue 15: trends).

A workspace's ledger holds one plan's periods. "Earlier" is a period that ends before this
one does (2022-Q1 and 2022-H1 before 2022-Q3; all of them before 2022); a period counts
once it is closed (`baocao close`), i.e. its report was signed. Each earlier period is
consolidated again from the ledger with the same functions as its own report (its units'
current returns, late ones included), so a figure here is the one its workbook shows when
rebuilt now.

Three comparisons, one row per (comparison, item, period):
* completion: per dimension (and the whole plan), tasks done / tasks that arose;
* on_time: per level of the register (and in total), units on time / units expected;
* indicator: KEY_INDICATORS of the plan's indicators, province-wide: the first one of each
  aggregation the plan uses (sum, stock, ratio, in that order), then the next ones in plan
  order until there are KEY_INDICATORS.
"""

from __future__ import annotations

import math

import pandas as pd

from generator.consolidate.crosswalk import carry_over, from_consolidation
from generator.consolidate.frames import TOTAL_LEVEL_NAME, Consolidation, frame
from generator.consolidate.indicators import by_code, figure
from generator.errors import UsageError
from generator.plan.periods import Period, parse_period
from generator.plan.workbook import LEVEL_LABELS, load_plan
from generator.text import fmt_date_long, fmt_int
from generator.vocab import DONE, ON_TIME
from generator.workspace import SHIPPED_PLANS

KEY_INDICATORS = 3
AGG_ORDER = ("sum", "stock", "ratio")
WHOLE_PLAN = "Toàn Kế hoạch"


def earlier_closed(ledger, period: Period) -> list[Period]:
    """The closed periods that end before `period`, oldest first."""
    out = []
    for text in ledger.closed_periods():
        try:
            other = parse_period(text)
        except UsageError:  # a period id the ledger kept from an older version
            continue
        if other.end < period.end:
            out.append(other)
    return sorted(out, key=lambda p: (p.end, p.start))


def plan_of(closing, plan):
    """The plan a closed period was reported under: `plan` (the current one) unless the
    sign-off records another plan that is shipped with the tool and whose units the current
    plan's links map (a period closed before plans were recorded: the current plan)."""
    version = getattr(closing, "plan_version", "") if closing is not None else ""
    if not version or version == plan.version or not plan.links:
        return plan
    number = getattr(closing, "plan_number", "")
    shipped = [load_plan(path) for path in SHIPPED_PLANS.values() if path.is_file()]
    found = next((p for p in shipped if p.version == version), None) or \
        next((p for p in shipped if number and number != plan.number and p.number == number),
             None)
    return found if found is not None and carried_across(found, plan) else plan


def carried_across(old, plan) -> bool:
    """Whether an earlier period of `old` is compared through `plan`'s mapping."""
    return old.version != plan.version and bool({link.old for link in plan.links}
                                                & set(old.units))


def key_indicators(plan) -> list:
    """KEY_INDICATORS indicators: the first of each aggregation, then plan order."""
    chosen = []
    for agg in AGG_ORDER:
        first = next((i for i in plan.indicators if i.agg == agg), None)
        if first is not None:
            chosen.append(first)
    for indicator in plan.indicators:
        if len(chosen) >= KEY_INDICATORS:
            break
        if indicator not in chosen:
            chosen.append(indicator)
    order = {i.code: n for n, i in enumerate(plan.indicators)}
    return sorted(chosen[:KEY_INDICATORS], key=lambda i: order[i.code])


def period_rows(cons: Consolidation, closed: bool) -> list[dict]:
    """The comparison rows of one consolidated period."""
    period, plan = cons.period, cons.plan
    base = {"period": period.id, "period_label": period.label, "closed": closed}
    rows = []
    for row in cons.dimensions.itertuples():
        arose = int(row.tasks) - int(getattr(row, "not_applicable", 0))
        rows.append({**base, "kind": "completion", "item": str(int(row.dimension)),
                     "item_name": plan.dimensions[int(row.dimension)][1], "agg": "ratio",
                     "value": float(row.share_done), "numerator": int(getattr(row, DONE.key)),
                     "denominator": arose})
    key = cons.key
    arose = key["tasks"] - key["tasks_not_applicable"]
    rows.append({**base, "kind": "completion", "item": "", "item_name": WHOLE_PLAN,
                 "agg": "ratio", "value": key["share_done"], "numerator": key["tasks_done"],
                 "denominator": arose})
    for row in cons.rates.itertuples():
        expected, on_time = int(row.expected), int(getattr(row, ON_TIME.key))
        rows.append({**base, "kind": "on_time", "item": row.level,
                     "item_name": row.level_name if row.level else TOTAL_LEVEL_NAME,
                     "agg": "ratio", "value": on_time / expected if expected else math.nan,
                     "numerator": on_time, "denominator": expected})
    whole = cons.indicators[cons.indicators["area"] == ""]
    for indicator in key_indicators(plan):
        found = whole[whole["code"] == indicator.code]
        value = float(found["value"].iloc[0]) if len(found) else math.nan
        rows.append({**base, "kind": "indicator", "item": indicator.code,
                     "item_name": _indicator_name(indicator),
                     "agg": indicator.agg, "value": value,
                     "numerator": int(found["reported"].iloc[0]) if len(found) else 0,
                     "denominator": int(found["expected"].iloc[0]) if len(found) else 0})
    return rows


def carried_rows(old: Consolidation, plan) -> list[dict]:
    """The comparison rows of an earlier period of another plan, in `plan`'s terms."""
    rows = []
    levels = {u.level for u in plan.units.values()}
    for row in period_rows(old, True):
        if row["kind"] == "completion" and row["item"]:
            number = int(row["item"])
            if number not in plan.dimensions:
                continue
            row["item_name"] = plan.dimensions[number][1]
        elif row["kind"] == "on_time" and row["item"] and row["item"] not in levels:
            continue  # a level the current plan no longer has (the districts)
        elif row["kind"] == "indicator":
            continue  # below, from the carried figures
        rows.append(row)
    own = carried_values(old, plan)
    base = {"period": old.period.id, "period_label": old.period.label, "closed": True}
    codes = {i.code: i.agg for i in old.plan.indicators}
    columns = by_code(own)
    for indicator in key_indicators(plan):
        found = figure(plan, indicator, list(plan.units), columns) \
            if codes.get(indicator.code) == indicator.agg else None
        rows.append({**base, "kind": "indicator", "item": indicator.code,
                     "item_name": _indicator_name(indicator), "agg": indicator.agg,
                     "value": found.value if found is not None else math.nan,
                     "numerator": found.reported if found is not None else 0,
                     "denominator": found.expected if found is not None else 0})
    return rows


def carried_values(old: Consolidation, plan) -> dict[str, dict[str, float]]:
    """The own figures of an earlier period of another plan as figures of `plan`'s units:
    the old units `plan.links` maps carried to their new units; the others kept under
    their code when `plan` has a unit of that code and level (a province body)."""
    old_own = from_consolidation(old)
    linked = {link.old for link in plan.links}
    shared = [i for i in plan.indicators if old.plan.indicator(i.code) is not None]
    carried = carry_over(plan.links, {c: v for c, v in old_own.items() if c in linked},
                         shared)
    codes = {i.code for i in shared}
    kept = {code: {k: v for k, v in values.items() if k in codes}
            for code, values in old_own.items()
            if code not in linked and code in plan.units and code in old.plan.units
            and plan.units[code].level == old.plan.units[code].level}
    return {**kept, **{new: v for new, v in carried.values.items() if v}}


def carried_note(earlier: list[Consolidation], plan) -> str:
    """In words: which earlier periods were carried over to `plan`'s units and how."""
    parts = []
    plans = {c.plan.version: c.plan for c in earlier if carried_across(c.plan, plan)}
    levels = {u.level for u in plan.units.values()}
    for old_plan in plans.values():
        periods = [c.period.label for c in earlier if c.plan.version == old_plan.version]
        linked = [link for link in plan.links if link.old in old_plan.units]
        olds = {link.old: old_plan.units[link.old].level for link in linked}
        news = {link.new: plan.units[link.new].level if link.new in plan.units else ""
                for link in linked}
        gone = [(lv, sum(u.level == lv for u in old_plan.units.values()))
                for lv in LEVEL_LABELS if lv not in levels
                and any(u.level == lv for u in old_plan.units.values())]
        gone_text = "".join(
            f"; {LEVEL_LABELS[lv].lower()} không còn nên số liệu riêng của {fmt_int(n)} đơn "
            f"vị {LEVEL_LABELS[lv].lower()} không chuyển sang đơn vị nào" for lv, n in gone)
        parts.append(
            f"Số liệu {_names(periods)} (báo cáo theo Kế hoạch số {old_plan.number} "
            f"{fmt_date_long(old_plan.date)}, trước khi sắp xếp đơn vị hành chính) được chuyển "
            f"sang các đơn vị hiện nay theo bảng chuyển đổi của Kế hoạch: "
            f"{fmt_int(len(olds))} {_of_level(olds.values())} cũ thành {fmt_int(len(news))} "
            f"{_of_level(news.values())} hiện nay{gone_text}; tỷ lệ gửi báo cáo đúng hạn so "
            "sánh theo tổng số và các cấp có ở cả hai kế hoạch; chỉ tiêu chính tính lại cho "
            "toàn tỉnh theo cách tính của Kế hoạch hiện nay.")
    return " ".join(parts)


def _of_level(levels) -> str:
    """'đơn vị cấp xã' when all the units are of one level, else 'đơn vị'."""
    found = set(levels)
    return f"đơn vị {LEVEL_LABELS[found.pop()].lower()}" if len(found) == 1 and \
        next(iter(found)) in LEVEL_LABELS else "đơn vị"


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} và {labels[-1]}"


def _indicator_name(indicator) -> str:
    return f"{indicator.name} ({indicator.unit})" if indicator.unit \
        and indicator.agg != "ratio" else indicator.name


def trends_frame(earlier: list[Consolidation], cons: Consolidation) -> pd.DataFrame:
    """Rows of every earlier closed period, then this one's; empty without an earlier one
    (nothing to compare). An earlier period of another plan mapped by this one's links is
    put in this plan's terms (carried_rows)."""
    if not earlier:
        return frame("trends", [])
    rows = [r for other in earlier for r in
            (carried_rows(other, cons.plan) if carried_across(other.plan, cons.plan)
             else period_rows(other, True))]
    return frame("trends", rows + period_rows(cons, False))
