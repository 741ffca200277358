#!/usr/bin/env python3
"""Read and write load through catalog-cache while a Redis primary is killed (benchmarks/cluster-failover).

  failover-load.py load PORT SECONDS EVENTS   runs the load, one line per answer in EVENTS:
      <seconds since start> <kind> <status> <x-cache> <seconds taken> [stale]
    kind: "hotN" (GETs of HOT[N], entries no write touches), "write" (PATCH /admin/products/{id}),
    "check" (GET of the product just written, through the proxy: "stale" when it shows an
    older title than the write returned). status 0: no answer (connection error or timeout).
  failover-load.py report EVENTS KILL_EPOCH PROMOTED_EPOCH   prints the summary as "name value"
    lines (times in ms from the kill; PROMOTED_EPOCH 0 when the replica was never seen promoted).
"""
import http.client
import json
import sys
import threading
import time

# Entries no write of the load touches (the writers change product titles only).
HOT = ["/store/hero-banners", "/store/regions", "/store/collections", "/store/product-categories"]
# Hot non-HITs closer than this (seconds) belong to one stretch of lost hits.
EPISODE_GAP = 0.5


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                return r.status, r.getheader("X-Cache", "-"), payload
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if method != "GET":
                    break  # a write is never sent twice
        return 0, "-", b""


def load(port, seconds, events_path):
    start = time.monotonic()
    lock = threading.Lock()
    out = open(events_path, "w")
    out.write(f"# start {time.time():.4f}\n")

    def record(kind, status, xcache, sent, extra=""):
        now = time.monotonic()
        with lock:
            out.write(f"{now - start:.4f} {kind} {status} {xcache} {now - sent:.4f}{' ' + extra if extra else ''}\n")

    setup = Client(port)
    status, _, body = setup.request("POST", "/auth/user/emailpass", {"email": "admin@example.com", "password": "supersecret"})
    assert status == 200, f"login: {status} {body[:200]}"
    token = json.loads(body)["token"]
    status, _, body = setup.request("GET", "/store/products?limit=8&order=-price")
    ids = [p["id"] for p in json.loads(body)["products"]]

    def reader(offset):
        client = Client(port)
        i = offset
        while time.monotonic() - start < seconds:
            path = HOT[i % len(HOT)]
            i += 1
            sent = time.monotonic()
            status, xcache, _ = client.request("GET", path)
            record(f"hot{HOT.index(path)}", status, xcache, sent)

    def writer(product_ids, name):
        client = Client(port)
        n = 0
        auth = {"Authorization": f"Bearer {token}"}
        while time.monotonic() - start < seconds:
            pid = product_ids[n % len(product_ids)]
            n += 1
            title = f"failover {name} {n}"
            sent = time.monotonic()
            status, xcache, _ = client.request("PATCH", f"/admin/products/{pid}", {"title": title}, auth)
            record("write", status, xcache, sent)
            if status != 200:
                continue
            sent = time.monotonic()
            status, xcache, body = client.request("GET", f"/store/products/{pid}")
            stale = ""
            if status == 200:
                stale = "stale" if json.loads(body)["product"]["title"] != title else ""
            record("check", status, xcache, sent, stale)
            time.sleep(0.02)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    threads += [threading.Thread(target=writer, args=(ids[k::2], f"w{k}")) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()


def report(events_path, kill_epoch, promoted_epoch):
    lines = open(events_path).read().splitlines()
    start_epoch = float(lines[0].split()[2])
    kill_at = kill_epoch - start_epoch
    print("promoted_after_kill_ms", round((promoted_epoch - kill_epoch) * 1000) if promoted_epoch > 0 else "-")
    rows = [line.split() for line in lines[1:]]
    events = [(float(r[0]), "hot" if r[1].startswith("hot") else r[1], int(r[2]), r[3], len(r) > 5, r[1], float(r[4])) for r in rows]
    after = [e for e in events if e[0] >= kill_at]
    hot_after = [e for e in after if e[1] == "hot"]
    first_miss = next((e[0] for e in hot_after if e[3] != "HIT"), None)
    last_non_hit = max((e[0] for e in hot_after if e[3] != "HIT"), default=None)
    print("answers", len(events))
    print("answers_after_kill", len(after))
    print("status_5xx", sum(1 for e in events if e[2] >= 500))
    print("no_answer", sum(1 for e in events if e[2] == 0))
    print("writes", sum(1 for e in events if e[1] == "write"))
    print("writes_ok", sum(1 for e in events if e[1] == "write" and e[2] == 200))
    print("checks", sum(1 for e in events if e[1] == "check"))
    print("stale_reads_after_write", sum(1 for e in events if e[1] == "check" and e[4]))
    print("hot_hits_before_kill", sum(1 for e in events if e[0] < kill_at and e[1] == "hot" and e[3] == "HIT"))
    print("hot_not_hit_after_kill", sum(1 for e in hot_after if e[3] != "HIT"))
    print("first_non_hit_after_kill_ms", "-" if first_miss is None else round((first_miss - kill_at) * 1000))
    print("last_non_hit_after_kill_ms", "-" if last_non_hit is None else round((last_non_hit - kill_at) * 1000))
    # Hits served again: the first hot HIT after the last hot non-HIT (every hot answer a HIT from then on).
    back = next((e[0] for e in hot_after if last_non_hit is not None and e[0] > last_non_hit and e[3] == "HIT"), None)
    print("hits_back_after_kill_ms", "-" if back is None else round((back - kill_at) * 1000))
    # Stretches of lost hits: hot non-HITs less than EPISODE_GAP apart are one stretch, which
    # lasts from its first non-HIT to the first HIT after its last one.
    stretches = []
    for e in hot_after:
        if e[3] == "HIT":
            if stretches and stretches[-1][2] is None:
                stretches[-1][2] = e[0]
        elif stretches and e[0] - stretches[-1][1] < EPISODE_GAP:
            stretches[-1][1] = e[0]
            stretches[-1][2] = None
        else:
            stretches.append([e[0], e[0], None])
    print("miss_stretches", len(stretches))
    print("longest_miss_stretch_ms", max((round(((s[2] or s[1]) - s[0]) * 1000) for s in stretches), default="-"))
    for n, path in enumerate(HOT):
        mine = [e for e in hot_after if e[5] == f"hot{n}"]
        misses = [e[0] for e in mine if e[3] != "HIT"]
        span = f"{round((misses[0] - kill_at) * 1000)}-{round((misses[-1] - kill_at) * 1000)}" if misses else "-"
        print(f"path{n}", f"{path}:{len(misses)}:{span}")
    print("slowest_answer_after_kill_ms", round(max((e[6] for e in after), default=0) * 1000))
    print("slowest_write_after_kill_ms", round(max((e[6] for e in after if e[1] == "write"), default=0) * 1000))
    stale_at = [round((e[0] - kill_at) * 1000) for e in events if e[1] == "check" and e[4]]
    print("stale_reads_at_ms", ",".join(map(str, stale_at)) or "-")
    worst = {}
    for e in hot_after:
        if e[3] != "HIT":
            worst[e[3]] = worst.get(e[3], 0) + 1
    print("hot_after_kill_by_x_cache", ",".join(f"{k}={v}" for k, v in sorted(worst.items())) or "-")


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        report(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
