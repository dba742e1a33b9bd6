import { z } from 'zod';
import { ConfigError, envInt, envPort, loadConfig, LogConfigSchema } from './config';

describe('loadConfig', () => {
  const schema = z.object({
    PORT: envPort(8080),
    WINDOW: envInt(5, 1),
    MODE: z.enum(['a', 'b']).default('a'),
  });

  it('applies defaults and coerces numbers', () => {
    expect(loadConfig(schema, { WINDOW: '7' })).toEqual({ PORT: 8080, WINDOW: 7, MODE: 'a' });
  });

  it('names every bad key with its value', () => {
    expect(() => loadConfig(schema, { PORT: '99999', WINDOW: 'x', MODE: 'c' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { PORT: '99999', WINDOW: 'x', MODE: 'c' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/PORT="99999": must be a TCP port/);
      expect(msg).toMatch(/WINDOW="x": must be a number/);
      expect(msg).toMatch(/MODE="c"/);
    }
  });

  it('resolves the data dir and rejects an unknown log', () => {
    expect(loadConfig(LogConfigSchema, { VGPU_TWIN_DATA_DIR: '/tmp/x' }).VGPU_TWIN_DATA_DIR).toBe('/tmp/x');
    expect(() => loadConfig(LogConfigSchema, { EVENT_LOG: 'redis' })).toThrow(
      /EVENT_LOG="redis": must be 'embedded' or 'kafka'/,
    );
  });
});
