#!/usr/bin/env python3
"""50-digit reference values for the Pareto/NBD likelihood at huge (and tiny) parameters
(mpmath 1.3.0): the region a fit visits when the maximum lies at a boundary (r, alpha -> inf:
no heterogeneity in purchase rates; s, beta -> inf; s -> 0), where the Rust code's series and
split quadrature (and formerly its cost) are stressed.

Run:  python3 pareto_nbd_huge_reference.py   (writes pareto_nbd_huge.csv next to this script)

Formula: Fader & Hardie (2005) "A Note on Deriving the Pareto/NBD Model and Related
Expressions", section 3, before the 2F1 step:
  L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
        + s * int_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du ],
  P(alive) = first term / bracket (section 5).
The finite integral is done by mpmath tanh-sinh quadrature relative to its value at t_x, on
break points t_x + k * (alpha+t_x)/(r+x+1) (the decay length of the integrand) so that a
sharply peaked integrand is resolved; an independent route from the Rust code's hypergeometric
series of the infinite tail. Every value is computed at mp.dps = 50 and again at 70; the
script stops if they differ by more than 1e-30 relative.
"""
import os
import mpmath as mp

HERE = os.path.dirname(os.path.abspath(__file__))

PARAMS = [
    # where the fit of a 700-customer summary without heterogeneity ended (weeks)
    (131395.0, 3.86e6, 88.0, 6.3e5),
    # r, alpha -> inf with beta tiny: alpha >> beta, the split (P3) path with e_M ~ 1e9
    (1e9, 3e10, 0.5, 10.0),
    # s, beta -> inf with alpha small: beta >> alpha, e_M = s + 1 ~ 1e8
    (0.5, 10.0, 1e8, 1e10),
    # both gammas degenerate (Poisson purchases, exponential lifetimes)
    (4.85e8, 3.58e9, 3.27e6, 2.42e7),
    # r huge, s and beta tiny
    (1e12, 1e13, 1e-3, 1e-3),
    # a former worst case of the objective's cost (log-params 19.24, 18.81, 0.32, -8.03)
    (2.264e8, 1.475e8, 1.382, 3.26e-4),
    # r tiny, alpha huge
    (1e-8, 1e12, 0.7, 12.0),
]
CUSTOMERS = [
    (0, 0.0, 38.86),
    (1, 52.142857142857146, 104.28571428571429),
    (2, 30.43, 38.86),
    (3, 17.29, 17.29),        # recency = T
    (5, 91.14285714285714, 99.14285714285714),
    (29, 37.71, 38.0),
    (1000, 37.5, 38.0),
]


def row(p, c):
    r, al, s, be = (mp.mpf(v) for v in p)
    x, tx, T = (mp.mpf(v) for v in c)
    e1, e2 = r + x, s + 1
    alive = mp.exp(-e1 * mp.log(al + T) - s * mp.log(be + T))
    if tx < T:
        ln_f0 = -e1 * mp.log(al + tx) - e2 * mp.log(be + tx)
        h = lambda u: mp.exp(-e1 * mp.log(al + u) - e2 * mp.log(be + u) - ln_f0)
        scale = min((al + tx) / (e1 + 1), (be + tx) / (e2 + 1))
        pts = [tx]
        k = mp.mpf(1)
        while tx + k * scale < T and k < 2**60:
            pts.append(tx + k * scale)
            k *= 2
        pts.append(T)
        dead = s * mp.exp(ln_f0) * mp.quad(h, pts)
    else:
        dead = mp.mpf(0)
    bracket = alive + dead
    ln_l = (mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(al) + s * mp.log(be)
            + mp.log(bracket))
    return [ln_l, alive / bracket]


def checked(p, c):
    mp.mp.dps = 50
    a = row(p, c)
    mp.mp.dps = 70
    b = row(p, c)
    for u, v in zip(a, b):
        if abs(u - v) > mp.mpf("1e-30") * abs(v) + mp.mpf("1e-45"):
            raise SystemExit(f"precision check failed at {p} {c}: {u} vs {v}")
    mp.mp.dps = 50
    return a


def main():
    lines = ["r,alpha,s,beta,x,tx,T,ln_l,p_alive"]
    for p in PARAMS:
        for c in CUSTOMERS:
            vals = checked(p, c)
            lines.append(",".join([repr(float(v)) for v in p] + [repr(float(v)) for v in c]
                                  + [mp.nstr(v, 20) for v in vals]))
    with open(os.path.join(HERE, "pareto_nbd_huge.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
