#!/usr/bin/env python3
"""Reference values of the Gauss hypergeometric function 2F1(a, b; c; z) at 50 digits.

Run: python3 hyp2f1_reference.py > hyp2f1_values.csv   (mpmath 1.3.0)
Columns: a,b,c,z,value,ln_abs,sign (20 significant digits; computed at mp.dps = 50 and
checked against mp.dps = 70: the script stops if the two disagree beyond 1e-30 relative).
ln_abs = ln|value| is there for the values beyond the f64 range.
Cases: the ones the Pareto/NBD likelihood and the BG/NBD conditional expectation produce
(z -> 1-, z << -1, large a and b, c - a - b integer or near-integer), plus generic ones.
"""
import mpmath as mp

mp.mp.dps = 50

cases = []
# generic small parameters, |z| small and moderate
for z in ["-0.9", "-0.3", "0.1", "0.5", "0.7", "0.8", "0.95"]:
    cases.append(("0.5", "1.5", "2.25", z))
    cases.append(("-0.7", "2.3", "3.1", z))
# z -> 1- (and c - a - b integer: 0, -1, -2, 1)
for z in ["0.99", "0.999", "0.999999", "0.999999999999"]:
    cases.append(("1.3", "0.7", "2.0", z))      # c-a-b = 0  (log singularity)
    cases.append(("1.5", "2.5", "3.0", z))      # c-a-b = -1
    cases.append(("1.6062", "2.0", "2.6062", z))  # Pareto form, s integer: c-a-b = -1
    cases.append(("0.4", "0.5", "2.9", z))      # c-a-b = 2 (finite at 1)
    cases.append(("1.3", "0.7", "2.0000001", z))  # c-a-b near integer
# z << -1 (Pfaff images near 1)
for z in ["-2", "-10", "-1000", "-1e6", "-1e12"]:
    cases.append(("0.55", "1.6", "2.2", z))
    cases.append(("2.0", "3.0", "5.0", z))      # Pfaff image has c-a-b integer
    cases.append(("1.25", "1.25", "2.5", z))
# Pareto/NBD likelihood form 2F1(r+s+x, s+1; r+s+x+1; z) and (r+s+x, r+x; r+s+x+1; z)
for x in [0, 1, 29, 1000, 10000]:
    r, s = mp.mpf("0.5532654961421906"), mp.mpf("0.6062000034552779")
    a = r + s + x
    for z in ["0.05", "0.5", "0.9", "0.999"]:
        cases.append((mp.nstr(a, 20), mp.nstr(s + 1, 20), mp.nstr(a + 1, 20), z))
        cases.append((mp.nstr(a, 20), mp.nstr(r + x, 20), mp.nstr(a + 1, 20), z))
    # integer s = 2
    cases.append((mp.nstr(r + 2 + x, 20), "3", mp.nstr(r + 3 + x, 20), "0.99"))
# BG/NBD conditional expectation form 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))
for x in [0, 2, 29, 1000, 10000]:
    r, al, a_, b_ = mp.mpf("0.2425929282798216"), mp.mpf("4.4135322652718125"), mp.mpf("0.7928859664406493"), mp.mpf("2.42575238262571")
    for (T, t) in [("38.86", "39"), ("0", "1000"), ("10000", "39"), ("1", "1e6")]:
        z = mp.mpf(t) / (al + mp.mpf(T) + mp.mpf(t))
        cases.append((mp.nstr(r + x, 20), mp.nstr(b_ + x, 20), mp.nstr(a_ + b_ + x - 1, 20), mp.nstr(z, 20)))
# large parameters, moderate z
for (a, b, c, z) in [("300", "200", "450", "0.3"), ("50", "60", "20", "0.2"), ("100", "-3", "7.5", "0.6"),
                     ("1e4", "1.5", "1e4", "0.5"), ("2.5", "1e4", "3.5", "-0.5")]:
    cases.append((a, b, c, z))


def value(a, b, c, z, dps):
    # The arguments are the f64 values the Rust test parses (float() rounds the decimal to
    # the nearest double, which mpmath then holds exactly): z = 0.999999999999 as a double
    # differs from the decimal by ~1e-4 relative in 1 - z.
    with mp.workdps(dps):
        return mp.hyp2f1(mp.mpf(float(a)), mp.mpf(float(b)), mp.mpf(float(c)), mp.mpf(float(z)), maxterms=10**7)


print("a,b,c,z,value,ln_abs,sign")
for (a, b, c, z) in cases:
    v = value(a, b, c, z, 50)
    v2 = value(a, b, c, z, 70)
    assert abs(v - v2) <= mp.mpf("1e-30") * abs(v2), (a, b, c, z, v, v2)
    sign = 0 if v == 0 else (1 if v > 0 else -1)
    ln_abs = mp.log(abs(v)) if v != 0 else mp.ninf
    a, b, c, z = (repr(float(v)) for v in (a, b, c, z))
    print(f"{a},{b},{c},{z},{mp.nstr(v, 20, min_fixed=-1, max_fixed=0)},{mp.nstr(ln_abs, 20)},{sign}")
