# Writes are sourced by benchmarks/run: the cells where writes go through each system beside
# the storefront mix. Uses run's helpers (log, quiet_gate, wrk_run, begin, end, row, ...).

# WRITE_RATE admin writes/s through the system (sbs/flashsale.py: FLASH_MODE stock writes, or
# stock and title writes alternately), each followed by a read that must show it, beside the
# mix. PAUSE_MS 0: the mix is a closed loop (saturation: every system's origin is then the
# writes' bottleneck); else each connection pauses that long after every answer, an offered
# load below capacity, where the writes can reach their rate and the core is not saturated.
flash_cells() {  # SCEN CELL PAUSE_MS
  local scen=$1 cell=$2 pause=$3 sys admin fpid extra n q50 q99
  for sys in $SYSTEMS; do
    hot_only "$sys" && continue
    log "$scen: $sys (mix + $WRITE_RATE writes/s; warm-up $FLASH_WARMUP, pause $pause ms)"
    admin=$(cc_admin "$sys")
    # Emptied, then warmed right before, as the mix cell is: entries live 60 s, and the mix ran
    # minutes ago.
    quiet_gate
    [ "${FLASH_WARMUP%s}" != 0 ] && empty_cache "$sys"
    [ "${FLASH_WARMUP%s}" != 0 ] && SBS_SEED=7 DURATION=$FLASH_WARMUP wrk_run "$SBS/mix.lua" "http://127.0.0.1:${PORT[$sys]}"
    [ -n "$admin" ] && curl -fs "http://127.0.0.1:$admin/metrics" >"$SBS_RUN/m0"
    GATED=1 begin "$sys"
    taskset -c "$LOAD_CPU" timeout 300 python3 "$SBS/flashsale.py" 127.0.0.1 "${PORT[$sys]}" "$DURATION_S" "$WRITE_RATE" \
      "$SBS_RUN/hot-ids.txt" "$sys" "$FLASH_MODE" >"$SBS_RUN/$scen-$sys.out" 2>&1 &
    fpid=$!
    SBS_PAUSE_MS=$pause wrk_run "$SBS/mix.lua" "http://127.0.0.1:${PORT[$sys]}"
    wait "$fpid"
    end "$sys"
    read -r _ w ok stale checks conflicts errs wp50 wp95 wp99 skipped wreads wreads_up <<<"$(grep '^FLASH' "$SBS_RUN/$scen-$sys.out")"
    [ -n "${wp99:-}" ] || { log "flash writer failed: $(tail -3 "$SBS_RUN/$scen-$sys.out")"; w=0 ok=0 stale=0 checks=0 conflicts=0 errs=0 wp50=0 wp95=0 wp99=0 skipped=0 wreads=0 wreads_up=0; }
    case $sys in catalog-cache*) grep '^flashsale: stale:' "$SBS_RUN/$scen-$sys.out" | head -5 | while read -r l; do log "$sys: $l"; done ;; esac
    extra="load_cpu=$LOAD_PCT origin_cpu=$ORIGIN_PCT pause_ms=$pause seconds=$DURATION_S rate=$WRITE_RATE skipped=$skipped writes=$w ok=$ok conflicts=$conflicts write_errors=$errs stale=$stale checks=$checks write_p50=$wp50 write_p95=$wp95 write_p99=$wp99"
    if [ -n "$admin" ]; then
      curl -fs "http://127.0.0.1:$admin/metrics" >"$SBS_RUN/m1"
      cp "$SBS_RUN/m0" "$SBS_RUN/$scen-$sys.before.prom"; cp "$SBS_RUN/m1" "$SBS_RUN/$scen-$sys.after.prom"
      read -r n q50 _ q99 <<<"$(hist_delta "$SBS_RUN/m0" "$SBS_RUN/m1" catalog_cache_commit_to_invalidated_seconds)"
      extra+=" c2i_n=$n c2i_p50=$(ms "$q50") c2i_p99=$(ms "$q99")"
      read -r n q50 _ q99 <<<"$(hist_delta "$SBS_RUN/m0" "$SBS_RUN/m1" catalog_cache_received_to_invalidated_seconds)"
      extra+=" r2i_n=$n r2i_p50=$(ms "$q50") r2i_p99=$(ms "$q99")"
    fi
    # The hit ratio is the reads': the writer's own reads (a prime and a check per write, the
    # check a miss wherever the write invalidated) count as requests, and its writes and login
    # attempts (passes by definition; one LOGIN line each) are not counted as upstream requests.
    local reads=$R_REQ up=$UP
    local logins; logins=$(grep -c '^LOGIN$' "$SBS_RUN/$scen-$sys.out")
    if [ "$sys" != origin ]; then reads=$(( R_REQ + w + checks )); up=$(( UP - w - logins )); [ "$up" -ge 0 ] || up=0; fi
    # The storefront's own reads: the mix's requests against the upstream requests less the
    # writes, the logins and the writer's reads that went upstream.
    if [ "$sys" != origin ] && [ "$R_REQ" -gt 0 ]; then
      extra+=" mix_hit=$(awk -v r="$R_REQ" -v u="$(( UP - w - logins - ${wreads_up:-0} ))" 'BEGIN { if (u < 0) u = 0; printf "%.1f", 100 * (1 - u / r) }')"
      extra+=" writer_reads=${wreads:-0} writer_reads_upstream=${wreads_up:-0}"
    fi
    extra+=" mix_requests=$R_REQ all_upstream=$UP"
    row "$scen" "$sys" "$cell" "$R_RPS" "$R_P50" "$R_P95" "$R_P99" "$R_P999" "$R_ERR" "$reads" "$up" "$CPU_PCT" "$RSS_MIB" "$OTHER_PCT" "$extra"
  done
}
scenario_flash() { flash_cells flash "mix + writes" 0; }
scenario_flash_paced() { flash_cells flash_paced "paced mix + writes" "$PACED_PAUSE_MS"; }

