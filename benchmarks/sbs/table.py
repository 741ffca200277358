#!/usr/bin/env python3
"""Markdown report of benchmarks/run: table.py ROWS.tsv [--rounds SCENARIO=RUNS.tsv]... HEADER-LINE...

ROWS.tsv: scenario system cell rps p50 p95 p99 p999 errors requests upstream cpu% rss_mib other% extra
RUNS.tsv: the same columns, one row per round of that scenario (mix, paced; ROWS.tsv holds the
median); each round's req/s, p95, p99 and hit ratio are listed under the scenario's table.
Each figure is followed by its ratio to Varnish (V), to nginx proxy_cache (N) and, for hot
hits, to nginx serving the file (F) in the same scenario and cell of the same run.
"""
import sys

LABEL = {
    "origin": "origin direct",
    "catalog-cache": "catalog-cache (Redis)",
    "catalog-cache-tier": "catalog-cache (hot tier + Redis)",
    "catalog-cache-cluster": "catalog-cache (Redis Cluster)",
    "varnish": "Varnish",
    "nginx": "nginx proxy_cache",
    "nginx-lua": "nginx + Lua over Redis",
    "nginx-file": "nginx serving the file",
}
TITLE = {
    "hot": "1. Hot hits",
    "mix": "2. Storefront mix",
    "paced": "2b. Storefront mix, paced (below capacity)",
    "users": "2c. Many paced users on a warm hot set (seed 003)",
    "flash": "3. Flash sale",
    "flash_paced": "3a. Flash sale beside the paced storefront mix (below capacity)",
    "checkout": "3b. Checkout beside the storefront mix (closed loop: saturation)",
    "checkout_paced": "3c. Checkout beside the paced storefront mix (below capacity)",
    "stampede": "4. Cold-key stampede",
}


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def fmt(v, digits):
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def with_ratio(rows, r, col, digits):
    v = num(r[col])
    text = fmt(v, digits)
    if v is None:
        return text
    parts = []
    for ref, tag in (("varnish", "V"), ("nginx", "N"), ("nginx-file", "F")):
        b = next((x for x in rows if x[0] == r[0] and x[2] == r[2] and x[1] == ref), None)
        bv = num(b[col]) if b else None
        if b is not None and b is not r and bv:
            parts.append(f"{v / bv:.2f}{tag}")
    return f"{text} ({' '.join(parts)})" if parts else text


def extra(r):
    return dict(kv.split("=", 1) for kv in r[14].split() if "=" in kv) if len(r) > 14 else {}


def round_lines(path, by):
    """Lines of a table: per system, each round's req/s, p95, p99 and hit ratio, in run order;
    `by` names what the median round was chosen by."""
    runs = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    systems = []
    for r in runs:
        if r[1] not in systems:
            systems.append(r[1])
    if not systems:
        return []
    n = max(sum(1 for r in runs if r[1] == s) for s in systems)
    out = ["", f"Each round (the row above is each system's median round by {by}): req/s, p95 ms, p99 ms, hit ratio.", "",
           "| system | " + " | ".join(f"round {i + 1}" for i in range(n)) + " |", "|---|" + "---:|" * n]
    for s in systems:
        cells = []
        for r in (x for x in runs if x[1] == s):
            req, up = num(r[9]), num(r[10])
            hit = "-" if s == "origin" or not req or up is None else f"{100 * (1 - up / req):.1f} %"
            cells.append(f"{fmt(num(r[3]), 0)} / {fmt(num(r[5]), 1)} / {fmt(num(r[6]), 1)} / {hit}")
        out.append(f"| {LABEL.get(s, s)} | " + " | ".join(cells) + " |")
    return out


