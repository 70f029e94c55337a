#!/usr/bin/env python3
"""Random 2F1(a, b; c; z) cases with 40-digit mpmath values (mpmath 1.3.0), seeded.

Run: python3 hyp2f1_random_reference.py > hyp2f1_random_values.csv
Columns: domain,a,b,c,z,ln_abs,sign (ln|2F1| to 25 digits, sign of the value).
domain 1 = positive parameters (a, b, c in (0.001, 10^4)), the models' domain;
domain 0 = any sign (c may be negative), a stress test.
z: uniform in (-1, 1), 1 - 10^U(-12,-1), or -10^U(0,8); 30 % of the cases put c - a - b at
an integer, an integer + 1e-9, an integer - 1e-7 or a half-integer.
Cases where mpmath's 40- and 60-digit values differ by more than 1e-25 relative, or where
mpmath itself does not converge in 10^6 terms, are skipped.
"""
import random
import mpmath as mp

mp.mp.dps = 40


def draw(positive):
    u = random.random()
    if positive:
        if u < 0.4:
            return random.uniform(0.001, 5)
        if u < 0.7:
            return random.uniform(0.01, 3)
        if u < 0.9:
            return 10 ** random.uniform(0, 3)
        return 10 ** random.uniform(3, 4)
    if u < 0.4:
        return random.uniform(-5, 5)
    if u < 0.7:
        return random.uniform(0.01, 3)
    if u < 0.9:
        return 10 ** random.uniform(0, 3)
    return -(10 ** random.uniform(0, 2))


print("domain,a,b,c,z,ln_abs,sign")
for domain, seed in ((1, 11), (0, 7)):
    random.seed(seed)
    n = 0
    while n < 400:
        a, b, c = draw(domain == 1), draw(domain == 1), draw(domain == 1)
        if random.random() < 0.3:
            base = a + b + random.choice([0, 1, -1, 2, -2])
            if domain == 1:
                base = max(0.01, base)
            c = base + random.choice([0, 1e-9, -1e-7, 0.5])
        zr = random.random()
        if zr < 0.3:
            z = random.uniform(-1, 1)
        elif zr < 0.6:
            z = 1 - 10 ** random.uniform(-12, -1)
        else:
            z = -(10 ** random.uniform(0, 8))
        a, b, c, z = float(a), float(b), float(c), float(z)
        if c <= 0 and c == int(c):
            continue
        try:
            v = mp.hyp2f1(mp.mpf(a), mp.mpf(b), mp.mpf(c), mp.mpf(z), maxterms=10**6)
            with mp.workdps(60):
                v2 = mp.hyp2f1(mp.mpf(a), mp.mpf(b), mp.mpf(c), mp.mpf(z), maxterms=10**6)
            if abs(v - v2) > mp.mpf("1e-25") * abs(v2):
                continue
        except Exception:
            continue
        if v == 0 or not mp.isfinite(v):
            continue
        print(f"{domain},{a!r},{b!r},{c!r},{z!r},{mp.nstr(mp.log(abs(v)), 25)},{1 if v > 0 else -1}")
        n += 1
