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

from generator.consolidate.frames import TOTAL_LEVEL_NAME, Consolidation, frame
from generator.errors import UsageError
from generator.plan.periods import Period, parse_period
from generator.vocab import DONE, ON_TIME

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
                     "item_name": f"{indicator.name} ({indicator.unit})" if indicator.unit
                     and indicator.agg != "ratio" else indicator.name,
                     "agg": indicator.agg, "value": value,
                     "numerator": int(found["reported"].iloc[0]) if len(found) else 0,
                     "denominator": int(found["expected"].iloc[0]) if len(found) else 0})
    return rows


def trends_frame(earlier: list[Consolidation], cons: Consolidation) -> pd.DataFrame:
    """Rows of every earlier closed period, then this one's; empty without an earlier one
    (nothing to compare)."""
    if not earlier:
        return frame("trends", [])
    rows = [r for other in earlier for r in period_rows(other, True)]
    return frame("trends", rows + period_rows(cons, False))
