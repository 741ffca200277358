/// The admin port's `/`: one self-contained page (no external assets) that polls
/// `/stats.json` every second and renders it. Every figure is an element with a
/// `data-stat` path into the document (`/` separates levels, since counter names contain
/// dots) and a `data-format`; `body[data-updates]` counts successful refreshes, which is how
/// the headless-browser test knows the page has data.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catalog-cache</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --line:#2a3540; --text:#d8dee6; --dim:#8a96a3; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --hit:#3fb950; --stale:#a371f7; --miss:#d29922; --coalesced:#58a6ff; --bypass:#8a96a3; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 "DejaVu Sans", system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:baseline; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); flex-wrap:wrap; }
  header h1 { margin:0; font-size:18px; }
  header .meta { color:var(--dim); font-size:12px; }
  #status { margin-left:auto; font-size:12px; color:var(--dim); }
  #status.error { color:var(--bad); font-weight:bold; }
  main { display:grid; grid-template-columns:repeat(auto-fill, minmax(330px, 1fr)); gap:14px; padding:16px 20px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:12px 14px; }
  section.wide { grid-column:1 / -1; }
  h2 { margin:0 0 8px; font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); }
  .big { display:flex; gap:22px; flex-wrap:wrap; }
  .big div { min-width:110px; }
  .big b { display:block; font-size:28px; font-weight:600; font-variant-numeric:tabular-nums; }
  .big span { color:var(--dim); font-size:12px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:right; padding:3px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th:first-child, td:first-child { text-align:left; }
  th { color:var(--dim); font-weight:normal; font-size:12px; }
  td.key { font-family:"DejaVu Sans Mono", monospace; font-size:12px; max-width:520px; overflow:hidden; text-overflow:ellipsis; }
  .pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:bold; background:var(--line); }
  .pill.ok { background:#1f3d2a; color:var(--ok); } .pill.warn { background:#3d321a; color:var(--warn); } .pill.bad { background:#3d1f1f; color:var(--bad); }
  .sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
  canvas { width:100%; height:140px; display:block; }
  .dim { color:var(--dim); }
</style>
</head>
<body data-updates="0">
<header>
  <h1>catalog-cache</h1>
  <span class="meta">upstream <span data-stat="instance/upstream" data-format="text">–</span> · store <span data-stat="instance/store" data-format="text">–</span> · up <span data-stat="uptime_s" data-format="duration">–</span></span>
  <span id="status">connecting…</span>
</header>
<main>
  <section class="wide">
    <h2>Now</h2>
    <div class="big">
      <div><b data-stat="hit_ratio" data-format="pct">–</b><span>hit ratio (since start)</span></div>
      <div><b data-stat="hit_ratio_10s" data-format="pct">–</b><span>hit ratio (10 s)</span></div>
      <div><b data-stat="rates_1s/requests.total" data-format="rate">–</b><span>requests/s</span></div>
      <div><b data-stat="latency_ms/all/p50" data-format="ms">–</b><span>p50 ms</span></div>
      <div><b data-stat="latency_ms/all/p99" data-format="ms">–</b><span>p99 ms</span></div>
      <div><b data-stat="rates_1s/feed.notifications" data-format="rate">–</b><span>invalidations/s</span></div>
      <div><b data-stat="gauges/connections.open" data-format="int">–</b><span>open connections</span></div>
    </div>
  </section>
  <section class="wide">
    <h2>Requests per second by outcome (last 2 minutes)</h2>
    <canvas id="chart" width="1200" height="140"></canvas>
  </section>
  <section>
    <h2>Requests by outcome</h2>
    <table>
      <tr><th>outcome</th><th>total</th><th>per s</th><th>per s (10 s)</th></tr>
      <tr><td><span class="sw" style="background:var(--hit)"></span>hit</td><td data-stat="counters/requests.hit" data-format="int">–</td><td data-stat="rates_1s/requests.hit" data-format="rate">–</td><td data-stat="rates_10s/requests.hit" data-format="rate">–</td></tr>
      <tr><td><span class="sw" style="background:var(--stale)"></span>stale</td><td data-stat="counters/requests.stale" data-format="int">–</td><td data-stat="rates_1s/requests.stale" data-format="rate">–</td><td data-stat="rates_10s/requests.stale" data-format="rate">–</td></tr>
      <tr><td><span class="sw" style="background:var(--miss)"></span>miss</td><td data-stat="counters/requests.miss" data-format="int">–</td><td data-stat="rates_1s/requests.miss" data-format="rate">–</td><td data-stat="rates_10s/requests.miss" data-format="rate">–</td></tr>
      <tr><td><span class="sw" style="background:var(--coalesced)"></span>coalesced</td><td data-stat="counters/requests.coalesced" data-format="int">–</td><td data-stat="rates_1s/requests.coalesced" data-format="rate">–</td><td data-stat="rates_10s/requests.coalesced" data-format="rate">–</td></tr>
      <tr><td><span class="sw" style="background:var(--bypass)"></span>bypass</td><td data-stat="counters/requests.bypass" data-format="int">–</td><td data-stat="rates_1s/requests.bypass" data-format="rate">–</td><td data-stat="rates_10s/requests.bypass" data-format="rate">–</td></tr>
      <tr><td>shed (overloaded, 503)</td><td data-stat="counters/requests.shed" data-format="int">–</td><td data-stat="rates_1s/requests.shed" data-format="rate">–</td><td data-stat="rates_10s/requests.shed" data-format="rate">–</td></tr>
      <tr><td>5xx responses</td><td data-stat="counters/responses.5xx" data-format="int">–</td><td data-stat="rates_1s/responses.5xx" data-format="rate">–</td><td data-stat="rates_10s/responses.5xx" data-format="rate">–</td></tr>
    </table>
  </section>
  <section>
    <h2>Latency (ms, whole request)</h2>
    <table>
      <tr><th>outcome</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th></tr>
      <tr><td>all</td><td data-stat="latency_ms/all/p50" data-format="ms">–</td><td data-stat="latency_ms/all/p90" data-format="ms">–</td><td data-stat="latency_ms/all/p99" data-format="ms">–</td><td data-stat="latency_ms/all/p999" data-format="ms">–</td></tr>
      <tr><td>hit</td><td data-stat="latency_ms/hit/p50" data-format="ms">–</td><td data-stat="latency_ms/hit/p90" data-format="ms">–</td><td data-stat="latency_ms/hit/p99" data-format="ms">–</td><td data-stat="latency_ms/hit/p999" data-format="ms">–</td></tr>
      <tr><td>stale</td><td data-stat="latency_ms/stale/p50" data-format="ms">–</td><td data-stat="latency_ms/stale/p90" data-format="ms">–</td><td data-stat="latency_ms/stale/p99" data-format="ms">–</td><td data-stat="latency_ms/stale/p999" data-format="ms">–</td></tr>
      <tr><td>miss</td><td data-stat="latency_ms/miss/p50" data-format="ms">–</td><td data-stat="latency_ms/miss/p90" data-format="ms">–</td><td data-stat="latency_ms/miss/p99" data-format="ms">–</td><td data-stat="latency_ms/miss/p999" data-format="ms">–</td></tr>
      <tr><td>coalesced</td><td data-stat="latency_ms/coalesced/p50" data-format="ms">–</td><td data-stat="latency_ms/coalesced/p90" data-format="ms">–</td><td data-stat="latency_ms/coalesced/p99" data-format="ms">–</td><td data-stat="latency_ms/coalesced/p999" data-format="ms">–</td></tr>
      <tr><td>bypass</td><td data-stat="latency_ms/bypass/p50" data-format="ms">–</td><td data-stat="latency_ms/bypass/p90" data-format="ms">–</td><td data-stat="latency_ms/bypass/p99" data-format="ms">–</td><td data-stat="latency_ms/bypass/p999" data-format="ms">–</td></tr>
    </table>
  </section>
  <section>
    <h2>Upstream</h2>
    <p><span class="pill" data-stat="upstream/state" data-format="state">–</span></p>
    <table>
      <tr><td>requests</td><td data-stat="counters/upstream.requests" data-format="int">–</td></tr>
      <tr><td>errors</td><td data-stat="counters/upstream.errors" data-format="int">–</td></tr>
      <tr><td>errors/s (10 s)</td><td data-stat="rates_10s/upstream.errors" data-format="rate">–</td></tr>
      <tr><td>latency p50 / p99 ms</td><td><span data-stat="upstream/latency_ms/p50" data-format="ms">–</span> / <span data-stat="upstream/latency_ms/p99" data-format="ms">–</span></td></tr>
    </table>
    <div class="dim" id="upstream-errors"></div>
  </section>
  <section>
    <h2>Redis</h2>
    <p><span class="pill" data-stat="redis/state" data-format="state">–</span> circuit <span data-stat="redis/circuit" data-format="text">–</span></p>
    <table>
      <tr><td>commands</td><td data-stat="counters/redis.commands" data-format="int">–</td></tr>
      <tr><td>errors</td><td data-stat="counters/redis.errors" data-format="int">–</td></tr>
      <tr><td>circuit opens</td><td data-stat="counters/redis.circuit_opens" data-format="int">–</td></tr>
      <tr><td>latency p50 / p99 ms</td><td><span data-stat="redis/latency_ms/p50" data-format="ms">–</span> / <span data-stat="redis/latency_ms/p99" data-format="ms">–</span></td></tr>
      <tr><td>hot-tier hits</td><td data-stat="counters/store.hot_tier_hits" data-format="int">–</td></tr>
    </table>
  </section>
  <section>
    <h2>Invalidation feed</h2>
    <p><span class="pill" data-stat="feed/state" data-format="state">–</span></p>
    <table>
      <tr><td>notifications</td><td data-stat="counters/feed.notifications" data-format="int">–</td></tr>
      <tr><td>notifications/s (10 s)</td><td data-stat="rates_10s/feed.notifications" data-format="rate">–</td></tr>
      <tr><td>entries invalidated/s (10 s)</td><td data-stat="rates_10s/feed.entries_invalidated" data-format="rate">–</td></tr>
      <tr><td>commit → invalidated p50 ms</td><td data-stat="feed/commit_to_invalidated_ms/p50" data-format="ms">–</td></tr>
      <tr><td>commit → invalidated p99 ms</td><td data-stat="feed/commit_to_invalidated_ms/p99" data-format="ms">–</td></tr>
      <tr><td>reconnects</td><td data-stat="counters/feed.reconnects" data-format="int">–</td></tr>
    </table>
  </section>
  <section class="wide">
    <h2>Admin events <span class="dim">(live, newest first; <span data-stat="admin_events/subscribers" data-format="int">–</span> streams open on GET /admin/events)</span></h2>
    <table id="events"><tr><th>id</th><th>event</th><th>data</th></tr></table>
    <h2>Hottest keys <span class="dim">(sampled 1 in <span data-stat="hot_keys/sample_every" data-format="int">–</span> requests; counts halve every 10 s)</span></h2>
    <table id="hot"><tr><th>key</th><th>≈ requests</th><th>samples</th></tr></table>
  </section>
</main>
<script>
"use strict";
const OUTCOMES = ["hit", "stale", "miss", "coalesced", "bypass"];
const history = [];
function lookup(doc, path) {
  let v = doc;
  for (const part of path.split("/")) { if (v === null || v === undefined) return undefined; v = v[part]; }
  return v;
}
function format(v, kind) {
  if (v === null || v === undefined) return "–";
  switch (kind) {
    case "int": return Math.round(v).toLocaleString("en-US");
    case "rate": return v.toFixed(1);
    case "pct": return (v * 100).toFixed(1) + " %";
    case "ms": return v.toFixed(3);
    case "duration": { const s = Math.floor(v); return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m " + (s % 60) + "s"; }
    default: return String(v);
  }
}
function pillClass(v) { return v === "ok" || v === "listening" ? "ok" : v === "disabled" || v === "connecting" ? "warn" : "bad"; }
function render(doc) {
  for (const el of document.querySelectorAll("[data-stat]")) {
    const v = lookup(doc, el.dataset.stat);
    const kind = el.dataset.format;
    el.textContent = format(v, kind);
    if (kind === "state") el.className = "pill " + pillClass(v);
  }
  const errors = Object.entries(doc.upstream.errors_by_kind || {}).map(([k, n]) => k + ": " + n).join(", ");
  document.getElementById("upstream-errors").textContent = errors ? "by kind: " + errors : "";
  const table = document.getElementById("hot");
  while (table.rows.length > 1) table.deleteRow(1);
  for (const item of doc.hot_keys.keys) {
    const row = table.insertRow();
    row.dataset.hotKey = item.key;
    const k = row.insertCell(); k.className = "key"; k.textContent = item.key; k.title = item.key;
    row.insertCell().textContent = item.estimated_requests.toLocaleString("en-US");
    row.insertCell().textContent = item.samples;
  }
  const events = document.getElementById("events");
  while (events.rows.length > 1) events.deleteRow(1);
  for (const item of (doc.admin_events || {}).recent || []) {
    const row = events.insertRow();
    row.dataset.eventId = item.id;
    row.dataset.event = item.event;
    row.insertCell().textContent = item.id;
    row.insertCell().textContent = item.event;
    const d = row.insertCell(); d.className = "key"; d.textContent = item.data;
  }
  history.push(OUTCOMES.map(o => (doc.rates_1s || {})["requests." + o] || 0));
  if (history.length > 120) history.shift();
  draw();
}
function draw() {
  const canvas = document.getElementById("chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const totals = history.map(r => r.reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const styles = getComputedStyle(document.documentElement);
  const step = w / 120;
  history.forEach((row, i) => {
    let y = h;
    row.forEach((v, j) => {
      const bar = v / max * (h - 16);
      ctx.fillStyle = styles.getPropertyValue("--" + OUTCOMES[j]).trim();
      ctx.fillRect(w - (history.length - i) * step, y - bar, Math.max(step - 1, 1), bar);
      y -= bar;
    });
  });
  ctx.fillStyle = styles.getPropertyValue("--dim").trim();
  ctx.font = "12px DejaVu Sans, sans-serif";
  ctx.fillText("max " + max.toFixed(0) + " req/s", 4, 12);
}
async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/stats.json", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
    document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
    status.className = "";
    status.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    status.className = "error";
    status.textContent = "cannot read /stats.json: " + e.message;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
"""#
}
