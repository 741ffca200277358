-- Paced reads for benchmarks/invalidation-latency: the URLs of $READ_URLS (one a line) in
-- turn, each connection pausing READ_PAUSE_MS after every answer, so the proxy's core is
-- busy but not saturated (an open-ish load: latency is not connections / throughput).
local urls = {}
for l in io.lines(os.getenv("READ_URLS")) do if l ~= "" then urls[#urls + 1] = l end end
local pause = tonumber(os.getenv("READ_PAUSE_MS") or "10")
local i = 0

request = function()
  i = i + 1
  return wrk.format("GET", urls[i % #urls + 1], { ["Accept-Encoding"] = "gzip" })
end

delay = function() return pause end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
