"""Statistical anomaly detectors and their feature builders.

:func:`run_detectors` runs every enabled detector of :data:`DETECTORS` whose tables are loaded
and returns one findings frame (see :mod:`riskmodel.detectors.catalogue` for its columns). The
estimators in :mod:`riskmodel.detectors.estimators` follow the scikit-learn contract (imported
on first use: the detectors call their numpy core, :mod:`riskmodel.detectors.stats`); only
:mod:`riskmodel.scoring` turns their findings into risk.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from riskmodel.detectors.catalogue import DETECTORS, FINDING_COLUMNS, Detector, empty_findings
from riskmodel.detectors.features import shared_features

__all__ = [
    "DETECTORS",
    "FINDING_COLUMNS",
    "BenfordMAD",
    "Detector",
    "PeerDeviation",
    "detector_settings",
    "detector_status",
    "run_detectors",
]

logger = logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    """The estimators on first use: a detectors run does not import scikit-learn."""
    if name in ("BenfordMAD", "PeerDeviation"):
        from riskmodel.detectors import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def detector_settings(detector_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """``detectors.common`` overlaid with ``detectors.<detector_id>`` of ``config``."""
    section = config.get("detectors")
    if section is None:
        from riskmodel.config import load_defaults

        section = load_defaults()["detectors"]
    return {**section.get("common", {}), **section.get(detector_id, {})}


def run_detectors(
    tables: dict[str, pd.DataFrame],
    evidence: pd.DataFrame | None,
    config: dict[str, Any],
) -> pd.DataFrame:
    """Run every enabled detector whose tables are present.

    Returns
    -------
    DataFrame
        Findings with ``FINDING_COLUMNS``; ``attrs["status"]`` holds one dict per detector with
        ``detector_id, title, status ('ran'|'skipped'|'failed'), reason, findings, seconds``.
    """
    section = config.get("detectors")
    if section is None:
        from riskmodel.config import load_defaults

        section = load_defaults()["detectors"]
    enabled = section.get("enabled", list(DETECTORS))
    with shared_features():  # the detectors share the payments feature frame
        frames = []
        status = []
        for detector_id in enabled:
            if detector_id not in DETECTORS:
                raise KeyError(f"no detector named {detector_id!r}; known: {sorted(DETECTORS)}")
            detector = DETECTORS[detector_id]
            missing = [t for t in detector.needs if t not in tables or not len(tables[t])]
            if missing:
                status.append(
                    (detector_id, detector.title_zh, "skipped", f"缺少表 {missing}", 0, 0.0)
                )
                continue
            started = time.perf_counter()
            try:
                found = detector.func(tables, evidence, detector_settings(detector_id, config))
            except (KeyError, ValueError, TypeError) as exc:
                logger.warning("detector %s failed: %s", detector_id, type(exc).__name__)
                status.append(
                    (detector_id, detector.title_zh, "failed", type(exc).__name__, 0, 0.0)
                )
                continue
            seconds = time.perf_counter() - started
            frames.append(found)
            status.append((detector_id, detector.title_zh, "ran", "", len(found), seconds))
    findings = pd.concat(frames, ignore_index=True) if frames else empty_findings()
    if not len(findings):
        findings = empty_findings()
    findings.attrs["status"] = [
        dict(
            zip(
                ["detector_id", "title", "status", "reason", "findings", "seconds"],
                row,
                strict=True,
            )
        )
        for row in status
    ]
    return findings


def detector_status(findings: pd.DataFrame) -> pd.DataFrame:
    """The per-detector status recorded by :func:`run_detectors` as a frame."""
    return pd.DataFrame(
        findings.attrs.get("status", []),
        columns=["detector_id", "title", "status", "reason", "findings", "seconds"],
    )
