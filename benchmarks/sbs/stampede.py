#!/usr/bin/env python3
"""Cold-key stampede: for each PATH in turn, N clients connect, then all send GET PATH at
once (HTTP/1.1, Accept-Encoding: gzip, Connection: close); each one's latency runs from its
send to the end of its response. Latencies of all rounds are pooled.

  stampede.py HOST PORT N PATH...   -> "STAMPEDE ok errors p50_ms p95_ms p99_ms max_ms"
"""
import asyncio
import sys
import time


async def round_(host, port, path, n):
    conns = await asyncio.gather(*[asyncio.open_connection(host, port) for _ in range(n)])
    req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n"
           "Connection: close\r\n\r\n").encode()

    async def one(reader, writer):
        t0 = time.monotonic()
        writer.write(req)
        data = await asyncio.wait_for(reader.read(-1), 60)
        dt = (time.monotonic() - t0) * 1000
        writer.close()
        return dt, data.startswith(b"HTTP/1.1 200")

    return await asyncio.gather(*[one(r, w) for r, w in conns], return_exceptions=True)


async def main():
    host, port, n, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    lat, total = [], 0
    for path in paths:
        res = await round_(host, port, path, n)
        total += n
        lat += [r[0] for r in res if isinstance(r, tuple) and r[1]]
        await asyncio.sleep(0.5)
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else 0
    print(f"STAMPEDE {len(lat)} {total - len(lat)} {q(0.5):.2f} {q(0.95):.2f} {q(0.99):.2f} {(lat[-1] if lat else 0):.2f}")


asyncio.run(main())
