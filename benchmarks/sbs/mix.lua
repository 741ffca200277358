-- Storefront mix for wrk: product pages chosen with a Zipf distribution over the ids in
-- $SBS_IDS (one id a line, rank order), product lists with a Zipf distribution over
-- (category or none) x page (offset 0..80) x order, and hero banners.
--   SBS_ZIPF_S (0.99)  SBS_LIST_SHARE (0.25)  SBS_HERO_SHARE (0.05)  SBS_GZIP_SHARE (0.9)
--   SBS_PAUSE_MS (0: closed loop; else each connection's pause between answer and request)
--   SBS_PAUSE_DIST (fixed: every pause SBS_PAUSE_MS; uniform: each drawn from 0..2 x SBS_PAUSE_MS,
--     the same mean, so connections that start together do not stay in step)
-- Fixed seed: every system gets the same request sequence (wrk thread n draws from seed + n).
local s      = tonumber(os.getenv("SBS_ZIPF_S") or "0.99")
local listp  = tonumber(os.getenv("SBS_LIST_SHARE") or "0.25")
local herop  = tonumber(os.getenv("SBS_HERO_SHARE") or "0.05")
local gzp    = tonumber(os.getenv("SBS_GZIP_SHARE") or "0.9")

local function lines(path)
  local t = {}
  for l in io.lines(path) do if l ~= "" then t[#t + 1] = l end end
  return t
end

local function cdf(n)
  local c, t = {}, 0
  for i = 1, n do t = t + 1 / i ^ s; c[i] = t end
  for i = 1, n do c[i] = c[i] / t end
  return c
end

local function draw(c)
  local u, lo, hi = math.random(), 1, #c
  while lo < hi do
    local m = math.floor((lo + hi) / 2)
    if c[m] < u then lo = m + 1 else hi = m end
  end
  return lo
end

local ids = lines(os.getenv("SBS_IDS"))
local cats = lines(os.getenv("SBS_CATS"))
local lists = {}
local orders = { "-created_at", "price", "-price", "title", "-title", "created_at" }
local cat_opts = { "" }
for _, c in ipairs(cats) do cat_opts[#cat_opts + 1] = "&category_id=" .. c end
for _, c in ipairs(cat_opts) do
  for page = 0, 4 do
    for _, o in ipairs(orders) do
      lists[#lists + 1] = "/store/products?limit=20&offset=" .. (page * 20) .. "&order=" .. o .. c
    end
  end
end
local id_cdf, list_cdf = cdf(#ids), cdf(#lists)

local threads = 0
setup = function(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

init = function(args)
  math.randomseed(tonumber(os.getenv("SBS_SEED") or "42") + 1000 * (thread_index or 0))
end

request = function()
  local r, path = math.random()
  if r < herop then
    path = "/store/hero-banners"
  elseif r < herop + listp then
    path = lists[draw(list_cdf)]
  else
    path = "/store/products/" .. ids[draw(id_cdf)]
  end
  if math.random() < gzp then
    return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip" })
  end
  return wrk.format("GET", path)
end

-- Paced (SBS_PAUSE_MS > 0): each connection waits that long after an answer before its next
-- request, as a shopper reads a page before the next click; wrk measures latency from the
-- request's send, so the pause is not counted in it.
local pause = tonumber(os.getenv("SBS_PAUSE_MS") or "0")
local dist = os.getenv("SBS_PAUSE_DIST") or "fixed"
if pause > 0 and dist == "uniform" then
  delay = function() return math.random(0, 2 * pause) end
elseif pause > 0 then
  delay = function() return pause end
end

-- The same REPORT line as every other run (benchmarks/report.lua defines `done`).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../report.lua")
