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
    # Same-day purchases summed into one occasion, then per customer: repeat days, first to
    # last day, first day to the last date in the file, mean of the repeat days' totals.
    end = df["date"].max()
    days = df.group_by(["customer_id", "date"]).agg(pl.col("amount").sum())
    return days.group_by("customer_id").agg(
        (pl.len() - 1).alias("frequency"),
        ((pl.col("date").max() - pl.col("date").min()).dt.total_days()).alias("recency"),
        ((pl.lit(end) - pl.col("date").min()).dt.total_days()).alias("T"),
        pl.col("amount").sort_by("date").slice(1).mean().fill_null(0.0).alias("monetary_value"),
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
    result["in_memory"]["comeback"] = {"what": "TransactionLogBuilder (same-day collapse, exact sums) + finish + every customer's summary row, rows already parsed in memory",
                                       "runs_s": json.loads(p.stdout)}
    for tool in ["lifetimes", "polars"]:
        p = subprocess.run([py, "-c", IN_MEMORY, log, tool, str(args.runs)], capture_output=True, text=True, check=True)
        result["in_memory"][tool] = {"what": "summary call only, DataFrame already loaded with parsed dates", "runs_s": json.loads(p.stdout)}
    result["load_average_at_end"] = list(os.getloadavg())
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
    }
    customers = json.load(open(os.path.join(TMP, "summary_comeback.csv.meta.json")))["customers"]
    result["input"]["customers"] = customers
    result["ratios"]["comeback_peak_rss_bytes_per_customer"] = result["whole_process"]["comeback"]["median_peak_rss_mb"] * 1048576 / customers  # MiB → bytes
    result["targets"] = {
        "whole_process_max_s": 1.5,
        "in_memory_min_speedup_vs_lifetimes": 20,
        "in_memory_stretch_speedup_vs_lifetimes": 50,
        "whole_process_at_or_below_polars": True,
        "in_memory_at_or_below_polars": True,
        "peak_rss_bytes_per_customer": 200,
        "peak_rss_fixed_bytes": 64e6,
    }
    result["agreement"] = agreement()
    print(json.dumps(result["ratios"], indent=1))
    print(json.dumps(result["agreement"], indent=1))
    save("summary", result)


def agreement():
    """Compares the three whole-process outputs customer by customer (same definitions:
    same-day purchases summed into one occasion, frequency = repeat days, recency and T in
    days, T up to the last date in the file, monetary value = mean of the repeat days)."""
    import pandas as pd
    cols = ["frequency", "recency", "T", "monetary_value"]
    frames = {}
    for tool in ["comeback", "lifetimes", "polars"]:
        df = pd.read_csv(os.path.join(TMP, f"summary_{tool}.csv"), dtype={"customer_id": str})
        frames[tool] = df.set_index("customer_id")[cols].astype(float).sort_index()
    out = {"customers": {t: len(f) for t, f in frames.items()}, "max_abs_diff_vs_comeback": {}, "examples": {}}
    base = frames["comeback"]
    for tool in ["lifetimes", "polars"]:
        other = frames[tool].reindex(base.index)
        diff = (other - base).abs()
        out["max_abs_diff_vs_comeback"][tool] = {c: float(diff[c].max()) for c in cols}
        out["max_abs_diff_vs_comeback"][tool]["missing_customers"] = int(other[cols[0]].isna().sum())
        rel = diff / base.abs().clip(lower=1.0)
        out["max_abs_diff_vs_comeback"][tool]["rows_differing_over_1e-9_relative"] = int((rel > 1e-9).any(axis=1).sum())
    for cid in list(base.index[:: max(1, len(base) // 3)][:3]):
        out["examples"][cid] = {t: {c: float(f.loc[cid, c]) for c in cols} for t, f in frames.items()}
    return out


if __name__ == "__main__":
    main()
