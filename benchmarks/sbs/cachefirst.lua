-- nginx + Lua cache-first read over Redis (after the anchors' e2): one HMGET per hit; on a
-- miss, fetch through the fill server (which gzips >= 2 KiB for gzip clients) and store with
-- the route's TTL (hero banners 300 s, the rest of /store/ 60 s). No miss coalescing.
local redis = require "nginx.redis"          -- Debian's lua-nginx-redis (= lua-resty-redis)
local method = ngx.req.get_method()
local ae  = ngx.var.ae                         -- "gzip" or ""
local key = "c:" .. ae .. "|" .. ngx.var.request_uri
local ttl = ngx.var.uri == "/store/hero-banners" and 300 or 60
local red, ok = redis:new(), false
if method == "GET" or method == "HEAD" then
  red:set_timeouts(250, 250, 250)
  ok = red:connect("127.0.0.1", tonumber(ngx.var.redis_port))
  if ok then
    local res = red:hmget(key, "ce", "ct", "b")
    if res and res[3] and res[3] ~= ngx.null then
      red:set_keepalive(60000, 1024)
      ngx.header["Content-Type"] = res[2]
      if res[1] ~= "" then ngx.header["Content-Encoding"] = res[1] end
      ngx.header["Vary"] = "Accept-Encoding"
      ngx.header["Cache-Control"] = "public, max-age=" .. ttl
      ngx.header["X-Cache"] = "HIT"
      ngx.header["Content-Length"] = #res[3]
      if method == "GET" then ngx.print(res[3]) end
      return
    end
  end
end
local r = ngx.location.capture("/_fill" .. ngx.var.uri, { method = ngx.HTTP_GET, args = ngx.var.args })
if ok and r.status == 200 then
  red:init_pipeline()
  red:hset(key, "ce", r.header["Content-Encoding"] or "", "ct", r.header["Content-Type"] or "application/json", "b", r.body)
  red:expire(key, ttl)
  red:commit_pipeline()
  red:set_keepalive(60000, 1024)
end
ngx.status = r.status
for k, v in pairs(r.header) do ngx.header[k] = v end
ngx.header["X-Cache"] = "MISS"
ngx.print(r.body)
