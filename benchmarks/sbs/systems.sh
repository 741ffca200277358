# Configurations and start-up of the systems compared by benchmarks/run. Sourced after lib.sh.
# Every system caches GET /store/* in front of the same catalog-origin: hero banners 300 s,
# everything else under /store/ 60 s; everything else (the admin writes) is passed through.
# Bodies of 2 KiB or more are gzipped once, when the entry is filled, and kept that way for
# gzip clients, as catalog-cache does (level 6).

CC_PORT=$PROXY_PORT;             CC_ADMIN=$ADMIN_PORT
CCT_PORT=$((PROXY_PORT + 2));    CCT_ADMIN=$((PROXY_PORT + 3))
VARNISH_PORT=$((PROXY_PORT + 4)); VARNISH_ADMIN=$((PROXY_PORT + 5))
NGINX_PORT=$((PROXY_PORT + 6));  NGINX_FILL=$((PROXY_PORT + 7))
LUA_PORT=$((PROXY_PORT + 8));    LUA_FILL=$((PROXY_PORT + 9))
LUA_REDIS_PORT=$((PROXY_PORT + 10)); CCT_REDIS_PORT=$((PROXY_PORT + 11))
FILE_PORT=$((PROXY_PORT + 12))
CCC_PORT=$((PROXY_PORT + 13));   CCC_ADMIN=$((PROXY_PORT + 14))

declare -A PORT=([origin]=$ORIGIN_PORT [catalog-cache]=$CC_PORT [catalog-cache-tier]=$CCT_PORT [catalog-cache-cluster]=$CCC_PORT
                 [varnish]=$VARNISH_PORT [nginx]=$NGINX_PORT [nginx-lua]=$LUA_PORT [nginx-file]=$FILE_PORT)
# Systems that serve only the two hot URLs (hot scenario and their verify step only).
HOT_ONLY="nginx-file"
declare -A SYS_PIDS=()   # system -> PIDs whose trees count as its CPU and RSS (server + its store)

# catalog-cache: the shipped config with one event loop (`threads: 1`, the server has one
# core) and, for the tier run, `store.hot_tier_bytes`.
cc_config() {  # FILE HOT_TIER_BYTES
  local file=$1 tier=$2
  sed -e 's/^threads: .*/threads: 1/' -e "s/^  hot_tier_bytes: .*/  hot_tier_bytes: $tier/" config/catalog-cache.yaml >"$file"
  if ! grep -q '^threads: 1' "$file" || ! grep -q "^  hot_tier_bytes: $tier" "$file"; then
    echo "bench: config/catalog-cache.yaml has no threads: or store.hot_tier_bytes: line to set" >&2; exit 1
  fi
  "$BIN/catalog-cache" check-config --config "$file" >/dev/null || { echo "bench: $file does not check" >&2; exit 1; }
}

start_pinned() {  # LOG command...  (background, on the server CPU, in a session of its own: see lib.sh; killed at teardown)
  local log=$1; shift
  setsid taskset -c "$SERVER_CPU" "$@" >"$log" 2>&1 &
  PIDS+=($!); LAST_PID=$!
}

