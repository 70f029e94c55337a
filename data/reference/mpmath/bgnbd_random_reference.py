"""50-digit reference values for BG/NBD and MBG/NBD expectations at seeded random inputs.

Run: python3 bgnbd_random_reference.py > bgnbd_random_values.csv   (mpmath 1.3.0)

400 parameter sets drawn as in the property test `bgnbd_family_invariants` (r, alpha, a, b
log-uniform in [1e-3, 50], [1e-3, 1e4], [1e-3, 1e3], [1e-3, 1e3]; x up to 300; T up to
1000), t uniform on [0, 100] or [0, 1e4], log-uniform on [1e3, 1e13], or (alpha+T) times
10^U(-1, 3) (so that z = t/(alpha+T+t) covers 0.1 ... 1 - 1e-13). E[Y(t) | x, t_x, T] and
E[X(t)] from the closed forms (FHL 2005 eq. 9, 10) with mp.hyp2f1, as in bgnbd_near_one.py.
Columns as there.
"""
import math
import random

from mpmath import mp, nstr

from bgnbd_near_one import case

mp.dps = 50


def lu(lo, hi):
    return math.exp(random.uniform(math.log(lo), math.log(hi)))


def main():
    random.seed(11)
    print("model,r,alpha,a,b,x,t_x,T,t,cond_exp,uncond_exp")
    for _ in range(400):
        r = lu(1e-3, 50)
        al = lu(1e-3, 1e4)
        a = lu(1e-3, 1e3)
        b = lu(1e-3, 1e3)
        T = random.choice([0.0, random.uniform(0, 100), random.uniform(0, 1000)])
        x = float(random.choice([0, random.randint(0, 5), random.randint(0, 300)]))
        tx = 0.0 if x == 0 else random.uniform(0, T)
        t = random.choice([
            random.uniform(0, 100),
            random.uniform(0, 10000),
            10 ** random.uniform(3, 13),
            (al + T) * 10 ** random.uniform(-1, 3),
        ])
        for k, name in ((0, "bgnbd"), (1, "mbgnbd")):
            c, u = case(k, r, al, a, b, x, tx, T, t)
            vals = [repr(v) for v in (r, al, a, b, x, tx, T, t)]
            print(",".join([name] + vals + [nstr(c, 20), nstr(u, 20)]))


if __name__ == "__main__":
    main()
