"""Shared helpers for Comeback's side-by-side benchmarks (run with .bench-venv/bin/python).

Every benchmark writes its raw output (all runs, tool versions, machine, commit, date) to
bench/results/<name>.json; bench/tables.py turns those files into the README's tables.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TMP = os.path.join(ROOT, "bench", "out", "tmp")
COMEBACK = os.path.join(ROOT, "target", "release", "comeback")


def build_release():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "comeback"], cwd=ROOT, check=True)


def timed_process(cmd, **kw):
    """Whole-process wall time (s), CPU time (s) and peak RSS (MB) via GNU time."""
    load_before = load()
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB=%M CPU_S=%U,%S"] + cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {p.stderr[-2000:]}")
    last = [l for l in p.stderr.splitlines() if l.startswith("MAXRSS_KB=")][-1].split()
    rss_kb = int(last[0].split("=")[1])
    user, system = (float(x) for x in last[1].split("=")[1].split(","))
    # CPU seconds (user + system, all threads): on a shared machine the wall time is mostly
    # waiting for a CPU, the CPU time is the work done.
    return {"seconds": wall, "peak_rss_mb": rss_kb / 1024.0, "cpu_s": user + system, "user_s": user,
            "system_s": system, "load_before": load_before, "stdout": p.stdout[-4000:]}


def median(runs, key="seconds"):
    return statistics.median(r[key] for r in runs)


def load():
    """The 1-, 5- and 15-minute load averages (the machine is shared: read timings with it)."""
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def meta(tools):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout.strip() != ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit + ("+dirty" if dirty else ""),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
                    "load_average_at_start": load()},
        "tools": tools,
    }


def save(name, data):
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"{name}.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print(f"raw output written to {os.path.relpath(path, ROOT)}")
