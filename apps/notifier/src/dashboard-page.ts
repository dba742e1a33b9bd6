/**
 * The live dashboard: one self-contained page (no build step, no CDN). It loads the read model
 * from `/v1/dashboard/state`, then follows socket.io pushes for every cluster.
 *
 * A placement suggestion shows twice: in the feed as a card (the move, before → after per affected
 * VM, the twin's reason), and on the moving VM's row while the alert it answers is open.
 */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vgpu-twin — live</title>
<style>
  :root { --bg:#0f1419; --panel:#182028; --line:#2a3440; --text:#e6e9ee; --dim:#8b97a6; --ok:#3fb950; --warn:#d29922; --crit:#f85149; --pred:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { padding:12px 20px; border-bottom:1px solid var(--line); display:flex; gap:16px; align-items:baseline; }
  header h1 { font-size:18px; margin:0; }
  #conn { color:var(--dim); font-size:12px; }
  main { display:grid; grid-template-columns: 1fr 380px; gap:16px; padding:16px 20px; }
  .gpus { display:grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap:12px; align-content:start; }
  .gpu { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; }
  .gpu h2 { font-size:13px; margin:0 0 6px; display:flex; justify-content:space-between; }
  .gpu h2 span { color:var(--dim); font-weight:normal; }
  table { width:100%; border-collapse:collapse; font-size:12px; }
  td, th { padding:3px 4px; text-align:left; border-top:1px solid var(--line); }
  th { color:var(--dim); font-weight:normal; }
  td.num { text-align:right; font-variant-numeric: tabular-nums; }
  tr.alerting td { background: rgba(248,81,73,.12); }
  .bar { height:6px; background:var(--line); border-radius:3px; position:relative; min-width:60px; }
  .bar i { position:absolute; left:0; top:0; bottom:0; border-radius:3px; }
  .feed { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; max-height: calc(100vh - 90px); overflow:auto; }
  .feed h2 { font-size:14px; margin:0 0 8px; }
  .item { border-left:3px solid var(--dim); padding:4px 8px; margin:0 0 8px; font-size:12px; }
  .item.critical { border-color:var(--crit); } .item.warning { border-color:var(--warn); } .item.resolved { border-color:var(--ok); } .item.suggestion { border-color:var(--pred); }
  .item time { color:var(--dim); display:block; }
  .item .move { font-weight:600; } .item .move .arrow { color:var(--pred); }
  .item table.affected { margin:4px 0; } .item tr.mover td { color:var(--pred); }
  .item .gain, .item .reason { display:block; color:var(--dim); } .item .reason { margin:4px 0 0; }
  .hint { color:var(--pred); font-size:11px; }
  .empty { color:var(--dim); }
</style>
</head>
<body>
<header><h1>vgpu-twin</h1><span id="summary" class="empty">loading…</span><span id="conn">connecting…</span></header>
<main>
  <section class="gpus" id="gpus" aria-label="GPUs"></section>
  <aside class="feed"><h2>Alerts and suggestions</h2><div id="feed" aria-label="alert feed"><p class="empty">No alerts yet.</p></div></aside>
</main>
<script src="/socket.io/socket.io.js"></script>
<script>
(function () {
  var token = new URLSearchParams(location.search).get('token') || undefined;
  var state = { gpus: new Map(), vms: new Map(), feed: [] };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]; }); }
  function fmt(x) { return x == null ? '—' : Number(x).toFixed(2) + '×'; }
  function bar(x, color) { var w = x == null ? 0 : Math.min(100, (x - 1) / 3 * 100); return '<div class="bar"><i style="width:' + Math.max(2, w) + '%;background:' + color + '"></i></div>'; }
  /** Open suggestions by moving VM: those whose alert is still raised on some VM. */
  function openMoves() {
    var open = {}; state.vms.forEach(function (v) { if (v.alert) open[v.alert.alertId] = true; });
    var moves = {};
    state.feed.forEach(function (e) { if (e.type === 'placement.suggested' && e.data.alertId && open[e.data.alertId] && !moves[e.data.vmId]) moves[e.data.vmId] = e.data; });
    return moves;
  }
  function render() {
    var html = '', moves = openMoves();
    state.gpus.forEach(function (g) {
      html += '<div class="gpu" data-gpu="' + esc(g.gpuId) + '"><h2>' + esc(g.gpuId) + ' <span>' + esc(g.model) + ' · ' + esc(g.policy) + ' · ' + esc(g.hostId) + '</span></h2><table><tr><th>VM</th><th>profile</th><th>predicted</th><th>observed</th><th></th></tr>';
      g.vms.forEach(function (id) {
        var v = state.vms.get(id); if (!v) return;
        var color = v.alert ? 'var(--crit)' : 'var(--ok)';
        html += '<tr data-vm="' + esc(id) + '" class="' + (v.alert ? 'alerting' : '') + '"><td>' + esc(id) + '<br><span class="empty">' + esc(v.workload) + '</span>' + (moves[id] ? '<br><span class="hint" data-suggested-to="' + esc(moves[id].toGpuId) + '">suggested: move to ' + esc(moves[id].toGpuId) + '</span>' : '') + '</td><td>' + esc(v.profile) + '</td><td class="num predicted">' + fmt(v.predictedSlowdown) + '</td><td class="num observed">' + fmt(v.observedSlowdown) + '</td><td>' + bar(v.predictedSlowdown, 'var(--pred)') + bar(v.observedSlowdown, color) + '</td></tr>';
      });
      html += '</table></div>';
    });
    document.getElementById('gpus').innerHTML = html || '<p class="empty">No GPUs registered yet.</p>';
    var active = 0; state.vms.forEach(function (v) { if (v.alert) active++; });
    document.getElementById('summary').textContent = state.gpus.size + ' GPUs · ' + state.vms.size + ' VMs · ' + active + ' active alerts';
    document.getElementById('feed').innerHTML = state.feed.length ? state.feed.map(feedItem).join('') : '<p class="empty">No alerts yet.</p>';
  }
  function feedItem(e) {
    var d = e.data, cls, text;
    if (e.type === 'alert.raised') { cls = d.severity; text = '<b>' + esc(d.kind) + '</b> on ' + esc(d.vmId) + ' (' + esc(d.gpuId) + '): ' + esc(d.message); }
    else if (e.type === 'alert.resolved') { cls = 'resolved'; text = '<b>resolved</b> ' + esc(d.vmId) + ': ' + esc(d.message); }
    else return suggestionItem(e);
    return '<div class="item ' + cls + '" data-alert-id="' + esc(d.alertId) + '" data-type="' + esc(e.type) + '"><time>' + esc(e.ts) + '</time>' + text + '</div>';
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
  function load() {
    return fetch('/v1/dashboard/state').then(function (r) { return r.json(); }).then(function (s) {
      state.gpus = new Map(s.gpus.map(function (g) { return [g.gpuId, g]; }));
      state.vms = new Map(s.vms.map(function (v) { return [v.vmId, v]; }));
      state.feed = s.feed; render(); return s.clusters;
    });
  }
  var scheduled = false;
  function later() { if (!scheduled) { scheduled = true; setTimeout(function () { scheduled = false; render(); }, 250); } }
  var socket = io({ auth: { token: token } });
  socket.on('connect', function () {
    document.getElementById('conn').textContent = 'live';
    load().then(function (clusters) { socket.emit('subscribe', { rooms: clusters.map(function (c) { return 'cluster:' + c; }) }); });
  });
  socket.on('connect_error', function (e) { document.getElementById('conn').textContent = 'disconnected: ' + e.message; });
  socket.on('disconnect', function () { document.getElementById('conn').textContent = 'reconnecting…'; });
  socket.on('twin', function (e) {
    var v = state.vms.get(e.data.vmId); if (!v) return;
    if (e.type === 'twin.prediction') { v.predictedSlowdown = e.data.predictedSlowdown; v.share = e.data.share; }
    else { v.observedSlowdown = e.data.observedSlowdown; }
    later();
  });
  socket.on('inventory', function () { load(); });
  socket.on('alert', function (e) {
    var v = state.vms.get(e.data.vmId);
    if (v && e.type === 'alert.raised') v.alert = { alertId: e.data.alertId, severity: e.data.severity, message: e.data.message };
    if (v && e.type === 'alert.resolved' && v.alert && v.alert.alertId === e.data.alertId) v.alert = null;
    state.feed.unshift(e); state.feed = state.feed.slice(0, 200); render();
  });
})();
</script>
</body>
</html>
`;
