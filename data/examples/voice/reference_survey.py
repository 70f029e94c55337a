#!/usr/bin/env python3
"""Reference values for the CLI tests of `comeback nps`, `csat`, `ces` and `dimensions`
(crates/comeback/tests/it/nps.rs and scales.rs), computed independently of the Rust code.

Formulas:
- NPS intervals: Rocks (2016), "Interval Estimation for the 'Net Promoter Score'", The
  American Statistician 70(4). Wald: p = P/n, d = D/n; adjusted Wald: n' = n + 3,
  p = (P + 3/4)/n', d = (D + 3/4)/n'. Var = [p + d - (p - d)^2]/n'; interval
  100(p - d) +- z 100 sqrt(Var), clipped to [-100, 100].
- Comparison of two independent NPS: z = (NPS'_a - NPS'_b)/sqrt(se_a^2 + se_b^2).
- CSAT: Wilson (1927) score interval of the top-2-box share.
- CES and dimensions: Student t interval of the mean (t quantile from mpmath), clipped to
  the scale; SERVQUAL gap = paired mean of perception - expectation.

Only the standard library (statistics.NormalDist) and mpmath (for the t quantile).
Run: python3 data/examples/voice/reference_survey.py
"""

import csv
import math
import os
from statistics import NormalDist, mean, stdev

import mpmath

Z95 = NormalDist().inv_cdf(0.975)


def nps_interval(P, A, D, method="adjusted-wald", conf=0.95):
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    n = P + A + D
    if method == "wald":
        p, d, nn = P / n, D / n, n
    else:
        nn = n + 3
        p, d = (P + 0.75) / nn, (D + 0.75) / nn
    se = 100 * math.sqrt(max(0.0, (p + d - (p - d) ** 2) / nn))
    c = 100 * (p - d)
    return c, se, max(-100, c - z * se), min(100, c + z * se)


def t_quantile(conf, df):
    """Two-sided Student t critical value by bisection on mpmath's regularised beta."""
    target = mpmath.mpf(0.5 + conf / 2)

    def cdf(t):
        x = df / (df + t * t)
        tail = mpmath.betainc(df / 2, 0.5, 0, x, regularized=True) / 2
        return 1 - tail if t > 0 else tail

    lo, hi = mpmath.mpf(0), mpmath.mpf(1000)
    for _ in range(200):
        mid = (lo + hi) / 2
        if cdf(mid) < target:
            lo = mid
        else:
            hi = mid
    return float((lo + hi) / 2)


def t_interval(xs, lo, hi, conf=0.95):
    m, s = mean(xs), stdev(xs)
    t = t_quantile(conf, len(xs) - 1)
    se = s / math.sqrt(len(xs))
    return m, max(lo, m - t * se), min(hi, m + t * se)


def wilson(k, n, conf=0.95):
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return p, max(0, c - h), min(1, c + h)


def show(name, *xs):
    print(name, " ".join(f"{x:.10g}" for x in xs))


print("# fixtures (counts P, A, D): centre, se, low, high")
for counts in [(50, 30, 20), (1, 0, 0), (10, 0, 0), (0, 0, 1)]:
    show(f"adjusted {counts}", *nps_interval(*counts))
show("wald (50, 30, 20)", *nps_interval(50, 30, 20, "wald"))
show("adjusted 90% (50, 30, 20)", *nps_interval(50, 30, 20, conf=0.90))

print("# comparison a = (50, 30, 20) vs b = (30, 30, 40), adjusted Wald")
ca, sa, _, _ = nps_interval(50, 30, 20)
cb, sb, _, _ = nps_interval(30, 30, 40)
se = math.sqrt(sa * sa + sb * sb)
z = (ca - cb) / se
show("difference se z p", ca - cb, se, z, 2 * (1 - NormalDist().cdf(abs(z))))
print("# benchmark 10 for a: one-sided z, p")
show("benchmark", (ca - 10) / sa, 1 - NormalDist().cdf((ca - 10) / sa))

here = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(here, "responses.csv"))))


def cls(s):
    return "P" if s >= 9 else ("A" if s >= 7 else "D")


print("# responses.csv")
for loc in [None, "Downtown", "Airport"]:
    rs = [r for r in rows if loc is None or r["location"] == loc]
    sc = [int(r["score"]) for r in rs if r["score"] != ""]
    P = sum(cls(s) == "P" for s in sc)
    A = sum(cls(s) == "A" for s in sc)
    D = sum(cls(s) == "D" for s in sc)
    blank = sum(r["score"] == "" for r in rs)
    inv = sum(int(r["invitations"]) for r in rs)
    show(f"nps {loc} P A D blank invited nps", P, A, D, blank, inv, 100 * (P - D) / len(sc))
    show(f"nps {loc} adjusted centre se low high", *nps_interval(P, A, D))
    cs = [int(r["csat"]) for r in rs if r["csat"] != ""]
    show(f"csat {loc} k n share low high", sum(c >= 4 for c in cs), len(cs), *wilson(sum(c >= 4 for c in cs), len(cs)))
    ce = [int(r["ces"]) for r in rs if r["ces"] != ""]
    show(f"ces {loc} n mean low high", len(ce), *t_interval(ce, 1, 7))


def month_counts(loc, month):
    sc = [int(r["score"]) for r in rows if r["location"] == loc and r["date"][:7] == month and r["score"] != ""]
    return tuple(sum(cls(s) == c for s in sc) for c in "PAD")


print("# Downtown trend 2025-03 -> 2025-04: counts, change, z")
m3, m4 = month_counts("Downtown", "2025-03"), month_counts("Downtown", "2025-04")
c3, s3, _, _ = nps_interval(*m3)
c4, s4, _, _ = nps_interval(*m4)
show(f"Downtown {m3} {m4} change z", c4 - c3, (c4 - c3) / math.sqrt(s3 * s3 + s4 * s4))

print("# dimensions, Downtown reliability: n mean low high; gap n mean low high")
d = [r for r in rows if r["location"] == "Downtown"]
rel = [int(r["reliability"]) for r in d if r["reliability"] != ""]
show("reliability", len(rel), *t_interval(rel, 1, 5))
gap = [int(r["reliability"]) - int(r["reliability_expected"]) for r in d if r["reliability"] != "" and r["reliability_expected"] != ""]
show("reliability gap", len(gap), *t_interval(gap, -4, 4))

print("# CSAT Downtown vs Airport: pooled two-proportion z, p")
k1, n1, k2, n2 = 73, 90, 29, 52
pbar = (k1 + k2) / (n1 + n2)
z = (k1 / n1 - k2 / n2) / math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
show("csat compare z p", z, 2 * (1 - NormalDist().cdf(abs(z))))

print("# CES Downtown vs Airport: Welch t, df")
a = [int(r["ces"]) for r in rows if r["location"] == "Downtown" and r["ces"] != ""]
b = [int(r["ces"]) for r in rows if r["location"] == "Airport" and r["ces"] != ""]
va, vb = stdev(a) ** 2 / len(a), stdev(b) ** 2 / len(b)
t = (mean(a) - mean(b)) / math.sqrt(va + vb)
df = (va + vb) ** 2 / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1))
show("ces compare t df", t, df)
