#!/usr/bin/env python3
"""Regenerates the benchmark table of ../README.md from the raw output ingest-sqlite.txt.

Run from crates/comeback-store: python3 bench/table.py
"""
import re
from pathlib import Path

here = Path(__file__).resolve().parent
raw = (here / "ingest-sqlite.txt").read_text()
header = raw.splitlines()[0].lstrip("# ")
rows = []
for block in raw.split("## ")[1:]:
    title, _, body = block.partition("\n")
    load = re.search(r"load average before: ([\d.]+)", title).group(1)
    shape = re.search(r"(\d+) batches x (\d+) rows", body)
    total = re.search(r"= (\d+) rows/s", body.split("best batch")[0]).group(1)
    best = re.search(r"best batch\s+(\d+) rows/s", body).group(1)
    resend = re.search(r"re-send.*= (\d+) rows/s", body).group(1)
    rows.append(
        f"| {shape.group(1)} × {int(shape.group(2)):,} | {int(total):,} | {int(best):,} "
        f"| {int(resend):,} | {load} |"
    )
table = "\n".join(
    [
        f"Measured {header}.",
        "",
        "| batches × rows | total rows/s | best batch rows/s | re-send (duplicates) rows/s | load average (1 min) |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ]
)
readme = here.parent / "README.md"
text = readme.read_text()
start = text.index("<!-- bench:start")
start = text.index("\n", start) + 1
end = text.index("<!-- bench:end -->")
readme.write_text(text[:start] + table + "\n" + text[end:])
