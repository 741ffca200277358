# Shared by the benchmark scripts: a release build, throwaway PostgreSQL and Redis, the
# reference origin seeded with $PRODUCTS products, and catalog-cache in front of it.
# Servers are pinned to CPU $SERVER_CPU, the load generator to CPU $LOAD_CPU.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -x /opt/swift/usr/bin/swift ] && export PATH=/opt/swift/usr/bin:$PATH
PRODUCTS=${PRODUCTS:-80000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
LOAD_CPU=${LOAD_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
ORIGIN_PORT=${ORIGIN_PORT:-19000}
PROXY_PORT=${PROXY_PORT:-18090}
ADMIN_PORT=${ADMIN_PORT:-18091}

# wrk and the servers hold one descriptor per connection: CONNECTIONS=10000 (paced users) needs
# more than the usual 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# step MESSAGE: one progress line on stderr with the time since the script started.
step() { printf 'bench [+%4ds] %s\n' "$SECONDS" "$*" >&2; }

bench_setup() {
  scripts/bootstrap wrk || exit 1
  step "release build"
  swift build -c release >/dev/null 2>&1 || { swift build -c release 2>&1 | tail -20; exit 1; }
  BIN=$(swift build -c release --show-bin-path)
  BENCH_DIR=$(mktemp -d /tmp/catalog-cache-bench.XXXXXX)
  PIDS=()
  trap bench_teardown EXIT
  trap 'exit 130' INT TERM
  step "starting PostgreSQL and Redis"
  # Only the plain Redis unless a script asks for more (BENCH_TOPOLOGIES="cluster"): the
  # others' background work (gossip, sentinels) would share the measured cores.
  SERVICES_TOPOLOGIES=${BENCH_TOPOLOGIES-} scripts/services start "$BENCH_DIR" || exit 1
  # shellcheck disable=SC1091
  source "$BENCH_DIR/env"
  DATABASE_URL=$CATALOG_TEST_DATABASE_URL
  REDIS_URL=$CATALOG_TEST_REDIS_URL
  # The database and Redis serve from the server core too.
  taskset -pc "$SERVER_CPU" "$(cat "$BENCH_DIR/postgres.pid")" >/dev/null
  taskset -pc "$SERVER_CPU" "$(cat "$BENCH_DIR/redis.pid")" >/dev/null
  "$BIN/catalog-origin" migrate --database-url "$DATABASE_URL" >/dev/null || exit 1
  step "seeding $PRODUCTS products"
  local t0=$(date +%s%N)
  # Its progress lines go to seed.log and, indented, to the terminal.
  "$BIN/catalog-origin" seed --database-url "$DATABASE_URL" --products "$PRODUCTS" 2>"$BENCH_DIR/seed.log" >/dev/null &
  local seed_pid=$!
  tail -n +1 -f --pid="$seed_pid" "$BENCH_DIR/seed.log" 2>/dev/null | sed -u 's/^/               /' >&2
  wait "$seed_pid" || { cat "$BENCH_DIR/seed.log"; exit 1; }
  SEED_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  step "seeded $PRODUCTS products in $SEED_MS ms"
  "$BIN/catalog-cache" install-triggers --database-url "$DATABASE_URL" >/dev/null || exit 1
  # Every server runs in a session of its own (setsid), as a daemon does: the kernel's autogroup
  # scheduling (on by default) shares a CPU between sessions first, so servers left in this
  # script's session would share one slice of the server core among them while the daemons
  # (PostgreSQL, the services' Redis) had one each. setsid does not fork here (a background job
  # of a script leads no process group), so $! stays the server's pid.
  setsid taskset -c "$SERVER_CPU" "$BIN/catalog-origin" serve --database-url "$DATABASE_URL" --listen "127.0.0.1:$ORIGIN_PORT" --redis "$REDIS_URL" >"$BENCH_DIR/origin.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$ORIGIN_PORT/store/regions"
  step "origin up on 127.0.0.1:$ORIGIN_PORT"
}

# start_proxy [extra flags...]: catalog-cache on $PROXY_PORT with Redis and the feed.
start_proxy() {
  setsid taskset -c "$SERVER_CPU" "$BIN/catalog-cache" serve --listen "127.0.0.1:$PROXY_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
    --upstream "http://127.0.0.1:$ORIGIN_PORT" --redis "$REDIS_URL" --database-url "$DATABASE_URL" "$@" >"$BENCH_DIR/proxy.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$ADMIN_PORT/healthz"
  step "catalog-cache up on 127.0.0.1:$PROXY_PORT (admin $ADMIN_PORT: / is a live dashboard)"
}

wait_http() {
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "bench: $1 did not answer" >&2; exit 1
}

bench_teardown() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  scripts/services stop "$BENCH_DIR"
}

# run_wrk NAME URL [header]: prints "NAME req/s p50 p95 p99 p99.9 errors" (latencies in ms).
run_wrk() {
  local name=$1 url=$2 header=${3:-}
  local args=(-t1 -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/benchmarks/report.lua")
  [ -n "$header" ] && args+=(-H "$header")
  step "wrk: $name ($DURATION, $CONNECTIONS connections)"
  taskset -c "$LOAD_CPU" wrk "${args[@]}" "$url" 2>&1 | awk -v n="$name" '/^REPORT/ { print n, $2, $3, $4, $5, $6, $7 }'
}

machine_line() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  echo "$(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, kernel $(uname -r)"
}

# result_file NAME: where a script writes its latest result (benchmarks/results/NAME.md, replaced
# by the next run of the same script; earlier runs live in git history and in the ledger).
result_file() { echo "benchmarks/results/$1.md"; }

# ledger_add FILE: appends one line for the run just written to FILE to the results ledger:
# its date, the commit measured and the command, read from FILE's "- date:" and "- command:" lines;
# "+changes" when the tree differs from the commit outside benchmarks/results (rewritten by the run).
ledger_add() {
  local file=$1 ledger=benchmarks/results/LEDGER.md date command
  date=$(grep -m1 -o 'date: [^;]*' "$file" | cut -d' ' -f2-)
  command=$(grep -m1 -o 'command: `[^`]*`' "$file" | cut -d'`' -f2)
  printf '| %s | %s | %s | `%s` |\n' "${date:-$(date -u '+%Y-%m-%d %H:%M UTC')}" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':(exclude)benchmarks/results' 2>/dev/null || echo '+changes')" \
    "$(basename "$file")" "$command" >>"$ledger"
}
