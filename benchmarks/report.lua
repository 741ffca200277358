-- wrk reporter: "REPORT req/s p50 p95 p99 p99.9 errors requests" (latencies in ms).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("REPORT %.0f %.3f %.3f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout, summary.requests))
end
