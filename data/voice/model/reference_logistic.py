"""Reference optimum of an L2-regularised logistic regression (standard library only).

Minimises  sum_i [log(1 + exp(z_i)) - y_i z_i] + lam/2 * (w1^2 + w2^2),  z_i = w.x_i + b
(Hastie, Tibshirani & Friedman 2009, eq. 4.20 with an L2 penalty; intercept b not
penalised) by Newton's method with exact gradient and Hessian, an independent check of the
L-BFGS fit in crates/comeback-voice/src/classify/model.rs (unit test `fit_matches_reference`).
Run: python3 data/voice/model/reference_logistic.py
"""
import math

X = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (2.0, 0.0), (0.0, 2.0), (1.0, 2.0)]
Y = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
LAM = 0.5


def solve3(a, g):
    """Solves the 3x3 system a d = g by Gaussian elimination with partial pivoting."""
    m = [row[:] + [g[i]] for i, row in enumerate(a)]
    for c in range(3):
        p = max(range(c, 3), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, 3):
            f = m[r][c] / m[c][c]
            for k in range(c, 4):
                m[r][k] -= f * m[c][k]
    d = [0.0] * 3
    for r in (2, 1, 0):
        d[r] = (m[r][3] - sum(m[r][k] * d[k] for k in range(r + 1, 3))) / m[r][r]
    return d


theta = [0.0, 0.0, 0.0]  # w1, w2, b
for _ in range(50):
    g = [LAM * theta[0], LAM * theta[1], 0.0]
    h = [[LAM, 0.0, 0.0], [0.0, LAM, 0.0], [0.0, 0.0, 0.0]]
    for (x1, x2), y in zip(X, Y):
        z = theta[0] * x1 + theta[1] * x2 + theta[2]
        p = 1.0 / (1.0 + math.exp(-z))
        v = (x1, x2, 1.0)
        for i in range(3):
            g[i] += (p - y) * v[i]
            for j in range(3):
                h[i][j] += p * (1.0 - p) * v[i] * v[j]
    d = solve3(h, g)
    theta = [t - s for t, s in zip(theta, d)]
print("w1 = %.12f" % theta[0])
print("w2 = %.12f" % theta[1])
print("b  = %.12f" % theta[2])
