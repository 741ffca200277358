#!/usr/bin/env python3
"""Hostile-client memory soak against a running catalog-cache (loopback, bounded).

Each case opens its connections, pushes what a hostile client would, holds them for HOLD
seconds without reading, then closes them; the proxy's resident memory (VmRSS, and the peak
VmHWM) is read from /proc/PID/status before and during each case.

  benchmarks/memory-soak.py --pid PID --port PORT [--connections 20] [--hold 5]

Cases:
  pipeline   CONNECTIONS connections each write up to 4 MB of pipelined GETs of a cached
             list (identity body, ~15 KB answers) and never read: answers must wait
             (writability), not queue in memory.
  targets    700 distinct 8 KB request targets (the longest a request line may be) on one
             connection (route memo byte bound).
  upgrade    CONNECTIONS connections send `Upgrade: websocket` then 4 MB each (refused with
             400; nothing after it is read or buffered).
Bounded: every case stops after HOLD seconds or its byte budget; nothing runs unattended.
"""
import argparse, socket, time

def rss(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                fields[k] = int(v.split()[0])  # kB
    return fields

def connect(port, rcvbuf=4096):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s

def push(sockets, payload, budget, hold):
    """Writes `payload` repeatedly to each socket (non-blocking) until `budget` bytes per
    socket or `hold` seconds; returns bytes written per socket."""
    written = [0] * len(sockets)
    end = time.time() + hold
    while time.time() < end:
        progress = False
        for i, s in enumerate(sockets):
            if written[i] >= budget:
                continue
            try:
                n = s.send(payload)
                written[i] += n
                progress = progress or n > 0
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                written[i] = budget  # closed by the proxy
        if not progress:
            time.sleep(0.05)
    return written

def case(name, pid, body):
    before = rss(pid)
    detail = body()
    during = rss(pid)
    print(f"{name:9s} RSS before {before['VmRSS']/1024:7.1f} MiB, during {during['VmRSS']/1024:7.1f} MiB "
          f"(+{(during['VmRSS']-before['VmRSS'])/1024:.1f}), peak so far {during['VmHWM']/1024:7.1f} MiB; {detail}")

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=20)
    p.add_argument("--hold", type=float, default=5)
    p.add_argument("--target", default="/store/products?limit=50")
    a = p.parse_args()

    warm = connect(a.port, 1 << 20)
    warm.setblocking(True)
    for _ in range(2):
        warm.sendall(f"GET {a.target} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
        time.sleep(0.3)
    warm.close()

    def pipeline():
        socks = [connect(a.port) for _ in range(a.connections)]
        request = f"GET {a.target} HTTP/1.1\r\nHost: soak\r\n\r\n".encode() * 64
        w = push(socks, request, 4 << 20, a.hold)
        for s in socks: s.close()
        return f"{a.connections} connections wrote {sum(w)/(1<<20):.1f} MiB of requests ({sum(w)//(len(request)//64)} GETs) and read nothing"

    def targets():
        s = connect(a.port, 1 << 20)
        s.setblocking(True)
        junk = "j" * 8000
        for i in range(700):
            s.sendall(f"GET /store/products?q={i}{junk} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
            s.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(65536)
            # drain the body by Content-Length
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
            while len(rest) < length:
                rest += s.recv(65536)
        s.close()
        return "700 distinct 8 KB targets answered"

    def upgrade():
        socks = [connect(a.port) for _ in range(a.connections)]
        for s in socks:
            s.setblocking(True)
            s.sendall(b"GET /store/hero-banners HTTP/1.1\r\nHost: soak\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            s.setblocking(False)
        w = push(socks, b"x" * 65536, 4 << 20, a.hold)
        for s in socks: s.close()
        return f"{a.connections} connections pushed {sum(w)/(1<<20):.1f} MiB after an Upgrade request"

    case("pipeline", a.pid, pipeline)
    case("targets", a.pid, targets)
    case("upgrade", a.pid, upgrade)

if __name__ == "__main__":
    main()
