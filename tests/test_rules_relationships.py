import numpy as np
from scipy.stats import binom

from riskmodel.rules.relationships import binomial_tail


def test_binomial_tail_is_scipys_survival_function_bit_for_bit():
    rng = np.random.default_rng(7)
    n = rng.integers(1, 3000, 50_000)
    k = (rng.random(len(n)) * (n + 2)).astype(np.int64)
    p = np.clip(rng.random(len(n)) ** rng.integers(1, 6, len(n)), 1e-4, 1.0)
    p[:500], p[500:1000] = 1.0, 1e-4
    k[:200] = 0
    expected = binom.sf(k - 1, n, p)
    assert np.array_equal(binomial_tail(k, n, p), expected)
