"""Rewrites the README's Performance section from the committed raw benchmark output.

Reads every bench/results/*.json (written by the bench scripts: date, commit, tool versions,
all runs) and replaces the README text between `<!-- BENCH:START -->` and
`<!-- BENCH:END -->`. Known shapes get a dedicated table (the customer summary bench); any
other result file is rendered generically (its timed medians), so new benches show up
without changes here. A hand-written note for a bench (e.g. the profile of a missed target)
may sit next to its raw output as bench/results/<name>.notes.md and is included verbatim.

Run: python3 bench/tables.py   (standard library only)
"""
import glob
import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
README = os.path.join(ROOT, "README.md")
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"


def secs(x):
    if x is None:
        return "–"
    if x >= 0.1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms" if x >= 0.01 else f"{x * 1000:.2f} ms"


def ratio(a, b):
    if not a or not b:
        return "–"
    return f"{a / b:.1f}×"


def med(d):
    """Median seconds of a result entry: `median_s`, else the median of its runs."""
    if not isinstance(d, dict):
        return None
    if isinstance(d.get("median_s"), (int, float)):
        return d["median_s"]
    runs = d.get("runs_s") or [r.get("seconds") for r in d.get("runs", []) if isinstance(r, dict)]
    runs = [r for r in runs if isinstance(r, (int, float))]
    return statistics.median(runs) if runs else None


def provenance(r):
    m = r.get("machine", {})
    tools = ", ".join(v if str(v).startswith(k) else f"{k} {v}" for k, v in r.get("tools", {}).items())
    load = m.get("load_average_at_start")
    load_s = f"; load average at start {load[0]:.2f}" if load else ""
    return (f"Measured {r.get('date', '?')} at commit `{r.get('commit', '?')}` on {m.get('cpus', '?')} CPUs "
            f"({m.get('platform', '?')}{load_s}). Tools: {tools}.")


def met(ok):
    return "**met**" if ok else "**missed**"


