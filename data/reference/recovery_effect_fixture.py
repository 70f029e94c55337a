"""Reference values of the hand fixture in
crates/comeback-analysis/tests/it/recovery_effect.rs (Python standard library only).

Run: python3 data/reference/recovery_effect_fixture.py
"""
import math
from statistics import NormalDist

z = NormalDist().inv_cdf(0.975)


def wilson(x, n):
    """Wilson (1927) score interval."""
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def katz(a, n1, c, n0):
    """Risk ratio with the Katz et al. (1978) log interval."""
    rr = (a / n1) / (c / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)


# Student t quantiles t(0.975, df) from tables (df = 1, 2).
T975 = {1: 12.706204736174698, 2: 4.302652729749464}


def mean_t(xs):
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = T975[n - 1] * sd / math.sqrt(n)
    return m, max(m - h, 0.0), min(m + h, 1.0)


print("never complained, 90 days: 1 of 2, Wilson", wilson(1, 2))
print("quick / never, 90 days: RR, low, high", katz(1, 1, 1, 2))
print("P(alive) quick (0.9, 0.8):", mean_t([0.9, 0.8]))
print("P(alive) never (0.6, 0.4, 0.2):", mean_t([0.6, 0.4, 0.2]))
