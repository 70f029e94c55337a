"""Writes fh2007.csv: two subscription cohorts whose survivors are the published counts
of Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
Marketing 21(1), Table 1 (years 0-7 of each segment, read here as months 0-7):

- "regular":  1000, 631, 468, 382, 326, 289, 262, 241 (their alpha = 0.704, beta = 1.182)
- "high-end": 1000, 869, 743, 653, 593, 551, 517, 491 (their alpha = 0.668, beta = 3.806)

Regular subscribers start on 2020-01-25 .. 2020-01-31 (cohort 2020-01), high-end ones on
2020-02-01 .. 2020-02-07 (cohort 2020-02), one subscription each, MRR 9.90 and 29.90 EUR.
A subscriber who is first inactive at month t has the end (excluded) start + t calendar
months, with the day of month clamped to the month's length like
comeback_core::Day::add_months; survivors of month 7 have no end. Observed up to
2020-09-15, both cohorts show months 0..=7 exactly: the latest regular start plus 7 months
is 2020-08-31 (plus 8: 2020-09-30), the latest high-end start plus 7 months 2020-09-07
(plus 8: 2020-10-07).

Used by `comeback cohorts` (crates/comeback/tests/it/cohorts.rs) and by the server's
store path (crates/comeback-server/tests/it/cohorts.rs). Standard-library Python only;
deterministic. Run: python3 make_fh2007.py > fh2007.csv
"""

import calendar
import datetime
import sys

SEGMENTS = [
    # (plan, id prefix, first start day, survivors, mrr)
    ("regular", "R", datetime.date(2020, 1, 25), [1000, 631, 468, 382, 326, 289, 262, 241], "9.90"),
    ("high-end", "H", datetime.date(2020, 2, 1), [1000, 869, 743, 653, 593, 551, 517, 491], "29.90"),
]


def add_months(d, months):
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    return datetime.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def main(out):
    out.write("subscription_id,customer_id,start,end,mrr,currency,plan\n")
    n = 0
    for plan, prefix, first, counts, mrr in SEGMENTS:
        k = 0
        for t in range(1, len(counts) + 1):
            leaving = counts[t - 1] - counts[t] if t < len(counts) else counts[t - 1]
            for _ in range(leaving):
                start = first + datetime.timedelta(days=k % 7)
                end = add_months(start, t).isoformat() if t < len(counts) else ""
                n += 1
                k += 1
                out.write(f"S{n:05d},{prefix}{k:04d},{start.isoformat()},{end},{mrr},EUR,{plan}\n")


if __name__ == "__main__":
    main(sys.stdout)
