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
</style>
</head>
<body>
<header><h1>vgpu-twin</h1><span id="summary" class="empty">loading…</span><span id="model" title="the model named by the latest prediction">model: —</span><span id="conn">connecting…</span></header>
<main>
  <section class="gpus" id="gpus" aria-label="GPUs"><p class="empty" id="no-gpus">No GPUs registered yet.</p></section>
  <aside class="feed"><h2>Alerts and suggestions</h2><div id="feed" aria-label="alert feed"><p class="empty">No alerts yet.</p></div></aside>
</main>
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
  addEventListener('resize', function () {
    panels.forEach(function (p) { if (p.chart) p.chart.setSize({ width: Math.max(200, p.el.querySelector('.chart').clientWidth), height: 140 }); });
  });

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
    return fetch('/v1/dashboard/state').then(function (r) { return r.json(); }).then(function (s) {
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
  socket.on('connect', function () {
    document.getElementById('conn').textContent = 'live';
    load().then(function (clusters) {
      socket.emit('subscribe', { rooms: clusters.map(function (c) { return 'cluster:' + c; }) }, function (ack) { window.vgpuDashboard.rooms = ack.rooms || null; });
    });
  });
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
  socket.on('alert', function (e) {
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
