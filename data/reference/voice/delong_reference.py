#!/usr/bin/env python3
"""Reference values for comeback_voice::predict (AUC, DeLong variance, paired AUC
difference, Spearman with Fisher-z interval).

Independent of the Rust code: the AUC and DeLong structural components are computed here
straight from their definitions by comparing every (positive, negative) pair, O(m n)
(DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837, section 2 and 3), while the crate
uses midranks (Sun & Xu 2014). Spearman ranks are counted pair by pair. Standard library
only: `statistics.NormalDist`, `statistics.correlation`, `math`, `random` (seeded).

Run:  python3 data/reference/voice/delong_reference.py > data/reference/voice/delong_values.csv

Output (`;`-separated, one case per line, values comma-separated, reals as repr()):
  auc;name;confidence;pos;neg;auc;se;ci_low;ci_high
  paired;name;confidence;a;b;retained(0/1);difference;se;p_value
  spearman;name;confidence;x;y;rho;ci_low;ci_high
  truth;name;value   (exact population AUC of the simulated world of the Rust tests)
"""
import math
import random
import statistics

ND = statistics.NormalDist()


def psi(x, y):
    return 1.0 if x > y else 0.5 if x == y else 0.0


def components(pos, neg):
    v10 = [sum(psi(x, y) for y in neg) / len(neg) for x in pos]
    v01 = [sum(psi(x, y) for x in pos) / len(pos) for y in neg]
    return v10, v01


def cov(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (len(a) - 1)


def auc_case(pos, neg, conf):
    v10, v01 = components(pos, neg)
    auc = sum(v10) / len(v10)
    var = cov(v10, v10) / len(pos) + cov(v01, v01) / len(neg)
    se = math.sqrt(var)
    z = ND.inv_cdf(0.5 + conf / 2)
    if se > 0 and 0 < auc < 1:
        logit = math.log(auc / (1 - auc))
        h = z * se / (auc * (1 - auc))
        lo, hi = 1 / (1 + math.exp(-(logit - h))), 1 / (1 + math.exp(-(logit + h)))
    else:
        lo = hi = auc
    return auc, se, lo, hi


def paired_case(a, b, retained, conf):
    pa = [x for x, r in zip(a, retained) if r]
    na = [x for x, r in zip(a, retained) if not r]
    pb = [x for x, r in zip(b, retained) if r]
    nb = [x for x, r in zip(b, retained) if not r]
    v10a, v01a = components(pa, na)
    v10b, v01b = components(pb, nb)
    m, n = len(pa), len(na)
    var = (cov(v10a, v10a) + cov(v10b, v10b) - 2 * cov(v10a, v10b)) / m + (
        cov(v01a, v01a) + cov(v01b, v01b) - 2 * cov(v01a, v01b)
    ) / n
    se = math.sqrt(var)
    d = sum(v10a) / m - sum(v10b) / m
    p = 2 * (1 - ND.cdf(abs(d) / se))
    return d, se, p


def ranks(v):
    return [sum(1 for y in v if y < x) + (sum(1 for y in v if y == x) + 1) / 2 for x in v]


def spearman_case(x, y, conf):
    rho = statistics.correlation(ranks(x), ranks(y))
    z = ND.inv_cdf(0.5 + conf / 2)
    h = z * math.sqrt(1.06 / (len(x) - 3))
    f = math.atanh(rho)
    return rho, math.tanh(f - h), math.tanh(f + h)


def fmt(v):
    return ",".join(repr(float(x)) for x in v)


def main():
    rng = random.Random(20261130)
    out = []
    # Hand-sized cases, with ties inside and across groups.
    auc_cases = [
        ("tiny", [3.0, 1.0], [1.0, 2.0], 0.95),
        ("ties", [5, 5, 4, 3, 5, 2], [1, 3, 3, 5, 2], 0.95),
        ("nps_like", [10, 9, 9, 8, 10, 7, 9, 6, 10], [3, 7, 9, 5, 6, 8, 2], 0.9),
    ]
    # Random integer scores (heavy ties) and continuous ones, shifted apart.
    for k, (m, n) in enumerate([(40, 25), (120, 80), (15, 60)]):
        pos = [float(min(10, max(0, round(rng.gauss(7.5, 2))))) for _ in range(m)]
        neg = [float(min(10, max(0, round(rng.gauss(6.0, 2.5))))) for _ in range(n)]
        auc_cases.append((f"int_{k}", pos, neg, 0.95))
        pos = [rng.gauss(0.4, 1.0) for _ in range(m)]
        neg = [rng.gauss(0.0, 1.0) for _ in range(n)]
        auc_cases.append((f"real_{k}", pos, neg, 0.99))
    for name, pos, neg, conf in auc_cases:
        r = auc_case([float(x) for x in pos], [float(x) for x in neg], conf)
        out.append(f"auc;{name};{conf!r};{fmt(pos)};{fmt(neg)};{fmt(r)}")
    for k, n in enumerate([30, 90]):
        retained = [rng.random() < 0.6 for _ in range(n)]
        a = [float(round(rng.gauss(7 + (1.5 if r else 0), 2))) for r in retained]
        b = [x + rng.gauss(0, 2) for x in a]
        r = paired_case(a, b, retained, 0.95)
        flags = ",".join("1" if x else "0" for x in retained)
        out.append(f"paired;pair_{k};0.95;{fmt(a)};{fmt(b)};{flags};{fmt(r)}")
    for k, n in enumerate([10, 50]):
        x = [float(rng.randint(0, 10)) for _ in range(n)]
        y = [min(1.0, max(0.0, 0.05 * xi + rng.gauss(0.3, 0.2))) for xi in x]
        r = spearman_case(x, y, 0.95)
        out.append(f"spearman;sp_{k};0.95;{fmt(x)};{fmt(y)};{fmt(r)}")
    # The population AUC of the world simulated in crates/comeback-voice/tests/it/predict.rs
    # and data/examples/voice/predictors/generate.py: score uniform on 0..10 and
    # P(retained | s) = 1 / (1 + exp(3 - 0.45 s)). AUC = sum over score pairs of
    # P(s | retained) P(t | defected) psi(s, t).
    p = [1 / (1 + math.exp(3 - 0.45 * s)) for s in range(11)]
    w1 = [x / sum(p) for x in p]
    w0 = [(1 - x) / sum(1 - y for y in p) for x in p]
    truth = sum(w1[s] * w0[t] * psi(s, t) for s in range(11) for t in range(11))
    out.append(f"truth;logistic_score;{truth!r}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
