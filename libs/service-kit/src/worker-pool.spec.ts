import { AggregatorRegistry } from 'prom-client';
import { Metrics } from './metrics';
import { restartDelayMs } from './worker-pool';

describe('restartDelayMs', () => {
  it('doubles from the base with each death in a row, up to the cap', () => {
    // defaults: 500 ms base, 30 s cap
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelayMs(n))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(restartDelayMs(3, 100, 250)).toBe(250); // 100 × 2² = 400, capped at 250
  });
});

describe("a pool's metrics, aggregated as the primary does (AggregatorRegistry)", () => {
  it("sums the workers' counters and histograms, series by series", async () => {
    // two workers, each its own registry, as each pool worker has
    const a = new Metrics();
    const b = new Metrics();
    a.ingestAccepted.inc({ stream: 'vgpu.telemetry' }, 3_000);
    b.ingestAccepted.inc({ stream: 'vgpu.telemetry' }, 2_000);
    b.ingestAccepted.inc({ stream: 'vgpu.inventory' }, 7);
    a.ingestBatchRecords.observe(1_000);
    b.ingestBatchRecords.observe(1_000);
    b.ingestBatchRecords.observe(5);

    const pool = AggregatorRegistry.aggregate([
      await a.registry.getMetricsAsJSON(),
      await b.registry.getMetricsAsJSON(),
    ]);
    const text = await pool.metrics();
    expect(text).toContain('vgpu_twin_ingest_records_accepted_total{stream="vgpu.telemetry"} 5000'); // 3,000 + 2,000
    expect(text).toContain('vgpu_twin_ingest_records_accepted_total{stream="vgpu.inventory"} 7'); // worker b's alone
    expect(text).toContain('vgpu_twin_ingest_batch_records_count 3'); // 1 + 2 requests
    expect(text).toContain('vgpu_twin_ingest_batch_records_sum 2005'); // 1,000 + 1,000 + 5
  });

  it('serves what it is told to at GET /metrics, instead of its own registry alone', async () => {
    const m = new Metrics();
    m.ingestAccepted.inc({ stream: 'vgpu.telemetry' }, 1);
    expect(await m.exposition()).toContain(
      'vgpu_twin_ingest_records_accepted_total{stream="vgpu.telemetry"} 1',
    );
    m.aggregateWith(() => Promise.resolve('the pool'));
    expect(await m.exposition()).toBe('the pool');
  });
});
