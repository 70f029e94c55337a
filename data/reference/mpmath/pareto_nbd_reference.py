#!/usr/bin/env python3
"""50-digit reference values for the Pareto/NBD model (mpmath 1.3.0).

Run:  python3 pareto_nbd_reference.py
Writes pareto_nbd_customers.csv and pareto_nbd_population.csv next to this script.

Formulas (deliberately the published closed forms, not the series/quadrature the Rust code
uses, so the test checks the numerics and the algebra):
- likelihood: Fader & Hardie (2005) "A Note on Deriving the Pareto/NBD Model and Related
  Expressions", section 3, with the two 2F1 branches (alpha >= beta / alpha < beta);
- P(alive): same note, section 5; conditional expectation: section 6 (s = 1 by its limit);
- DERT: Fader, Hardie & Lee (2005) JMR 42(4), closed form with Tricomi's U(s, s; delta(beta+T));
- E[X(t)]: SMC (1987) / FH (2005) section 4;
- P(X(t) = n): mpmath tanh-sinh quadrature of
  Gamma(r+n)/(Gamma(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n (beta/(beta+t))^s
  + Gamma(r+n) alpha^r s beta^s/(Gamma(r) n!) * int_0^t tau^n (alpha+tau)^-(r+n) (beta+tau)^-(s+1) dtau
  (Fader & Hardie 2006, note 012, before the binomial expansion).
Every value is computed at mp.dps = 50 and again at 70; the script stops if they differ by
more than 1e-30 relative (plus 1e-45 absolute, for exact zeros). Inputs are the f64 values written to the CSV (repr of a float).
"""
import os
import mpmath as mp

HERE = os.path.dirname(os.path.abspath(__file__))

PARAMS = [
    # CDNOW optimum (lifetimes 0.11.3): alpha < beta, z small
    (0.5532654961421906, 10.57746280793608, 0.6062000034552779, 11.667616745346674),
    # alpha >> beta: z(0) = 0.99
    (0.8, 50.0, 1.3, 0.5),
    # alpha << beta: z(0) = 0.996
    (2.5, 0.3, 0.4, 80.0),
    # integer s = 2 (scipy's hyp2f1 returns NaN here), alpha > beta
    (0.5, 10.0, 2.0, 4.0),
    # integer s = 1, alpha < beta
    (1.5, 3.0, 1.0, 9.0),
    # alpha == beta
    (0.7, 5.0, 0.9, 5.0),
]
CUSTOMERS = [
    (0, 0.0, 0.0),          # T = 0
    (0, 0.0, 38.86),
    (1, 1.71, 38.86),
    (2, 30.43, 38.86),
    (29, 37.71, 38.0),
    (5, 5.14, 37.29),
    (3, 20.0, 20.0),        # recency = T
    (7, 0.001, 10000.0),    # long-dormant
    (0, 0.0, 10000.0),
    (50, 10000.0, 10000.0),
    (10000, 9999.5, 10000.0),
    (10000, 5000.0, 10000.0),
    (1000, 37.5, 38.0),
]
DELTA = 0.0029  # ~15 % a year per week, continuous


def hyp(a, b, c, z):
    return mp.hyp2f1(a, b, c, z, maxterms=10**7)


def likelihood(r, al, s, be, x, tx, T):
    a = r + s + x
    if al >= be:
        f = lambda tau: hyp(a, s + 1, a + 1, (al - be) / (al + tau)) / (al + tau) ** a
    else:
        f = lambda tau: hyp(a, r + x, a + 1, (be - al) / (be + tau)) / (be + tau) ** a
    a0 = f(tx) - f(T)
    pre = mp.gamma(r + x) * al**r * be**s / mp.gamma(r)
    alive = 1 / ((al + T) ** (r + x) * (be + T) ** s)
    L = pre * (alive + s / a * a0)
    return L, pre * alive / L


def cond(r, al, s, be, x, tx, T, t, palive):
    if s == 1:
        g = mp.log(1 + t / (be + T))
    else:
        g = (1 - ((be + T) / (be + T + t)) ** (s - 1)) / (s - 1)
    return (r + x) * (be + T) / (al + T) * g * palive


def dert(r, al, s, be, x, tx, T, L, delta):
    z = delta * (be + T)
    return (al**r * be**s * delta ** (s - 1) * mp.gamma(r + x + 1) * mp.hyperu(s, s, z)
            / (mp.gamma(r) * (al + T) ** (r + x + 1) * L))


def customer_row(p, c):
    r, al, s, be = (mp.mpf(v) for v in p)
    x, tx, T = (mp.mpf(v) for v in c)
    L, pa = likelihood(r, al, s, be, x, tx, T)
    return [mp.log(L), pa, cond(r, al, s, be, x, tx, T, 39, pa),
            cond(r, al, s, be, x, tx, T, 10000, pa), dert(r, al, s, be, x, tx, T, L, mp.mpf(DELTA))]


def expected(r, al, s, be, t):
    if s == 1:
        return r * be / al * mp.log(1 + t / be)
    return r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1))


def pmf(r, al, s, be, t, n):
    if t == 0:
        return mp.mpf(1 if n == 0 else 0)
    k = mp.gamma(r + n) / (mp.gamma(r) * mp.factorial(n))
    nbd = k * (al / (al + t)) ** r * (t / (al + t)) ** n * (be / (be + t)) ** s
    f = lambda tau: tau**n * (al + tau) ** (-(r + n)) * (be + tau) ** (-(s + 1))
    pts = [mp.mpf(0)] + [t * mp.mpf(2) ** (-j) for j in range(40, -1, -1)]
    integral = mp.quad(f, pts)
    return nbd + k * al**r * s * be**s * integral


def population_row(p, t, n):
    r, al, s, be = (mp.mpf(v) for v in p)
    t = mp.mpf(t)
    return [expected(r, al, s, be, t), pmf(r, al, s, be, t, n)]


def checked(fn, *args):
    with mp.workdps(50):
        v50 = fn(*args)
    with mp.workdps(70):
        v70 = fn(*args)
    for a, b in zip(v50, v70):
        assert abs(a - b) <= mp.mpf("1e-30") * abs(b) + mp.mpf("1e-45"), (args, a, b)
    return v50


def fmt(v):
    return mp.nstr(v, 20, min_fixed=-1, max_fixed=0)


with open(os.path.join(HERE, "pareto_nbd_customers.csv"), "w") as out:
    out.write("r,alpha,s,beta,x,tx,T,ln_l,p_alive,cond_39,cond_10000,dert_0.0029\n")
    for p in PARAMS:
        for c in CUSTOMERS:
            vals = checked(customer_row, p, c)
            out.write(",".join([repr(float(v)) for v in p] + [repr(float(v)) for v in c]
                               + [fmt(v) for v in vals]) + "\n")

with open(os.path.join(HERE, "pareto_nbd_population.csv"), "w") as out:
    out.write("r,alpha,s,beta,t,n,expected,pmf\n")
    for p in PARAMS:
        for (t, n) in [(0.0, 0), (1.0, 0), (39.0, 0), (39.0, 1), (39.0, 5), (39.0, 30),
                       (10000.0, 0), (10000.0, 100)]:
            vals = checked(population_row, p, t, n)
            out.write(",".join([repr(float(v)) for v in p] + [repr(t), str(n)]
                               + [fmt(v) for v in vals]) + "\n")
print("ok")
