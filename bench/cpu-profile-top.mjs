// Top self-time functions of a V8 .cpuprofile (node --cpu-prof), and the same time grouped by
// package / source folder. Usage: node bench/cpu-profile-top.mjs FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const d = p.timeDeltas[i] ?? 0;
  dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
}
let total = 0;
const groups = new Map();
const where = (url) => {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const m = /\/(libs|apps|bench)\/([^/]+)/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
};
for (const [id, us] of dt) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${cf.url ? cf.url.replace(/^.*\/(node_modules|libs|apps|bench)\//, '$1/') : ''}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const g = ['(idle)', '(program)', '(garbage collector)'].includes(cf.functionName)
    ? cf.functionName
    : where(cf.url);
  groups.set(g, (groups.get(g) ?? 0) + us);
  total += us;
}
const pct = (us) => `${((100 * us) / total).toFixed(1)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\n| self time | function (file:line) |\n| --: | --- |');
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`| ${pct(us)} | \`${k}\` |`);
console.log('\n| self time | where |\n| --: | --- |');
for (const [k, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`| ${pct(us)} | ${k} |`);
