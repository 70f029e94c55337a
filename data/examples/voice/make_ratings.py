#!/usr/bin/env python3
"""Writes ratings.csv: the example input of `comeback report-card`.

Seven employees at two locations, January to March 2025. Every visit is one customer
rating one employee on the four default criteria (reliability, responsiveness, empathy,
assurance), scores 1-5; a visit may skip a criterion (None). The scores are written out
by hand below so that the test expectations can be recomputed by hand.

Edge cases on purpose:
- Dan Kim works at both locations: one card per location, ranked among each location's staff.
- Ben Okafor has ratings in January and March but none in February: no change vs last month.
- Chloe Dubois has a single empathy rating in March (n = 1: no interval).
- Ana Garcia and Dan Kim (Downtown) tie on March reliability (4.5); so do Eeva Virtanen
  and Dan Kim (Harbour Front) at 4.0.
- Gus Lindqvist has ratings in January and February only: no card for March.
- Visits on 2025-02-28, 2025-03-01 and 2025-03-31 test the month boundaries.
- Names with accents and an apostrophe test the HTML file names.

Run: python3 data/examples/voice/make_ratings.py > data/examples/voice/ratings.csv
"""

import csv
import sys

CRITERIA = ["reliability", "responsiveness", "empathy", "assurance"]

DOWNTOWN = "Downtown"
HARBOUR = "Harbour Front"

# (location, employee) -> month -> list of (day, (reliability, responsiveness, empathy, assurance))
VISITS = {
    (DOWNTOWN, "Ana García"): {
        1: [(8, (4, 4, 4, 3)), (21, (4, 3, 4, 4))],
        2: [(3, (4, 4, 4, 4)), (12, (4, 3, 5, 4)), (25, (5, 4, 4, 4))],
        3: [(1, (5, 4, 5, 4)), (10, (4, 4, 5, 5)), (18, (5, 3, 4, 4)), (27, (4, 5, 5, 4))],
    },
    (DOWNTOWN, "Ben Okafor"): {
        1: [(14, (3, 3, 3, 3)), (29, (4, 4, 4, 4))],
        3: [(6, (3, 4, 4, 3)), (19, (4, 4, 3, 3)), (31, (3, 5, 4, 4))],
    },
    (DOWNTOWN, "Chloé Dubois"): {
        1: [(9, (5, 4, 4, 4))],
        2: [(5, (4, 4, 4, 4)), (11, (5, 4, 5, 4)), (20, (4, 5, 4, 5)), (28, (5, 5, 5, 5))],
        3: [(4, (5, 5, None, 5)), (13, (5, 4, None, 4)), (24, (4, 5, 5, 5))],
    },
    (DOWNTOWN, "Dan Kim"): {
        1: [(16, (4, 4, 4, 4))],
        2: [(7, (5, 4, 4, 4)), (19, (4, 4, 3, 4))],
        3: [(3, (5, 4, 3, 4)), (11, (4, 4, 4, 3)), (20, (5, 4, 4, 4)), (28, (4, 3, 3, 4))],
    },
    (HARBOUR, "Eeva Virtanen"): {
        1: [(10, (4, 4, 4, 4)), (24, (3, 4, 4, 4))],
        2: [(4, (4, 4, 4, 4)), (14, (4, 4, 3, 4)), (26, (4, 3, 4, 4))],
        3: [(2, (4, 4, 4, 4)), (9, (5, 4, 4, 5)), (15, (3, 4, 5, 4)), (22, (4, 4, 4, 4)), (29, (4, 5, 4, 4))],
    },
    (HARBOUR, "Dan Kim"): {
        2: [(22, (3, 3, 3, 3))],
        3: [(14, (4, 4, 4, 4)), (25, (4, 3, 4, 5))],
    },
    (HARBOUR, "Frank O'Neil"): {
        1: [(13, (3, 3, 3, 3))],
        2: [(6, (3, 3, 3, 3)), (17, (2, 3, 3, 2)), (27, (3, 2, 4, 3))],
        3: [(5, (2, 3, 3, 2)), (16, (3, 3, 4, 3)), (26, (1, 2, 3, 2))],
    },
    (HARBOUR, "Gus Lindqvist"): {
        1: [(20, (4, 5, 4, 4))],
        2: [(10, (4, 4, 4, 4)), (24, (5, 4, 4, 5))],
    },
}


def rows():
    out = []
    for (location, employee), months in VISITS.items():
        for month, visits in months.items():
            for day, scores in visits:
                date = f"2025-{month:02d}-{day:02d}"
                for criterion, score in zip(CRITERIA, scores):
                    if score is not None:
                        out.append((date, employee, location, criterion, score))
    # Chronological, as a survey export would be; the order within a day is by name.
    out.sort(key=lambda r: (r[0], r[2], r[1]))
    return out


def main():
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["employee", "location", "date", "criterion", "score"])
    for date, employee, location, criterion, score in rows():
        w.writerow([employee, location, date, criterion, score])


if __name__ == "__main__":
    main()
