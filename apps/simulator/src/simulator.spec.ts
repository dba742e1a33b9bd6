import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@vgpu-twin/service-kit';
import { SimulatorConfigSchema } from './config';
import { loadSimulatorConfig } from './load-config';
import { loadScenarioAtStart } from './scenario-file';
import { Simulator } from './simulator';

describe('simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('given an ingest API', () => {
    let server: Server;
    let url = '';
    const batches: { path: string; ids: string[] }[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          batches.push({ path: req.url!, ids: (JSON.parse(body) as { id: string }[]).map((e) => e.id) });
          res.writeHead(202).end('{}');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('runs the built-in demo: the inventory, then a batch a tick, and says which scenario it runs', async () => {
      const lines: string[] = [];
      const config = loadConfig(SimulatorConfigSchema, {
        SIM_INGEST_URL: url,
        SIM_TICK_MS: '1',
        SIM_DURATION_S: '22',
        SIM_START: '2026-03-01T00:00:00Z',
      });
      const sim = new Simulator(config, { log: (l) => lines.push(l) });
      try {
        await sim.start();
        await sim.finished;
      } finally {
        await sim.stop(); // on a timeout too: a simulator left running keeps Jest from exiting
      }
      expect(batches[0]!.path).toBe('/v1/inventory');
      expect(batches[0]!.ids).toContain('sim:placed:vm-001');
      expect(batches.slice(1).map((b) => b.path)).toEqual(Array(22).fill('/v1/telemetry')); // ticks at +0 … +21 s
      expect(batches[1]!.ids).toContain('sim:vm-001:0');
      expect(lines[0]).toBe(
        "simulator: scenario 'demo' (built-in demo): 8 GPUs, 12 VMs, 6 timeline actions (last at +150 s); " +
          '1000 ms of event time every 1 ms, for 22 s',
      );
      expect(lines).toContainEqual(
        expect.stringMatching(/^simulator: \+20 s vm-002 now runs [a-z0-9-]+: \(a\)/),
      );
      expect(sim.error).toBeNull();
    }, 30_000); // 22 ticks through the DES ground truth: ~3.5 s idle, more on a loaded runner
  });

  it('when SIM_HOSTS or the incident settings are set, then one line warns that the scenario decides now', () => {
    const warnings: string[] = [];
    loadSimulatorConfig({ SIM_HOSTS: '8', SIM_INCIDENT_AT_S: '30' }, (w) => warnings.push(w));
    loadSimulatorConfig({}, (w) => warnings.push(w));
    expect(warnings).toEqual([
      'simulator: SIM_HOSTS, SIM_INCIDENT_AT_S no longer apply: the cluster and its incidents now come from the ' +
        'scenario (SIM_SCENARIO=FILE; default the built-in demo)',
    ]);
  });

  it('when SIM_SCENARIO is a bad file, then start fails with one line naming the file and its first bad path', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'bad',
        cluster: { hosts: [{ hostId: 'h', gpus: [{ gpuId: 'g', vms: [] }] }] },
        timeline: [
          { atS: 1, action: 'remove', vm: 'vm-99' },
          { atS: 2, action: 'policy', gpu: 'g9', policy: 'equal_share' },
        ],
      }),
    );
    const attempt = () => loadScenarioAtStart(file, 'unused.csv');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      new ConfigError(`invalid scenario ${file}: timeline[0].vm: unknown VM 'vm-99' (and 1 more problem)`),
    );
    expect(
      () => new Simulator(loadConfig(SimulatorConfigSchema, { SIM_SCENARIO: join(dir, 'none.json') })),
    ).toThrow(/^invalid scenario .*none\.json: \(file\): cannot be read \(ENOENT\)$/);
  });
});
