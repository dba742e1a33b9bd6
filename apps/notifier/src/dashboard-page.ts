/**
 * The live dashboard: one self-contained page (no build step, no CDN: uPlot is served from
 * node_modules under /assets). It loads the read model from `/v1/dashboard/state`, then follows
 * socket.io pushes for every cluster.
 *
 * Each GPU panel has one chart of the last minutes of event time: per VM, predicted slowdown
 * dashed (a step: a prediction holds until the next) and observed solid, in the VM's colour, with
 * a vertical line per alert coloured by kind. The charts are kept across renders and fed with
 * `setData`; a panel's chart is rebuilt only when its VMs change. `window.vgpuDashboard` exposes the
 * uPlot instances and their data for the browser tests.
 *
 * A placement suggestion shows twice: in the feed as a card (the move, before → after per affected
 * VM, the twin's reason), and on the moving VM's row while the alert it answers is open. A
 * predicted_interference alert's card shows the scheduler, residual, hybrid and share-arithmetic
 * numbers it was raised on.
 *
 * Above the GPUs, the alert lifecycle: open incidents with their alerts (state, who acknowledged,
 * what explains an inhibited one), acknowledge and silence forms, and the active silences. The
 * socket's `snapshot` seeds it and `lifecycle` events (each carrying the full view of what changed)
 * keep it; the page remembers the last offset of each stream so that a reconnect resumes where it
 * left off instead of taking a new snapshot. The History tab queries `GET /v1/alerts` and shows an
 * alert's transitions. Everything data-driven in these parts is built with textContent. With
 * `?token=` every request and the socket's handshake carry the token.
 */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vgpu-twin — live</title>
