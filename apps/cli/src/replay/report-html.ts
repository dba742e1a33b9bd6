import type { GpuReport, ReplayReport } from '@vgpu-twin/twin-core';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * At most the first, lowest, highest and last point of each pixel column, in time order: a day of
 * 1 Hz points drawn as ~3,000 per line instead of 86,400, with every peak and dip kept.
 */
export function decimate(points: readonly (readonly [number, number])[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  let i = 0;
  while (i < points.length) {
    const column = Math.round(points[i]![0]);
    let j = i;
    let lo = i;
    let hi = i;
    while (j + 1 < points.length && Math.round(points[j + 1]![0]) === column) {
      j++;
      if (points[j]![1] < points[lo]![1]) lo = j;
      if (points[j]![1] > points[hi]![1]) hi = j;
    }
    for (const k of [...new Set([i, lo, hi, j])].sort((a, b) => a - b)) out.push(points[k]!);
    i = j + 1;
  }
  return out;
}

/** One GPU's predicted (dashed) and observed (solid) slowdown per VM, with alert markers. */
function chart(gpu: GpuReport, report: ReplayReport): string {
  const W = 900;
  const H = 260;
  const pad = { l: 50, r: 10, t: 10, b: 30 };
  const t0 = Date.parse(report.window.from);
  const t1 = Math.max(Date.parse(report.window.to), t0 + 1);
  let top = 1;
  for (const p of gpu.timeline) top = Math.max(top, p.predicted ?? 1, p.observed ?? 1);
  const yMax = Math.max(2, Math.ceil(top * 2) / 2);
  const x = (ts: string) => pad.l + ((Date.parse(ts) - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - 1) / (yMax - 1)) * (H - pad.t - pad.b);
  const parts: string[] = [];
  for (let v = 1; v <= yMax + 1e-9; v += 0.5) {
    parts.push(
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${v.toFixed(1)}×</text>`,
    );
  }
  parts.push(`<text x="${pad.l}" y="${H - 8}" class="axis">${esc(report.window.from)}</text>`);
  parts.push(
    `<text x="${W - pad.r}" y="${H - 8}" class="axis" text-anchor="end">${esc(report.window.to)}</text>`,
  );
  gpu.vms.forEach(({ vmId }, i) => {
    const color = COLORS[i % COLORS.length]!;
    for (const [key, dash] of [
      ['predicted', '6 4'],
      ['observed', ''],
    ] as const) {
      const pts = decimate(
        gpu.timeline
          .filter((p) => p.vmId === vmId && p[key] !== null)
          .map((p) => [x(p.ts), y(Math.min(p[key]!, yMax))] as const),
      ).map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`);
      if (pts.length > 0) {
        parts.push(
          `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.6"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${esc(vmId)} ${key}</title></polyline>`,
        );
      }
    }
  });
  for (const a of report.alerts.filter((al) => al.data.gpuId === gpu.gpuId)) {
    const cls = a.type === 'alert.raised' ? 'raised' : 'resolved';
    parts.push(
      `<line x1="${x(a.ts).toFixed(1)}" x2="${x(a.ts).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}" class="${cls}"><title>${esc(a.data.message)}</title></line>`,
    );
  }
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="slowdown of the VMs on ${esc(gpu.gpuId)}">${parts.join('')}</svg>`;
}

/** A self-contained page (no scripts, no external assets) for a postmortem. */
export function renderReportHtml(report: ReplayReport): string {
  const legend = (gpu: GpuReport) =>
    gpu.vms
      .map(
        (v, i) =>
          `<span class="key" style="border-color:${COLORS[i % COLORS.length]}">${esc(v.vmId)} · ${esc(v.workload)} · ${esc(v.profile)}</span>`,
      )
      .join(' ');
  const whatIf = (gpu: GpuReport) =>
    gpu.whatIf
      ? `<table><tr><th>VM</th><th>predicted (${esc(gpu.policy)}, ${esc(report.model)})</th><th>predicted with ${esc(whatIfLabel)}</th></tr>${gpu.whatIf
          .map(
            (w) =>
              `<tr><td>${esc(w.vmId)}</td><td>${fmt(w.predictedNow)}</td><td>${fmt(w.predictedWhatIf)}</td></tr>`,
          )
          .join('')}</table>`
      : '';
  const whatIfLabel = [report.whatIfPolicy, report.whatIfModel].filter((w) => w !== null).join(' and ');
  const alertRows = (alerts: ReplayReport['alerts']) =>
    alerts
      .map(
        (a) =>
          `<tr class="${a.type === 'alert.raised' ? 'raised' : 'resolved'}"><td>${esc(a.ts)}</td><td>${a.type === 'alert.raised' ? esc(a.data.severity) : 'resolved'}</td><td>${esc(a.data.kind)}</td><td>${esc(a.data.vmId)}</td><td>${esc(a.data.gpuId)}</td><td>${esc(a.data.message)}</td></tr>`,
      )
      .join('');
  const alertTable = (alerts: ReplayReport['alerts']) =>
    `<table><tr><th>time</th><th>severity</th><th>kind</th><th>VM</th><th>GPU</th><th>message</th></tr>${alertRows(alerts)}</table>`;
  const whatIfAlerts = report.whatIfAlerts
    ? `<h2>What if: ${esc(whatIfLabel)} (${report.whatIfAlerts.length} alerts instead of ${report.alerts.length})</h2>
${report.whatIfAlerts.length ? alertTable(report.whatIfAlerts) : '<p>No alerts would have been raised.</p>'}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vgpu-twin replay ${esc(report.window.from)} – ${esc(report.window.to)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2329;max-width:1000px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
tr.raised td{background:#fff1f0}tr.resolved td{background:#f0fff4}
svg{width:100%;height:auto;background:#fafbfc;border:1px solid #d0d7de}
.grid{stroke:#e5e8eb}.axis{font-size:11px;fill:#57606a}
line.raised{stroke:#d62728;stroke-width:2}line.resolved{stroke:#2ca02c;stroke-width:2;stroke-dasharray:3 3}
.key{border-left:4px solid;padding:0 8px;margin-right:8px;font-size:12px}.dim{color:#57606a}
</style></head><body>
<h1>Replay ${esc(report.window.from)} – ${esc(report.window.to)}</h1>
<p class="dim">${report.events.beforeWindow} events rebuilt the state before the window, ${report.events.inWindow} were replayed in it${report.cluster ? `; cluster ${esc(report.cluster)}` : ''}; predictions by ${esc(report.model)}${whatIfLabel ? `; what-if: ${esc(whatIfLabel)}` : ''}. Dashed lines: predicted slowdown; solid: observed; red markers: alerts raised; green: resolved.</p>
<h2>Alerts (${report.alerts.length})</h2>
${report.alerts.length ? alertTable(report.alerts) : '<p>No alerts in this window.</p>'}
${whatIfAlerts}
<h2>Suggestions (${report.suggestions.length})</h2>
${report.suggestions.length ? `<ul>${report.suggestions.map((s) => `<li>${esc(s.data.reason)}</li>`).join('')}</ul>` : '<p>No placement suggestions in this window.</p>'}
${report.gpus
  .map(
    (
      g,
    ) => `<h2>${esc(g.gpuId)} <span class="dim">${esc(g.model)} · ${esc(g.policy)} · ${esc(g.hostId)} · ${esc(g.clusterId)}</span></h2>
<p>${legend(g)}</p>${chart(g, report)}${whatIf(g)}`,
  )
  .join('\n')}
</body></html>
`;
}

function fmt(x: number | null): string {
  return x === null ? '—' : `${x.toFixed(2)}×`;
}
