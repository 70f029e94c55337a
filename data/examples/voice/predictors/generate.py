#!/usr/bin/env python3
"""Generates the example of `comeback predictors`: transactions.csv and responses.csv of a
made-up shop where the NPS answer truly drives retention, CSAT follows the NPS answer
loosely, and CES is noise.

Standard library only, seeded: the same script writes the same files.
Run from the repository root:  python3 data/examples/voice/predictors/generate.py

The world (every customer):
- first purchase uniform in 2023-01-01 .. 2023-03-31, and 0-2 more purchases before the
  survey, amounts 20-60;
- one survey answer between 2023-04-01 and 2023-09-30: score (0-10, "how likely are you to
  recommend us"), uniform; csat (1-5) = round(1 + score * 0.4 + N(0, 1)) clipped; ces (1-7)
  uniform, independent of everything; a free-text comment (not a metric);
- retained (a purchase in the 365 days after the answer) with probability
  1 / (1 + exp(3 - 0.45 * score)); a retained customer buys 1 + Poisson-like k times in the
  window (promoters 2 extra on average, others 1), amounts uniform 20-60, then keeps buying
  to the observation end with probability 0.5;
- every 10th customer answers again in 2024-06 (window ends after 2024-12-31: censored),
  every 7th leaves csat blank;
- 5 responses come from 3 ids that are not in the transactions (x01, x02, x03).
Observation end: 2024-12-31 (the last transaction is on or before it).

The population AUC of the score is 0.8207 (data/reference/voice/delong_reference.py, truth
row); CES has AUC 0.5.
"""
import datetime as dt
import math
import os
import random

N = 1200
SEED = 20261130
OUT = os.path.dirname(os.path.abspath(__file__))
START = dt.date(2023, 1, 1)
END = dt.date(2024, 12, 31)


def day(d0, k):
    return d0 + dt.timedelta(days=k)


def amount(rng):
    return f"{rng.uniform(20, 60):.2f}"


def main():
    rng = random.Random(SEED)
    tx = []
    resp = []
    for i in range(N):
        cid = f"c{i:04d}"
        first = day(START, rng.randrange(90))
        tx.append((cid, first, amount(rng)))
        answered = day(dt.date(2023, 4, 1), rng.randrange(183))
        for _ in range(rng.randrange(3)):
            k = rng.randrange(1, max(2, (answered - first).days))
            tx.append((cid, day(first, k), amount(rng)))
        score = rng.randrange(11)
        csat = min(5, max(1, round(1 + score * 0.4 + rng.gauss(0, 1))))
        ces = 1 + rng.randrange(7)
        comment = rng.choice(["", "fast delivery", "too expensive", "friendly staff", "ok"])
        retained = rng.random() < 1 / (1 + math.exp(3 - 0.45 * score))
        if retained:
            extra = 2 if score >= 9 else 1
            k = 1 + sum(1 for _ in range(2 * extra) if rng.random() < 0.5)
            for _ in range(k):
                tx.append((cid, day(answered, 1 + rng.randrange(365)), amount(rng)))
            if rng.random() < 0.5:
                later = day(answered, 366)
                span = (END - later).days
                for _ in range(1 + rng.randrange(3)):
                    tx.append((cid, day(later, rng.randrange(span + 1)), amount(rng)))
        resp.append((cid, answered, score, "" if i % 7 == 0 else csat, ces, comment))
        if i % 10 == 0:
            again = day(dt.date(2024, 6, 1), rng.randrange(30))
            resp.append((cid, again, rng.randrange(11), csat, 1 + rng.randrange(7), ""))
    for cid, n in [("x01", 2), ("x02", 2), ("x03", 1)]:
        for _ in range(n):
            d = day(dt.date(2023, 4, 1), rng.randrange(183))
            resp.append((cid, d, rng.randrange(11), 3, 4, "never bought?"))
    tx = [t for t in tx if t[1] <= END]
    tx.sort(key=lambda t: (t[1], t[0]))
    resp.sort(key=lambda r: (r[1], r[0]))
    with open(os.path.join(OUT, "transactions.csv"), "w", newline="") as f:
        f.write("customer_id,date,amount\n")
        for cid, d, a in tx:
            f.write(f"{cid},{d.isoformat()},{a}\n")
    with open(os.path.join(OUT, "responses.csv"), "w", newline="") as f:
        f.write("customer,date,score,csat,ces,comment\n")
        for cid, d, s, c, e, comment in resp:
            f.write(f"{cid},{d.isoformat()},{s},{c},{e},{comment}\n")
    print(f"{len(tx)} transactions, {len(resp)} responses")


if __name__ == "__main__":
    main()