start_redis() {  # PORT -> LAST_PID
  start_pinned "$SBS_RUN/redis-$1.log" redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$SBS_RUN"
  for _ in $(seq 1 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench: redis on $1 did not start" >&2; exit 1
}

start_catalog_cache() {  # NAME PORT ADMIN REDIS_URL CONFIG [REDIS_PID]
  local name=$1 port=$2 admin=$3 redis=$4 config=$5 rpid=${6:-}
  start_pinned "$SBS_RUN/$name.log" "$BIN/catalog-cache" serve --config "$config" --listen "127.0.0.1:$port" \
    --admin-listen "127.0.0.1:$admin" --upstream "http://127.0.0.1:$ORIGIN_PORT" --redis "$redis" --database-url "$DATABASE_URL"
  SYS_PIDS[$name]="$LAST_PID $rpid"
  wait_http "http://127.0.0.1:$admin/healthz"
}

write_varnish() {
  cat >"$SBS_RUN/varnish.vcl" <<VCL
vcl 4.1;
import std;
backend origin { .host = "127.0.0.1"; .port = "$ORIGIN_PORT"; }
sub vcl_recv {
    if ((req.method == "GET" || req.method == "HEAD") && req.url ~ "^/store/") {
        unset req.http.Cookie;
        unset req.http.Authorization;
        return (hash);
    }
    return (pass);
}
sub vcl_backend_response {
    if (bereq.url ~ "^/store/" && beresp.status == 200) {
        # TTLs and stale-while-revalidate windows (grace) of catalog-cache's shipped routes
        if (bereq.url ~ "^/store/hero-banners") { set beresp.ttl = 300s; set beresp.grace = 600s; }
        else { set beresp.ttl = 60s; set beresp.grace = 120s; }
        unset beresp.http.Set-Cookie;
        if (std.integer(beresp.http.Content-Length, 0) >= 2048) { set beresp.do_gzip = true; }
    }
}
sub vcl_deliver {
    if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
VCL
}

# nginx: a front server caching /store/ GETs, and a fill server in the same nginx, between the
# cache and the origin, that gzips bodies >= 2 KiB for gzip requests (level 6) and logs every
# request it forwards to the origin (the count of upstream requests).
# The start every nginx here shares: one worker, no access log, long keep-alive.
ngx_base() {  # NAME
  cat <<NGX
worker_processes 1;
worker_rlimit_nofile 16384;
pid $SBS_RUN/$1/nginx.pid;
error_log $SBS_RUN/$1/error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
    default_type application/json;
    access_log off;
    server_tokens off;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 100000000;
    client_body_temp_path $SBS_RUN/$1/body;
NGX
}

ngx_head() {  # NAME [load_module lines]
  ngx_base "$1"
  cat <<NGX
    proxy_temp_path       $SBS_RUN/$1/proxy;
    fastcgi_temp_path     $SBS_RUN/$1/fastcgi;
    uwsgi_temp_path       $SBS_RUN/$1/uwsgi;
    scgi_temp_path        $SBS_RUN/$1/scgi;
    map \$http_accept_encoding \$ae { "~*gzip" "gzip"; default ""; }
    log_format fill '\$msec \$request_method \$request_uri \$status';
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 100000000; }
    upstream fill { server 127.0.0.1:\$FILL_PORT; keepalive 64; keepalive_requests 100000000; }
    server {
        listen 127.0.0.1:\$FILL_PORT;
        access_log $SBS_RUN/$1/fill.log fill;
        gzip on; gzip_comp_level 6; gzip_min_length 2048; gzip_types application/json; gzip_proxied any; gzip_vary on;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
NGX
}

ngx_cache_location() {  # LOCATION TTL: cache GETs through the fill server for TTL
  cat <<NGX
        location $1 {
            proxy_pass http://fill;
            proxy_set_header Accept-Encoding \$ae;
            proxy_cache sbs;
            proxy_cache_key \$ae|\$request_uri;
            proxy_cache_valid 200 $2;
            proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
            add_header X-Cache \$upstream_cache_status;
        }
NGX
}

write_nginx() {
  mkdir -p "$SBS_RUN/nginx"
  { ngx_head nginx | sed "s/\\\$FILL_PORT/$NGINX_FILL/"
    cat <<NGX
    proxy_cache_path $SBS_RUN/nginx/cache levels=1:2 keys_zone=sbs:64m max_size=1g inactive=10m use_temp_path=off;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
$(ngx_cache_location "/store/" 60s)
$(ngx_cache_location "= /store/hero-banners" 300s)
        location / { proxy_pass http://fill; }
    }
}
NGX
  } >"$SBS_RUN/nginx.conf"
}

# nginx + Lua over Redis: the anchors' cache-first script (one HMGET per hit; fill from the
# origin on a miss, no coalescing), with the route TTLs.
write_nginx_lua() {
  mkdir -p "$SBS_RUN/nginx-lua"
  { echo "load_module /usr/lib/nginx/modules/ndk_http_module.so;"
    echo "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"
    ngx_head nginx-lua | sed "s/\\\$FILL_PORT/$LUA_FILL/"
    cat <<NGX
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
    server {
        listen 127.0.0.1:$LUA_PORT backlog=4096;
        location /store/ {
            set \$redis_port $LUA_REDIS_PORT;
            content_by_lua_file $ROOT/benchmarks/sbs/cachefirst.lua;
        }
        location /_fill/ {
            internal;
            proxy_pass http://fill/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Accept-Encoding \$ae;
        }
        location / {
            proxy_pass http://fill;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGX
  } >"$SBS_RUN/nginx-lua.conf"
}

# nginx serving the file: the ceiling of the hot-hit comparison. The two hot URLs' bodies, as
# the origin sends them, written to files once, with `gzip -6` copies served by gzip_static
# to gzip clients, with sendfile and an open-file cache as in ../shared/bench-anchors; no
# cache, no upstream, nothing computed per request.
write_nginx_file() {
  local www="$SBS_RUN/nginx-file/www"
  mkdir -p "$www"
  curl -fs "http://127.0.0.1:$ORIGIN_PORT$HERO" -o "$www/hero-banners.json" || exit 1
  curl -fs "http://127.0.0.1:$ORIGIN_PORT$LIST" -o "$www/list.json" || exit 1
  gzip -6 -k -n -f "$www/hero-banners.json" "$www/list.json"
  { ngx_base nginx-file
    cat <<NGX
    server {
        listen 127.0.0.1:$FILE_PORT backlog=4096;
        root $www;
        sendfile on;
        tcp_nopush on;
        open_file_cache max=64 inactive=60s;
        open_file_cache_valid 60s;
        gzip_static on;
        gzip_vary on;
        location = /store/hero-banners { add_header X-Cache HIT; try_files /hero-banners.json =404; }
        location = /store/products { add_header X-Cache HIT; try_files /list.json =404; }
    }
}
NGX
  } >"$SBS_RUN/nginx-file.conf"
}

start_nginx() {  # NAME CONF PORT
  mkdir -p "$SBS_RUN/$1"; : >"$SBS_RUN/$1/fill.log"
  nginx -t -q -e "$SBS_RUN/$1/error.log" -c "$2" || exit 1
  start_pinned "$SBS_RUN/$1.stdout" nginx -e "$SBS_RUN/$1/error.log" -c "$2" -g 'daemon off;'
  SYS_PIDS[$1]="$LAST_PID ${SYS_PIDS[$1]:-}"
  wait_port "$3"
}

wait_port() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: port $1 did not open" >&2; exit 1
}

start_systems() {
  local p
  for p in $CC_PORT $CC_ADMIN $CCT_PORT $CCT_ADMIN $VARNISH_PORT $VARNISH_ADMIN $NGINX_PORT $NGINX_FILL $LUA_PORT \
           $LUA_FILL $LUA_REDIS_PORT $CCT_REDIS_PORT $FILE_PORT $CCC_PORT $CCC_ADMIN; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "bench: port $p is in use" >&2; exit 1; fi
  done
  SYS_PIDS[origin]="${PIDS[0]} $(cat "$BENCH_DIR/postgres.pid")"
  local redis_pid; redis_pid=$(cat "$BENCH_DIR/redis.pid")
  cc_config "$SBS_RUN/cc.yaml" 0
  start_catalog_cache catalog-cache "$CC_PORT" "$CC_ADMIN" "$REDIS_URL" "$SBS_RUN/cc.yaml" "$redis_pid"
  cc_config "$SBS_RUN/cc-tier.yaml" "$HOT_TIER_BYTES"
  start_redis "$CCT_REDIS_PORT"; local rp=$LAST_PID
  start_catalog_cache catalog-cache-tier "$CCT_PORT" "$CCT_ADMIN" "redis://127.0.0.1:$CCT_REDIS_PORT" "$SBS_RUN/cc-tier.yaml" "$rp"
  # On the 6-node Redis Cluster of scripts/services (BENCH_TOPOLOGIES=cluster), its nodes on
  # the server core too; only when SYSTEMS names it.
  if [[ " $SYSTEMS " == *" catalog-cache-cluster "* ]]; then
    [ -n "${CATALOG_TEST_REDIS_CLUSTER_URL:-}" ] || { echo "bench: catalog-cache-cluster needs BENCH_TOPOLOGIES=cluster" >&2; exit 1; }
    local pidfile nodes=""
    for pidfile in "$BENCH_DIR"/cluster-*.pid; do taskset -pc "$SERVER_CPU" "$(cat "$pidfile")" >/dev/null; nodes+=" $(cat "$pidfile")"; done
    start_catalog_cache catalog-cache-cluster "$CCC_PORT" "$CCC_ADMIN" "$CATALOG_TEST_REDIS_CLUSTER_URL" "$SBS_RUN/cc.yaml" "$nodes"
  fi
  write_varnish
  mkdir -p "$SBS_RUN/varnish"
  start_pinned "$SBS_RUN/varnish.log" varnishd -F -n "$SBS_RUN/varnish" -a "127.0.0.1:$VARNISH_PORT" \
    -T "127.0.0.1:$VARNISH_ADMIN" -f "$SBS_RUN/varnish.vcl" -s malloc,256m
  SYS_PIDS[varnish]=$LAST_PID
  wait_port "$VARNISH_PORT"
  write_nginx; start_nginx nginx "$SBS_RUN/nginx.conf" "$NGINX_PORT"
  start_redis "$LUA_REDIS_PORT"; SYS_PIDS[nginx-lua]=$LAST_PID
  write_nginx_lua; start_nginx nginx-lua "$SBS_RUN/nginx-lua.conf" "$LUA_PORT"
  write_nginx_file; start_nginx nginx-file "$SBS_RUN/nginx-file.conf" "$FILE_PORT"
}

# The admin port of a catalog-cache system, nothing for the others.
cc_admin() { case $1 in catalog-cache) echo "$CC_ADMIN" ;; catalog-cache-tier) echo "$CCT_ADMIN" ;; catalog-cache-cluster) echo "$CCC_ADMIN" ;; esac; }

