"""The plan's consistency rules, checked again after consolidation (intake checked each
returned form): on each area's figures, and on the figures of units that came only inside
a district's return (the province's intake reads those rows without the form's checks).

An area's side of a rule is summed over the units that reported every code of the rule
when the codes come from the same units (a unit that sent the received files and not the
overdue ones is left out of both sides); when they come from different units (a
department's count of villages against the communes' count), the area figures are
compared only when every unit reported: a partial sum proves nothing.
"""

from __future__ import annotations

from generator import findings as F
from generator.consolidate.indicators import contributors, figure
from generator.forms.layout import SHEET_CHILDREN
from generator.plan.workbook import BROKEN_WORDS, Plan
from generator.text import fmt_int, fmt_num


def _text(value: float) -> str:
    return fmt_num(value, 2)


def _sides(plan: Plan, rule, members: list[str], own, columns
           ) -> tuple[float, float, str] | None:
    """(left, right, basis) of a rule over an area, or None when it cannot be judged."""
    codes = [plan.indicator(c) for c in rule.codes]
    if any(i is None or i.agg == "ratio" for i in codes):
        return None
    groups = [contributors(plan, i, members) for i in codes]
    if all(g == groups[0] for g in groups):
        units = [m for m in groups[0] if m in own and all(c in own[m] for c in rule.codes)]
        if not units:
            return None
        left = sum(own[m][c] for m in units for c in rule.left)
        right = sum(own[m][c] for m in units for c in rule.right)
        return left, right, f"{fmt_int(len(units))} đơn vị báo cáo đủ các số liệu"
    found = {i.code: figure(plan, i, members, columns) for i in codes}
    if any(f.partial or f.expected == 0 for f in found.values()):
        return None
    left = sum(found[c].value for c in rule.left)
    right = sum(found[c].value for c in rule.right)
    return left, right, "số liệu tổng hợp của các đơn vị báo cáo"


def area_findings(plan: Plan, areas, own, columns) -> list[tuple[str, F.Finding]]:
    """(area code, C001) for each rule an area's figures break ("" = the whole area);
    `columns`: by_code(own)."""
    out = []
    for code, name, members in areas:
        for rule in plan.rules:
            sides = _sides(plan, rule, members, own, columns)
            if sides is None or rule.holds(sides[0], sides[1]):
                continue
            left, right, basis = sides
            out.append((code, F.finding(
                "C001", area=name, left=" + ".join(rule.left), left_value=_text(left),
                relation=BROKEN_WORDS[rule.op], right=" + ".join(rule.right),
                right_value=_text(right), basis=basis, rule=rule.label)))
    return out


def carried_findings(plan: Plan, data, direct, units, files=None
                     ) -> dict[str, list[F.Finding]]:
    """C002 for each rule broken by a unit whose figures came only in its district's return,
    keyed by the unit; `files`: unit -> the name of its standing file (the return's)."""
    out: dict[str, list[F.Finding]] = {}
    holders = {child.unit: sub.unit for sub in direct.values() for child in sub.children}
    for code in units:
        if code in direct or code not in data or code not in holders:
            continue
        values = {c: float(v) for c, v in data[code].indicators.items()
                  if isinstance(v, int | float) and v == v}  # no None, no NaN
        for rule in plan.rules:
            if any(c not in values for c in rule.codes):
                continue
            left = sum(values[c] for c in rule.left)
            right = sum(values[c] for c in rule.right)
            if rule.holds(left, right):
                continue
            out.setdefault(code, []).append(F.finding(
                "C002", (files or {}).get(holders[code], ""), SHEET_CHILDREN,
                unit=plan.units[code].name, parent=plan.units[holders[code]].name,
                left=" + ".join(rule.left), left_value=_text(left),
                relation=BROKEN_WORDS[rule.op], right=" + ".join(rule.right),
                right_value=_text(right), rule=rule.label))
    return out
