"""The synthetic county: a 衡阳县-like county with planted schemes and its ground truth.

``generate(out_dir, seed, scale)`` writes a data folder the way county offices send data,
with ``_truth/`` describing every planted scheme instance, look-alike and bad row.
"""

from __future__ import annotations

from pathlib import Path

from riskmodel.synth.county import SCALES, County, build_county
from riskmodel.synth.writer import write_county

__all__ = ["SCALES", "County", "build_county", "generate", "write_county"]


def generate(
    out_dir: str | Path, seed: int = 7, scale: str = "small", config: dict | None = None
) -> dict:
    """Generate the county for ``seed`` and ``scale`` and write it to ``out_dir``.

    Returns the summary also written to ``out_dir/_truth/summary.json``.
    """
    county = build_county(seed=seed, scale=scale, config=config)
    return write_county(county, out_dir)
