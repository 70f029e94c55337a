"""Summary of 10^8 rows, CSV and Parquet: Comeback vs polars vs DuckDB, whole process, one run.

Issue 11 "Fast (benchmark)": summarise 10^8 rows of CSV and of Parquet; rows/s and peak
memory (whole process, GNU time's max RSS; also its CPU time, user + system) side by side with polars and DuckDB on the same
files. Targets: ≤ 1.0× polars time, ≤ 1.5× DuckDB time, peak memory below both.

The same summary everywhere: purchases of one customer on one day collapsed into one occasion
(amounts summed), frequency = occasions − 1, recency = last − first occasion day, T = the last
date in the file − first occasion day (days), monetary_value = mean of the repeat occasions'
totals (0 without repeats), output CSV `customer_id,frequency,recency,T,monetary_value`.
- Comeback: `comeback summarize FILE --quiet -o OUT.csv` (which also hashes its input);
- polars: a lazy query (`scan_csv` / `scan_parquet`, streaming engine), written with `write_csv`;
- DuckDB: the query of `comeback sql --dialect duckdb` (tested equal to `summarize` on CDNOW by
  crates/comeback/tests/it/sql.rs) over a view on `read_csv` / `read_parquet`, `COPY … TO` CSV.
Before timing, the six outputs of a small file (10^4 customers) are compared customer by
customer with Comeback's CSV output (integers equal, reals within 1e-9 relative).

Inputs (not committed; in --data, default /work/bench-data): `log1e8.csv` from `comeback
simulate` (flags in SIM below; rows shuffled, as in bench/summary.py), and
`log1e8.parquet`, the same rows converted by DuckDB (customer_id VARCHAR, date DATE, amount
DOUBLE; Snappy, DuckDB's default row groups).

Run: /work/bench-venv/bin/python bench/summary_1e8.py --comeback PATH/TO/release/comeback
Raw output: bench/results/summary_1e8.json; README table: python3 bench/tables.py.
A partial rerun (`--formats parquet --name summary_1e8_parquet`) writes its own raw file.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import meta, median, save, timed_process  # noqa: E402

# 10^7 customers of ~11 rows each (bench/summary.py: 10^6 customers give 1.09·10^7 rows): r=2, alpha=9 (per week) over two years.
SIM = ["--params", "r=2,alpha=9,a=1,b=12", "--acquisition-days", "365",
       "--observation-days", "730", "--order", "random", "--seed", "2026"]
CUSTOMERS_BIG = 10_000_000
CUSTOMERS_SMALL = 10_000

POLARS = r'''
import sys, polars as pl
src, out = sys.argv[1], sys.argv[2]
if src.endswith(".parquet"):
    lf = pl.scan_parquet(src)
else:
    lf = pl.scan_csv(src, schema={"customer_id": pl.Utf8, "date": pl.Date, "amount": pl.Float64})
lf = lf.filter(pl.col("amount") >= 0)  # refunds excluded, as summarize's default
days = lf.group_by(["customer_id", "date"]).agg(pl.col("amount").sum())
per = days.group_by("customer_id").agg(
    (pl.len() - 1).alias("frequency"),
    pl.col("date").min().alias("first"),
    pl.col("date").max().alias("last"),
    pl.col("amount").sum().alias("total"),
    pl.col("amount").get(pl.col("date").arg_min()).alias("first_amount"),
).collect(engine="streaming")
end = per["last"].max()
per.select(
    "customer_id",
    "frequency",
    (pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64).alias("recency"),
    (pl.lit(end) - pl.col("first")).dt.total_days().cast(pl.Float64).alias("T"),
    pl.when(pl.col("frequency") > 0)
      .then((pl.col("total") - pl.col("first_amount")) / pl.col("frequency"))
      .otherwise(0.0).alias("monetary_value"),
).sort("customer_id").write_csv(out)
'''

DUCKDB = r'''
import sys, duckdb
src, out, sql_file = sys.argv[1], sys.argv[2], sys.argv[3]
sql = open(sql_file).read().strip().rstrip(";")
con = duckdb.connect()
if src.endswith(".parquet"):
    reader = f"read_parquet('{src}')"
else:
    reader = (f"read_csv('{src}', header = true, "
              "columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'})")
con.execute(f"CREATE VIEW tx AS SELECT * FROM {reader}")
con.execute(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')")
'''

TO_PARQUET = r'''
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute(f"""COPY (SELECT * FROM read_csv('{src}', header = true,
    columns = {{'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'}}))
    TO '{out}' (FORMAT parquet, COMPRESSION snappy)""")
'''


def make_inputs(comeback, data, name, customers):
    csv = os.path.join(data, f"{name}.csv")
    pq = os.path.join(data, f"{name}.parquet")
    made = {}
    if not os.path.exists(csv):
        made["simulate"] = timed_process([comeback, "simulate", *SIM, "--customers", str(customers), "-o", csv])
    if not os.path.exists(pq):
        made["to_parquet"] = timed_process([sys.executable, "-c", TO_PARQUET, csv, pq])
    for v in made.values():
        v.pop("stdout", None)
    return csv, pq, made


def commands(comeback, src, out_dir, sql_file, tag):
    return {
        "comeback": [comeback, "summarize", src, "--quiet", "-o", os.path.join(out_dir, f"{tag}_comeback.csv")],
        "polars": [sys.executable, "-c", POLARS, src, os.path.join(out_dir, f"{tag}_polars.csv")],
        "duckdb": [sys.executable, "-c", DUCKDB, src, os.path.join(out_dir, f"{tag}_duckdb.csv"), sql_file],
    }


def read_summary(path):
    out = {}
    with open(path) as f:
        header = f.readline().strip().split(",")
        assert header == ["customer_id", "frequency", "recency", "T", "monetary_value"], (path, header)
        for line in f:
            c = line.rstrip("\n").split(",")
            out[c[0]] = (int(c[1]), float(c[2]), float(c[3]), float(c[4]))
    return out


def compare(base_path, other_path):
    base, other = read_summary(base_path), read_summary(other_path)
    worst, differing = 0.0, 0
    for cid, b in base.items():
        o = other.get(cid)
        if o is None or o[0] != b[0]:
            differing += 1
            continue
        rel = max(abs(x - y) / max(abs(x), 1.0) for x, y in zip(b[1:], o[1:]))
        worst = max(worst, rel)
        if rel > 1e-9:
            differing += 1
    return {"customers": len(base), "other_customers": len(other), "rows_differing": differing,
            "max_relative_difference": worst, "equal_within_1e-9": differing == 0 and len(base) == len(other)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--comeback", required=True, help="release build of the comeback binary")
    ap.add_argument("--data", default="/work/bench-data")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--formats", nargs="+", choices=["csv", "parquet"], default=["csv", "parquet"],
                    help="inputs to time (default both); the small-file agreement check always runs")
    ap.add_argument("--name", default="summary_1e8",
                    help="raw output bench/results/NAME.json (a partial rerun gets its own name)")
    args = ap.parse_args()
    comeback = os.path.abspath(args.comeback)
    os.makedirs(args.data, exist_ok=True)
    out_dir = os.path.join(args.data, "out")
    os.makedirs(out_dir, exist_ok=True)
    sql_file = os.path.join(out_dir, "summary.duckdb.sql")
    with open(sql_file, "w") as f:
        subprocess.run([comeback, "sql", "--dialect", "duckdb", "--table", "tx", "--customer-col", "customer_id",
                        "--date-col", "date", "--amount-col", "amount"], stdout=f, check=True)
    import duckdb
    import polars
    version = subprocess.run([comeback, "--version"], capture_output=True, text=True).stdout.strip()
    result = meta({"comeback": version, "polars": polars.__version__, "duckdb": duckdb.__version__})
    result["what"] = ("whole process: read the file, summarise (day collapse, frequency, recency, T, "
                      "monetary value), write the summary CSV; wall time and GNU time max RSS")

    # Agreement on a small file, both formats.
    csv, pq, _ = make_inputs(comeback, args.data, "log1e4c", CUSTOMERS_SMALL)
    agreement = {}
    for fmt, src in (("csv", csv), ("parquet", pq)):
        for tool, cmd in commands(comeback, src, out_dir, sql_file, f"small_{fmt}").items():
            timed_process(cmd)
        base = os.path.join(out_dir, "small_csv_comeback.csv")
        for tool in ("comeback", "polars", "duckdb"):
            if fmt == "csv" and tool == "comeback":
                continue
            agreement[f"{tool}_{fmt}"] = compare(base, os.path.join(out_dir, f"small_{fmt}_{tool}.csv"))
    result["agreement_small"] = agreement
    print(json.dumps(agreement, indent=1), flush=True)

    csv, pq, made = make_inputs(comeback, args.data, "log1e8", CUSTOMERS_BIG)
    rows = int(subprocess.run(["wc", "-l", csv], capture_output=True, text=True, check=True).stdout.split()[0]) - 1
    result["input"] = {"rows": rows, "customers_simulated": CUSTOMERS_BIG, "simulate_flags": SIM,
                       "csv_bytes": os.path.getsize(csv), "parquet_bytes": os.path.getsize(pq),
                       "parquet": "converted from the CSV by DuckDB: customer_id VARCHAR, date DATE, amount DOUBLE, Snappy",
                       "generation": made}
    result["runs"] = {}
    result["formats"] = args.formats
    for fmt, src in (("csv", csv), ("parquet", pq)):
        if fmt not in args.formats:
            continue
        for tool, cmd in commands(comeback, src, out_dir, sql_file, f"big_{fmt}").items():
            runs = []
            for _ in range(args.runs):
                r = timed_process(cmd)
                r.pop("stdout", None)
                r["rows_per_s"] = rows / r["seconds"]
                runs.append(r)
            key = f"{tool}_{fmt}"
            result["runs"][key] = {"runs": runs, "median_s": median(runs),
                                   "median_peak_rss_mb": median(runs, "peak_rss_mb"),
                                   "median_cpu_s": median(runs, "cpu_s"),
                                   "rows_per_s": rows / median(runs)}
            print(key, round(median(runs), 2), "s", round(median(runs, "cpu_s"), 2), "s CPU",
                  round(median(runs, "peak_rss_mb")), "MiB", flush=True)
    big = {}
    # The reference: Comeback's CSV summary, else (a Parquet-only run) its Parquet summary.
    base_key = "comeback_csv" if "comeback_csv" in result["runs"] else "comeback_parquet"
    base = os.path.join(out_dir, f"big_{base_key.split('_')[1]}_comeback.csv")
    result["agreement_big_reference"] = base_key
    for key in result["runs"]:
        if key != base_key:
            big[key] = compare(base, os.path.join(out_dir, f"big_{key.split('_')[1]}_{key.split('_')[0]}.csv"))
    result["agreement_big"] = big
    result["input"]["customers"] = len(read_summary(base))
    result["targets"] = {"time_vs_polars_max": 1.0, "time_vs_duckdb_max": 1.5, "peak_rss_below_both": True}
    result["load_average_at_end"] = list(os.getloadavg())
    save(args.name, result)


if __name__ == "__main__":
    main()