def summary_table(name, r):
    w, im = r["whole_process"], r["in_memory"]
    inp = r.get("input", {})
    n_runs = len(w["comeback"].get("runs", []))
    out = [f"### Customer summary (`bench/{name}.py`)", ""]
    out.append(f"Input: {inp.get('rows', '?'):,} rows, {inp.get('customers', 0):,} customers, "
               f"{inp.get('mb', 0):.0f} MB CSV, unsorted (`comeback simulate {' '.join(inp.get('simulate_flags', []))}`). "
               f"Medians of {n_runs} runs. {provenance(r)}")
    out.append("")
    out.append("| what is timed | Comeback | pandas + lifetimes | polars | lifetimes ÷ Comeback | polars ÷ Comeback |")
    out.append("|---|---:|---:|---:|---:|---:|")
    cw, lw, pw = (med(w.get(t)) for t in ("comeback", "lifetimes", "polars"))
    out.append(f"| whole process: read the CSV, summarise, write the summary CSV (wall time) | {secs(cw)} | {secs(lw)} | {secs(pw)} | {ratio(lw, cw)} | {ratio(pw, cw)} |")
    # Raw peak RSS is in MiB (GNU time's KiB / 1024); shown in MB (10^6 bytes) like the target.
    rss = {t: w.get(t, {}).get("median_peak_rss_mb") for t in ("comeback", "lifetimes", "polars")}
    rss = {t: v * 1048576 / 1e6 if v else None for t, v in rss.items()}
    out.append("| peak RSS of that process | " + " | ".join(f"{rss[t]:.0f} MB" if rss[t] else "–" for t in ("comeback", "lifetimes", "polars")) + " | | |")
    ci, li, pi = (med(im.get(t)) for t in ("comeback", "lifetimes", "polars"))
    out.append(f"| in memory: group-by + summary only, rows already parsed | {secs(ci)} | {secs(li)} | {secs(pi)} | {ratio(li, ci)} | {ratio(pi, ci)} |")
    out.append("")
    t = r.get("targets", {})
    if t:
        out.append("| target (issue: foundation) | measured | |")
        out.append("|---|---:|---|")
        if "whole_process_max_s" in t and cw:
            out.append(f"| whole process ≤ {t['whole_process_max_s']} s | {secs(cw)} | {met(cw <= t['whole_process_max_s'])} |")
        if "in_memory_min_speedup_vs_lifetimes" in t and ci and li:
            sp = li / ci
            stretch = t.get("in_memory_stretch_speedup_vs_lifetimes")
            verdict = met(sp >= t["in_memory_min_speedup_vs_lifetimes"])
            if stretch:
                verdict += f" (stretch {stretch}×: {'met' if sp >= stretch else 'missed'})"
            out.append(f"| in memory ≥ {t['in_memory_min_speedup_vs_lifetimes']}× lifetimes | {sp:.1f}× | {verdict} |")
        if t.get("whole_process_at_or_below_polars") and cw and pw:
            out.append(f"| whole process at or below polars | {secs(cw)} vs {secs(pw)} | {met(cw <= pw)} |")
        if t.get("in_memory_at_or_below_polars") and ci and pi:
            out.append(f"| in memory at or below polars | {secs(ci)} vs {secs(pi)} | {met(ci <= pi)} |")
        customers = inp.get("customers")
        if customers and rss["comeback"]:
            per_c = t.get("peak_rss_bytes_per_customer", 200)
            fixed = t.get("peak_rss_fixed_bytes", 64e6)
            limit = (per_c * customers + fixed) / 1e6
            per = rss["comeback"] * 1e6 / customers
            out.append(f"| peak RSS ≤ {per_c} B per customer + {fixed / 1e6:.0f} MB = {limit:.0f} MB | "
                       f"{rss['comeback']:.0f} MB ({per:.0f} B per customer, everything included) | {met(rss['comeback'] <= limit)} |")
        out.append("")
    a = r.get("agreement")
    if a:
        parts = []
        for tool, d in a.get("max_abs_diff_vs_comeback", {}).items():
            diffs = ", ".join(f"{k} {v:.3g}" for k, v in d.items() if k in ("frequency", "recency", "T", "monetary_value"))
            parts.append(f"{tool}: {d.get('missing_customers', 0)} customers missing, "
                         f"{d.get('rows_differing_over_1e-9_relative', 0)} rows differ by more than 1e-9 relative; max |Δ| {diffs}")
        out.append("Same answers: the three summaries were compared customer by customer (" + "; ".join(parts) + ").")
        out.append("")
    return out


