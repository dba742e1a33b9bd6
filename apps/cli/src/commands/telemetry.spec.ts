import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, parseTelemetry } from '@vgpu-twin/telemetry-formats';
const dir = join(__dirname, '../../../../../shared/data/telemetry');
it('dump', () => {
  const lines: string[] = [dir];
  for (const f of readdirSync(dir)) {
    if (f.startsWith('LICENSE') || f === 'README.md') continue;
    const text = readFileSync(join(dir, f), 'utf8');
    const p = parseTelemetry(text, 'auto');
    lines.push(`=== ${f} ${detectFormat(text)} n=${p.readings.length} refused=${p.refused}`);
    for (const pr of p.problems) lines.push(`  P ${pr.line} ${pr.field ?? ''} ${pr.message}`);
    for (const r of p.readings) lines.push('  R ' + JSON.stringify({ ...r, labels: undefined }));
  }
  const fx = join(__dirname, '../../../../libs/telemetry-formats/src/nvidia-smi/fixtures/vgpu-q-2gpu-3vm.txt');
  const p = parseTelemetry(readFileSync(fx, 'utf8'), 'nvidia-smi-vgpu');
  lines.push(`=== fixture n=${p.readings.length}`);
  for (const r of p.readings) lines.push('  R ' + JSON.stringify({ ...r, labels: undefined }));
  require('node:fs').writeFileSync('/tmp/scratch/dump.txt', lines.join('\n'));
});
