"""Indicator frames: each unit's own values (a district's return minus the communes it
carries), areas rolled up commune -> district -> province (ratios from summed parts), and the
reconciliation of district returns with their communes' own files."""

from __future__ import annotations

import math

import pandas as pd

from generator.consolidate.frames import area_name, columns_frame, frame
from generator.model import Submission
from generator.plan.workbook import Plan


def _num(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def own_values(plan: Plan, data: dict[str, Submission]) -> dict[str, dict[str, float]]:
    """Each unit's own indicator values (sum-type codes): a consolidated return's figures
    minus the children it carries, so a district's communes are never counted twice."""
    out: dict[str, dict[str, float]] = {}
    sum_codes = _sum_codes(plan)  # once, not once per unit
    for unit, sub in data.items():
        values = _sum_values(plan, sub, sum_codes)
        if sub.children:
            for child in sub.children:
                for code, value in _sum_values(plan, child, sum_codes).items():
                    if code in values:
                        values[code] -= value
            # A zero left by subtraction on a code the district does not report itself is
            # its communes' figure, not the district's own activity.
            mine = {i.code for i in plan.form_indicators(unit)}
            values = {c: v for c, v in values.items() if c in mine or v != 0}
        out[unit] = values
    return out


def aggregate(indicator, values: list[dict[str, float]]) -> float:
    """An area's value from its units' own values (NaN when nobody reported)."""
    # Codes read once, not once per unit: the whole province is 10.000 units.
    if indicator.agg == "ratio":
        num, den = indicator.num, indicator.den
        pairs = [(v[num], v[den]) for v in values if num in v and den in v]
        total = sum(d for _, d in pairs)
        return sum(n for n, _ in pairs) / total if pairs and total else math.nan
    code = indicator.code
    found = [v[code] for v in values if code in v]
    return float(sum(found)) if found else math.nan


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


def unit_ratio_values(plan: Plan, values: dict[str, float]) -> dict[str, float]:
    """A unit's ratios from its own numerator and denominator."""
    out = {}
    for indicator in plan.indicators:
        if indicator.agg == "ratio":
            value = aggregate(indicator, [values])
            if not math.isnan(value):
                out[indicator.code] = value
    return out


def indicator_frames(plan: Plan, units: list[str], scope, own: dict[str, dict[str, float]]):
    rows = []
    for code, name, members in areas(plan, units, scope):
        values = [own[m] for m in members if m in own]
        for ind in plan.indicators:
            rows.append({"code": ind.code, "task": ind.task, "name": ind.name,
                         "unit_of_measure": ind.unit, "agg": ind.agg, "area": code,
                         "area_name": name, "value": aggregate(ind, values)})
    return frame("indicators", rows), _unit_indicators_frame(plan, units, own)


def _unit_indicators_frame(plan: Plan, units: list[str], own) -> pd.DataFrame:
    """Each unit's own values and ratios, in plan order, column by column
    (60 indicators x 10.000 units: a dict per row would cost seconds)."""
    in_order = [i.code for i in plan.indicators]  # own values only hold plan codes
    codes, found, values = [], [], []
    for code in units:
        if code not in own:
            continue
        mine = {**own[code], **unit_ratio_values(plan, own[code])}
        listed = [c for c in in_order if c in mine]
        codes += [code] * len(listed)
        found += listed
        values += [float(mine[c]) for c in listed]
    units_of = {c: plan.units[c] for c in dict.fromkeys(codes)}
    return columns_frame("unit_indicators", {
        "unit": codes, "unit_name": [units_of[c].name for c in codes],
        "level": [units_of[c].level for c in codes],
        "parent": [units_of[c].parent for c in codes], "code": found, "value": values})


def _sum_values(plan: Plan, sub: Submission, sum_codes=None) -> dict[str, float]:
    """A submission's sum-type figures as reported (children not subtracted).
    `sum_codes`: _sum_codes(plan), when the caller asks for many submissions."""
    sum_codes = _sum_codes(plan) if sum_codes is None else sum_codes
    return {c: v for c, v in ((c, _num(v)) for c, v in sub.indicators.items())
            if c in sum_codes and v is not None}


def _sum_codes(plan: Plan) -> set[str]:
    return {i.code for i in plan.indicators if i.agg != "ratio"}


def reconciliation_frame(plan: Plan, units, direct, own) -> pd.DataFrame:
    rows = []
    for code in units:
        sub = direct.get(code)
        if sub is None or not sub.children:
            continue
        reported = _sum_values(plan, sub)
        carried = {c.unit: _sum_values(plan, c) for c in sub.children}
        communes = [u.code for u in plan.children(code)]
        listed = set(communes)  # a set: a district may carry hundreds of communes
        communes += [c for c in carried if c not in listed]
        rebuilt = [own[code]] + [own[c] for c in communes if c in own]
        for ind in plan.indicators:
            mine, theirs = aggregate(ind, [reported]), aggregate(ind, rebuilt)
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
