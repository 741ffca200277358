#!/usr/bin/env python3
"""CPU ticks and RSS of process trees, for the side-by-side benchmark.

  procstat.py SHELLPID PID...   -> "TICKS RSS_KIB BUSY CLIENT": utime+stime (clock ticks, all
        threads) summed over each PID and all its descendants; their VmRSS summed; the busy
        (non-idle, non-steal) ticks of all CPUs from /proc/stat; and SHELLPID's reaped
        children's ticks (cutime+cstime: the load generators it ran in the foreground).
    Between two snapshots, BUSY - TICKS(all servers) - CLIENT is CPU used by other work.
"""
import os
import sys


def children_map():
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            out.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(d))
        except (OSError, ValueError):
            pass
    return out


def main():
    kids = children_map()
    shell = int(sys.argv[1])
    seen, stack = set(), [int(p) for p in sys.argv[2:] if p.isdigit()]
    while stack:
        p = stack.pop()
        if p not in seen:
            seen.add(p)
            stack.extend(kids.get(p, []))
    ticks = rss = 0
    for p in seen:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
            rest = s[s.rindex(")") + 2:].split()
            ticks += int(rest[11]) + int(rest[12])   # utime, stime
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
        except (OSError, ValueError):
            pass
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                v = [int(x) for x in line.split()[1:]]
                busy += v[0] + v[1] + v[2] + v[5] + v[6]   # user nice system irq softirq
    client = 0
    try:
        with open(f"/proc/{shell}/stat") as f:
            s = f.read()
        rest = s[s.rindex(")") + 2:].split()
        client = int(rest[13]) + int(rest[14])
    except (OSError, ValueError):
        pass
    print(ticks, rss, busy, client)


if __name__ == "__main__":
    main()