def fits_table(name, r):
    out = [f"### Model fits (`bench/{name}.py`)", "", provenance(r) + f" Load average {r.get('load', ['?'])[0]:.2f}.", ""]
    out.append("lifetimes and Comeback in-process: the fit call only, data loaded. Comeback whole process: "
               "`comeback fit FILE --model M --json` from start to exit (reading the CSV included), against "
               "lifetimes' in-process fit alone. Targets: in-process ≥ 50×, whole process ≥ 20×.")
    out.append("")
    out.append("| case | customers (distinct rows) | lifetimes in-process | Comeback in-process | ratio | Comeback whole process | ratio | max rel. Δ params |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in r["cases"]:
        m = c["median"]
        ri, rw = c["ratio"]["in_process"], c["ratio"]["whole_process_vs_lifetimes_in_process"]
        out.append(f"| {c['name']} | {c['n_customers']:,.0f} ({c['n_rows_distinct']:,}) | {secs(m['lifetimes_in_process_s'])} | "
                   f"{secs(m['comeback_in_process_s'])} | {ri:.0f}× {'✓' if ri >= 50 else '✗'} | {secs(m['comeback_whole_process_s'])} | "
                   f"{rw:.1f}× {'✓' if rw >= 20 else '✗'} | {c['max_rel_param_diff']:.1e} |")
    out.append("")
    return out


def analyze_table(name, r):
    out = [f"### `comeback analyze` end to end (`bench/{name}.py`)", "", provenance(r) + f" Load average {r.get('load', ['?'])[0]:.2f}.", ""]
    out.append("| input | whole process (median) | peak RSS | target | |")
    out.append("|---|---:|---:|---|---|")
    for c in r["cases"]:
        tgt = f"≤ {c['target_s']:.0f} s" + (f", ≤ {c['target_peak_rss_mb'] / 1024:.0f} GB" if c.get("target_peak_rss_mb") else "")
        out.append(f"| {c['name']} | {secs(c['median_s'])} | {c['median_peak_rss_mb']:.0f} MB | {tgt} | {met(c['met'])} |")
    out.append("")
    return out


def ms(x):
    return "–" if x is None else (f"{x:.1f} ms" if x < 100 else f"{x:.0f} ms")


def dashboard_table(name, r):
    """Dashboard reads at 1 M customers: every run of `cargo bench -p comeback-server --bench
    dashboard`, p50/p95/p99 per endpoint idle and while a batch is ingested and refitted."""
    runs = r.get("runs", [])
    t = r.get("targets", {})
    tp, tw = t.get("pages_p99_ms"), t.get("pages_p99_under_write_ms")
    out = [f"### Dashboard reads (`{r.get('bench', name)}`)", ""]
    if not runs:
        return out + ["No runs recorded.", ""]
    last = runs[-1]
    ld = last.get("load") or {}
    if ld:
        out.append(
            f"Data: {ld.get('customers', 0):,} customers and {ld.get('transactions', 0):,} transactions "
            f"(simulated: {ld.get('simulate_flags', '?')}) in SQLite, "
            f"{last.get('database_bytes', 0) / 1e9:.1f} GB. Loaded by {ld.get('method', '?')}: "
            f"customers {ld.get('customers_s', 0):.0f} s, transactions "
            f"{ld.get('transactions_s', 0):.0f} s ({ld.get('transactions_per_s', 0):,.0f}/s, index included) "
            f"at commit `{ld.get('commit', '?')}`.")
        out.append("")
    out.append(
        f"Each run: the real server on loopback, {last.get('concurrency', '?')} clients in a closed loop "
        f"(in the same process, sharing the 2 CPUs), {last.get('requests_per_endpoint', '?'):,} requests per "
        "endpoint after a warm-up, random customers; then the same clients read every endpoint in turn "
        "while a batch of 10,000 transactions is posted and the refit after it runs to its end. "
        f"Targets (issue 6): p99 ≤ {tp:.0f} ms, ≤ {tw:.0f} ms under the write. Latency from sending the "
        "request to the last byte of the answer.")
    out.append("")
    out.append("| run | endpoint | p50 | p95 | p99 | target | p99 under write (n) | target |")
    out.append("|---|---|---:|---:|---:|---|---:|---|")
    for i, run in enumerate(runs, 1):
        lb = run.get("load_average_before") or [float("nan")]
        uw = run.get("under_write", {})
        label = (f"{i}: {run.get('date', '?')[:16]}Z `{run.get('commit', '?')}`"
                 f"{'+dirty' if run.get('dirty') else ''}, load {lb[0]:.1f}"
                 + (f", {run['label']}" if run.get("label") else ""))
        for ep, d in run.get("reads", {}).items():
            s = d.get("stats", {})
            w = uw.get("reads", {}).get(ep, {}).get("stats", {})
            tgt = s.get("target_p99_ms")
            verdict = ("**met**" if s.get("met") else "**MISSED**") if tgt else "(no target)"
            wt = w.get("target_p99_ms")
            wverdict = ("**met**" if w.get("met") else "**MISSED**") if wt else "(no target)"
            err = f", {s['errors']} errors" if s.get("errors") else ""
            werr = f", {w['errors']} errors" if w.get("errors") else ""
            out.append(f"| {label} | {ep} | {ms(s.get('p50_ms'))} | {ms(s.get('p95_ms'))} | "
                       f"{ms(s.get('p99_ms'))}{err} | {verdict} | {ms(w.get('p99_ms'))} ({w.get('n', 0)}{werr}) | {wverdict} |")
            label = ""
    out.append("")
    out.append("| run | first refit at start-up | batch of 10,000 over HTTP | refit after the batch reads | batch + refit (the write window) | load average before / after |")
    out.append("|---|---:|---:|---|---:|---|")
    for i, run in enumerate(runs, 1):
        uw = run.get("under_write", {})
        lb, la = run.get("load_average_before") or [], run.get("load_average_after") or []
        fmt = lambda l: " ".join(f"{x:.2f}" for x in l)
        ok = "" if uw.get("refit_ok", True) else " (refit failed)"
        rr = uw.get("refit_read") or {}
        if rr.get("read") == "touched":
            read = f"{rr.get('customers', 0):,} touched customers"
        else:
            read = "all rows" + ("" if uw.get("refit_started_by_server", True) else " (POST /model/refit)")
        out.append(f"| {i} | {secs(run.get('first_refit_s'))} | {secs(uw.get('batch_s'))} | {read} | "
                   f"{secs(uw.get('window_s'))}{ok} | {fmt(lb)} / {fmt(la)} |")
    out.append("")
    return out


def summary_1e8_table(name, r):
    """Issue 11: 10^8 rows of CSV and Parquet, Comeback vs polars vs DuckDB, whole process."""
    inp = r.get("input", {})
    runs = r.get("runs", {})
    n_runs = len(next(iter(runs.values()), {}).get("runs", []))
    formats = r.get("formats", ["csv", "parquet"])
    if name == "summary_1e8":
        out = [f"### Summary of 10⁸ rows, CSV and Parquet (`bench/{name}.py`)", ""]
    else:
        out = [f"### Summary of 10⁸ rows, {' and '.join('CSV' if f == 'csv' else 'Parquet' for f in formats)} only "
               f"(`bench/summary_1e8.py --formats {' '.join(formats)} --name {name}`)", ""]
    out.append(f"Input: {inp.get('rows', 0):,} rows, {inp.get('customers', 0):,} customers, unsorted "
               f"(`comeback simulate {' '.join(inp.get('simulate_flags', []))} --customers {inp.get('customers_simulated', 0)}`): "
               f"CSV {inp.get('csv_bytes', 0) / 1e9:.2f} GB; Parquet {inp.get('parquet_bytes', 0) / 1e9:.2f} GB "
               f"({inp.get('parquet', '')}). Whole process, {n_runs} run(s) each, wall time and peak RSS "
               f"(GNU time). {provenance(r)}")
    out.append("")
    cpu = any("median_cpu_s" in d for d in runs.values())
    out.append("| input | tool | time | rows/s | peak RSS | Comeback time ÷ tool time |" + (" CPU time (user + system) |" if cpu else ""))
    out.append("|---|---|---:|---:|---:|---:|" + ("---:|" if cpu else ""))
    for fmt in ("csv", "parquet"):
        cb = med(runs.get(f"comeback_{fmt}"))
        for tool in ("comeback", "polars", "duckdb"):
            d = runs.get(f"{tool}_{fmt}")
            if not d:
                continue
            t = med(d)
            rss = d.get("median_peak_rss_mb")
            rel = f"{cb / t:.2f}×" if cb and t and tool != "comeback" else ""
            out.append(f"| {fmt.upper() if fmt == 'csv' else 'Parquet'} | {tool} | {secs(t)} | "
                       f"{d.get('rows_per_s', 0) / 1e6:.1f} M | {rss * 1048576 / 1e6:,.0f} MB | {rel} |"
                       + (f" {secs(d.get('median_cpu_s'))} |" if cpu else ""))
    out.append("")
    t = r.get("targets", {})
    if t:
        out.append("| target (issue 11) | CSV | Parquet |")
        out.append("|---|---|---|")
        cells = {"polars": [], "duckdb": [], "rss": []}
        for fmt in ("csv", "parquet"):
            cb, po, du = (runs.get(f"{k}_{fmt}") for k in ("comeback", "polars", "duckdb"))
            if not (cb and po and du):
                for v in cells.values():
                    v.append("–")
                continue
            rp, rd = med(cb) / med(po), med(cb) / med(du)
            cells["polars"].append(f"{rp:.2f}× {met(rp <= t.get('time_vs_polars_max', 1.0))}")
            cells["duckdb"].append(f"{rd:.2f}× {met(rd <= t.get('time_vs_duckdb_max', 1.5))}")
            m = cb["median_peak_rss_mb"]
            ok = m < po["median_peak_rss_mb"] and m < du["median_peak_rss_mb"]
            cells["rss"].append(f"{m * 1048576 / 1e6:,.0f} MB vs {po['median_peak_rss_mb'] * 1048576 / 1e6:,.0f} / "
                                f"{du['median_peak_rss_mb'] * 1048576 / 1e6:,.0f} MB {met(ok)}")
        out.append(f"| time ≤ {t.get('time_vs_polars_max', 1.0)}× polars | " + " | ".join(cells["polars"]) + " |")
        out.append(f"| time ≤ {t.get('time_vs_duckdb_max', 1.5)}× DuckDB | " + " | ".join(cells["duckdb"]) + " |")
        out.append("| peak memory below polars and DuckDB | " + " | ".join(cells["rss"]) + " |")
        out.append("")
    parts = []
    for label, key in (("small file", "agreement_small"), ("10⁸ rows", "agreement_big")):
        a = r.get(key) or {}
        if a:
            ok = all(v.get("equal_within_1e-9") for v in a.values())
            worst = max((v.get("max_relative_difference", 0) for v in a.values()), default=0)
            ref = "CSV" if key == "agreement_small" or r.get("agreement_big_reference", "comeback_csv") == "comeback_csv" else "Parquet"
            parts.append(f"{label}: {'all outputs equal' if ok else 'outputs differ'} to Comeback's {ref} summary "
                         f"(integers equal, reals within 1e-9 relative; largest relative difference {worst:.1e}; "
                         + ", ".join(f"{k} {v.get('rows_differing', '?')} rows differing" for k, v in a.items()) + ")")
    if parts:
        out.append("Same answers: " + "; ".join(parts) + ".")
        out.append("")
    return out


def distinct_table(name, r):
    """Issue 11 item 5: distinct (x, t_x, T) rows and BG/NBD fit time per simulated base."""
    out = [f"### Distinct rows and fit time (`bench/distinct.py`)", "",
           "Why fits stay on one machine (ARCHITECTURE.md): the fit runs on distinct (x, tₓ, T) rows. "
           "`comeback bench-distinct` simulates the CDNOW BG/NBD process (84 days of acquisition, 546 days "
           "observed), reduces each customer to its day-resolution (x, tₓ, T) and times the BG/NBD fit on the "
           f"weighted distinct rows. Whole process, GNU time. {provenance(r)}", "",
           "| customers | distinct (x, tₓ, T) rows | rows ÷ customers | simulate + reduce | BG/NBD fit | peak RSS |",
           "|---:|---:|---:|---:|---:|---:|"]
    for run in sorted(r.get("runs", []), key=lambda x: x.get("customers", 0)):
        n = run.get("customers", 0)
        out.append(f"| {n:,} | {run.get('distinct_rows', 0):,} | {run.get('distinct_rows', 0) / max(n, 1):.4f} | "
                   f"{secs(run.get('simulate_and_reduce_seconds'))} | {secs(run.get('fit_seconds'))} | "
                   f"{run.get('peak_rss_mb', 0):,.0f} MB |")
    out.append("")
    for run in sorted(r.get("runs", []), key=lambda x: x.get("customers", 0)):
        p, t = run.get("params", {}), run.get("true_params", {})
        out.append(f"- {run.get('customers', 0):,} customers: estimates "
                   + ", ".join(f"{k} = {p[k]:.3f}" for k in ("r", "alpha", "a", "b") if k in p)
                   + " (true " + ", ".join(f"{k} = {t[k]:.3f}" for k in ("r", "alpha", "a", "b") if k in t)
                   + f"); {'converged' if run.get('converged') else 'NOT converged'} in {run.get('iterations', '?')} iterations.")
    out.append("")
    return out


def stream_table(results):
    """Issue 11 item 2: `simulate | summarize -` through a pipe, every bench/results/stream*.json."""
    out = ["### Billion-row log through a pipe (`bench/stream.py`)", "",
           "`comeback simulate --customers N --params r=5.2,alpha=3,a=1,b=200 --acquisition-days 28 "
           "--observation-days 546 --seed 2026 | comeback summarize - -o summary.csv` (about 100 purchases "
           "per customer, in customer order; nothing written to disk but the summary), release build; GNU "
           "time of `summarize`, wall time of the pipe:", "",
           "| customers | rows | wall time | rows/s | summarize CPU (user + sys) | peak RSS of summarize | bytes per customer |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    runs = []
    for name, r in results:
        for run in r.get("runs", []):
            runs.append((run, name, r))
    runs.sort(key=lambda x: x[0].get("rows", 0))
    for run, _, _ in runs:
        cpu = run.get("summarize_user_seconds", 0) + run.get("summarize_system_seconds", 0)
        out.append(f"| {run.get('customers', 0):,} | {run.get('rows', 0):,} | {run.get('wall_seconds', 0):.0f} s | "
                   f"{run.get('rows_per_second', 0) / 1e6:.2f} M | {cpu:.0f} s | "
                   f"{run.get('summarize_peak_rss_kb', 0) / 1024:.0f} MB | {run.get('bytes_per_customer', 0):.0f} |")
    out.append("")
    for name, r in results:
        out.append(f"- `{name}.json`: {provenance(r)}")
    out.append("")
    return out


def generic_table(name, r):
    out = [f"### {name} (`bench/results/{name}.json`)", "", provenance(r), ""]
    rows = []

    def walk(prefix, d):
        if not isinstance(d, dict):
            return
        m = med(d)
        if m is not None:
            what = d.get("what", "")
            rows.append((prefix, what, m))
            return
        for k, v in d.items():
            walk(f"{prefix} / {k}" if prefix else k, v)

    walk("", r)
    if rows:
        out.append("| measurement | what is timed | median |")
        out.append("|---|---|---:|")
        for k, what, m in rows:
            out.append(f"| {k} | {what} | {secs(m)} |")
        out.append("")
    return out


def render():
    lines = ["Generated by `bench/tables.py` from the raw output committed in `bench/results/` "
             "(every run, date, commit, tool versions). Timings are wall-clock medians on a shared "
             "2-core machine; ratios above 1× mean Comeback is faster.", ""]
    streams = []
    for path in sorted(glob.glob(os.path.join(RESULTS, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            print(f"skipping {path}: {e}", file=sys.stderr)
            continue
        if not isinstance(r, dict):
            continue
        if name.startswith("stream") and "runs" in r:
            # One section for every size of the pipe bench, after the last of its files.
            streams.append((name, r))
            continue
        if streams:
            lines += stream_section(streams)
            streams = []
        try:
            if name == "summary" and "whole_process" in r and "in_memory" in r:
                lines += summary_table(name, r)
            elif name == "fits" and "cases" in r:
                lines += fits_table(name, r)
            elif name == "analyze" and "cases" in r:
                lines += analyze_table(name, r)
            elif name.startswith("summary_1e8") and "runs" in r:
                lines += summary_1e8_table(name, r)
            elif name == "dashboard" and "runs" in r:
                lines += dashboard_table(name, r)
            elif name == "distinct" and "runs" in r:
                lines += distinct_table(name, r)
            else:
                lines += generic_table(name, r)
        except (KeyError, TypeError, ValueError) as e:
            print(f"{path}: unexpected shape ({e}); rendered generically", file=sys.stderr)
            lines += generic_table(name, r)
        notes = os.path.join(RESULTS, f"{name}.notes.md")
        if os.path.exists(notes):
            with open(notes) as f:
                lines += [f.read().strip(), ""]
    if streams:
        lines += stream_section(streams)
    return "\n".join(lines).rstrip() + "\n"


def stream_section(streams):
    """The pipe bench's table, with its notes (bench/results/stream.notes.md)."""
    try:
        lines = stream_table(streams)
    except (KeyError, TypeError, ValueError) as e:
        print(f"stream*.json: unexpected shape ({e}); rendered generically", file=sys.stderr)
        lines = [line for name, r in streams for line in generic_table(name, r)]
    notes = os.path.join(RESULTS, "stream.notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += [f.read().strip(), ""]
    return lines


def main():
    with open(README) as f:
        text = f.read()
    if START not in text or END not in text:
        sys.exit(f"README.md lacks the {START} / {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(README, "w") as f:
        f.write(head + START + "\n" + render() + END + tail)
    print("README.md Performance section rewritten")


if __name__ == "__main__":
    main()