<link rel="stylesheet" href="/assets/uplot.min.css">
<style>
  :root { --bg:#0f1419; --panel:#182028; --line:#2a3440; --text:#e6e9ee; --dim:#8b97a6; --ok:#3fb950; --warn:#d29922; --crit:#f85149; --pred:#58a6ff; --predalert:#bc8cff; --fb:#ff9b50; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { padding:12px 20px; border-bottom:1px solid var(--line); display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  #conn { color:var(--dim); font-size:12px; }
  #model { font:12px ui-monospace, monospace; color:var(--pred); border:1px solid var(--line); border-radius:4px; padding:1px 6px; }
  main { display:grid; grid-template-columns: 1fr 380px; gap:16px; padding:16px 20px; }
  .gpus { display:grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap:12px; align-content:start; }
  .gpu { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; min-width:0; }
  .gpu h2 { font-size:13px; margin:0 0 6px; display:flex; justify-content:space-between; }
  .gpu h2 span { color:var(--dim); font-weight:normal; }
  .chart { min-height:140px; }
  .key { font-size:11px; color:var(--dim); min-height:15px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .key i { display:inline-block; width:10px; height:2px; vertical-align:middle; margin:0 3px 0 8px; }
  .key i.dash { width:14px; border-top:2px dashed var(--dim); height:0; background:none; } .key i.solid { background:var(--dim); }
  .key i.mk { width:2px; height:10px; }
  table { width:100%; border-collapse:collapse; font-size:12px; }
  td, th { padding:3px 4px; text-align:left; border-top:1px solid var(--line); vertical-align:top; }
  th { color:var(--dim); font-weight:normal; }
  td.num { text-align:right; font-variant-numeric: tabular-nums; }
  tr.alerting td { background: rgba(248,81,73,.12); }
  .sw { display:inline-block; width:8px; height:8px; border-radius:2px; margin-right:4px; }
  .parts { display:block; color:var(--dim); font-size:10.5px; white-space:nowrap; }
  .badge { display:inline-block; font-size:10px; padding:0 4px; margin-left:4px; border-radius:3px; border:1px solid var(--warn); color:var(--warn); }
  .bar { height:6px; background:var(--line); border-radius:3px; position:relative; min-width:50px; margin:3px 0; }
  .bar i { position:absolute; left:0; top:0; bottom:0; border-radius:3px; }
  .feed { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; max-height: calc(100vh - 90px); overflow:auto; }
  .feed h2 { font-size:14px; margin:0 0 8px; }
  .item { border-left:3px solid var(--dim); padding:4px 8px; margin:0 0 8px; font-size:12px; }
  .item.critical { border-color:var(--crit); } .item.warning { border-color:var(--warn); } .item.resolved { border-color:var(--ok); } .item.suggestion { border-color:var(--pred); }
  .item[data-kind="predicted_interference"] { border-color:var(--predalert); }
  .item time { color:var(--dim); display:block; }
  .item .move { font-weight:600; } .item .move .arrow { color:var(--pred); }
  .item table.affected { margin:4px 0; } .item tr.mover td { color:var(--pred); }
  .item .gain, .item .reason { display:block; color:var(--dim); } .item .reason { margin:4px 0 0; }
  .item .numbers { display:flex; flex-wrap:wrap; gap:4px 12px; margin:4px 0 0; color:var(--dim); }
  .item .numbers b { color:var(--text); font-variant-numeric: tabular-nums; }
  .hint { color:var(--pred); font-size:11px; }
  .empty { color:var(--dim); }
  [hidden] { display:none !important; }
  button { font:inherit; font-size:12px; color:var(--text); background:#21262d; border:1px solid var(--line); border-radius:4px; padding:1px 8px; cursor:pointer; }
  button:hover { border-color:var(--dim); } button:disabled { opacity:.5; cursor:default; }
  button.primary { background:#1f6f3a; border-color:#2ea043; }
  input, textarea, select { font:inherit; font-size:12px; color:var(--text); background:var(--bg); border:1px solid var(--line); border-radius:4px; padding:2px 6px; }
  textarea { font-family:ui-monospace, monospace; width:100%; resize:vertical; }
  label { color:var(--dim); font-size:11px; }
  nav.tabs { margin-left:auto; display:flex; gap:4px; }
  nav.tabs button { padding:3px 12px; font-size:13px; background:none; }
  nav.tabs button[aria-selected="true"] { background:var(--panel); border-color:var(--pred); color:var(--pred); }
  .lifecycle { display:grid; grid-template-columns: 1fr 380px; gap:16px; padding:16px 20px 0; }
  .panel { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; min-width:0; }
  .panel h2 { font-size:14px; margin:0 0 8px; display:flex; gap:8px; align-items:baseline; }
  .panel h2 .count { color:var(--dim); font-weight:normal; font-size:12px; }
  .panel h2 button { margin-left:auto; }
  .incidents { display:grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap:10px 16px; }
  .incident { border-left:3px solid var(--warn); padding:2px 0 2px 10px; font-size:12px; min-width:0; }
  .incident.critical { border-color:var(--crit); } .incident.info { border-color:var(--dim); }
  .incident .title { font-weight:600; font-size:13px; }
  .incident .meta { color:var(--dim); display:block; }
  .incident .suggestion { display:block; color:var(--pred); margin:2px 0; }
  .incident ul { list-style:none; margin:4px 0 0; padding:0; }
  .alert { border-top:1px solid var(--line); padding:4px 0; }
  .alert .line { display:flex; gap:6px; align-items:baseline; flex-wrap:wrap; }
  .alert .what { font-weight:600; } .alert .msg { flex:1 1 200px; min-width:0; }
  .alert .note { display:block; color:var(--dim); }
  .alert .actions { display:flex; gap:4px; margin-left:auto; }
  .state { display:inline-block; font-size:10.5px; padding:0 5px; border-radius:3px; border:1px solid var(--dim); color:var(--dim); white-space:nowrap; }
  .state.firing { color:var(--crit); border-color:var(--crit); } .state.acknowledged { color:var(--pred); border-color:var(--pred); }
  .state.silenced { color:var(--dim); border-color:var(--dim); } .state.inhibited { color:var(--predalert); border-color:var(--predalert); }
  .state.flapping { color:var(--warn); border-color:var(--warn); } .state.resolved { color:var(--ok); border-color:var(--ok); }
  .state.pending { color:var(--warn); border-color:var(--warn); }
  .inline-form { display:flex; flex-wrap:wrap; gap:4px 6px; align-items:center; margin:4px 0 0; }
  .stack-form { display:grid; gap:6px; margin:0 0 10px; padding:8px; border:1px solid var(--line); border-radius:4px; }
  .stack-form label { display:grid; gap:2px; } .stack-form .row { display:flex; gap:8px; align-items:end; flex-wrap:wrap; }
  .error { color:var(--crit); font-size:11px; }
  .silence { border-top:1px solid var(--line); padding:5px 0; font-size:12px; display:grid; grid-template-columns:1fr auto; gap:2px 8px; }
  .silence .matchers code { font:11px ui-monospace, monospace; background:var(--bg); border:1px solid var(--line); border-radius:3px; padding:0 4px; margin-right:4px; }
  .silence .meta { color:var(--dim); grid-column:1; }
  .silence .actions { grid-row:1 / span 2; grid-column:2; display:flex; gap:4px; align-items:start; }
  .history { padding:16px 20px; display:grid; gap:12px; }
  .filters { display:flex; flex-wrap:wrap; gap:8px 12px; align-items:end; }
  .filters label { display:grid; gap:2px; } .filters input[type=number] { width:5em; }
  .history-body { display:grid; grid-template-columns: minmax(0, 1fr) 480px; gap:16px; align-items:start; }
  .history-body .panel { overflow-x:auto; }
  table.transitions td.at { color:var(--dim); font-variant-numeric: tabular-nums; width:6.5em; }
  table.transitions .change { display:block; color:var(--dim); }
  #history-rows tr { cursor:pointer; } #history-rows tr:hover td { background:rgba(88,166,255,.06); }
  #history-rows tr[aria-selected="true"] td { background:rgba(88,166,255,.14); }
  td.id { white-space:nowrap; }
  td.ts { white-space:nowrap; font-variant-numeric: tabular-nums; color:var(--dim); }
  #history-detail h3 { font-size:13px; margin:0 0 4px; word-break:break-all; }
  #history-detail .labels { color:var(--dim); font-size:11px; margin:0 0 6px; }
</style>
</head>
<body>
<header><h1>vgpu-twin</h1><span id="summary" class="empty">loading…</span><span id="model" title="the model named by the latest prediction">model: —</span><span id="conn">connecting…</span>
<nav class="tabs" role="tablist"><button type="button" role="tab" id="tab-live" aria-selected="true" aria-controls="view-live">Live</button><button type="button" role="tab" id="tab-history" aria-selected="false" aria-controls="view-history">History</button></nav></header>
<div id="view-live" role="tabpanel" aria-labelledby="tab-live">
<section class="lifecycle" aria-label="alert lifecycle">
  <div class="panel" id="incidents-panel"><h2>Incidents <span class="count" id="incident-count"></span></h2><p class="empty" id="no-incidents">No open incidents.</p><div class="incidents" id="incidents" aria-label="open incidents"></div></div>
  <div class="panel" id="silences-panel"><h2>Active silences <span class="count" id="silence-count"></span><button type="button" id="new-silence">New silence</button></h2>
    <form id="silence-form" class="stack-form" aria-label="new silence" hidden>
      <label>matchers, one per line (name=value, name!=value, name=~regex, name!~regex)<textarea name="matchers" rows="3" spellcheck="false" required></textarea></label>
      <div class="row"><label>duration<input name="duration" value="2h" size="5" required></label><label>author<input name="author" size="12" required autocomplete="username"></label></div>
      <label>comment<input name="comment"></label>
      <div class="row"><button type="submit" class="primary">Create silence</button><button type="button" name="cancel">Cancel</button><span class="error" role="alert"></span></div>
    </form>
    <p class="empty" id="no-silences">No active silences.</p><div id="silences" aria-label="active silences"></div></div>
</section>
<main>
  <section class="gpus" id="gpus" aria-label="GPUs"><p class="empty" id="no-gpus">No GPUs registered yet.</p></section>
  <aside class="feed"><h2>Alerts and suggestions</h2><div id="feed" aria-label="alert feed"><p class="empty">No alerts yet.</p></div></aside>
</main>
</div>
<section id="view-history" class="history" role="tabpanel" aria-labelledby="tab-history" hidden>
  <form id="history-filters" class="filters" aria-label="history filters">
    <label>state<select name="state"><option value="">any</option><option value="firing,acknowledged,silenced,inhibited,flapping">not resolved</option><option value="firing">firing</option><option value="acknowledged">acknowledged</option><option value="silenced">silenced</option><option value="inhibited">inhibited</option><option value="flapping">flapping</option><option value="resolved">resolved</option></select></label>
    <label>kind<select name="kind"><option value="">any</option><option value="interference">interference</option><option value="predicted_interference">predicted_interference</option><option value="drift">drift</option><option value="framebuffer">framebuffer</option><option value="model_stale">model_stale</option></select></label>
    <label>vm<input name="vm" size="10"></label>
    <label>gpu<input name="gpu" size="10"></label>
    <label>since (UTC)<input name="since" type="datetime-local" step="1"></label>
    <label>until (UTC)<input name="until" type="datetime-local" step="1"></label>
    <label>per page<input name="limit" type="number" min="1" max="1000" value="50"></label>
    <button type="submit" class="primary">Search</button><span class="error" role="alert"></span>
  </form>
  <div class="history-body">
    <div class="panel"><table id="history-table"><thead><tr><th>started</th><th>state</th><th>kind</th><th>VM</th><th>GPU</th><th>message</th><th>ended</th><th>acknowledged</th></tr></thead><tbody id="history-rows"></tbody></table>
      <p class="empty" id="history-status">Search to list alerts.</p><button type="button" id="history-more" hidden>Load more</button></div>
    <div class="panel" id="history-detail" aria-label="alert transitions"><p class="empty">Select an alert to see its transitions.</p></div>
  </div>
</section>
<script src="/assets/uplot.iife.min.js"></script>
<script src="/socket.io/socket.io.js"></script>
<script>
(function () {
  var token = new URLSearchParams(location.search).get('token') || undefined;
  var state = { gpus: new Map(), vms: new Map(), feed: [], model: null, now: null, minutes: 10 };
  /** Colours of a GPU's VMs, in its VM order; distinct on the dark background. */
  var PALETTE = ['#58a6ff', '#f0883e', '#3fb950', '#db61a2', '#e3b341', '#39c5cf'];
  var KIND = { interference: '#f85149', predicted_interference: '#bc8cff', drift: '#d29922', framebuffer: '#ff9b50', model_stale: '#8b97a6' };
  var RESOLVED = '#3fb950';
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]; }); }
  function fmt(x) { return x == null ? '—' : Number(x).toFixed(2) + '×'; }
  function signed(x) { return x == null ? '—' : (x >= 0 ? '+' : '−') + Math.abs(Number(x)).toFixed(2); }
  function bar(x, color) { var w = x == null ? 0 : Math.min(100, (x - 1) / 3 * 100); return '<div class="bar"><i style="width:' + Math.max(2, w) + '%;background:' + color + '"></i></div>'; }
  function emptyTimeline() { return { t: [], predicted: [], observed: [] }; }

  /** Open suggestions by moving VM: those whose alert is still raised on some VM. */
  function openMoves() {
    var open = {}; state.vms.forEach(function (v) { if (v.alert) open[v.alert.alertId] = true; });
    var moves = {};
    state.feed.forEach(function (e) { if (e.type === 'placement.suggested' && e.data.alertId && open[e.data.alertId] && !moves[e.data.vmId]) moves[e.data.vmId] = e.data; });
    return moves;
  }

  // ---- charts ----
  var panels = new Map(); // gpuId → { el, chart, sig, vmIds }
  var windowSec = function () { return state.minutes * 60; };
  var nowSec = function () { return state.now == null ? null : state.now / 1000; };

  /**
   * One x axis for a GPU's VMs: the union of their times, plus event-time now so a prediction's
   * step reaches the right edge. Predicted carries within each VM; observed is null between points.
   */
  function chartData(vmIds) {
    var set = {}, xs = [];
    vmIds.forEach(function (id) { var v = state.vms.get(id); if (v) v.timeline.t.forEach(function (t) { set[t] = true; }); });
    if (state.now != null) set[Math.floor(state.now / 1000) * 1000] = true;
    Object.keys(set).forEach(function (k) { xs.push(Number(k)); });
    xs.sort(function (a, b) { return a - b; });
    var data = [xs.map(function (t) { return t / 1000; })];
    vmIds.forEach(function (id) {
      var tl = (state.vms.get(id) || {}).timeline || emptyTimeline();
      var pred = [], obs = [], j = 0, cur = null;
      xs.forEach(function (t) {
        while (j < tl.t.length && tl.t[j] < t) { cur = tl.predicted[j]; j++; }
        if (j < tl.t.length && tl.t[j] === t) { cur = tl.predicted[j]; pred.push(cur); obs.push(tl.observed[j]); }
        else { pred.push(cur); obs.push(null); }
      });
      data.push(pred, obs);
    });
    return data;
  }

  function drawMarkers(u, panel) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, drawn = [];
    var lo = u.scales.x.min, hi = u.scales.x.max, dpr = devicePixelRatio || 1;
    ctx.save();
    panel.vmIds.forEach(function (id, i) {
      var v = state.vms.get(id); if (!v) return;
      (v.markers || []).forEach(function (m) {
        var s = m.t / 1000; if (s < lo || s > hi) return;
        var x = Math.round(u.valToPos(s, 'x', true)) + 0.5;
        ctx.strokeStyle = m.state === 'resolved' ? RESOLVED : (KIND[m.kind] || '#8b97a6');
        ctx.lineWidth = 1.5 * dpr;
        ctx.setLineDash(m.state === 'resolved' ? [3 * dpr, 3 * dpr] : []);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
        ctx.fillStyle = PALETTE[i % PALETTE.length]; // which VM: a tab in its colour
        ctx.fillRect(x - 3 * dpr, top, 6 * dpr, 5 * dpr);
        drawn.push({ vmId: id, alertId: m.alertId, kind: m.kind, state: m.state, x: x / dpr });
      });
    });
    ctx.restore();
    panel.markers = drawn;
    panel.el.querySelector('.chart').setAttribute('data-markers', String(drawn.length));
  }

  /** The key line doubles as the hover readout: the values under the cursor, per VM. */
  function readout(panel, idx) {
    var el = panel.el.querySelector('.key');
    var u = panel.chart;
    if (idx == null || !u) { el.innerHTML = KEY; return; }
    var t = new Date(u.data[0][idx] * 1000).toISOString().slice(11, 19);
    el.textContent = t + ' · ' + panel.vmIds.map(function (id, i) {
      return id + ' pred ' + fmt(u.data[1 + 2 * i][idx]) + ' obs ' + fmt(u.data[2 + 2 * i][idx]);
    }).join(' · ');
  }

  function makeChart(panel) {
    var host = panel.el.querySelector('.chart');
    host.innerHTML = '';
    var series = [{}];
    panel.vmIds.forEach(function (id, i) {
      var c = PALETTE[i % PALETTE.length];
      series.push({ label: id + ' predicted', stroke: c, width: 1.5, dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
      series.push({ label: id + ' observed', stroke: c, width: 2, spanGaps: true, points: { size: 4, fill: c } });
    });
    var axis = { stroke: '#8b97a6', grid: { stroke: '#2a3440', width: 1 }, ticks: { stroke: '#2a3440', width: 1 }, font: '11px system-ui, sans-serif' };
    panel.chart = new uPlot({
      width: Math.max(200, host.clientWidth), height: 140,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: {
        x: { time: true, range: function (u, min, max) { var n = nowSec(); return n == null ? [min, max] : [n - windowSec(), n]; } },
        y: { range: function (u, min, max) {
          if (min == null || max == null) return [0.9, 2];
          return [Math.min(0.9, min - 0.1), Math.max(2, max + 0.2)];
        } },
      },
      axes: [Object.assign({}, axis, { space: 70, size: 24, values: function (u, vals) { return vals.map(function (v) { return new Date(v * 1000).toISOString().slice(11, 16); }); } }), Object.assign({}, axis, { size: 42, values: function (u, vals) { return vals.map(function (v) { return v.toFixed(1) + '×'; }); } })],
      series: series,
      hooks: {
        draw: [function (u) { drawMarkers(u, panel); }],
        setCursor: [function (u) { readout(panel, u.cursor.idx); }],
      },
    }, chartData(panel.vmIds), host);
  }

  function panelHead(g) { return esc(g.gpuId) + ' <span>' + esc(g.model) + ' · ' + esc(g.policy) + ' · ' + esc(g.hostId) + '</span>'; }
  var KEY = '<i class="dash"></i>predicted <i class="solid"></i>observed' +
    '<i class="mk" style="background:' + KIND.interference + '"></i>interference' +
    '<i class="mk" style="background:' + KIND.predicted_interference + '"></i>predicted interference' +
    '<i class="mk" style="background:' + KIND.drift + '"></i>drift' +
    '<i class="mk" style="background:' + RESOLVED + '"></i>resolved';

  function rowHtml(id, i, moves) {
    var v = state.vms.get(id); if (!v) return '';
    var color = v.alert ? 'var(--crit)' : 'var(--ok)';
    var c = v.components;
    var parts = c ? '<span class="parts components" data-scheduler="' + c.scheduler + '" data-residual="' + c.residual + '" title="the scheduler model + the learned residual">' + fmt(c.scheduler) + (c.residual < 0 ? ' − ' : ' + ') + Math.abs(c.residual).toFixed(2) + '</span>' : '';
    var naive = v.shareArithmetic != null ? '<span class="parts share-arithmetic" data-share-arithmetic="' + v.shareArithmetic + '" title="the naive share arithmetic (demand ÷ GPU-time share)">share arith ' + fmt(v.shareArithmetic) + '</span>' : '';
    return '<tr data-vm="' + esc(id) + '" class="' + (v.alert ? 'alerting' : '') + '"' + (v.model ? ' title="' + esc(v.model) + '"' : '') + '>' +
      '<td><i class="sw" style="background:' + PALETTE[i % PALETTE.length] + '"></i>' + esc(id) +
      (v.unprofiled ? '<span class="badge unprofiled" title="its workload was never profiled: the twin makes no prediction">unprofiled</span>' : '') +
      '<br><span class="empty">' + esc(v.workload) + '</span>' +
      (moves[id] ? '<br><span class="hint" data-suggested-to="' + esc(moves[id].toGpuId) + '">suggested: move to ' + esc(moves[id].toGpuId) + '</span>' : '') + '</td>' +
      '<td>' + esc(v.profile) + '</td>' +
      '<td class="num predicted">' + fmt(v.predictedSlowdown) + '</td>' +
      '<td class="num observed">' + fmt(v.observedSlowdown) + '</td>' +
      '<td class="num model-parts">' + parts + naive + '</td>' +
      '<td>' + bar(v.predictedSlowdown, 'var(--pred)') + bar(v.observedSlowdown, color) + '</td></tr>';
  }

  function render() {
    var moves = openMoves(), root = document.getElementById('gpus');
    document.getElementById('no-gpus').style.display = state.gpus.size ? 'none' : '';
    panels.forEach(function (p, id) { if (!state.gpus.has(id)) { if (p.chart) p.chart.destroy(); p.el.remove(); panels.delete(id); } });
    state.gpus.forEach(function (g) {
      var p = panels.get(g.gpuId);
      if (!p) {
        var el = document.createElement('div');
        el.className = 'gpu'; el.setAttribute('data-gpu', g.gpuId);
        el.innerHTML = '<h2></h2><div class="chart" data-chart-gpu="' + esc(g.gpuId) + '"></div><div class="key">' + KEY + '</div><table></table>';
        p = { el: el, chart: null, sig: null, vmIds: [], markers: [] };
        panels.set(g.gpuId, p);
      }
      root.appendChild(p.el); // keeps the panels in the read model's order
      p.el.querySelector('h2').innerHTML = panelHead(g);
      var vmIds = g.vms.filter(function (id) { return state.vms.has(id); });
      p.el.querySelector('table').innerHTML = '<tr><th>VM</th><th>profile</th><th>predicted</th><th>observed</th><th title="the parts of the prediction, and the naive share arithmetic">sched. + residual</th><th></th></tr>' +
        vmIds.map(function (id, i) { return rowHtml(id, i, moves); }).join('');
      var sig = vmIds.join(',');
      if (p.sig !== sig || !p.chart) { if (p.chart) p.chart.destroy(); p.sig = sig; p.vmIds = vmIds; makeChart(p); }
      else p.chart.setData(chartData(vmIds));
    });
    var active = 0; state.vms.forEach(function (v) { if (v.alert) active++; });
    document.getElementById('summary').textContent = state.gpus.size + ' GPUs · ' + state.vms.size + ' VMs · ' + active + ' active alerts';
    document.getElementById('model').textContent = 'model: ' + (state.model || '—');
    document.getElementById('feed').innerHTML = state.feed.length ? state.feed.map(feedItem).join('') : '<p class="empty">No alerts yet.</p>';
  }
  function resizeCharts() {
    panels.forEach(function (p) { if (p.chart) p.chart.setSize({ width: Math.max(200, p.el.querySelector('.chart').clientWidth), height: 140 }); });
  }
  addEventListener('resize', resizeCharts);

  // ---- feed ----
  function predictedNumbers(d) {
    var x = (d.evidence && d.evidence.details) || {};
    function n(key, label, text) { return x[key] == null ? '' : '<span data-n="' + key + '" data-value="' + esc(x[key]) + '">' + label + ' <b>' + text + '</b></span>'; }
    return '<span class="numbers">' + n('scheduler', 'scheduler', fmt(x.scheduler)) + n('residual', 'residual', signed(x.residual)) +
      n('hybrid', 'hybrid', fmt(x.hybrid)) + n('shareArithmetic', 'share arithmetic', fmt(x.shareArithmetic)) + '</span>';
  }
  function feedItem(e) {
    var d = e.data, cls, text;
    if (e.type === 'alert.raised') {
      cls = d.severity; text = '<b>' + esc(d.kind) + '</b> on ' + esc(d.vmId) + ' (' + esc(d.gpuId) + '): ' + esc(d.message);
      if (d.kind === 'predicted_interference') text += predictedNumbers(d);
    }
    else if (e.type === 'alert.resolved') { cls = 'resolved'; text = '<b>resolved</b> ' + esc(d.vmId) + ': ' + esc(d.message); }
    else return suggestionItem(e);
    return '<div class="item ' + cls + '" data-alert-id="' + esc(d.alertId) + '" data-type="' + esc(e.type) + '" data-kind="' + esc(d.kind) + '"><time>' + esc(e.ts) + '</time>' + text + '</div>';
  }
  function suggestionItem(e) {
    var d = e.data, after = {};
    d.after.forEach(function (a) { after[a.vmId] = a; });
    var rows = d.before.map(function (b) {
      var a = after[b.vmId] || b;
      return '<tr data-affected="' + esc(b.vmId) + '"' + (b.vmId === d.vmId ? ' class="mover"' : '') + '><td>' + esc(b.vmId) + '</td><td>' + esc(a.gpuId === b.gpuId ? b.gpuId : b.gpuId + ' → ' + a.gpuId) + '</td><td class="num before">' + fmt(b.slowdown) + '</td><td class="num after">' + fmt(a.slowdown) + '</td></tr>';
    }).join('');
    return '<div class="item suggestion" data-type="placement.suggested" data-suggestion-id="' + esc(d.suggestionId) + '" data-alert-id="' + esc(d.alertId || '') + '" data-vm="' + esc(d.vmId) + '" data-from="' + esc(d.fromGpuId) + '" data-to="' + esc(d.toGpuId) + '"><time>' + esc(e.ts) + '</time>' +
      '<b>suggested move</b>: <span class="move">' + esc(d.vmId) + ' ' + esc(d.fromGpuId) + ' <span class="arrow">→</span> ' + esc(d.toGpuId) + '</span>' +
      ' <span class="gain">gain ' + Number(d.gain).toFixed(2) + ' (summed slowdown, net of the migration cost)</span>' +
      '<table class="affected"><tr><th>VM</th><th>GPU</th><th>now</th><th>after</th></tr>' + rows + '</table>' +
      '<p class="reason">' + esc(d.reason) + '</p></div>';
  }

  // ---- the alert lifecycle: incidents, acknowledgements, silences ----
  // No backslash escapes in this script: it lives in a template literal.
  var NL = String.fromCharCode(10);
  /** An element whose text is set as text: data never reaches innerHTML. on<event> attributes become listeners. */
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    (kids || []).forEach(function (c) { if (c != null) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }
  /** JSON over HTTP with the page's token; rejects with the server's {"error"} message. */
  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!r.ok) {
          var m = json && (json.error || json.message);
          throw new Error(m ? (Array.isArray(m) ? m.join('; ') : String(m)) : r.status + ' ' + r.statusText);
        }
        return json;
      });
    });
  }
  var WHO = 'vgpu-twin.who';
  function who() { try { return localStorage.getItem(WHO) || ''; } catch (e) { return ''; } }
  function rememberWho(name) { try { localStorage.setItem(WHO, name); } catch (e) { /* private mode: not remembered */ } }
  function shortTs(ts) { return ts ? String(ts).replace('T', ' ').replace(/[.][0-9]+Z$/, 'Z') : '—'; }
  /** A span as 45s, 3m 20s, 2h 5m, 1d 4h. */
  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  }
  // The lifecycle's times (openedAt, acknowledged.at, a silence's ends) are the notifier's wall clock, not event time.
  function age(ts) { return span(Date.now() - Date.parse(ts)); }
  function matcherText(m) { return typeof m === 'string' ? m : m.name + m.op + m.value; }
  var SEVERITY = { info: 0, warning: 1, critical: 2 };

  var ops = {
    alerts: new Map(),    // alertId → AlertView
    incidents: new Map(), // incidentId → IncidentView, open ones
    silences: new Map(),  // silenceId → SilenceView, pending or active
    expired: {},          // silenceIds seen expiring: a slower GET must not bring them back
    positions: { alerts: null, lifecycle: null }, // the last offset seen on each stream
  };
  function seen(stream, pos) {
    if (pos && typeof pos.offset === 'number' && (ops.positions[stream] == null || pos.offset > ops.positions[stream])) ops.positions[stream] = pos.offset;
  }
  function putSilence(s) {
    if (s.state === 'expired') { ops.silences.delete(s.silenceId); ops.expired[s.silenceId] = true; }
    else if (!ops.expired[s.silenceId]) ops.silences.set(s.silenceId, s);
  }
  function putIncident(inc) { if (inc.status === 'open') ops.incidents.set(inc.incidentId, inc); else ops.incidents.delete(inc.incidentId); }
  /** The fold: every alert.*, incident.* and silence.* event carries the full view of what changed. */
  function applyLifecycle(e) {
    var d = e.data || {}, kind = String(e.type).split('.')[0];
    if (kind === 'alert' && d.alert) ops.alerts.set(d.alert.alertId, d.alert);
    else if (kind === 'incident' && d.incident) putIncident(d.incident);
    else if (kind === 'silence' && d.silence) putSilence(d.silence);
    // notification.*: the receivers' business, not the page's
  }
  function applySnapshot(s) {
    ops.alerts = new Map((s.alerts || []).map(function (a) { return [a.alertId, a]; }));
    ops.incidents = new Map();
    (s.incidents || []).forEach(putIncident);
    ops.silences = new Map();
    (s.silences || []).forEach(putSilence);
    if (s.positions) {
      ops.positions.alerts = typeof s.positions.alerts === 'number' ? s.positions.alerts : null;
      ops.positions.lifecycle = typeof s.positions.lifecycle === 'number' ? s.positions.lifecycle : null;
    }
  }
  function loadSilences() {
    return api('GET', '/v1/silences?state=active').then(function (r) {
      (r.silences || []).forEach(putSilence); silencesError = ''; laterAlerting();
    }, function (e) { silencesError = 'could not load the silences: ' + e.message; laterAlerting(); });
  }
  var silencesError = '';

  /**
   * Keeps one element per key in box, in the keys' order: made once, updated in place, moved
   * only when out of place (an open form keeps its text and focus while events re-render).
   */
  function reconcile(box, cache, keys, make, update) {
    var keep = {};
    keys.forEach(function (k, i) {
      keep[k] = true;
      var x = cache.get(k);
      if (!x) { x = make(k); cache.set(k, x); }
      update(x, k);
      if (box.children[i] !== x.el) box.insertBefore(x.el, box.children[i] || null);
    });
    cache.forEach(function (x, k) { if (!keep[k]) { x.el.remove(); cache.delete(k); } });
  }

  var incidentEls = new Map();
  function makeIncident(id) {
    var x = { alerts: new Map() };
    x.title = h('span', { class: 'title' });
    x.meta = h('span', { class: 'meta' });
    x.suggestion = h('span', { class: 'suggestion' });
    x.list = h('ul', { 'aria-label': 'alerts' });
    x.el = h('article', { class: 'incident', 'data-incident-id': id }, [x.title, x.meta, x.suggestion, x.list]);
    return x;
  }
  function updateIncident(x, id) {
    var inc = ops.incidents.get(id), sev = 0;
    inc.activeAlertIds.forEach(function (a) { var v = ops.alerts.get(a); if (v) sev = Math.max(sev, SEVERITY[v.labels.severity] || 0); });
    x.el.className = 'incident ' + ['info', 'warning', 'critical'][sev];
    x.title.textContent = inc.title;
    x.meta.textContent = inc.gpuId + ' · ' + inc.hostId + ' · ' + inc.clusterId + ' · open ' + age(inc.openedAt) +
      ' · ' + inc.activeAlertIds.length + ' of ' + inc.alertIds.length + ' alerts active';
    x.meta.title = 'opened ' + inc.openedAt;
    var s = inc.suggestion;
    x.suggestion.hidden = !s;
    x.suggestion.textContent = s ? 'suggested: move ' + s.vmId + ' ' + s.fromGpuId + ' → ' + s.toGpuId + ' (gain ' + Number(s.gain).toFixed(2) + ') — ' + s.reason : '';
    reconcile(x.list, x.alerts, inc.activeAlertIds, makeAlert, updateAlert);
  }

  function makeAlert(id) {
    var x = {};
    x.state = h('span', { class: 'state' });
    x.what = h('span', { class: 'what' });
    x.msg = h('span', { class: 'msg' });
    x.note = h('span', { class: 'note' });
    x.ackButton = h('button', { type: 'button', class: 'ack', onclick: function () { openAck(x); } }, ['Acknowledge']);
    x.silenceButton = h('button', { type: 'button', class: 'silence-button', onclick: function () { openSilence(ops.alerts.get(id)); } }, ['Silence']);
    x.by = h('input', { name: 'by', size: 10, placeholder: 'who', 'aria-label': 'who', autocomplete: 'username' });
    x.text = h('input', { name: 'note', size: 24, placeholder: 'note (optional)', 'aria-label': 'note' });
    x.submit = h('button', { type: 'submit', class: 'primary' }, ['Acknowledge']);
    x.error = h('span', { class: 'error', role: 'alert' });
    x.form = h('form', { class: 'ack-form inline-form', hidden: true, 'aria-label': 'acknowledge ' + id, onsubmit: function (ev) { ev.preventDefault(); acknowledge(id, x); } },
      [x.by, x.text, x.submit, h('button', { type: 'button', onclick: function () { x.form.hidden = true; x.error.textContent = ''; updateAlert(x, id); } }, ['Cancel']), x.error]);
    x.el = h('li', { class: 'alert', 'data-alert-id': id }, [
      h('div', { class: 'line' }, [x.state, x.what, x.msg, h('span', { class: 'actions' }, [x.ackButton, x.silenceButton])]), x.note, x.form]);
    return x;
  }
  function updateAlert(x, id) {
    var a = ops.alerts.get(id);
    if (!a) { x.el.setAttribute('data-state', 'unknown'); x.state.textContent = '…'; x.state.className = 'state'; x.msg.textContent = id; x.ackButton.hidden = x.silenceButton.hidden = true; return; }
    x.el.setAttribute('data-state', a.state);
    x.state.className = 'state ' + a.state;
    x.state.textContent = a.state;
    x.what.textContent = a.labels.kind + ' · ' + a.labels.vm;
    x.msg.textContent = a.message;
    var notes = [];
    if (a.state === 'inhibited' && a.inhibitedBy) notes.push('explained by ' + a.inhibitedBy);
    if (a.silencedBy && a.silencedBy.length) notes.push('silenced by ' + a.silencedBy.map(function (sid) {
      var s = ops.silences.get(sid);
      return s ? s.matchers.map(matcherText).join(', ') + ' (' + s.createdBy + ')' : sid;
    }).join('; '));
    if (a.flapping && a.state !== 'flapping') notes.push('flapping');
    if (a.acknowledged) notes.push('acknowledged by ' + a.acknowledged.by + (a.acknowledged.note ? ': ' + a.acknowledged.note : '') + ' (' + shortTs(a.acknowledged.at) + ')');
    x.note.textContent = notes.join(' · ');
    x.note.hidden = !notes.length;
    if (a.acknowledged || a.state === 'resolved') x.form.hidden = true;
    x.ackButton.hidden = !!a.acknowledged || a.state === 'resolved' || !x.form.hidden;
    x.silenceButton.hidden = a.state === 'resolved';
  }
  function openAck(x) {
    x.form.hidden = false; x.ackButton.hidden = true; x.error.textContent = '';
    if (!x.by.value) x.by.value = who();
    (x.by.value ? x.text : x.by).focus();
  }
  function acknowledge(id, x) {
    var by = x.by.value.trim();
    if (!by) { x.error.textContent = 'who is acknowledging?'; x.by.focus(); return; }
    rememberWho(by);
    x.submit.disabled = true; x.error.textContent = '';
    api('POST', '/v1/alerts/' + encodeURIComponent(id) + '/ack', { by: by, note: x.text.value.trim() }).then(function (r) {
      x.form.hidden = true; x.text.value = '';
      if (r && r.alert) ops.alerts.set(r.alert.alertId, r.alert);
      renderAlerting();
    }, function (e) { x.error.textContent = 'not acknowledged: ' + e.message; }).then(function () { x.submit.disabled = false; });
  }

  var silenceForm = document.getElementById('silence-form');
  var silenceError = silenceForm.querySelector('.error');
  /** Opens the silence form, for the alert's VM and kind when one is given. */
  function openSilence(a) {
    var f = silenceForm.elements;
    silenceForm.hidden = false; silenceError.textContent = '';
    if (a) { f.matchers.value = ['vm=' + a.labels.vm, 'kind=' + a.labels.kind].join(NL); f.duration.value = '2h'; f.comment.value = ''; }
    if (!f.duration.value) f.duration.value = '2h';
    if (!f.author.value) f.author.value = who();
    silenceForm.scrollIntoView({ block: 'nearest' });
    (f.author.value ? f.comment : f.author).focus();
  }
  document.getElementById('new-silence').addEventListener('click', function () { openSilence(null); });
  silenceForm.elements.cancel.addEventListener('click', function () { silenceForm.hidden = true; });
  silenceForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = silenceForm.elements, author = f.author.value.trim();
    var matchers = f.matchers.value.split(NL).map(function (l) { return l.trim(); }).filter(Boolean);
    if (!matchers.length) { silenceError.textContent = 'at least one matcher, e.g. vm=vm-3'; return; }
    if (!author) { silenceError.textContent = 'who is silencing?'; return; }
    rememberWho(author);
    var submit = silenceForm.querySelector('button[type=submit]');
    submit.disabled = true; silenceError.textContent = '';
    api('POST', '/v1/silences', { matchers: matchers, duration: f.duration.value.trim(), createdBy: author, comment: f.comment.value.trim() }).then(function (r) {
      silenceForm.hidden = true;
      if (r && r.silence) putSilence(r.silence);
      renderAlerting();
    }, function (e) { silenceError.textContent = 'not silenced: ' + e.message; }).then(function () { submit.disabled = false; });
  });

  var silenceEls = new Map();
  function makeSilence(id) {
    var x = {};
    x.matchers = h('span', { class: 'matchers' });
    x.meta = h('span', { class: 'meta' });
    x.by = h('input', { name: 'by', size: 8, placeholder: 'who', 'aria-label': 'who expires it', hidden: true });
    x.expire = h('button', { type: 'button', class: 'expire', onclick: function () { expire(id, x); } }, ['Expire']);
    x.error = h('span', { class: 'error', role: 'alert' });
    x.el = h('div', { class: 'silence', 'data-silence-id': id }, [x.matchers, h('span', { class: 'actions' }, [x.by, x.expire]), x.meta, x.error]);
    return x;
  }
  function updateSilence(x, id) {
    var s = ops.silences.get(id), n = 0;
    ops.alerts.forEach(function (a) { if (a.state !== 'resolved' && (a.silencedBy || []).indexOf(id) >= 0) n++; });
    x.el.setAttribute('data-state', s.state);
    x.matchers.textContent = '';
    if (s.state !== 'active') x.matchers.appendChild(h('span', { class: 'state ' + s.state, text: s.state }));
    s.matchers.forEach(function (m) { x.matchers.appendChild(h('code', { text: matcherText(m) })); });
    x.meta.textContent = (s.state === 'pending' ? 'from ' + shortTs(s.startsAt) + ' ' : '') + 'until ' + shortTs(s.endsAt) +
      ' (' + span(Date.parse(s.endsAt) - Date.now()) + ' left) · by ' + s.createdBy +
      (s.comment ? ' — ' + s.comment : '') + ' · ' + n + (n === 1 ? ' alert' : ' alerts') + ' silenced';
  }
  function expire(id, x) {
    var by = x.by.value.trim() || who();
    if (!by) { x.by.hidden = false; x.by.focus(); x.error.textContent = 'who expires it?'; return; }
    rememberWho(by);
    x.expire.disabled = true; x.error.textContent = '';
    api('DELETE', '/v1/silences/' + encodeURIComponent(id) + '?by=' + encodeURIComponent(by)).then(function (r) {
      putSilence(r && r.silence ? r.silence : { silenceId: id, state: 'expired' });
      renderAlerting();
    }, function (e) { x.error.textContent = 'not expired: ' + e.message; }).then(function () { x.expire.disabled = false; });
  }

  /** Open incidents, newest first, then the silences; resolved alerts no open incident shows are let go. */
  function renderAlerting() {
    var incidents = Array.from(ops.incidents.values()).sort(function (a, b) { return a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0; });
    var shown = {};
    incidents.forEach(function (i) { i.activeAlertIds.forEach(function (a) { shown[a] = true; }); });
    ops.alerts.forEach(function (a, id) { if (a.state === 'resolved' && !shown[id]) ops.alerts.delete(id); });
    reconcile(document.getElementById('incidents'), incidentEls, incidents.map(function (i) { return i.incidentId; }), makeIncident, updateIncident);
    document.getElementById('no-incidents').hidden = incidents.length > 0;
    document.getElementById('incident-count').textContent = incidents.length ? incidents.length + ' open' : '';
    var silences = Array.from(ops.silences.values()).sort(function (a, b) { return a.endsAt < b.endsAt ? -1 : a.endsAt > b.endsAt ? 1 : 0; });
    reconcile(document.getElementById('silences'), silenceEls, silences.map(function (s) { return s.silenceId; }), makeSilence, updateSilence);
    var none = document.getElementById('no-silences');
    none.hidden = silences.length > 0 && !silencesError;
    none.textContent = silencesError || 'No active silences.';
    none.className = silencesError ? 'error' : 'empty';
    document.getElementById('silence-count').textContent = silences.length ? String(silences.length) : '';
  }
  setInterval(renderAlerting, 5000); // ages and time left move on
  var alertingScheduled = false;
  /** Coalesces a burst (a resumed socket replays what it missed) into one render. */
  function laterAlerting() { if (!alertingScheduled) { alertingScheduled = true; setTimeout(function () { alertingScheduled = false; renderAlerting(); }, 30); } }

  // ---- history ----
  var historyForm = document.getElementById('history-filters');
  var hist = { cursor: null, query: '', selected: null, count: 0, search: 0 }; // search: which search a page answers
  /** A datetime-local value read as UTC, the charts' zone. */
  function utcIso(v) { if (!v) return null; var d = new Date(v + (v.length === 16 ? ':00' : '') + 'Z'); if (isNaN(d.getTime())) throw new Error('not a time: ' + v); return d.toISOString(); }
  function searchHistory(more) {
    var f = historyForm.elements, err = historyForm.querySelector('.error'), status = document.getElementById('history-status');
    err.textContent = '';
    if (!more) {
      var p = new URLSearchParams();
      try {
        ['state', 'kind', 'vm', 'gpu'].forEach(function (k) { var v = f[k].value.trim(); if (v) p.set(k, v); });
        var since = utcIso(f.since.value), until = utcIso(f.until.value);
        if (since) p.set('since', since);
        if (until) p.set('until', until);
      } catch (e) { err.textContent = e.message; return; }
      p.set('limit', String(Math.min(1000, Math.max(1, Math.floor(Number(f.limit.value)) || 50))));
      hist.query = p.toString(); hist.cursor = null; hist.count = 0; hist.search++;
      document.getElementById('history-rows').textContent = '';
    }
    var q = hist.query + (more && hist.cursor ? '&cursor=' + encodeURIComponent(hist.cursor) : '');
    var search = hist.search, moreButton = document.getElementById('history-more');
    status.textContent = 'loading…';
    moreButton.disabled = true; // a second click would fetch the same page again
    api('GET', '/v1/alerts?' + q).then(function (r) {
      if (search !== hist.search) return; // a newer search replaced this one
      var rows = document.getElementById('history-rows');
      moreButton.disabled = false;
      (r.alerts || []).forEach(function (a) { rows.appendChild(historyRow(a)); });
      hist.count += (r.alerts || []).length;
      hist.cursor = r.nextCursor || null;
      moreButton.hidden = !hist.cursor;
      status.textContent = hist.count ? hist.count + (hist.count === 1 ? ' alert' : ' alerts') + (hist.cursor ? ', more to load' : '') : 'No alerts match.';
    }, function (e) { if (search === hist.search) { moreButton.disabled = false; status.textContent = ''; err.textContent = 'could not search: ' + e.message; } });
  }
  function historyRow(a) {
    var tr = h('tr', { 'data-alert-id': a.alertId, tabindex: 0, onclick: function () { showTransitions(a.alertId, tr); },
      onkeydown: function (ev) { if (ev.key === 'Enter') showTransitions(a.alertId, tr); } }, [
      h('td', { class: 'ts', text: shortTs(a.startsAt) }),
      h('td', {}, [h('span', { class: 'state ' + a.state, text: a.state })]),
      h('td', { class: 'id', text: a.labels.kind }), h('td', { class: 'id', text: a.labels.vm }), h('td', { class: 'id', text: a.labels.gpu }),
      h('td', { text: a.message }),
      h('td', { class: 'ts', text: a.endsAt ? shortTs(a.endsAt) : '—' }),
      h('td', { text: a.acknowledged ? a.acknowledged.by : '' }),
    ]);
    return tr;
  }
  function showTransitions(id, tr) {
    var box = document.getElementById('history-detail');
    Array.prototype.forEach.call(document.querySelectorAll('#history-rows tr[aria-selected]'), function (r) { r.removeAttribute('aria-selected'); });
    tr.setAttribute('aria-selected', 'true');
    hist.selected = id;
    box.textContent = '';
    box.appendChild(h('p', { class: 'empty', text: 'loading ' + id + '…' }));
    api('GET', '/v1/alerts/' + encodeURIComponent(id)).then(function (r) {
      if (hist.selected !== id) return;
      var a = r.alert, l = a.labels;
      box.textContent = '';
      box.setAttribute('data-alert-id', id);
      box.appendChild(h('h3', {}, [h('span', { class: 'state ' + a.state, text: a.state }), ' ' + a.alertId]));
      box.appendChild(h('p', { class: 'labels', text: [l.cluster, l.host, l.gpu, l.vm, l.kind, l.severity, l.workload].join(' · ') + ' · incident ' + a.incidentId }));
      box.appendChild(h('p', { text: a.message }));
      box.appendChild(h('table', { class: 'transitions' }, [
        h('tr', {}, ['at', 'event', 'reason', 'by'].map(function (t) { return h('th', { text: t }); }))].concat(
        (r.transitions || []).map(function (t) {
          return h('tr', { 'data-type': t.type, 'data-to': t.to }, [h('td', { class: 'at', text: shortTs(t.at) }),
            h('td', {}, [t.type, h('span', { class: 'change', text: (t.from || '∅') + ' → ' + t.to })]),
            h('td', { text: t.reason || '' }), h('td', { text: t.actor || '' })]);
        }))));
      if (!(r.transitions || []).length) box.appendChild(h('p', { class: 'empty', text: 'No transitions recorded.' }));
    }, function (e) { if (hist.selected === id) { box.textContent = ''; box.appendChild(h('p', { class: 'error', text: 'could not load ' + id + ': ' + e.message })); } });
  }
  historyForm.addEventListener('submit', function (ev) { ev.preventDefault(); searchHistory(false); });
  document.getElementById('history-more').addEventListener('click', function () { searchHistory(true); });

  // ---- tabs ----
  var searched = false;
  function showView(name) {
    ['live', 'history'].forEach(function (v) {
      document.getElementById('view-' + v).hidden = v !== name;
      document.getElementById('tab-' + v).setAttribute('aria-selected', String(v === name));
    });
    if (name === 'live') resizeCharts(); // sized while hidden, they would keep a width of 200
    if (name === 'history' && !searched) { searched = true; searchHistory(false); }
  }
  document.getElementById('tab-live').addEventListener('click', function () { showView('live'); });
  document.getElementById('tab-history').addEventListener('click', function () { showView('history'); });

  // ---- live updates: the same fold as the read model's, on the client ----
  var latestPrediction = -Infinity;
  function advance(ts) { var t = Date.parse(ts); if (state.now == null || t > state.now) state.now = t; return t; }
  /** Drops points before the window but keeps one at or before its start: the prediction still in force. */
  function prune(tl) {
    var horizon = state.now - state.minutes * 60000, k = 0;
    while (k + 1 < tl.t.length && tl.t[k + 1] <= horizon) k++;
    if (k > 0) { tl.t.splice(0, k); tl.predicted.splice(0, k); tl.observed.splice(0, k); }
  }
  function appendPoint(v, t, field, value) {
    var tl = v.timeline, b = Math.floor(t / 1000) * 1000, last = tl.t.length - 1;
    if (last >= 0 && tl.t[last] === b) tl[field][last] = value;
    else if (last < 0 || b > tl.t[last]) {
      tl.t.push(b);
      tl.predicted.push(field === 'predicted' ? value : (last >= 0 ? tl.predicted[last] : null));
      tl.observed.push(field === 'observed' ? value : null);
    } // a late point shows after the next reload of the state
    prune(tl);
  }

  function load() {
    return api('GET', '/v1/dashboard/state').then(function (s) {
      state.gpus = new Map(s.gpus.map(function (g) { return [g.gpuId, g]; }));
      state.vms = new Map(s.vms.map(function (v) { return [v.vmId, v]; }));
      state.feed = s.feed; state.model = s.model; state.minutes = s.timelineMinutes || 10;
      state.now = s.eventTime ? Date.parse(s.eventTime) : null;
      latestPrediction = -Infinity;
      render(); return s.clusters;
    });
  }
  var scheduled = false;
  function later() { if (!scheduled) { scheduled = true; setTimeout(function () { scheduled = false; render(); }, 250); } }
  var socket = io({ auth: { token: token } });
  var connects = 0;
  /**
   * The first connect subscribes plainly: the server answers with a snapshot. A reconnect that
   * socket.io could not recover resumes after the last offsets seen, and the server replays what
   * was missed; it falls back to a snapshot if the server will not resume.
   */
  function subscribe(rooms, resume) {
    var msg = { rooms: rooms };
    if (resume) msg.resume = resume;
    window.vgpuDashboard.subscriptions.push(msg);
    socket.emit('subscribe', msg, function (ack) {
      if (ack && ack.error && resume) { subscribe(rooms, null); return; }
      if (ack && ack.error) document.getElementById('conn').textContent = 'not subscribed: ' + ack.error;
      window.vgpuDashboard.rooms = (ack && ack.rooms) || null;
    });
  }
  socket.on('connect', function () {
    document.getElementById('conn').textContent = 'live';
    if (socket.recovered) return; // socket.io restored the rooms and replayed what was missed
    var p = ops.positions;
    var resume = connects++ > 0 && p.alerts != null && p.lifecycle != null ? { alerts: p.alerts, lifecycle: p.lifecycle } : null;
    load().then(function (clusters) {
      subscribe(clusters.map(function (c) { return 'cluster:' + c; }), resume);
      return loadSilences();
    }).catch(function (e) { document.getElementById('conn').textContent = 'could not load the state: ' + e.message; });
  });
  socket.on('snapshot', function (s) { applySnapshot(s); renderAlerting(); });
  socket.on('lifecycle', function (e, pos) { seen('lifecycle', pos || (e && e.position)); applyLifecycle(e); laterAlerting(); });
  socket.on('connect_error', function (e) { document.getElementById('conn').textContent = 'disconnected: ' + e.message; });
  socket.on('disconnect', function () { document.getElementById('conn').textContent = 'reconnecting…'; });
  socket.on('twin', function (e) {
    var t = advance(e.ts), v = state.vms.get(e.data.vmId);
    if (e.type === 'twin.prediction' && t >= latestPrediction) { latestPrediction = t; state.model = e.data.model; }
    if (!v) return;
    if (!v.timeline) v.timeline = emptyTimeline();
    if (e.type === 'twin.prediction') {
      v.predictedSlowdown = e.data.predictedSlowdown; v.share = e.data.share;
      v.model = e.data.model; v.components = e.data.components;
      v.shareArithmetic = e.data.shareArithmetic == null ? null : e.data.shareArithmetic;
      appendPoint(v, t, 'predicted', e.data.predictedSlowdown);
    } else {
      v.observedSlowdown = e.data.observedSlowdown;
      appendPoint(v, t, 'observed', e.data.observedSlowdown);
    }
    later();
  });
  socket.on('inventory', function () { load(); });
  var FEED_TYPES = { 'alert.raised': true, 'alert.resolved': true, 'placement.suggested': true };
  socket.on('alert', function (e, pos) {
    seen('alerts', pos);
    // operators' commands share the stream; a resumed socket may replay what the state already has
    if (!FEED_TYPES[e.type] || state.feed.some(function (f) { return f.id === e.id; })) return;
    var t = advance(e.ts), v = state.vms.get(e.data.vmId);
    if (v && e.type === 'alert.raised') v.alert = { alertId: e.data.alertId, kind: e.data.kind, severity: e.data.severity, message: e.data.message };
    if (v && e.type === 'alert.resolved' && v.alert && v.alert.alertId === e.data.alertId) v.alert = null;
    if (v && e.type !== 'placement.suggested') {
      v.markers = (v.markers || []).concat([{ t: t, ts: e.ts, state: e.type === 'alert.raised' ? 'raised' : 'resolved', kind: e.data.kind, alertId: e.data.alertId }])
        .filter(function (m) { return m.t >= state.now - state.minutes * 60000; });
    }
    state.feed.unshift(e); state.feed = state.feed.slice(0, 200); render();
  });

  /** For the browser tests: the charts and what they plot. */
  window.vgpuDashboard = {
    rooms: null, // the rooms the server confirmed: live pushes flow from then on
    subscriptions: [], // every subscribe sent, resume included
    positions: function () { return { alerts: ops.positions.alerts, lifecycle: ops.positions.lifecycle }; },
    alert: function (id) { return ops.alerts.get(id) || null; },
    incidents: function () { return Array.from(ops.incidents.values()); },
    silences: function () { return Array.from(ops.silences.values()); },
    socket: socket,
    chart: function (gpuId) { var p = panels.get(gpuId); return p ? p.chart : null; },
    series: function (vmId) {
      var out = null;
      panels.forEach(function (p) {
        var i = p.vmIds.indexOf(vmId); if (i < 0 || !p.chart) return;
        var d = p.chart.data;
        out = { t: Array.from(d[0], function (s) { return s * 1000; }), predicted: Array.from(d[1 + 2 * i]), observed: Array.from(d[2 + 2 * i]) };
      });
      return out;
    },
    markers: function (gpuId) { var p = panels.get(gpuId); return p ? p.markers : []; },
  };
})();
</script>
</body>
</html>
`;
