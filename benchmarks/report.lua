-- wrk reporter: one line "REPORT req/s p50 p99 p99.9 errors" with latencies in milliseconds.
-- (No per-response callback: that would slow wrk itself down.)
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("REPORT %.0f %.3f %.3f %.3f %d\n",
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout))
end
