"""Anomaly estimators following the scikit-learn contract.

Every estimator here stores only keyword-only parameters in ``__init__``, learns its state in
``fit`` (attributes ending in ``_``) and keeps scikit-learn's sign: ``score_samples`` is *lower*
for *more abnormal* rows. Turning these scores into risk is the job of
:mod:`riskmodel.detectors` (anomaly 0–1) and :mod:`riskmodel.scoring`.

Examples
--------
>>> import numpy as np
>>> from riskmodel.detectors.estimators import PeerDeviation
>>> peers = np.array([[1.0], [1.01], [0.99], [1.0], [0.85]])
>>> model = PeerDeviation(direction="low", min_scale=0.02).fit(peers)
>>> int(np.argmin(model.score_samples(peers)))
4
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from riskmodel.detectors.stats import (  # noqa: F401 (re-exported)
    BENFORD_FIRST_DIGIT,
    MAD_TO_SIGMA,
    NIGRINI_FIRST_DIGIT,
    digit_counts,
    directional_z,
    first_digits,
    mad_from_counts,
    nigrini_conformity,
    peer_center_scale,
)


class BenfordMAD(BaseEstimator):
    """First-digit (Benford) conformity of groups of amounts, judged by Nigrini's MAD.

    Each row of ``X`` holds the amounts of one group (a village's ledger); rows of different
    length are padded with zeros, which have no first digit and are ignored. Negative amounts
    count by their absolute value.

    Parameters
    ----------
    min_entries : int
        A group with fewer usable amounts is not judged: its score is 0 (treated as conforming).
    limits : tuple of float
        MAD limits for close / acceptable / marginal conformity (Nigrini: 0.006, 0.012, 0.015).

    Attributes
    ----------
    n_features_in_ : int
    peer_mad_ : float
        Median MAD of the judged groups seen in ``fit`` (NaN when none could be judged).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> benford_like = 10 ** rng.uniform(1, 5, size=(1, 2000))
    >>> invented = rng.choice([500.0, 800.0, 600.0], size=(1, 2000))
    >>> model = BenfordMAD(min_entries=300).fit(np.vstack([benford_like, invented]))
    >>> model.predict(np.vstack([benford_like, invented])).tolist()
    [1, -1]
    """

    def __init__(
        self,
        *,
        min_entries: int = 300,
        limits: tuple[float, float, float] = NIGRINI_FIRST_DIGIT,
    ) -> None:
        self.min_entries = min_entries
        self.limits = limits

    def _counts(self, X: np.ndarray) -> np.ndarray:
        return digit_counts(first_digits(X))

    def fit(self, X, y=None):
        """Record the number of columns and the median MAD of the judged groups."""
        X = validate_data(self, X, dtype=np.float64)
        counts = self._counts(X)
        judged = counts.sum(axis=1) >= self.min_entries
        mads = mad_from_counts(counts)
        self.peer_mad_ = float(np.median(mads[judged])) if judged.any() else float("nan")
        return self

    def mad(self, X) -> np.ndarray:
        """First-digit MAD of each row; NaN for rows below ``min_entries``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        counts = self._counts(X)
        mads = mad_from_counts(counts)
        return np.where(counts.sum(axis=1) >= self.min_entries, mads, np.nan)

    def score_samples(self, X) -> np.ndarray:
        """Minus the MAD (lower = less conforming); 0 for groups too small to judge."""
        return -np.nan_to_num(self.mad(X), nan=0.0)

    def decision_function(self, X) -> np.ndarray:
        """Marginal limit minus MAD: negative for nonconforming groups."""
        return self.score_samples(X) + self.limits[2]

    def predict(self, X) -> np.ndarray:
        """-1 for nonconforming groups (MAD above the marginal limit), 1 otherwise."""
        return np.where(self.decision_function(X) < 0, -1, 1)


class PeerDeviation(BaseEstimator):
    """Robust z-scores against peers: median and scaled MAD per feature.

    Robust to the anomalies themselves (the median and MAD ignore a minority of outliers), and
    explainable: :meth:`feature_scores` gives each feature's directional z.

    Parameters
    ----------
    direction : {"both", "high", "low"} or sequence of them
        Which deviations count as abnormal, for all features or one per feature.
    min_scale : float
        Floor for each feature's scale, so that peers with no spread (every village paid
        exactly the standard) do not turn a tiny difference into an infinite z.
    top_k : int
        The score is minus the mean of the ``top_k`` largest directional z-scores of a row.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    n_features_in_ : int
    """

    def __init__(self, *, direction="both", min_scale: float = 1e-6, top_k: int = 3) -> None:
        self.direction = direction
        self.min_scale = min_scale
        self.top_k = top_k

    def fit(self, X, y=None):
        """Learn each feature's median and robust scale."""
        X = validate_data(self, X, dtype=np.float64)
        self.center_, self.scale_ = peer_center_scale(X, self.min_scale)
        return self

    def feature_scores(self, X) -> np.ndarray:
        """Directional z of each feature (0 where the deviation is in the harmless direction)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return directional_z(X, self.center_, self.scale_, self.direction)

    def score_samples(self, X) -> np.ndarray:
        """Minus the mean of the ``top_k`` largest directional z-scores (lower = more abnormal)."""
        scores = self.feature_scores(X)
        k = max(1, min(int(self.top_k), scores.shape[1]))
        top = -np.sort(-scores, axis=1)[:, :k]
        return -top.mean(axis=1)
