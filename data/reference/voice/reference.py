#!/usr/bin/env python3
"""Independent reference values for the survey statistics of crate comeback-voice.

Computed from the textbook formulas with the Python standard library
(statistics.NormalDist for normal quantiles and CDFs) and mpmath (the normal CDF of the
normal_cdf checks, Student t quantiles and tail probabilities via the regularised incomplete
beta function), never from the Rust code.

Regenerate:  python3 data/reference/voice/reference.py > data/reference/voice/reference.json

Output: a flat JSON object, one "name": value pair per line (the Rust tests parse it
without serde). Scores are NPS points; shares are in [0, 1].
"""
import math
from statistics import NormalDist

import mpmath

mpmath.mp.dps = 40
N = NormalDist()
out = {}


def put(name, value):
    out[name] = float(value)


def z_crit(conf):
    return N.inv_cdf(0.5 + conf / 2)


def t_cdf(t, df):
    """Student t CDF: 1 - I_{df/(df+t^2)}(df/2, 1/2)/2 for t >= 0 (Abramowitz & Stegun 26.7.1)."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    tail = mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return 1 - tail if t >= 0 else tail


def t_sf(t, df):
    return 1 - t_cdf(t, df) if t < 0 else mpmath.betainc(
        mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, mpmath.mpf(df) / (df + mpmath.mpf(t) ** 2),
        regularized=True) / 2


def t_crit(conf, df):
    target = mpmath.mpf(0.5) + mpmath.mpf(conf) / 2
    return mpmath.findroot(lambda t: t_cdf(t, df) - target, z_crit(conf) * 1.1)


for conf in (0.8, 0.9, 0.95, 0.99):
    put(f"z_critical/{conf}", z_crit(conf))
# NormalDist.cdf is 1 + erf(...) and loses the far tail to cancellation; mpmath.ncdf is exact.
for x in (-20.0, -8.0, -3.0, -1.0, 0.0, 0.5, 2.0):
    put(f"normal_cdf/{x}", mpmath.ncdf(x))
for conf, df in ((0.95, 1), (0.95, 2), (0.95, 9), (0.99, 4.5), (0.9, 30), (0.95, 2.7)):
    put(f"t_critical/{conf}/{df}", t_crit(conf, df))


def nps(P, A, D, method, conf):
    n = P + A + D
    if method == "wald":
        p, d, m = P / n, D / n, n
    else:  # adjusted Wald, Rocks (2016): 3/4 promoter, 3/4 detractor, 3/2 passive added
        m = n + 3
        p, d = (P + 0.75) / m, (D + 0.75) / m
    centre = 100 * (p - d)
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / m)
    z = z_crit(conf)
    return {
        "nps": 100 * (P - D) / n,
        "nps_adjusted": centre,
        "se": se,
        "ci_low": max(-100.0, centre - z * se),
        "ci_high": min(100.0, centre + z * se),
    }


NPS_CASES = {
    "50_30_20": (50, 30, 20),
    "1_0_0": (1, 0, 0),
    "0_0_1": (0, 0, 1),
    "0_1_0": (0, 1, 0),
    "25_0_0": (25, 0, 0),
    "40_30_30": (40, 30, 30),
    "3_4_5": (3, 4, 5),
}
for name, (P, A, D) in NPS_CASES.items():
    for method in ("adjusted-wald", "wald"):
        for conf in (0.9, 0.95):
            for k, v in nps(P, A, D, method, conf).items():
                put(f"nps/{name}/{method}/{conf}/{k}", v)

# Comparison of two NPS (independent samples): difference of the method's estimates.
for method in ("adjusted-wald", "wald"):
    a, b = nps(50, 30, 20, method, 0.95), nps(40, 30, 30, method, 0.95)
    diff = a["nps_adjusted"] - b["nps_adjusted"]
    se = math.hypot(a["se"], b["se"])
    z = diff / se
    pre = f"nps_compare/50_30_20-40_30_30/{method}"
    put(f"{pre}/difference", diff)
    put(f"{pre}/se", se)
    put(f"{pre}/z", z)
    put(f"{pre}/p_value", 2 * N.cdf(-abs(z)))
    put(f"{pre}/ci_low", diff - z_crit(0.95) * se)
    put(f"{pre}/ci_high", diff + z_crit(0.95) * se)

# One-sided benchmark test, H1: NPS > benchmark.
for method in ("adjusted-wald", "wald"):
    e = nps(50, 30, 20, method, 0.95)
    for bench in (20.0, 15.0):
        z = (e["nps_adjusted"] - bench) / e["se"]
        put(f"nps_benchmark/50_30_20/{method}/{bench}/z", z)
        put(f"nps_benchmark/50_30_20/{method}/{bench}/p_value", 1 - N.cdf(z))


def wilson(x, n, conf):
    z = z_crit(conf)
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


for x, n in ((8, 10), (0, 10), (10, 10), (45, 60), (1, 1)):
    lo, hi = wilson(x, n, 0.95)
    put(f"wilson/{x}_{n}/ci_low", max(0.0, lo))
    put(f"wilson/{x}_{n}/ci_high", min(1.0, hi))

# Two proportions: pooled z test, unpooled Wald interval.
(xa, na), (xb, nb) = (45, 60), (30, 60)
pa, pb = xa / na, xb / nb
pool = (xa + xb) / (na + nb)
z = (pa - pb) / math.sqrt(pool * (1 - pool) * (1 / na + 1 / nb))
se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
put("prop_compare/45_60-30_60/statistic", z)
put("prop_compare/45_60-30_60/p_value", 2 * N.cdf(-abs(z)))
put("prop_compare/45_60-30_60/se", se)
put("prop_compare/45_60-30_60/ci_low", pa - pb - z_crit(0.95) * se)
put("prop_compare/45_60-30_60/ci_high", pa - pb + z_crit(0.95) * se)

# Means: t interval, Welch test, paired differences.
A = [4, 5, 3, 4, 5, 2, 4, 4, 5, 3]
B = [3, 2, 4, 3, 1, 3, 2, 4]
E = [5, 5, 4, 4, 5, 3, 5, 4, 4, 4]  # expectations paired with A


def mean_ci(xs, conf):
    n = len(xs)
    m = mpmath.fsum(xs) / n
    sd = mpmath.sqrt(mpmath.fsum((x - m) ** 2 for x in xs) / (n - 1))
    se = sd / mpmath.sqrt(n)
    t = t_crit(conf, n - 1)
    return m, sd, se, m - t * se, m + t * se


for name, xs in (("A", A), ("B", B), ("A-E", [a - e for a, e in zip(A, E)])):
    for conf in (0.9, 0.95):
        m, sd, se, lo, hi = mean_ci(xs, conf)
        for k, v in (("mean", m), ("sd", sd), ("se", se), ("ci_low", lo), ("ci_high", hi)):
            put(f"mean/{name}/{conf}/{k}", v)

ma, _, sea, _, _ = mean_ci(A, 0.95)
mb, _, seb, _, _ = mean_ci(B, 0.95)
va, vb = sea ** 2, seb ** 2
se = mpmath.sqrt(va + vb)
df = (va + vb) ** 2 / (va ** 2 / (len(A) - 1) + vb ** 2 / (len(B) - 1))
t = (ma - mb) / se
tc = t_crit(0.95, df)
put("welch/A-B/difference", ma - mb)
put("welch/A-B/se", se)
put("welch/A-B/df", df)
put("welch/A-B/statistic", t)
put("welch/A-B/p_value", 2 * t_sf(abs(t), df))
put("welch/A-B/ci_low", ma - mb - tc * se)
put("welch/A-B/ci_high", ma - mb + tc * se)

print("{")
items = list(out.items())
for i, (k, v) in enumerate(items):
    print(f'  "{k}": {v!r}' + ("," if i + 1 < len(items) else ""))
print("}")
