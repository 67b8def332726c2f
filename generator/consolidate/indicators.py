"""Indicator frames: each unit's own values (a district's return minus the communes it
carries), areas rolled up commune -> district -> province by each indicator's aggregation,
and the reconciliation of district returns with their communes' own files.

An area's figure is made only from the units that report the indicator (plan.reporters:
the units responsible for its task that its levels name), so a figure a commune typed for a
district chair's indicator is never added in:

* a flow ("sum") is the sum over those units;
* a stock is taken at one level, the highest among those units in the area (the province
  body that owns the figure, a district's own figure, else its communes'), summed only
  across that level: a district's own count is never added to its communes' count;
* a ratio is sum(numerator) / sum(denominator) over the units that reported both parts when
  the parts come from the same units, else the two parts' area figures; never an average.

Each figure carries how many of the units it should come from reported (reported/expected):
a figure only partly reported is shown with its "(x/y đơn vị báo cáo)".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from generator.consolidate.frames import area_name, columns_frame, frame
from generator.model import Submission
from generator.plan.workbook import LEVEL_LABELS, LEVEL_RANK, Plan
from generator.text import fmt_int


def _num(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Figure:
    """An area's figure and how many of the units it is made from reported."""

    value: float  # NaN when nobody reported
    reported: int
    expected: int

    @property
    def partial(self) -> bool:
        return self.reported < self.expected


def own_values(plan: Plan, data: dict[str, Submission]) -> dict[str, dict[str, float]]:
    """Each unit's own input figures (flows and stocks). A consolidated return's flows are
    its area totals: the children it carries are subtracted, so a district's communes are
    never counted twice. Its stocks are its own figure already (an area's stock is taken at
    the district's level), so nothing is subtracted from them."""
    out: dict[str, dict[str, float]] = {}
    sum_codes = _codes(plan, "sum")  # once, not once per unit
    input_codes = _input_codes(plan)
    for unit, sub in data.items():
        values = _input_values(plan, sub, input_codes)
        if sub.children:
            for child in sub.children:
                for code, value in _input_values(plan, child, sum_codes).items():
                    if code in values:
                        values[code] -= value
            # A zero left by subtraction on a code the district does not report itself is
            # its communes' figure, not the district's own activity.
            mine = {i.code for i in plan.form_indicators(unit)}
            values = {c: v for c, v in values.items() if c in mine or v != 0}
        out[unit] = values
    return out


def contributors(plan: Plan, indicator, members: list[str]) -> list[str]:
    """The members whose own figures make up the area's figure of a flow or stock."""
    reporting = plan.reporters(indicator.code)
    inside = [m for m in members if m in reporting]
    if indicator.agg == "stock" and inside:
        top = min(LEVEL_RANK.get(plan.units[m].level, 9) for m in inside)
        inside = [m for m in inside if LEVEL_RANK.get(plan.units[m].level, 9) == top]
    return inside


