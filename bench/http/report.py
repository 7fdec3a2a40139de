#!/usr/bin/env python3
"""Turn bench/http.sh's JSON lines into a Markdown table with ratios, and a data
file for gnuplot.   report.py IN.jsonl OUT.dat DURATION CONNECTIONS"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by_name = {row["name"]: row for row in rows}
appcore = by_name.get("appcore (access log on)")
ceiling = by_name.get("bare CivetWeb")
reference = by_name.get("FastAPI reference")

print(f"wrk keep-alive, {sys.argv[4]} connections, {sys.argv[3]} s per server, same run:\n")
print("| server | requests/s | p50 | p99 | errors | RSS after | vs bare CivetWeb | vs FastAPI |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    vs_ceiling = f"{row['rps'] / ceiling['rps']:.2f}x" if ceiling else "-"
    vs_reference = f"{row['rps'] / reference['rps']:.1f}x" if reference else "-"
    print(f"| {row['name']} | {row['rps']:.0f} | {row['p50_us'] / 1000:.3f} ms | "
          f"{row['p99_us'] / 1000:.3f} ms | {row['errors']} | {row['rss_kb'] / 1024:.1f} MiB | "
          f"{vs_ceiling} | {vs_reference} |")

with open(sys.argv[2], "w") as out:
    for row in rows:
        out.write(f"\"{row['name']}\" {row['rps']:.1f} {row['p50_us'] / 1000:.4f} "
                  f"{row['p99_us'] / 1000:.4f} {row['rss_kb'] / 1024:.2f}\n")
