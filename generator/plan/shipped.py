"""The plan workbooks shipped with the tool, rebuilt from their sources in input/sources/:
`python -m generator.plan.shipped` rewrites input/ke-hoach.xlsx (2022) and
input/ke-hoach-lao-cai-2025.xlsx; a test checks the shipped files match."""

from __future__ import annotations

from pathlib import Path

from generator.plan import default, lao_cai_2025


def build_all() -> list[Path]:
    """Rewrite every shipped plan workbook."""
    return [default.build(), lao_cai_2025.build()]


if __name__ == "__main__":
    for written in build_all():
        print(written)
