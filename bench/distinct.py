"""Why fits stay on one machine: distinct (x, t_x, T) rows and BG/NBD fit time for large
simulated customer bases (`comeback bench-distinct`: CDNOW BG/NBD process, 84 days of
acquisition, 546 days observed, day-resolution summaries; the fit runs on the weighted
distinct rows). Whole process timed with GNU time (wall time, peak RSS).

Run: python3 bench/distinct.py [--customers 10000000 100000000] [--binary PATH]
Raw output: bench/results/distinct.json; README table: bench/tables.py-style text printed.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import COMEBACK, meta, save, timed_process  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, nargs="+", default=[10_000_000, 100_000_000])
    ap.add_argument("--binary", default=COMEBACK)
    ap.add_argument("--profile", default="release")
    a = ap.parse_args()
    runs = []
    for n in a.customers:
        r = timed_process([a.binary, "bench-distinct", "--customers", str(n)])
        out = json.loads(r.pop("stdout").strip().splitlines()[-1])
        out.update(r)
        runs.append(out)
        print(json.dumps(out))
    data = meta({"comeback": "0.1.0", "profile": a.profile})
    data["runs"] = runs
    save("distinct", data)
    print(table(data))


def table(d):
    lines = ["| customers | distinct (x, tₓ, T) rows | rows ÷ customers | simulate + reduce | BG/NBD fit | peak RSS |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in d["runs"]:
        lines.append(f"| {r['customers']:,} | {r['distinct_rows']:,} | {r['distinct_rows'] / r['customers']:.4f} | "
                     f"{r['simulate_and_reduce_seconds']:.1f} s | {r['fit_seconds']:.2f} s | {r['peak_rss_mb']:.0f} MB |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
