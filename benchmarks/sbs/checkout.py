#!/usr/bin/env python3
"""Checkout buyers, sent THROUGH the system under test.

  checkout.py HOST PORT SECONDS BUYERS IDS_FILE

For SECONDS, BUYERS threads, each on a connection of its own, loop: POST /store/carts, add one
of a product of IDS_FILE (the hot variant-less products, in turn) with
POST /store/carts/{id}/line-items, then POST /store/carts/{id}/complete twice (a client retry):
both answers must name the same order. Prints
"CHECKOUT attempts orders insufficient errors duplicates p50_ms p95_ms p99_ms order_ids_file"
where duplicates counts carts whose two completes answered different orders, p50/p95/p99 are
of the first complete, and the placed order ids are written to IDS_FILE.orders.
"""
import http.client
import json
import sys
import threading
import time


def main():
    host, port, seconds, buyers, ids_file = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    ids = [l.strip() for l in open(ids_file) if l.strip()]
    lock = threading.Lock()
    c = {"attempts": 0, "orders": 0, "insufficient": 0, "errors": 0, "duplicates": 0}
    lat = []
    placed = []
    deadline = time.monotonic() + seconds

    def buyer(b):
        conn = http.client.HTTPConnection(host, port, timeout=30)

        def call(method, path, body=None):
            nonlocal conn
            headers = {"Content-Type": "application/json"} if body is not None else {}
            try:
                conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                r = conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                return 0, b""

        i = b
        while time.monotonic() < deadline:
            pid = ids[i % len(ids)]
            i += buyers
            with lock:
                c["attempts"] += 1
            st, body = call("POST", "/store/carts", {})
            if st != 200:
                with lock:
                    c["errors"] += 1
                continue
            cart = json.loads(body)["cart"]["id"]
            st, _ = call("POST", f"/store/carts/{cart}/line-items", {"variant_id": pid, "quantity": 1})
            if st != 200:
                with lock:
                    c["errors"] += 1
                continue
            t0 = time.monotonic()
            st, body = call("POST", f"/store/carts/{cart}/complete")
            ms = (time.monotonic() - t0) * 1000
            st2, body2 = call("POST", f"/store/carts/{cart}/complete")
            with lock:
                lat.append(ms)
                if st == 200:
                    first = json.loads(body)["order"]["id"]
                    second = json.loads(body2)["order"]["id"] if st2 == 200 else None
                    c["orders"] += 1
                    placed.append(first)
                    if second != first:
                        c["duplicates"] += 1
                elif st == 409 and b"INSUFFICIENT_STOCK" in body:
                    c["insufficient"] += 1
                else:
                    c["errors"] += 1
        conn.close()

    threads = [threading.Thread(target=buyer, args=(b,)) for b in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0
    with open(ids_file + ".orders", "w") as f:
        f.write("\n".join(placed) + "\n")
    print(f"CHECKOUT {c['attempts']} {c['orders']} {c['insufficient']} {c['errors']} {c['duplicates']} {q(0.5):.1f} {q(0.95):.1f} {q(0.99):.1f} {ids_file}.orders")


if __name__ == "__main__":
    main()
