"""Place names for charts, reports and notices (no plotting imports)."""

from __future__ import annotations

import pandas as pd


def village_names(villages: pd.DataFrame | None) -> dict[str, str]:
    """village_code → "乡镇 村名" (or the code when the villages table is absent)."""
    if villages is None or "village_code" not in villages.columns:
        return {}
    name = villages.get("village_name", villages["village_code"]).astype(str)
    if "town_name" in villages.columns:
        name = villages["town_name"].fillna("").astype(str) + name
    return dict(zip(villages["village_code"].astype(str), name, strict=False))
