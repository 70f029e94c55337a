#!/usr/bin/env python3
"""Writes responses.csv: the example input of `comeback nps`, `csat`, `ces` and `dimensions`.

One row per invited customer visit at two locations (Downtown, Airport), January to April
2025. Columns:

- customer, date (YYYY-MM-DD), location
- score: "how likely are you to recommend us to a friend or colleague?" 0-10 (NPS)
- csat: satisfaction 1-5; ces: "the company made it easy to handle my issue" 1-7
- reliability, assurance, responsiveness, empathy, delight: perceptions 1-5
- reliability_expected, responsiveness_expected: expectations 1-5 (SERVQUAL gaps)
- invitations: how many survey invitations the row stands for (1 or 2)

Downtown's scores improve month by month; Airport's are lower. About one answer in
fifteen is blank (a non-response). The generator is deterministic (fixed seed; Python's
`random.random` is stable across versions) and uses only the standard library.

Run: python3 data/examples/voice/make_responses.py > data/examples/voice/responses.csv
"""

import csv
import random
import sys

rng = random.Random(20250401)


def pick(weights):
    """An index drawn with the given weights."""
    u = rng.random() * sum(weights)
    for i, w in enumerate(weights):
        u -= w
        if u < 0:
            return i
    return len(weights) - 1


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def maybe_blank(v, p=1 / 15):
    return "" if rng.random() < p else str(v)


rows = []
customer = 1000
for month, days in [(1, 31), (2, 28), (3, 31), (4, 30)]:
    for location, n, base in [("Downtown", 24, 0.0), ("Airport", 14, -0.8)]:
        lift = 0.5 * (month - 1) if location == "Downtown" else 0.0
        for _ in range(n):
            customer += 1
            day = 1 + int(rng.random() * days)
            mood = base + lift + rng.gauss(0, 1.6)
            score = clamp(round(7.6 + mood), 0, 10)
            csat = clamp(round(3.9 + 0.45 * mood), 1, 5)
            ces = clamp(round(5.2 + 0.5 * mood), 1, 7)
            dims = [clamp(round(3.8 + 0.4 * mood + rng.gauss(0, 0.5)), 1, 5) for _ in range(5)]
            rel_exp = clamp(round(4.4 + rng.gauss(0, 0.5)), 1, 5)
            resp_exp = clamp(round(4.2 + rng.gauss(0, 0.6)), 1, 5)
            rows.append(
                [
                    f"C{customer}",
                    f"2025-{month:02d}-{day:02d}",
                    location,
                    maybe_blank(score),
                    maybe_blank(csat),
                    maybe_blank(ces),
                    *[maybe_blank(d, 1 / 25) for d in dims],
                    maybe_blank(rel_exp, 1 / 10),
                    maybe_blank(resp_exp, 1 / 10),
                    str(1 + (rng.random() < 0.3)),
                ]
            )

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(
    [
        "customer",
        "date",
        "location",
        "score",
        "csat",
        "ces",
        "reliability",
        "assurance",
        "responsiveness",
        "empathy",
        "delight",
        "reliability_expected",
        "responsiveness_expected",
        "invitations",
    ]
)
w.writerows(rows)
