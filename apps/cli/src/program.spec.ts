import { ConfigError } from '@vgpu-twin/service-kit';
import { start } from './commands/start';
import { buildProgram } from './program';

describe('vgpu-twin CLI', () => {
  it('lists its commands in --help', () => {
    const help = buildProgram().helpInformation();
    expect(help).toMatch(/^Usage: vgpu-twin/);
    expect(help).toContain('start [options]');
  });

  it('refuses to start on bad configuration, naming every bad key', async () => {
    const env = {
      VGPU_TWIN_DATA_DIR: '/tmp/never-created',
      TWIN_SLO_SLOWDOWN: '0.5',
      NOTIFIER_FEED_SIZE: 'lots',
    };
    await expect(start({ port: '70000', simulator: false }, env)).rejects.toThrow(ConfigError);
    await expect(start({ port: '8080', simulator: false }, env)).rejects.toThrow(
      /TWIN_SLO_SLOWDOWN="0.5": must be ≥ 1/,
    );
    await expect(start({ port: '70000', simulator: false }, {})).rejects.toThrow(
      /PORT="70000": must be a TCP port/,
    );
  });
});