# Empties SYS's cache, so that a cell's warm-up starts every system from the same state however
# long ago its previous cell ran: entries live 60 s and are served stale 120 s more
# (stale-while-revalidate, Varnish's grace), so what a cell would find cached otherwise depends
# on the time since the last one (and on how long the quiet gate waited).
empty_cache() {  # SYS
  local admin before channel
  case $1 in
    catalog-cache*)
      # A table-wide change: every instance listening drops every mapped tag, in Redis and in
      # its hot tier; waited for on this system's own counter of tags invalidated.
      admin=$(cc_admin "$1")
      before=$(tags_invalidated "$admin")
      channel=$(awk '/^invalidation:/ { s = 1; next } /^[^ #]/ { s = 0 } s && /^  channel:/ { print $2; exit }' "$SBS_RUN/cc.yaml")
      psql "$DATABASE_URL" -qAtc "SELECT pg_notify('${channel:?no invalidation.channel in cc.yaml}', '{\"table\":\"product\",\"op\":\"TRUNCATE\"}')" >/dev/null
      for _ in $(seq 1 100); do [ "$(tags_invalidated "$admin")" -gt "$before" ] && return 0; sleep 0.05; done
      echo "bench: $1 did not apply the invalidation of everything" >&2; exit 1 ;;
    varnish) varnishadm -n "$SBS_RUN/varnish" "ban req.url ~ ." >/dev/null || exit 1 ;;
    nginx) find "$SBS_RUN/nginx/cache" -type f -delete ;;
    nginx-lua) redis-cli -p "$LUA_REDIS_PORT" flushall >/dev/null || exit 1 ;;
  esac
}
tags_invalidated() { curl -fs "http://127.0.0.1:$1/metrics" | awk '/^catalog_cache_tags_invalidated_total / { print $2 }'; }

# Cumulative count of requests the system has sent to the origin.
upstream_count() {
  case $1 in
    catalog-cache*)
      curl -fs "http://127.0.0.1:$(cc_admin "$1")/metrics" | awk '/^catalog_cache_upstream_request_duration_seconds_count/ {print $2}' ;;
    varnish) varnishstat -n "$SBS_RUN/varnish" -1 -f MAIN.backend_req | awk '{print $2}' ;;
    nginx|nginx-lua) wc -l <"$SBS_RUN/$1/fill.log" ;;
    *) echo 0 ;;
  esac
}

# Cumulative misses as the system itself counts them (a cross-check of upstream_count).
miss_count() {
  case $1 in
    catalog-cache*)
      curl -fs "http://127.0.0.1:$(cc_admin "$1")/metrics" | awk '/^catalog_cache_requests_total\{.*outcome="miss"/ { s += $2 } END { print s + 0 }' ;;
    varnish) varnishstat -n "$SBS_RUN/varnish" -1 -f MAIN.cache_miss | awk '{print $2}' ;;
    *) echo - ;;
  esac
}
