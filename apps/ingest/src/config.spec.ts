import { ConfigError, loadConfig } from '@vgpu-twin/service-kit';
import { IngestConfigSchema } from './config';

describe('IngestConfigSchema: INGEST_WORKERS', () => {
  it('is 1 (one process, no pool) when not set', () => {
    expect(loadConfig(IngestConfigSchema, {}).INGEST_WORKERS).toBe(1);
    expect(loadConfig(IngestConfigSchema, { INGEST_WORKERS: '' }).INGEST_WORKERS).toBe(1); // empty = unset
  });

  it('takes a whole number of workers, 1 or more', () => {
    expect(loadConfig(IngestConfigSchema, { INGEST_WORKERS: '1' }).INGEST_WORKERS).toBe(1);
    expect(loadConfig(IngestConfigSchema, { INGEST_WORKERS: '4' }).INGEST_WORKERS).toBe(4);
  });

  it.each([
    ['0', /INGEST_WORKERS="0": must be ≥ 1/],
    ['-2', /INGEST_WORKERS="-2": must be ≥ 1/],
    ['1.5', /INGEST_WORKERS="1.5": must be an integer/],
    ['two', /INGEST_WORKERS="two": must be a number/],
  ])('refuses INGEST_WORKERS=%s in one line naming the key', (value, message) => {
    const load = () => loadConfig(IngestConfigSchema, { INGEST_WORKERS: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    expect(load).not.toThrow(/\n/);
  });

  it('refuses a pool that would scrape every target once per worker', () => {
    const env = { INGEST_WORKERS: '2', INGEST_SCRAPE_TARGETS: 'http://gpu-host:9400/metrics' };
    expect(() => loadConfig(IngestConfigSchema, env)).toThrow(
      /INGEST_WORKERS="2": more than 1 worker cannot scrape INGEST_SCRAPE_TARGETS/,
    );
    // one worker scrapes as before
    expect(loadConfig(IngestConfigSchema, { ...env, INGEST_WORKERS: '1' }).INGEST_SCRAPE_TARGETS).toEqual([
      'http://gpu-host:9400/metrics',
    ]);
  });
});