def main():
    args = sys.argv[1:]
    rows = [l.rstrip("\n").split("\t") for l in open(args.pop(0)) if l.strip()]
    rounds = {}
    while args[:1] == ["--rounds"]:
        scen, path = args[1].split("=", 1)
        rounds[scen] = path
        args = args[2:]
    out = ["# catalog-cache side by side with Varnish and nginx", ""]
    out += [f"- {h}" for h in args if h]
    out += ["", "Ratios in parentheses: this system's figure divided by Varnish's (V), by nginx proxy_cache's (N) and, "
            "in hot hits, by nginx serving the same bytes from a file (F), "
            "same scenario and cell, same run. Hit ratio = share of requests answered without an upstream request "
            "(1 - upstream / requests), upstream requests counted by each system itself. CPU = the system's processes "
            "and its store (Redis) in % of one core (origin direct: origin + PostgreSQL); RSS likewise, at the end of "
            "the cell. \"other\" = CPU used meanwhile by processes outside the benchmark (a busy machine skews the cell); "
            "\"load\" = CPU of the load generators (wrk, and the buyers or writers beside it) on their own core."]
    for scen in ("hot", "mix", "paced", "users", "flash", "flash_paced", "checkout", "checkout_paced", "stampede"):
        rs = [r for r in rows if r[0] == scen]
        if not rs:
            continue
        out += ["", f"## {TITLE[scen]}", ""]
        if scen == "stampede":
            out += ["| system | cold keys x clients | upstream requests per key | misses, own counter (all keys) | p50 ms | p95 ms | p99 ms | max ms | errors | other % | load % |",
                    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            per_key = []
            for r in rs:
                r2 = list(r)
                up = num(r[10])
                r2[10] = str(up / int(extra(r).get("rounds", "1"))) if up is not None else r[10]
                per_key.append(r2)
            for r, r2 in zip(rs, per_key):
                out.append(f"| {LABEL.get(r[1], r[1])} | {r[2]} | {with_ratio(per_key, r2, 10, 1)} | {extra(r).get('misses', '-')} "
                           f"| {with_ratio(rs, r, 4, 1)} | {with_ratio(rs, r, 5, 1)} | {with_ratio(rs, r, 6, 1)} | {with_ratio(rs, r, 7, 1)} | {r[8]} | {r[13]} | {extra(r).get('load_cpu', '-')} |")
            continue
        head = "| system | cell | req/s | p50 ms | p95 ms | p99 ms | p99.9 ms | hit ratio | upstream req | CPU % | req per CPU-s | RSS MiB | errors | other % | load % |"
        out += [head, "|---|---|" + "---:|" * 13]
        for r in rs:
            req, up, cpu = num(r[9]), num(r[10]), num(r[11])
            hit = "-" if r[1] == "origin" or not req else f"{100 * (1 - up / req):.1f} %"
            # requests per CPU-second: requests / (cpu% / 100 * seconds); seconds = requests / rps
            rps = num(r[3])
            eff = req / (cpu / 100 * (req / rps)) if req and rps and cpu else None
            r_eff = list(r) + [""] * (16 - len(r))
            r_eff[15] = str(eff) if eff else "-"
            effrows = []
            for x in rs:
                xr, xc, xp = num(x[9]), num(x[11]), num(x[3])
                y = list(x) + [""] * (16 - len(x))
                y[15] = str(xr / (xc / 100 * (xr / xp))) if xr and xc and xp else "-"
                effrows.append(y if x is not r else r_eff)
            out.append(f"| {LABEL.get(r[1], r[1])} | {r[2]} | {with_ratio(rs, r, 3, 0)} | {with_ratio(rs, r, 4, 2)} "
                       f"| {with_ratio(rs, r, 5, 2)} | {with_ratio(rs, r, 6, 2)} | {with_ratio(rs, r, 7, 2)} | {hit} | {with_ratio(rs, r, 10, 0)} "
                       f"| {with_ratio(rs, r, 11, 0)} | {with_ratio(effrows, r_eff, 15, 0)} | {with_ratio(rs, r, 12, 0)} | {r[8]} | {r[13]} | {extra(r).get('load_cpu', '-')} |")
        if scen in rounds:
            out += round_lines(rounds[scen], {"paced": "p99", "users": "p95"}.get(scen, "req/s"))
        core = [r for r in rs if "origin_cpu" in extra(r) and r[1] != "origin" and num(r[11]) is not None]
        if core:
            out += ["", "The server core meanwhile (one core holds every server): the system's processes and store "
                    "(CPU above) plus catalog-origin and PostgreSQL, which answer its upstream requests, in % of the core: "
                    + "; ".join(f"{LABEL.get(r[1], r[1])} {fmt(num(r[11]), 0)} + {extra(r)['origin_cpu']} = "
                                f"{fmt(num(r[11]) + float(extra(r)['origin_cpu']), 0)} %" for r in core) + "."]
        ovf = [r for r in rs if "listen_overflows" in extra(r)]
        if ovf:
            out += ["", "Connections dropped meanwhile because a listener's accept queue was full (TcpExtListenOverflows, "
                    "machine-wide; each costs its client a 1 s or 3 s SYN retransmission): "
                    + "; ".join(f"{LABEL.get(r[1], r[1])} {extra(r)['listen_overflows']}" for r in ovf) + "."]
        own = [r for r in rs if "proxy_p95" in extra(r)]
        if own:
            out += ["", "catalog-cache's own `catalog_cache_request_duration_seconds` over the same cell (every request on the "
                    "proxy port, from the complete request to the response handed to the connection; bucket upper bounds): "
                    + "; ".join(f"{LABEL.get(r[1], r[1])} p50 ≤ {extra(r)['proxy_p50']} ms, p95 ≤ {extra(r)['proxy_p95']} ms, "
                                f"p99 ≤ {extra(r)['proxy_p99']} ms ({extra(r).get('proxy_n', '-')} requests)" for r in own) + "."]
        if scen in ("flash", "flash_paced"):
            out += ["", "Flash hit ratio and upstream req are the reads': the mix's requests plus the writer's own reads "
                    "(a prime and a check per write; the check misses wherever the write invalidated), against "
                    "upstream requests less the writes and the login, which are passes by definition. "
                    "The storefront's own hit ratio leaves the writer out: the mix's requests against the upstream "
                    "requests less the writes, the login and the writer's reads the system sent upstream (its own "
                    "X-Cache and Cache-Status said so).",
                    "", "| system | writes/s (target) | writes: ok / 409 / failed | stale reads after the write's 200 | write p50 ms | write p95 ms | write p99 ms | storefront's hit ratio | writer's reads: upstream of all | commit-to-invalidated p50 / p99 (bucket bounds) | from the notification's receipt p50 / p99 |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
            for r in rs:
                e = extra(r)
                c2i = f"≤ {e['c2i_p50']} ms / ≤ {e['c2i_p99']} ms ({e['c2i_n']} notifications)" if "c2i_n" in e else "- (no invalidation)"
                r2i = f"≤ {e['r2i_p50']} ms / ≤ {e['r2i_p99']} ms" if "r2i_n" in e else "-"
                wps = f"{int(e['writes']) / float(e['seconds']):.1f} ({e['rate']})" if e.get("seconds") else "-"
                mix_hit = f"{e['mix_hit']} %" if "mix_hit" in e else "-"
                wreads = f"{e['writer_reads_upstream']} of {e['writer_reads']}" if "writer_reads" in e else "-"
                out.append(f"| {LABEL.get(r[1], r[1])} | {wps} | {e.get('ok', '-')} / {e.get('conflicts', '-')} / {e.get('write_errors', '-')} "
                           f"| {e.get('stale', '-')} of {e.get('checks', '-')} | {e.get('write_p50', '-')} | {e.get('write_p95', '-')} | {e.get('write_p99', '-')} | {mix_hit} | {wreads} | {c2i} | {r2i} |")
        if scen in ("checkout", "checkout_paced"):
            out += ["", "| system | orders/s | orders / 409 INSUFFICIENT_STOCK / failed | oversells | duplicate orders | stock decrements without an order | complete p50 ms | complete p95 ms | complete p99 ms |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for r in rs:
                e = extra(r)
                ops = f"{int(e['orders']) / float(e['seconds']):.1f}" if e.get("seconds") and e.get("orders", "").isdigit() else "-"
                dup = f"{e.get('duplicates', '-')} (two completes of a cart), {e.get('db_duplicate_carts', '-')} (carts with two orders)"
                out.append(f"| {LABEL.get(r[1], r[1])} | {ops} | {e.get('orders', '-')} / {e.get('insufficient', '-')} / {e.get('checkout_errors', '-')} "
                           f"| {e.get('oversells', '-')} | {dup} | {e.get('stock_mismatch', '-')} | {e.get('complete_p50', '-')} | {e.get('complete_p95', '-')} | {e.get('complete_p99', '-')} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
