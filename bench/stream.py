"""Bounded memory at any number of rows: `comeback simulate | comeback summarize -` through a
pipe (nothing written to disk but the summary), whole processes timed with GNU time:
wall time, rows, rows/s and peak RSS of `summarize`, and peak RSS per customer.

Default case (issue 11): 10^7 customers with about 100 purchases each (BG/NBD r=5.2,
alpha=3, a=1, b=200 per week; 28 days of acquisition, 546 days observed; Gamma-Gamma spend),
about 10^9 rows in customer order.

Run: python3 bench/stream.py [--customers N] [--params r=..,alpha=..,a=..,b=..] [--binary PATH]
Raw output: bench/results/stream.json (rename it to keep several sizes, e.g. stream_1e6.json);
`--table` prints the README table from every bench/results/stream*.json.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import COMEBACK, TMP, load, meta, save  # noqa: E402

PARAMS = ["--acquisition-days", "28", "--observation-days", "546", "--seed", "2026"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000_000)
    ap.add_argument("--binary", default=COMEBACK)
    ap.add_argument("--profile", default="release")
    ap.add_argument("--params", default="r=5.2,alpha=3,a=1,b=200", help="BG/NBD parameters per week")
    ap.add_argument("--table", action="store_true", help="print the README table of bench/results/stream*.json")
    a = ap.parse_args()
    if a.table:
        import glob
        runs = []
        for path in sorted(glob.glob(os.path.join(os.path.dirname(TMP), "..", "results", "stream*.json"))):
            with open(path) as f:
                d = json.load(f)
            for r in d["runs"]:
                r["_meta"] = f"{os.path.basename(path)}: {d['date']}, commit {d['commit']}, load {d['machine']['load_average_at_start'][0]:.1f}"
                runs.append(r)
        runs.sort(key=lambda r: r["rows"])
        print(table({"runs": runs}))
        for r in runs:
            print(f"- {r['_meta']}")
        return
    os.makedirs(TMP, exist_ok=True)
    out = os.path.join(TMP, "stream_summary.csv")
    sim = [a.binary, "simulate", "--customers", str(a.customers), "--params", a.params] + PARAMS
    summ = ["/usr/bin/time", "-v", a.binary, "summarize", "-", "-o", out]
    load_before = load()
    t0 = time.perf_counter()
    p1 = subprocess.Popen(sim, stdout=subprocess.PIPE)
    p2 = subprocess.run(summ, stdin=p1.stdout, capture_output=True, text=True)
    p1.stdout.close()
    p1.wait()
    wall = time.perf_counter() - t0
    if p1.returncode != 0 or p2.returncode != 0:
        raise RuntimeError(p2.stderr[-3000:])
    tv = {}
    for line in p2.stderr.splitlines():
        if ":" in line and line.startswith("\t"):
            k, v = line.strip().rsplit(": ", 1) if ": " in line else (line.strip(), "")
            tv[k] = v
    with open(out + ".meta.json") as f:
        m = json.load(f)
    rows = m["rows"]["read"]
    customers = m["customers"]
    rss_kb = int(tv["Maximum resident set size (kbytes)"])
    run = {
        "customers_simulated": a.customers, "customers": customers, "rows": rows,
        "wall_seconds": wall, "rows_per_second": rows / wall,
        "summarize_user_seconds": float(tv["User time (seconds)"]),
        "summarize_system_seconds": float(tv["System time (seconds)"]),
        "summarize_cpu_percent": tv["Percent of CPU this job got"],
        "summarize_peak_rss_kb": rss_kb, "bytes_per_customer": rss_kb * 1024 / customers,
        "load_before": load_before, "time_v": tv, "stderr_tail": p2.stderr[-2000:],
        "simulate": sim[1:], "summarize": summ[3:],
    }
    os.remove(out)
    os.remove(out + ".meta.json")
    data = meta({"comeback": "0.1.0", "profile": a.profile})
    data["runs"] = [run]
    save("stream", data)
    print(table(data))


def table(d):
    lines = ["| customers | rows | wall time | rows/s | summarize CPU (user + sys) | peak RSS of summarize | bytes per customer |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in d["runs"]:
        lines.append(f"| {r['customers']:,} | {r['rows']:,} | {r['wall_seconds']:.0f} s | {r['rows_per_second'] / 1e6:.2f} M | "
                     f"{r['summarize_user_seconds'] + r['summarize_system_seconds']:.0f} s | {r['summarize_peak_rss_kb'] / 1024:.0f} MB | "
                     f"{r['bytes_per_customer']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
