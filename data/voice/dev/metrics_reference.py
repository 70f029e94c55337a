#!/usr/bin/env python3
"""Reference values for the evaluation metrics of comeback_voice::classify (standard library only).

Gold and predicted label sets of a small fixed example; prints exact-set accuracy per language,
micro-averaged precision, recall and F1 (F1 = 2tp / (2tp + fp + fn), van Rijsbergen 1979) and
the per-reason counts, and the reason Pareto shares. The integration test
`crates/comeback-voice/tests/it/classify.rs::metrics_match_reference` pins these numbers.
Run: python3 data/voice/dev/metrics_reference.py
"""
from collections import Counter
from fractions import Fraction

# (language, gold, predicted)
EXAMPLE = [
    ("en", {"price"}, {"price"}),
    ("en", {"price", "quality"}, {"price"}),
    ("en", set(), {"general_dissatisfaction"}),
    ("fi", {"praise_staff"}, {"praise_staff"}),
    ("fi", {"inadequate_response"}, {"inadequate_response", "quality"}),
    ("fi", set(), set()),
    ("fi", {"broken_promise"}, {"unresolved_complaint"}),
]


def prf(rows):
    tp = sum(len(g & p) for _, g, p in rows)
    fp = sum(len(p - g) for _, g, p in rows)
    fn = sum(len(g - p) for _, g, p in rows)
    precision = Fraction(tp, tp + fp) if tp + fp else Fraction(int(tp + fp + fn == 0))
    recall = Fraction(tp, tp + fn) if tp + fn else Fraction(int(tp + fp + fn == 0))
    f1 = Fraction(2 * tp, 2 * tp + fp + fn) if 2 * tp + fp + fn else Fraction(1)
    return tp, fp, fn, float(precision), float(recall), float(f1)


for lang in ("en", "fi"):
    rows = [r for r in EXAMPLE if r[0] == lang]
    exact = sum(g == p for _, g, p in rows)
    print(lang, "answers", len(rows), "exact", exact, "accuracy", exact / len(rows), "prf", prf(rows))
print("all prf", prf(EXAMPLE))
reasons = sorted(set().union(*(g | p for _, g, p in EXAMPLE)))
for r in reasons:
    tp = sum(r in g and r in p for _, g, p in EXAMPLE)
    fp = sum(r not in g and r in p for _, g, p in EXAMPLE)
    fn = sum(r in g and r not in p for _, g, p in EXAMPLE)
    print("reason", r, tp, fp, fn)
counts = Counter(r for _, _, p in EXAMPLE for r in p)
total = sum(counts.values())
cum = 0
for r, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    cum += c
    print("pareto", r, c, c / total, cum / total)