def by_code(own: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The own values by indicator code: code -> unit -> value.

    Figures read one code across every unit: from own values (unit -> code), 10.000 units'
    dicts scattered in memory, that costs a cache miss a unit; made once, unit by unit."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for unit, values in own.items():
        for code, value in values.items():
            out[code][unit] = value
    return dict(out)


def figure(plan: Plan, indicator, members: list[str], columns) -> Figure:
    """An area's figure of one indicator from its members' own values, given by code
    (`columns`: by_code of the own values, made once for every figure)."""
    if indicator.agg != "ratio":
        return _total(columns.get(indicator.code, {}),
                      contributors(plan, indicator, members))
    num, den = plan.indicator(indicator.num), plan.indicator(indicator.den)
    if num is None or den is None:
        return Figure(math.nan, 0, 0)
    by_num, by_den = contributors(plan, num, members), contributors(plan, den, members)
    nums, dens = columns.get(num.code, {}), columns.get(den.code, {})
    if by_num == by_den:  # the same units: only those that reported both parts
        pairs = [(nums[m], dens[m]) for m in by_num if m in nums and m in dens]
        total = sum(d for _, d in pairs)
        value = sum(n for n, _ in pairs) / total if pairs and total else math.nan
        return Figure(value, len(pairs), len(by_num))
    top, bottom = _total(nums, by_num), _total(dens, by_den)
    value = top.value / bottom.value if bottom.value else math.nan  # NaN stays NaN
    return Figure(value, top.reported + bottom.reported, top.expected + bottom.expected)


def _total(column: dict[str, float], units: list[str]) -> Figure:
    """The sum of one code's values (`column`: unit -> value) over `units`."""
    found = [column[m] for m in units if m in column]
    return Figure(float(sum(found)) if found else math.nan, len(found), len(units))


def aggregate(indicator, values: list[dict[str, float]]) -> float:
    """The plain sum (or ratio of sums) of some units' values: for one unit's ratios and a
    district's reported figures, where no level is to be chosen."""
    if indicator.agg == "ratio":
        num, den = indicator.num, indicator.den
        pairs = [(v[num], v[den]) for v in values if num in v and den in v]
        total = sum(d for _, d in pairs)
        return sum(n for n, _ in pairs) / total if pairs and total else math.nan
    code = indicator.code
    found = [v[code] for v in values if code in v]
    return float(sum(found)) if found else math.nan


def method(plan: Plan, indicator, members: list[str]) -> str:
    """How an area's figure is made, in words (the workbook and the report say it)."""
    if indicator.agg == "ratio":
        return (f"Tổng {indicator.num} / tổng {indicator.den} của các đơn vị báo cáo, không "
                "lấy trung bình các tỷ lệ")
    units = contributors(plan, indicator, members)
    if not units:
        return "Không đơn vị nào trong địa bàn báo cáo chỉ tiêu này"
    if len(units) == 1:
        what = f"số của {plan.units[units[0]].name}"
    else:
        present = {plan.units[u].level for u in units}
        levels = [lv for lv in LEVEL_LABELS if lv in present]
        what = (f"cộng số của {fmt_int(len(units))} đơn vị "
                + ", ".join(LEVEL_LABELS[lv].lower() for lv in levels))
    if indicator.agg == "stock":
        return f"Số thời điểm, không cộng các cấp: {what}"
    return f"Số phát sinh trong kỳ: {what}"


def areas(plan: Plan, units: list[str], scope: str | None) -> list[tuple[str, str, list[str]]]:
    """(area code, name, unit codes): the whole scope, then each district in it."""
    out = [("", area_name(plan, scope), units)]
    inside = set(units)
    # Built once: scanning every unit for each unit's children is quadratic in the units.
    children: dict[str, list[str]] = {}
    for code in units:
        children.setdefault(plan.units[code].parent, []).append(code)
    for code in units:
        unit = plan.units[code]
        members = children.get(code, [])
        if unit.level == "huyen" or members:
            out.append((code, unit.short, [code, *members]))
    return [a for a in out if a[2] and set(a[2]) <= inside]


def unit_ratio_values(plan: Plan, values: dict[str, float], ratios=None) -> dict[str, float]:
    """A unit's ratios from its own numerator and denominator; `ratios`: the plan's ratio
    indicators, when the caller has them (once, not once per unit)."""
    out = {}
    for indicator in _ratios(plan) if ratios is None else ratios:
        value = aggregate(indicator, [values])
        if not math.isnan(value):
            out[indicator.code] = value
    return out


def _ratios(plan: Plan) -> list:
    return [i for i in plan.indicators if i.agg == "ratio"]


def indicator_frames(plan: Plan, units: list[str], scope, own: dict[str, dict[str, float]],
                     columns):
    """`columns`: by_code(own)."""
    rows = []
    for code, name, members in areas(plan, units, scope):
        for ind in plan.indicators:
            found = figure(plan, ind, members, columns)
            rows.append({"code": ind.code, "task": ind.task, "name": ind.name,
                         "unit_of_measure": ind.unit, "agg": ind.agg, "area": code,
                         "area_name": name, "value": found.value, "reported": found.reported,
                         "expected": found.expected,
                         "method": method(plan, ind, members)})
    return frame("indicators", rows), _unit_indicators_frame(plan, units, own)


def _unit_indicators_frame(plan: Plan, units: list[str], own) -> pd.DataFrame:
    """Each unit's own values and ratios, in plan order, column by column
    (60 indicators x 10.000 units: a dict per row would cost seconds)."""
    in_order = [i.code for i in plan.indicators]  # own values only hold plan codes
    ratios = _ratios(plan)
    columns: dict[str, list] = {name: [] for name in _UNIT_COLUMNS}
    for code in units:
        if code not in own:
            continue
        mine = {**own[code], **unit_ratio_values(plan, own[code], ratios)}
        listed = [c for c in in_order if c in mine]
        unit = plan.units[code]
        for name, value in (("unit", code), ("unit_name", unit.name), ("level", unit.level),
                            ("parent", unit.parent)):
            columns[name] += [value] * len(listed)
        columns["code"] += listed
        columns["value"] += [float(mine[c]) for c in listed]
    return columns_frame("unit_indicators", columns)


_UNIT_COLUMNS = ("unit", "unit_name", "level", "parent", "code", "value")


def _input_values(plan: Plan, sub: Submission, codes=None) -> dict[str, float]:
    """A submission's figures of `codes` (default: every input code) as reported (children
    not subtracted)."""
    codes = _input_codes(plan) if codes is None else codes
    out = {}
    for code, value in sub.indicators.items():
        if code in codes:
            # A float that is a number is its own figure (_num's answer, without the call
            # for each of 600.000 values at 10.000 returns).
            number = value if type(value) is float and value == value else _num(value)
            if number is not None:
                out[code] = number
    return out


def _input_codes(plan: Plan) -> set[str]:
    return {i.code for i in plan.indicators if i.agg != "ratio"}


def _codes(plan: Plan, agg: str) -> set[str]:
    return {i.code for i in plan.indicators if i.agg == agg}


def reconciliation_frame(plan: Plan, units, direct, own, columns) -> pd.DataFrame:
    """`columns`: by_code(own)."""
    rows = []
    for code in units:
        sub = direct.get(code)
        if sub is None or not sub.children:
            continue
        reported = _input_values(plan, sub)
        carried = {c.unit: _input_values(plan, c) for c in sub.children}
        communes = [u.code for u in plan.children(code)]
        listed = set(communes)  # a set: a district may carry hundreds of communes
        communes += [c for c in carried if c not in listed]
        area = [code, *communes]
        for ind in plan.indicators:
            mine = aggregate(ind, [reported])
            theirs = figure(plan, ind, area, columns).value
            # Only figures the district reported: its form lists its own tasks' indicators.
            if math.isnan(mine) or _same(mine, theirs):
                continue
            # The communes whose own file disagrees with what the district carried for them.
            differing = [c for c in communes if c in direct and not _same(
                aggregate(ind, [carried.get(c, {})]), aggregate(ind, [own[c]]))]
            rows.append({"district": code, "district_name": plan.units[code].name,
                         "code": ind.code, "name": ind.name, "district_value": mine,
                         "communes_value": theirs, "difference": _minus(mine, theirs),
                         "units": ", ".join(differing)})
    return frame("reconciliation", rows)


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _minus(a: float, b: float) -> float:
    return (0.0 if math.isnan(a) else a) - (0.0 if math.isnan(b) else b)
