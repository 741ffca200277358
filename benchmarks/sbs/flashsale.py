#!/usr/bin/env python3
"""Flash-sale writer and staleness checker, sent THROUGH the system under test.

  flashsale.py HOST PORT SECONDS RATE IDS_FILE TAG [MODE]

For SECONDS, RATE times a second, a cycle starts on the next product of IDS_FILE (hot
products, in turn), each cycle on a thread and connection of its own (at most 64 at once, so
a slow system does not lower the write rate): GET the product page (so a cache holds it),
write it (alternately POST /admin/products/{id}/inventory {"delta":-1,"reason":"sale"} and
PATCH /admin/products/{id} {"title": ...}; MODE "stock": inventory writes only, shaped like
checkouts), and after the write's 200 GET the page again:
the read is stale when its stock (inventory_quantity), title or updated_at differs from
what the write answered and it does not show a later write of the same product (less stock,
or a later updated_at: cycles overlap when the system is slower than the write rate; counted
apart as newer, on stderr).
Admin writes carry the bearer token of one login (POST /auth/user/emailpass through the same
system) as ADMIN_EMAIL / ADMIN_PASSWORD (default admin@example.com / supersecret).
Prints "FLASH writes ok stale checks conflicts errors write_p50_ms write_p95_ms write_p99_ms skipped
reads reads_upstream": reads are the writer's GETs (primes and checks), reads_upstream those the
system answered from its upstream (X-Cache not HIT, and no `collapsed` in Cache-Status: a
request that waited for another's fetch caused no upstream request), so the storefront mix's
own hit ratio can be told apart from the writer's reads, whose checks miss by design.
"""
import os
import http.client
import json
import sys
import threading
import time

FIELDS = ("inventory_quantity", "title", "updated_at")   # what the writes change
MAX_INFLIGHT = 64


def product(body):
    d = json.loads(body)
    return d.get("product", d)


def login(host, port):
    """The admin's bearer token; a 503 (an origin shedding under the read load) is tried again,
    up to 20 times 0.5 s apart; exits with a one-line error when the login fails."""
    body = {"email": os.environ.get("ADMIN_EMAIL", "admin@example.com"),
            "password": os.environ.get("ADMIN_PASSWORD", "supersecret")}
    for attempt in range(20):
        print("LOGIN", file=sys.stdout, flush=True)   # each attempt is one request the system passes upstream
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("POST", "/auth/user/emailpass", body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        answer = r.read()
        conn.close()
        if r.status == 200:
            return json.loads(answer)["token"]
        if r.status != 503:
            break
        time.sleep(0.5)
    sys.exit(f"flashsale: admin login failed: {r.status} {answer[:200]!r}")


def main():
    host, port, seconds, rate, ids_file, tag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
    stock_only = len(sys.argv) > 7 and sys.argv[7] == "stock"
    token = login(host, port)
    ids = [l.strip() for l in open(ids_file) if l.strip()]
    lock = threading.Lock()
    c = {"writes": 0, "ok": 0, "stale": 0, "checks": 0, "conflicts": 0, "errors": 0, "newer": 0,
         "reads": 0, "reads_upstream": 0}
    lat = []
    slots = threading.Semaphore(MAX_INFLIGHT)

    def bump(k):
        with lock:
            c[k] += 1

    def cycle(i):
        try:
            conn = http.client.HTTPConnection(host, port, timeout=30)

            def call(method, path, body=None):
                headers = {"Content-Type": "application/json"} if body is not None else {}
                if path.startswith("/admin"):
                    headers["Authorization"] = f"Bearer {token}"
                conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                r = conn.getresponse()
                answer = r.read()
                if method == "GET":
                    upstream = r.getheader("X-Cache") != "HIT" and "collapsed" not in (r.getheader("Cache-Status") or "")
                    with lock:
                        c["reads"] += 1
                        c["reads_upstream"] += upstream
                return r.status, answer

            pid = ids[i % len(ids)]
            page = f"/store/products/{pid}"
            call("GET", page)                                    # prime: the page is cached now
            t0 = time.monotonic()
            if stock_only or i % 2 == 0:
                st, body = call("POST", f"/admin/products/{pid}/inventory", {"delta": -1, "reason": "sale"})
            else:
                st, body = call("PATCH", f"/admin/products/{pid}", {"title": f"Flash sale {tag} {i}"})
            with lock:
                lat.append((time.monotonic() - t0) * 1000)
                c["writes"] += 1
            if st == 409:
                return bump("conflicts")
            if st != 200:
                return bump("errors")
            bump("ok")
            w = product(body)
            if any(w.get(f) is None for f in FIELDS):
                print(f"flashsale: the write's answer lacks one of {FIELDS}: {body[:200]!r}", file=sys.stderr)
                return bump("errors")
            st, body = call("GET", page)
            if st != 200:
                return bump("errors")
            p = product(body)
            with lock:
                c["checks"] += 1
                if any(p.get(f) != w.get(f) for f in FIELDS):
                    # A later write of the same product (cycles overlap when the system is
                    # slower than the write rate) shows less stock (writes only take stock) or
                    # a later updated_at: not stale.
                    if p.get("inventory_quantity", 0) < w.get("inventory_quantity", 0) or str(p.get("updated_at")) > str(w.get("updated_at")):
                        c["newer"] += 1
                    else:
                        c["stale"] += 1
                        print(f"flashsale: stale: cycle {i} {pid}: the write answered "
                              f"{[w.get(f) for f in FIELDS]}, the read after it {[p.get(f) for f in FIELDS]}", file=sys.stderr)
            conn.close()
        except (OSError, http.client.HTTPException, ValueError) as e:
            print(f"flashsale: cycle {i}: {e}", file=sys.stderr)
            bump("errors")
        finally:
            slots.release()

    start = time.monotonic()
    i = skipped = 0
    threads = []
    while True:
        due = start + i / rate
        if due >= start + seconds:
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        if slots.acquire(blocking=False):
            t = threading.Thread(target=cycle, args=(i,), daemon=True)
            t.start()
            threads.append(t)
        else:
            skipped += 1
        i += 1
    for t in threads:
        t.join(60)
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else 0
    print(f"flashsale: {c['newer']} reads showed a later write of the same product (not stale)", file=sys.stderr)
    print(f"FLASH {c['writes']} {c['ok']} {c['stale']} {c['checks']} {c['conflicts']} {c['errors']} {q(0.5):.2f} {q(0.95):.2f} {q(0.99):.2f} {skipped} {c['reads']} {c['reads_upstream']}")


if __name__ == "__main__":
    main()
