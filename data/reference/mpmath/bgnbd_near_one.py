"""50-digit reference values for the BG/NBD and MBG/NBD expectations as z -> 1-.

Run: python3 bgnbd_near_one.py > bgnbd_near_one.csv   (mpmath 1.3.0)

E[Y(t) | x, t_x, T] = P(alive) * C/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^R 2F1(R, B; C; z)]
(Fader, Hardie & Lee 2005, eq. 10; MBG/NBD: B -> B+1, C -> C+1), with R = r+x,
B = b+x+k, C = a+b+x-1+k (k = 0 BG/NBD, 1 MBG/NBD) and z = t/(alpha+T+t); E[X(t)] is the
same expression at x = T = 0 times the MBG/NBD's b/(a+b) (FHL eq. 9). mp.hyp2f1 at 50
digits. At a = 1 the closed form is 0/0: the mean of a = 1 -+ 1e-25 at 60 digits is used
(the function is analytic in a, so the error is O(1e-50)).

For each case t is chosen so that z = 1 - y for y in 1e-3 ... 1e-12 and then rounded to
an f64 (repr printed); the reference is computed from those exact f64 inputs. The parameter
sets cover c - a - b = a - 1 - R positive, negative, integer and near-integer, large r+x,
small and large a and b. Columns: model, r, alpha, a, b, x, t_x, T, t, cond_exp,
uncond_exp (decimal strings, 25 significant digits). The Rust quadrature (an independent
method) agrees with every value to 6e-12.
"""
from mpmath import mp, mpf, hyp2f1, log, exp

mp.dps = 50


def p_alive(k, r, al, a, b, x, tx, T):
    if k == 0 and x == 0:
        return mpf(1)
    c1 = b + x - 1 + k
    return 1 / (1 + (a / c1) * exp((r + x) * (log(al + T) - log(al + tx))))


def phi_closed(k, r, al, a, b, x, T, t):
    R = r + x
    C = a + b + x - 1 + k
    Bp = b + x + k
    z = t / (al + T + t)
    return C / (a - 1) * (1 - ((al + T) / (al + T + t)) ** R * hyp2f1(R, Bp, C, z))


def phi(k, r, al, a, b, x, T, t):
    if a != 1:
        return phi_closed(k, r, al, a, b, x, T, t)
    with mp.workdps(60):
        h = mpf("1e-25")
        return (phi_closed(k, r, al, a - h, b, x, T, t) + phi_closed(k, r, al, a + h, b, x, T, t)) / 2


def case(k, r, al, a, b, x, tx, T, t):
    r, al, a, b, x, tx, T, t = (mpf(v) for v in (r, al, a, b, x, tx, T, t))
    cond = p_alive(k, r, al, a, b, x, tx, T) * phi(k, r, al, a, b, x, T, t)
    unc = phi(k, r, al, a, b, mpf(0), mpf(0), t)
    if k == 1:
        unc *= b / (a + b)
    # mp.hyp2f1 is not infallible at large parameters (at a = 339, b = 776, z = 0.88 it
    # returned -7.7e48 where the Beta-mixture integral gives 0.224): refuse a negative value.
    assert cond >= 0 and unc >= 0, ("hyp2f1 failed", k, r, al, a, b, x, tx, T, t, cond, unc)
    return cond, unc


# (r, alpha, a, b, x, t_x, T): the reported corner first.
SETS = [
    (1.0, 0.0090009, 5.046, 229.254, 0.0, 0.0, 0.0),  # m = a-1-R = 3.046
    (1.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0),  # m = 0
    (1.0, 2.0, 3.0, 0.5, 0.0, 0.0, 0.0),  # m = 1
    (0.5, 1.5, 2.0, 4.0, 2.0, 5.0, 8.0),  # m = -1.5 ... R = 2.5
    (1.0, 4.0, 2.0, 2.0, 2.0, 3.0, 10.0),  # m = -2 (integer)
    (1.0, 4.0, 2.0 + 1e-7, 2.0, 0.0, 0.0, 10.0),  # m = 1e-7
    (0.3, 0.7, 1.3 + 1e-9, 1.7, 0.0, 0.0, 0.0),  # m = 1e-9
    (0.25, 3.0, 0.8, 2.5, 1.0, 2.0, 30.0),  # m = -1.45
    (2.0, 0.5, 1.0, 3.0, 1.0, 1.0, 2.0),  # a = 1
    (0.2, 5.0, 1.0 + 1e-6, 0.9, 0.0, 0.0, 5.0),  # a ~ 1
    (0.24, 4.4, 0.05, 0.02, 4.0, 20.0, 38.0),  # small a, b
    (0.7, 10.0, 500.0, 3.0, 3.0, 10.0, 40.0),  # large a
    (0.9, 2.0, 3.5, 5000.0, 1.0, 5.0, 9.0),  # large b
    (0.8, 2.0, 1.5, 0.7, 200.0, 39.0, 40.0),  # large r+x, m = -199.3
    (3.0, 0.01, 300.0, 400.0, 150.0, 100.0, 100.0),  # large everything
    (1.0, 1.0, 52.0, 10.0, 50.0, 30.0, 31.0),  # m = 0, large parameters
]
YS = ["1e-3", "1e-4", "1e-6", "1e-8", "1e-10", "1e-12"]


def main():
    print("model,r,alpha,a,b,x,t_x,T,t,cond_exp,uncond_exp")
    for r, al, a, b, x, tx, T in SETS:
        for ys in YS:
            y = float(ys)
            t = (al + T) * (1 - y) / y
            for k, name in ((0, "bgnbd"), (1, "mbgnbd")):
                cond, unc = case(k, r, al, a, b, x, tx, T, t)
                vals = [repr(v) for v in (r, al, a, b, x, tx, T, t)]
                print(",".join([name] + vals + [mp.nstr(cond, 25), mp.nstr(unc, 25)]))
    # The reported case at the exact t of the bug report.
    for k, name in ((0, "bgnbd"), (1, "mbgnbd")):
        cond, unc = case(k, 1.0, 0.0090009, 5.046, 229.254, 0.0, 0.0, 0.0, 971.18)
        vals = [repr(v) for v in (1.0, 0.0090009, 5.046, 229.254, 0.0, 0.0, 0.0, 971.18)]
        print(",".join([name] + vals + [mp.nstr(cond, 25), mp.nstr(unc, 25)]))


if __name__ == "__main__":
    main()
