#!/usr/bin/env python3
"""Flash-sale writer and staleness checker, sent THROUGH the system under test.

  flashsale.py HOST PORT SECONDS RATE IDS_FILE TAG

For SECONDS, RATE times a second: pick the next product from IDS_FILE (hot products, in
turn), GET its page (so a cache holds it), write it (alternately
POST /admin/products/{id}/inventory {"delta":-1,"reason":"sale"} and
PATCH /admin/products/{id} {"title": ...}), and after the write's 200 GET the page again:
a read is stale when its stock (inventory_quantity), title or updated_at differs from
what the write answered.
Prints one line: "FLASH writes ok stale checks conflicts errors write_p50_ms write_p99_ms".
"""
import http.client
import json
import sys
import time


FIELDS = ("inventory_quantity", "title", "updated_at")   # what the writes change


def product(body):
    d = json.loads(body)
    return d.get("product", d)


def main():
    host, port, seconds, rate, ids_file, tag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
    ids = [l.strip() for l in open(ids_file) if l.strip()]
    conn = http.client.HTTPConnection(host, port, timeout=10)

    def call(method, path, body=None):
        nonlocal conn
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            return 0, b""

    writes = ok = stale = checks = conflicts = errors = 0
    lat = []
    start = time.monotonic()
    deadline = start + seconds
    i = 0
    while time.monotonic() < deadline:
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        pid = ids[i % len(ids)]
        page = f"/store/products/{pid}"
        call("GET", page)                                    # prime: the page is cached now
        t0 = time.monotonic()
        if i % 2 == 0:
            st, body = call("POST", f"/admin/products/{pid}/inventory", {"delta": -1, "reason": "sale"})
        else:
            st, body = call("PATCH", f"/admin/products/{pid}", {"title": f"Flash sale {tag} {i}"})
        lat.append((time.monotonic() - t0) * 1000)
        writes += 1
        i += 1
        if st == 409:
            conflicts += 1
            continue
        if st != 200:
            errors += 1
            continue
        ok += 1
        w = product(body)
        if any(w.get(f) is None for f in FIELDS):
            sys.exit(f"flashsale: the write's answer lacks one of {FIELDS}: {body[:200]!r}")
        st, body = call("GET", page)
        if st != 200:
            errors += 1
            continue
        checks += 1
        p = product(body)
        if any(p.get(f) != w.get(f) for f in FIELDS):
            stale += 1
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else 0
    print(f"FLASH {writes} {ok} {stale} {checks} {conflicts} {errors} {q(0.5):.2f} {q(0.99):.2f}")


if __name__ == "__main__":
    main()
