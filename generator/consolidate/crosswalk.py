"""Indicators of an earlier period carried over to the units of a reorganised province.

A plan made after a reorganisation (the 2025 Lào Cai plan: 152 communes of 2022 became
part of 48 of today's 99) holds, in its sheet ChuyenDoi, the unit of this plan each old
unit became part of (`Plan.links`). To compare a later period with an earlier one reported
under the old units, each old unit's own figures are carried over to its new unit with
the rule of the indicator's aggregation, the same rule consolidation uses for an area
(`consolidate.aggregate`): flows are summed over the old units that reported them; a ratio
is recomputed from the summed numerator and denominator of the old units that reported
both, never averaged. The result says which old units make up each new one and which of
them reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from generator.consolidate.indicators import aggregate, own_values


@dataclass
class CarriedOver:
    """Old units' figures as figures of the new units."""

    values: dict[str, dict[str, float]]  # new unit -> indicator code -> carried value
    parts: dict[str, list]  # new unit -> the plan's Links of the old units it is made of
    reported: dict[str, list[str]]  # new unit -> the old units that reported any figure
    unmapped: list[str] = field(default_factory=list)  # old units with figures, no link

    def composition(self, new: str) -> str:
        """'Phường Duyên Hải (02635), Phường Lào Cai (02641), …' for a new unit."""
        return ", ".join(f"{link.old_name} ({link.old})" for link in self.parts.get(new, []))


def carry_over(links, old_values: dict[str, dict[str, float]], indicators) -> CarriedOver:
    """Each new unit's value of each indicator from its old units' own values.

    `links`: the plan's Links (old -> new); `old_values`: old unit -> {indicator code:
    number} (own figures, as reported; ratios are ignored and recomputed); `indicators`:
    the indicators to carry (their `agg`, `num`, `den` give the rule). A new unit none of
    whose old units reported an indicator has no value for it (not 0)."""
    parts: dict[str, list] = {}
    for link in links:
        parts.setdefault(link.new, []).append(link)
    values: dict[str, dict[str, float]] = {}
    reported: dict[str, list[str]] = {}
    for new, members in parts.items():
        figures = [old_values[link.old] for link in members if old_values.get(link.old)]
        reported[new] = [link.old for link in members if old_values.get(link.old)]
        carried = {}
        for indicator in indicators:
            value = aggregate(indicator, figures)
            if not math.isnan(value):
                carried[indicator.code] = value
        values[new] = carried
    linked = {link.old for link in links}
    unmapped = sorted(code for code, figures in old_values.items()
                      if figures and code not in linked)
    return CarriedOver(values, parts, reported, unmapped)


def from_consolidation(cons) -> dict[str, dict[str, float]]:
    """Each unit's own figures in an earlier period's consolidation (its plan's units)."""
    return own_values(cons.plan, cons.data)


def frame(carried: CarriedOver, plan, indicators=None) -> pd.DataFrame:
    """One row per new unit and indicator: the carried value and, in words, which old
    units make up the new unit and how many of them reported (for an output sheet)."""
    indicators = plan.indicators if indicators is None else indicators
    rows = []
    for new in sorted(carried.parts):
        unit = plan.units.get(new)
        members = carried.parts[new]
        for indicator in indicators:
            value = carried.values.get(new, {}).get(indicator.code)
            rows.append({"unit": new, "unit_name": unit.short if unit else new,
                         "code": indicator.code, "name": indicator.name,
                         "value": math.nan if value is None else value,
                         "old_units": carried.composition(new),
                         "reported": f"{len(carried.reported.get(new, []))}/{len(members)}"})
    return pd.DataFrame(rows, columns=["unit", "unit_name", "code", "name", "value",
                                       "old_units", "reported"])
