#!/usr/bin/env python3
"""Reference values of `comeback report-card ratings.csv --month 2025-03`, computed
independently of Comeback: Python's csv and fractions modules for counts, exact means,
changes and ranks, and mpmath (50 digits) for the Student t quantile of the intervals.

Definitions (as documented in comeback_voice::report_card):
- per (location, employee) and criterion, and "overall" (all criteria together): n and the
  mean of this month's scores;
- the interval is mean -/+ t(1 - (1 - c)/2; n - 1) * s / sqrt(n), s the sample standard
  deviation (divisor n - 1), clipped to the scale 1..5; none when n < 2;
- change = this month's mean - last month's mean at the same location (none without
  ratings last month);
- rank: 1 = highest mean among the employees of the location rated on the criterion this
  month; equal means share a rank and the next rank is skipped (1, 2, 2, 4); "tied" when
  another employee has the same rank.

Run: python3 data/examples/voice/ratings_reference.py > data/examples/voice/ratings_reference.json
"""

import csv
import json
import os
from fractions import Fraction

import mpmath as mp

mp.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
CRITERIA = ["reliability", "responsiveness", "empathy", "assurance"]
MONTH, PREVIOUS = "2025-03", "2025-02"
CONFIDENCE = mp.mpf("0.95")


def t_quantile(p, df):
    """Solves F(t) = p for the Student t CDF F(t) = 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2."""
    df = mp.mpf(df)

    def cdf(t):
        x = df / (df + t * t)
        tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2
        return 1 - tail if t > 0 else tail

    return mp.findroot(lambda t: cdf(t) - p, mp.mpf(2))


def interval(scores):
    n = len(scores)
    if n < 2:
        return None, None
    mean = mp.mpf(sum(scores)) / n
    var = sum((mp.mpf(s) - mean) ** 2 for s in scores) / (n - 1)
    half = t_quantile(1 - (1 - CONFIDENCE) / 2, n - 1) * mp.sqrt(var) / mp.sqrt(n)
    return float(max(mean - half, 1)), float(min(mean + half, 5))


def main():
    scores = {}  # (month, location, employee, criterion) -> [scores]
    with open(os.path.join(HERE, "ratings.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            month = row["date"][:7]
            key = (row["location"], row["employee"])
            for c in (row["criterion"], "overall"):
                scores.setdefault((month, *key, c), []).append(int(row["score"]))
    pairs = sorted({(l, e) for (m, l, e, _) in scores if m == MONTH})
    cards = []
    for location, employee in pairs:
        rows = []
        for c in CRITERIA + ["overall"]:
            now = scores.get((MONTH, location, employee, c), [])
            before = scores.get((PREVIOUS, location, employee, c), [])
            mean = Fraction(sum(now), len(now)) if now else None
            prev = Fraction(sum(before), len(before)) if before else None
            # Ranks among the employees of the location with ratings of c this month.
            means = [
                Fraction(sum(v), len(v))
                for (m, l, e, cc), v in scores.items()
                if m == MONTH and l == location and cc == c and v
            ]
            rank = 1 + sum(1 for x in means if x > mean) if mean is not None else None
            tied = mean is not None and sum(1 for x in means if x == mean) > 1
            lo, hi = interval(now)
            rows.append({
                "criterion": c,
                "n": len(now),
                "mean": float(mean) if mean is not None else None,
                "ci_low": lo,
                "ci_high": hi,
                "previous_mean": float(prev) if prev is not None else None,
                "change": float(mean - prev) if mean is not None and prev is not None else None,
                "rank": rank,
                "peers": len(means),
                "tied": tied,
            })
        cards.append({
            "employee": employee,
            "location": location,
            "month": MONTH,
            "criteria": rows[:-1],
            "overall": rows[-1],
        })
    print(json.dumps({"source": "data/examples/voice/ratings_reference.py (mpmath "
                      + mp.__version__ + ", 50 digits)", "confidence": 0.95, "cards": cards},
                     indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
