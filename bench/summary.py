"""Benchmark of the per-customer summary (issue: foundation), side by side in one run.

(a) whole process from the same CSV file: `comeback summarize` vs a Python process running
    pandas.read_csv + lifetimes.utils.summary_data_from_transaction_data + to_csv, vs a
    Python process running the same summary in polars (read_csv + group-by + write_csv);
(b) in-memory group-by only, data already parsed: Comeback's TransactionLogBuilder +
    summarize (`comeback bench-groupby`, which parses first and times only the group-by),
    lifetimes' summary_data_from_transaction_data, and the polars group-by.

Input: a 10 M-row unsorted log (1 M customers) from `comeback simulate --order random`.
Run: .bench-venv/bin/python bench/summary.py [--runs 3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import COMEBACK, ROOT, TMP, build_release, median, meta, save, timed_process  # noqa: E402

SIM = ["--customers", "1000000", "--params", "r=2,alpha=9,a=1,b=12", "--acquisition-days", "365",
       "--observation-days", "730", "--order", "random", "--seed", "2026"]

LIFETIMES_WHOLE = r'''
import sys, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
df = pd.read_csv(sys.argv[1], dtype={"customer_id": str})
s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount", freq="D")
s.to_csv(sys.argv[2])
'''

POLARS_SUMMARY = r'''
import polars as pl
def summary(df):
    end = df["date"].max()
    days = df.group_by(["customer_id", "date"]).agg(pl.col("amount").sum())
    first = days.group_by("customer_id").agg(pl.col("date").min().alias("first"))
    days = days.join(first, on="customer_id")
    return days.group_by("customer_id").agg(
        (pl.len() - 1).alias("frequency"),
        ((pl.col("date").max() - pl.col("first").first()).dt.total_days()).alias("recency"),
        ((pl.lit(end) - pl.col("first").first()).dt.total_days()).alias("T"),
        pl.col("amount").filter(pl.col("date") != pl.col("first")).mean().fill_null(0.0).alias("monetary_value"),
    ).sort("customer_id")
def load(path):
    return pl.read_csv(path, schema_overrides={"customer_id": pl.Utf8}).with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
'''

POLARS_WHOLE = POLARS_SUMMARY + r'''
import sys
summary(load(sys.argv[1])).write_csv(sys.argv[2])
'''

IN_MEMORY = r'''
import json, sys, time, statistics
runs = int(sys.argv[3])
path = sys.argv[1]
out = []
if sys.argv[2] == "lifetimes":
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data
    df = pd.read_csv(path, dtype={"customer_id": str}, parse_dates=["date"])
    for _ in range(runs):
        t0 = time.perf_counter()
        summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount", freq="D")
        out.append(time.perf_counter() - t0)
else:
''' + "\n".join("    " + l for l in POLARS_SUMMARY.splitlines()) + r'''
    df = load(path)
    for _ in range(runs):
        t0 = time.perf_counter()
        summary(df)
        out.append(time.perf_counter() - t0)
print(json.dumps(out))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    build_release()
    os.makedirs(TMP, exist_ok=True)
    log = os.path.join(TMP, "log10m.csv")
    if not os.path.exists(log):
        subprocess.run([COMEBACK, "simulate", *SIM, "-o", log], check=True)
    rows = sum(1 for _ in open(log)) - 1
    size_mb = os.path.getsize(log) / 1e6
    py = sys.executable
    import lifetimes, pandas, polars  # noqa: E401
    versions = subprocess.run([COMEBACK, "--version"], capture_output=True, text=True).stdout.strip()
    result = meta({"comeback": versions, "lifetimes": lifetimes.__version__, "pandas": pandas.__version__, "polars": polars.__version__})
    result.update({"input": {"rows": rows, "mb": size_mb, "simulate_flags": SIM}, "whole_process": {}, "in_memory": {}})

    whole = {
        "comeback": [COMEBACK, "summarize", log, "--quiet", "-o", os.path.join(TMP, "summary_comeback.csv")],
        "lifetimes": [py, "-c", LIFETIMES_WHOLE, log, os.path.join(TMP, "summary_lifetimes.csv")],
        "polars": [py, "-c", POLARS_WHOLE, log, os.path.join(TMP, "summary_polars.csv")],
    }
    for tool, cmd in whole.items():
        runs = [timed_process(cmd) for _ in range(args.runs)]
        for r in runs:
            r.pop("stdout", None)
        result["whole_process"][tool] = {"what": "wall time of the whole process: read CSV, summarise, write CSV", "runs": runs,
                                         "median_s": median(runs), "median_peak_rss_mb": median(runs, "peak_rss_mb")}
        print(tool, "whole process median", round(median(runs), 3), "s", round(median(runs, "peak_rss_mb")), "MB", flush=True)

    p = subprocess.run([COMEBACK, "bench-groupby", log, "--runs", str(args.runs)], capture_output=True, text=True, check=True)
    result["in_memory"]["comeback"] = {"what": "TransactionLogBuilder (same-day collapse) + summarize, rows already parsed in memory", "runs_s": json.loads(p.stdout)}
    for tool in ["lifetimes", "polars"]:
        p = subprocess.run([py, "-c", IN_MEMORY, log, tool, str(args.runs)], capture_output=True, text=True, check=True)
        result["in_memory"][tool] = {"what": "summary call only, DataFrame already loaded with parsed dates", "runs_s": json.loads(p.stdout)}
    import statistics
    for tool, v in result["in_memory"].items():
        v["median_s"] = statistics.median(v["runs_s"])
        print(tool, "in-memory median", round(v["median_s"], 3), "s", flush=True)
    cb = result["in_memory"]["comeback"]["median_s"]
    result["ratios"] = {
        "in_memory_lifetimes_over_comeback": result["in_memory"]["lifetimes"]["median_s"] / cb,
        "in_memory_polars_over_comeback": result["in_memory"]["polars"]["median_s"] / cb,
        "whole_lifetimes_over_comeback": result["whole_process"]["lifetimes"]["median_s"] / result["whole_process"]["comeback"]["median_s"],
        "whole_polars_over_comeback": result["whole_process"]["polars"]["median_s"] / result["whole_process"]["comeback"]["median_s"],
        "comeback_peak_rss_bytes_per_customer": result["whole_process"]["comeback"]["median_peak_rss_mb"] * 1048576 / 1_000_000,
    }
    print(json.dumps(result["ratios"], indent=1))
    save("summary", result)


if __name__ == "__main__":
    main()
