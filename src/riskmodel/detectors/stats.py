"""The numerical core of the detectors in plain numpy (no scikit-learn import).

First-digit (Benford) statistics and robust peer z-scores. The estimators of
:mod:`riskmodel.detectors.estimators` wrap them in the scikit-learn contract; the detector
catalogue calls them directly, so a detectors run does not pay for importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BENFORD_FIRST_DIGIT = np.log10(1.0 + 1.0 / np.arange(1, 10))
"""Expected first-digit proportions under Benford's law, digits 1–9."""

NIGRINI_FIRST_DIGIT = (0.006, 0.012, 0.015)
"""Nigrini's first-digit MAD limits: close / acceptable / marginally acceptable conformity."""

MAD_TO_SIGMA = 1.4826
"""Scale factor making the median absolute deviation a consistent estimate of sigma."""


def first_digits(values: np.ndarray) -> np.ndarray:
    """First significant digit (1–9) of each value; 0 where the value has none.

    Negatives count by their absolute value; zeros, NaN and infinities have no first digit.

    Examples
    --------
    >>> first_digits(np.array([123.0, -0.045, 0.0, 9.99e12])).tolist()
    [1, 4, 0, 9]
    """
    magnitudes = np.abs(np.asarray(values, dtype=float))
    usable = np.isfinite(magnitudes) & (magnitudes > 0)
    digits = np.zeros(magnitudes.shape, dtype=np.int64)
    if not usable.any():
        return digits
    chosen = magnitudes[usable]
    exponent = np.floor(np.log10(chosen))
    mantissa = chosen / np.power(10.0, exponent)
    # log10 rounding can leave the mantissa just outside [1, 10)
    mantissa = np.where(mantissa >= 10.0, mantissa / 10.0, mantissa)
    mantissa = np.where(mantissa < 1.0, mantissa * 10.0, mantissa)
    digits[usable] = np.clip(np.floor(mantissa + 1e-9), 1, 9).astype(np.int64)
    return digits


def digit_counts(digits: np.ndarray) -> np.ndarray:
    """Counts of first digits 1–9 for each row of a digit matrix (0 = no digit)."""
    digits = np.atleast_2d(digits)
    counts = np.zeros((digits.shape[0], 9), dtype=np.int64)
    for digit in range(1, 10):
        counts[:, digit - 1] = (digits == digit).sum(axis=1)
    return counts


def mad_from_counts(counts: np.ndarray) -> np.ndarray:
    """Mean absolute deviation of first-digit proportions from Benford, one value per row."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    totals = counts.sum(axis=1, keepdims=True)
    proportions = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return np.abs(proportions - BENFORD_FIRST_DIGIT).mean(axis=1)


def nigrini_conformity(mad: float, limits: tuple[float, float, float] = NIGRINI_FIRST_DIGIT) -> str:
    """Nigrini's conformity class of a first-digit MAD.

    Examples
    --------
    >>> [nigrini_conformity(m) for m in (0.003, 0.008, 0.013, 0.05)]
    ['close', 'acceptable', 'marginal', 'nonconformity']
    """
    close, acceptable, marginal = limits
    if mad <= close:
        return "close"
    if mad <= acceptable:
        return "acceptable"
    if mad <= marginal:
        return "marginal"
    return "nonconformity"


def peer_center_scale(
    X: np.ndarray, min_scale: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's median and robust scale (scaled MAD, floored at ``min_scale``)."""
    center = np.median(X, axis=0)
    deviations = np.abs(X - center)
    # more than half the peers identical: the floor is the unit of a meaningful difference
    return center, np.maximum(MAD_TO_SIGMA * np.median(deviations, axis=0), min_scale)


def directional_z(
    X: np.ndarray, center: np.ndarray, scale: np.ndarray, direction: str | Sequence[str]
) -> np.ndarray:
    """Directional z of each feature (0 where the deviation is in the harmless direction)."""
    z = (X - center) / scale
    n_features = X.shape[1]
    directions = [direction] * n_features if isinstance(direction, str) else direction
    if len(directions) != n_features:
        raise ValueError(f"direction has {len(directions)} entries, X has {n_features}")
    signs = np.array(directions)
    high = np.clip(z, 0, None)
    low = np.clip(-z, 0, None)
    return np.where(signs == "high", high, np.where(signs == "low", low, np.abs(z)))


def peer_feature_z(
    X: np.ndarray, direction: str | Sequence[str], min_scale: float | np.ndarray
) -> np.ndarray:
    """Directional z of every row of ``X`` against the rows of ``X`` as peers: what
    ``PeerDeviation(direction=…, min_scale=…).fit(X).feature_scores(X)`` gives (a finite
    2-D float matrix with at least one row; ``ValueError`` otherwise, as its validation)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not X.shape[0] or not X.shape[1]:
        raise ValueError(f"expected a non-empty 2-D matrix, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("input contains NaN or infinity")
    center, scale = peer_center_scale(X, min_scale)
    return directional_z(X, center, scale, direction)
