#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench` run as the Markdown tables of BENCHMARKS.md.

    python3 benches/medians.py [BASELINE] [--before OTHER]

BASELINE is criterion's saved baseline to read (`new`, the last run, by default). With
`--before OTHER`, adds a column with the median of the baseline OTHER (saved with
`cargo bench -- --save-baseline OTHER`) and the speed-up.
"""
import json
import os
import sys

ROOT = os.path.join("target", "criterion")


def medians(baseline):
    found = {}
    for dirpath, _, files in os.walk(ROOT):
        if os.path.basename(dirpath) == baseline and "estimates.json" in files:
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                bench = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                median = json.load(f)["median"]["point_estimate"]
            found[bench["full_id"]] = (median, bench.get("throughput"))
    return found


def duration(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def rate(ns, throughput):
    if not throughput:
        return ""
    if "Bytes" in throughput:
        return f"{throughput['Bytes'] / ns * 1e3:.1f} MB/s"
    if "Elements" in throughput:
        per_second = throughput["Elements"] / ns * 1e9
        return f"{per_second / 1e9:.3g} G/s" if per_second >= 1e9 else f"{per_second / 1e6:.3g} M/s"
    return ""


def main():
    args = sys.argv[1:]
    before = None
    if "--before" in args:
        i = args.index("--before")
        before = medians(args[i + 1])
        del args[i : i + 2]
    now = medians(args[0] if args else "new")
    groups = {}
    for full_id, value in now.items():
        parts = full_id.split("/")
        # `group/.../engine` or `group/.../engine/size` (windows).
        if parts[0] == "windows":
            group, engine = "/".join(parts[:2] + parts[3:]), parts[2]
        else:
            group, engine = "/".join(parts[:-1]), parts[-1]
        groups.setdefault(group, {})[engine] = (full_id, value)
    head = "| benchmark | median | throughput | × baseline | × batchscale |"
    rule = "|---|---:|---:|---:|---:|"
    if before is not None:
        head += " before | speed-up |"
        rule += "---:|---:|"
    print(head)
    print(rule)

    def order(group):
        name = group.split("/")
        size = int(name[-1]) if name[-1].isdigit() else 0
        return (name[0], name[1] if len(name) > 1 else "", size, group)

    for group in sorted(groups, key=order):
        engines = groups[group]
        base = engines.get("baseline", (None, (None, None)))[1][0]
        ours = engines.get("batchscale", (None, (None, None)))[1][0]
        first = ["baseline", "baseline_results", "batchscale", "batchscale_run"]
        for engine in sorted(engines, key=lambda e: (first.index(e) if e in first else 9, e)):
            full_id, (ns, throughput) = engines[engine]
            vs_base = f"{ns / base:.2f}" if base and engine != "baseline" else ""
            vs_ours = f"{ns / ours:.2f}" if ours and engine not in first else ""
            row = f"| `{full_id}` | {duration(ns)} | {rate(ns, throughput)} | {vs_base} | {vs_ours} |"
            if before is not None:
                old = before.get(full_id, (None, None))[0]
                row += f" {duration(old)} | {old / ns:.2f} |" if old else " | |"
            print(row)


main()
