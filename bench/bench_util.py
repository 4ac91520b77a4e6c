#!/usr/bin/env python3
"""Helpers of bench/copy-bench (stdlib only). Not a public interface.

    bench_util.py times FILE...           sum of GNU time files ("%e %U %S %M")
    bench_util.py proc-cpu PIDFILE...      CPU seconds used so far by those daemons
                                           (and their direct children: nginx workers)
    bench_util.py requests LOG FROM_LINE   HTTP methods in an nginx access log after a line
    bench_util.py check-report FILE.json LISTED SKIPPED COPIED
    bench_util.py median X...
    bench_util.py table RESULTS.tsv LISTING.tsv MACHINE.txt
"""

import json
import os
import statistics
import sys

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cmd_times(files):
    # One GNU time output per process; a process that failed to start
    # leaves an incomplete file, which counts as an error.
    user = sys_ = 0.0
    rss = 0
    n = 0
    for f in files:
        with open(f) as fh:
            fields = fh.read().split()
        # GNU time prefixes "Command exited with non-zero status N" lines.
        nums = fields[-4:]
        user += float(nums[1])
        sys_ += float(nums[2])
        rss += int(nums[3])
        n += 1
    print(f"{user:.2f} {sys_:.2f} {rss} {n}")


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            s = fh.read()
    except OSError:
        return 0, None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = s[s.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    utime, stime = int(rest[11]), int(rest[12])
    return utime + stime, ppid


def cmd_proc_cpu(pidfiles):
    pids = set()
    for f in pidfiles:
        try:
            with open(f) as fh:
                pids.add(int("".join(c for c in fh.read() if c.isdigit())))
        except (OSError, ValueError):
            pass
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        ticks, ppid = proc_ticks(pid)
        if pid in pids or ppid in pids:
            total += ticks
    print(f"{total / CLK_TCK:.2f}")


def cmd_requests(log, from_line):
    counts = {}
    with open(log, errors="replace") as fh:
        for i, line in enumerate(fh):
            if i < from_line:
                continue
            q = line.find('"')
            if q < 0:
                continue
            method = line[q + 1 :].split(" ", 1)[0]
            counts[method] = counts.get(method, 0) + 1
    total = sum(counts.values())
    detail = ",".join(f"{m}:{c}" for m, c in sorted(counts.items()))
    print(f"{total} {detail or '-'}")


def cmd_check_report(path, listed, skipped, copied):
    with open(path) as fh:
        r = json.load(fh)
    t = r["totals"]
    want = {"listed": int(listed), "skipped": int(skipped), "copied": int(copied), "failed": 0}
    bad = [f"{k}={t[k]} (want {v})" for k, v in want.items() if t[k] != v]
    if bad:
        print("report " + path + ": " + ", ".join(bad))
        sys.exit(1)


def cmd_median(xs):
    print(f"{statistics.median(float(x) for x in xs):.3f}")


def read_tsv(path):
    with open(path) as fh:
        lines = [l.rstrip("\n").split("\t") for l in fh if l.strip()]
    head, rows = lines[0], lines[1:]
    return [dict(zip(head, r)) for r in rows]


def fmt(x, nd=1):
    return f"{x:,.{nd}f}"


def print_table(head, rows, align):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    def line(cells):
        out = []
        for c, w, a in zip(cells, widths, align):
            out.append(c.ljust(w) if a == "l" else c.rjust(w))
        return "| " + " | ".join(out) + " |"
    print(line(head))
    print("|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|")
    for r in rows:
        print(line(r))


def cmd_table(results, listing, machine):
    with open(machine) as fh:
        print(fh.read().rstrip("\n"))
    print()
    res = read_tsv(results)
    base = next((r for r in res if r["tool"] == "s3merge"), None)

    def derived(r):
        n = int(r["objects"])
        wall = float(r["wall_s"])
        cpu = float(r["user_s"]) + float(r["sys_s"])
        return n, wall, cpu, n / wall if wall > 0 else 0.0, cpu * 1e6 / n if n else 0.0

    if base:
        _, bwall, bcpu, brate, bus = derived(base)
    print("Copy (server-side CopyObject over HTTPS via the nginx front; each tool into a fresh bucket)")
    print()
    head = ["tool", "how", "objects", "wall s", "obj/s", "client CPU s", "CPU µs/obj",
            "peak RSS MiB", "server CPU s", "HTTP req/obj", "wall ×s3merge", "CPU ×s3merge", "verified"]
    rows = []
    for r in res:
        n, wall, cpu, rate, us = derived(r)
        req = int(r["requests"])
        rows.append([
            r["tool"], r["how"], str(n), fmt(wall, 2), fmt(rate, 0), fmt(cpu, 2), fmt(us, 0),
            fmt(int(r["rss_kb"]) / 1024.0, 1), fmt(float(r["server_cpu_s"]), 1),
            fmt(req / n if n else 0, 2),
            (fmt(wall / bwall, 2) if base and bwall > 0 else "-"),
            (fmt(cpu / bcpu, 2) if base and bcpu > 0 else "-"),
            r["verified"],
        ])
    print_table(head, rows, "llrrrrrrrrrrl")
    print()
    print("client CPU: user+sys of the tool's processes (GNU time); peak RSS: the sum of each process's peak;")
    print("server CPU: RGW + OSD + monitor + nginx during the run (/proc); ×s3merge: the tool's figure / s3merge's.")
    print("HTTP requests seen by the nginx front, per tool: " +
          "; ".join(f"{r['tool']} {r['request_detail']}" for r in res))
    print()

    lst = read_tsv(listing)
    if lst:
        print("Listing fan-out: s3merge copy of the already-copied data (every object skipped: listing only),")
        print(f"plain HTTP through a proxy adding {lst[0]['delay_ms']} ms per request "
              f"(measured: {lst[0]['probe_direct_ms']} ms direct, {lst[0]['probe_proxy_ms']} ms via proxy per GET)")
        print()
        seq = next((r for r in lst if r["variant"] == "sequential"), None)
        head = ["variant", "flags", "requests", f"runs +{lst[0]['delay_ms']} ms (s)", "median s",
                "speed-up ×sequential", "runs direct (s)", "median s", "speed-up ×sequential"]
        rows = []
        for r in lst:
            m, md = float(r["median_s"]), float(r["median_direct_s"])
            rows.append([
                r["variant"], r["flags"], r["requests"], r["runs"], fmt(m, 3),
                fmt(float(seq["median_s"]) / m, 2) if seq and m > 0 else "-",
                r["runs_direct"], fmt(md, 3),
                fmt(float(seq["median_direct_s"]) / md, 2) if seq and md > 0 else "-",
            ])
        print_table(head, rows, "llllrrlrr")
        print()
        print("requests: HTTP requests of one run through the proxy (ListObjectsV2 of sources and destination,")
        print("HeadBucket per bucket, GetBucketVersioning per source); direct: the same runs straight to RGW.")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "times":
        cmd_times(args)
    elif cmd == "proc-cpu":
        cmd_proc_cpu(args)
    elif cmd == "requests":
        cmd_requests(args[0], int(args[1]))
    elif cmd == "check-report":
        cmd_check_report(*args)
    elif cmd == "median":
        cmd_median(args)
    elif cmd == "table":
        cmd_table(*args)
    else:
        sys.exit(f"bench_util.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
