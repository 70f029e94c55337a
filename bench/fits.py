"""Benchmark of the model fits (issue: customer-base models), side by side in one run.

For each case, on the same summary file:
- lifetimes 0.11.3 in-process: wall time of the fitter's .fit() call, data already loaded
  (as in data/reference/clv_reference.json `baseline_timings`);
- Comeback in-process: `comeback bench-fit`, which reads the file first and times the whole
  fit (validation, compression of identical rows, maximum likelihood, standard errors);
- Comeback whole process: `comeback fit FILE --model M --json` timed from outside
  (start-up, reading the CSV, fit, output).
Both optima are recorded (parameters and the total log-likelihood in the file's unit) so the
ratios compare fits that reach the same optimum.

Run: .bench-venv/bin/python bench/fits.py [--runs 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import COMEBACK, ROOT, TMP, build_release, meta, save, timed_process  # noqa: E402

LIFETIMES = r'''
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter, ModifiedBetaGeoFitter
path, model, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
df = pd.read_csv(path)
ren = {"x": "frequency", "t_x": "recency", "zbar": "monetary_value", "frequency_cal": "frequency",
       "recency_cal": "recency", "T_cal": "T", "monetary_value_cal": "monetary_value"}
df = df.rename(columns=ren)
out = []
for _ in range(runs):
    if model == "gamma-gamma":
        d = df[(df.frequency > 0) & (df.monetary_value > 0)]
        f = GammaGammaFitter()
        t0 = time.perf_counter(); f.fit(d.frequency, d.monetary_value); out.append(time.perf_counter() - t0)
    else:
        f = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter, "pareto-nbd": ParetoNBDFitter}[model]()
        t0 = time.perf_counter(); f.fit(df.frequency, df.recency, df["T"]); out.append(time.perf_counter() - t0)
print(json.dumps({"seconds": out, "params": {k: float(v) for k, v in f.params_.items()}}))
'''

CASES = [
    # (name, summary file, model, lifetimes runs)
    ("BG/NBD, CDNOW 2,357", "data/cdnow_customers_summary.csv", "bgnbd", 5),
    ("MBG/NBD, CDNOW 2,357", "data/cdnow_customers_summary.csv", "mbgnbd", 5),
    ("Pareto/NBD, CDNOW 2,357", "data/cdnow_customers_summary.csv", "pareto-nbd", 5),
    ("Gamma-Gamma, CDNOW 946", "data/cdnow_customers_summary_with_transactions.csv", "gamma-gamma", 5),
    ("BG/NBD, CDNOW master 23,570", "TMP/master_cal.csv", "bgnbd", 5),
    ("Pareto/NBD, CDNOW master 23,570", "TMP/master_cal.csv", "pareto-nbd", 3),
    ("BG/NBD, simulated 1,000,000 (day resolution)", "TMP/sim1m.csv", "bgnbd", 3),
]


def prepare():
    os.makedirs(TMP, exist_ok=True)
    cal = os.path.join(TMP, "master_cal.csv")
    if not os.path.exists(cal):
        subprocess.run([COMEBACK, "summarize", os.path.join(ROOT, "data/CDNOW_master.txt"), "--unit", "weeks",
                        "--observation-end", "1997-09-30", "-q", "-o", cal], check=True)
    sim = os.path.join(TMP, "sim1m.csv")
    if not os.path.exists(sim):
        p1 = subprocess.Popen([COMEBACK, "simulate", "--customers", "1000000", "--seed", "1"], stdout=subprocess.PIPE)
        subprocess.run([COMEBACK, "summarize", "-", "--unit", "weeks", "-q", "-o", sim], stdin=p1.stdout, check=True)
        p1.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    build_release()
    prepare()
    import lifetimes, numpy, scipy, pandas  # noqa: E401
    versions = subprocess.run([COMEBACK, "--version"], capture_output=True, text=True).stdout.strip()
    result = meta({"comeback": versions, "lifetimes": lifetimes.__version__, "numpy": numpy.__version__,
                   "scipy": scipy.__version__, "pandas": pandas.__version__})
    result["load"] = os.getloadavg()
    result["cases"] = []
    for name, path, model, lt_runs in CASES:
        path = path.replace("TMP", TMP) if path.startswith("TMP") else os.path.join(ROOT, path)
        cb = json.loads(subprocess.run([COMEBACK, "bench-fit", path, "--model", model, "--runs", str(args.runs)],
                                       capture_output=True, text=True, check=True).stdout)
        whole = [timed_process([COMEBACK, "fit", path, "--model", model, "--json"]) for _ in range(args.runs)]
        lt = json.loads(subprocess.run([sys.executable, "-c", LIFETIMES, path, model, str(lt_runs)],
                                       capture_output=True, text=True, check=True).stdout)
        cb_med = statistics.median(cb["seconds"])
        whole_med = statistics.median(w["seconds"] for w in whole)
        lt_med = statistics.median(lt["seconds"])
        rel = max(abs(cb["params"][k] - v) / abs(v) for k, v in lt["params"].items() if k in cb["params"]) if model != "gamma-gamma" else \
            max(abs(cb["params"][{"v": "gamma"}.get(k, k)] - v) / abs(v) for k, v in lt["params"].items())
        case = {
            "name": name, "model": model, "file": os.path.relpath(path, ROOT),
            "n_customers": cb["n_customers"], "n_rows_distinct": cb["n_rows_distinct"],
            "comeback_in_process_s": cb["seconds"], "comeback_whole_process": [{k: w[k] for k in ("seconds", "peak_rss_mb")} for w in whole],
            "lifetimes_in_process_s": lt["seconds"],
            "comeback_params": cb["params"], "lifetimes_params": lt["params"], "comeback_log_likelihood": cb["log_likelihood"],
            "max_rel_param_diff": rel,
            "median": {"comeback_in_process_s": cb_med, "comeback_whole_process_s": whole_med, "lifetimes_in_process_s": lt_med},
            "ratio": {"in_process": lt_med / cb_med, "whole_process_vs_lifetimes_in_process": lt_med / whole_med},
            "targets": {"in_process_ratio_min": 50, "whole_process_ratio_min": 20},
        }
        print(f"{name}: lifetimes {lt_med*1e3:.1f} ms, comeback {cb_med*1e3:.2f} ms in-process ({lt_med/cb_med:.0f}x), "
              f"{whole_med*1e3:.1f} ms whole process ({lt_med/whole_med:.1f}x); max rel param diff {rel:.1e}; "
              f"distinct rows {cb['n_rows_distinct']}", flush=True)
        result["cases"].append(case)
    save("fits", result)


if __name__ == "__main__":
    main()
