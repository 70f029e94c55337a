"""Benchmark of `comeback analyze` (issue: the main job), whole process, release build.

Cases: CDNOW_master (69,659 rows, 23,570 customers) and the 10.9 M-row synthetic log of
bench/summary.py (1 M customers). Targets: CDNOW_master under 1 s end to end; the 10 M-row
log under 30 s with peak memory under 2 GB. No reference tool does the whole job, so there
is no ratio; lifetimes' pieces are timed in bench/summary.py and bench/fits.py.

Run: .bench-venv/bin/python bench/analyze.py [--runs 3]
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import COMEBACK, ROOT, TMP, build_release, meta, save, timed_process  # noqa: E402
from summary import SIM  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    build_release()
    os.makedirs(TMP, exist_ok=True)
    log = os.path.join(TMP, "log10m.csv")
    if not os.path.exists(log):
        subprocess.run([COMEBACK, "simulate", *SIM, "-o", log], check=True)
    versions = subprocess.run([COMEBACK, "--version"], capture_output=True, text=True).stdout.strip()
    result = meta({"comeback": versions})
    result["load"] = os.getloadavg()
    result["cases"] = []
    cases = [
        ("CDNOW_master, 69,659 rows, 23,570 customers", [os.path.join(ROOT, "data/CDNOW_master.txt"), "--unit", "weeks", "--holdout", "39"], 1.0, None),
        ("synthetic 10.9 M rows, 1 M customers", [log, "--unit", "weeks", "--holdout", "26"], 30.0, 2048.0),
    ]
    for name, flags, max_s, max_mb in cases:
        out = os.path.join(TMP, "analyze-out")
        runs = [timed_process([COMEBACK, "analyze", *flags, "-q", "-o", out]) for _ in range(args.runs)]
        for r in runs:
            r.pop("stdout", None)
        med = statistics.median(r["seconds"] for r in runs)
        rss = statistics.median(r["peak_rss_mb"] for r in runs)
        case = {"name": name, "what": "wall time and peak RSS of the whole `comeback analyze` process (read, summarise, "
                "fit three models on the calibration period and the chosen one on all data, Gamma-Gamma, score, bootstrap, write)",
                "flags": flags[1:], "runs": runs, "median_s": med, "median_peak_rss_mb": rss,
                "target_s": max_s, "target_peak_rss_mb": max_mb,
                "met": med <= max_s and (max_mb is None or rss <= max_mb)}
        print(f"{name}: {med:.2f} s, {rss:.0f} MB (target {max_s} s" + (f", {max_mb} MB" if max_mb else "") + ")", flush=True)
        result["cases"].append(case)
    save("analyze", result)


if __name__ == "__main__":
    main()