# Buyers beside the mix, on 10 variant-less hot products whose stock is reset to CHECKOUT_STOCK
# before each system, after a CHECKOUT_WARMUP closed-loop mix of another seed (unmeasured, as the
# mix scenario's warm-up) so each cache holds what the mix's long tail asks for. PAUSE_MS 0: the
# mix is a closed loop (saturation: its latency is its connections over its throughput); else
# each connection pauses that long after every answer (an offered load below capacity).
# Oversells and stock decrements without an order are counted from PostgreSQL (units in this
# system's orders against the stock it started with), duplicate orders both by the buyers (two
# completes of one cart naming two orders) and by PostgreSQL.
checkout_cells() {  # SCEN CELL PAUSE_MS
  local scen=$1 cell=$2 pause=$3 sys cpid ids=$SBS_RUN/checkout-ids.txt list o0 sold left extra
  psql "$DATABASE_URL" -Atc "SELECT id FROM product p WHERE status = 'published' AND NOT EXISTS
    (SELECT 1 FROM product_variant v WHERE v.product_id = p.id) ORDER BY md5(id) LIMIT 10" >"$ids"
  list=$(sed "s/.*/'&'/" "$ids" | paste -sd,)
  for sys in $SYSTEMS; do
    hot_only "$sys" && continue
    psql "$DATABASE_URL" -qAtc "UPDATE product SET stock = $CHECKOUT_STOCK WHERE id IN ($list)"
    o0=$(psql "$DATABASE_URL" -Atc 'SELECT coalesce(max(display_id), 0) FROM "order"')
    log "$scen: $sys (mix + $CHECKOUT_BUYERS buyers on 10 products x stock $CHECKOUT_STOCK; warm-up $CHECKOUT_WARMUP, pause $pause ms)"
    quiet_gate
    [ "${CHECKOUT_WARMUP%s}" != 0 ] && empty_cache "$sys"
    [ "${CHECKOUT_WARMUP%s}" != 0 ] && SBS_SEED=7 DURATION=$CHECKOUT_WARMUP wrk_run "$SBS/mix.lua" "http://127.0.0.1:${PORT[$sys]}"
    local admin; admin=$(admin_port "$sys"); [ -n "$admin" ] && curl -fs "http://127.0.0.1:$admin/metrics" >"$SBS_RUN/m0"
    GATED=1 begin "$sys"
    taskset -c "$LOAD_CPU" timeout 300 python3 "$SBS/checkout.py" 127.0.0.1 "${PORT[$sys]}" "$DURATION_S" "$CHECKOUT_BUYERS" \
      "$ids" >"$SBS_RUN/$scen-$sys.out" 2>&1 &
    cpid=$!
    SBS_PAUSE_MS=$pause wrk_run "$SBS/mix.lua" "http://127.0.0.1:${PORT[$sys]}"
    wait "$cpid"
    end "$sys"
    read -r _ att orders insuff errs dups cp50 cp95 cp99 _ <<<"$(grep '^CHECKOUT' "$SBS_RUN/$scen-$sys.out")"
    [ -n "${cp99:-}" ] || { log "checkout buyers failed: $(tail -3 "$SBS_RUN/$scen-$sys.out")"; att=0 orders=0 insuff=0 errs=-1 dups=-1 cp50=0 cp95=0 cp99=0; }
    sold=$(psql "$DATABASE_URL" -Atc "SELECT coalesce(sum(i.quantity), 0) FROM order_line_item i JOIN \"order\" o ON o.id = i.order_id
      WHERE o.display_id > $o0 AND i.product_id IN ($list)")
    left=$(psql "$DATABASE_URL" -Atc "SELECT sum(stock) FROM product WHERE id IN ($list)")
    local dbdup; dbdup=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM (SELECT cart_id FROM \"order\" WHERE display_id > $o0
      GROUP BY cart_id HAVING count(*) > 1) d")
    local oversells=$(( sold > 10 * CHECKOUT_STOCK ? sold - 10 * CHECKOUT_STOCK : 0 ))
    extra="load_cpu=$LOAD_PCT origin_cpu=$ORIGIN_PCT listen_overflows=$OVERFLOWS warmup=$CHECKOUT_WARMUP pause_ms=$pause seconds=$DURATION_S buyers=$CHECKOUT_BUYERS stock=$CHECKOUT_STOCK attempts=$att orders=$orders insufficient=$insuff checkout_errors=$errs"
    extra+=" duplicates=$dups db_duplicate_carts=$dbdup oversells=$oversells stock_mismatch=$(( 10 * CHECKOUT_STOCK - left - sold )) sold=$sold stock_left=$left complete_p50=$cp50 complete_p95=$cp95 complete_p99=$cp99"
    extra+=$(proxy_quantiles "$sys" "$SBS_RUN/m0" "$SBS_RUN/m1")
    row "$scen" "$sys" "$cell" "$R_RPS" "$R_P50" "$R_P95" "$R_P99" "$R_P999" "$R_ERR" "$R_REQ" "$UP" "$CPU_PCT" "$RSS_MIB" "$OTHER_PCT" "$extra"
  done
}
scenario_checkout() { checkout_cells checkout "mix + checkout" 0; }
scenario_checkout_paced() { checkout_cells checkout_paced "paced mix + checkout" "$PACED_PAUSE_MS"; }
