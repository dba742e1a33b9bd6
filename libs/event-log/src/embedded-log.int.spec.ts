import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEventLog } from './embedded-log';
import { eventLogContract } from './testing/event-log-contract';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-log-'));
  dirs.push(dir);
  return join(dir, 'log.sqlite');
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

eventLogContract('embedded SQLite', async () => {
  const file = tempFile();
  const log = new EmbeddedEventLog({ file, pollIntervalMs: 20 });
  const others: EmbeddedEventLog[] = [];
  return {
    log,
    reopen: async () => {
      const other = new EmbeddedEventLog({ file, pollIntervalMs: 20 });
      others.push(other);
      return other;
    },
    close: async () => {
      await Promise.all([log.close(), ...others.map((o) => o.close())]);
    },
  };
});

describe('embedded log on a real SQLite file', () => {
  it('makes new files with 16 KiB pages and keeps the page size of a file made before', async () => {
    const pageSize = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true });
      } finally {
        db.close();
      }
    };
    const fresh = tempFile();
    const log = new EmbeddedEventLog({ file: fresh });
    await log.ensureStreams([{ name: 's', partitions: 1 }]);
    await log.close();
    expect(pageSize(fresh)).toBe(16_384); // the default: a packed record of 4 samples (~1.3 kB) fits in its page

    // a log written before the default changed (SQLite's own default, 4 KiB): it stays so and reads back
    const old = tempFile();
    const before = new EmbeddedEventLog({ file: old, pageSize: 4_096 });
    await before.ensureStreams([{ name: 's', partitions: 1 }]);
    await before.append('s', [{ key: 'k', value: 'x'.repeat(3_000), timestamp: 1 }]);
    await before.close();
    const after = new EmbeddedEventLog({ file: old });
    try {
      expect(pageSize(old)).toBe(4_096);
      expect((await after.read('s', 0, 0, 10)).map((r) => r.value.length)).toEqual([3_000]);
    } finally {
      await after.close();
    }
  });

  it('survives a restart: append, close, reopen, read everything back in order', async () => {
    const file = tempFile();
    const first = new EmbeddedEventLog({ file });
    await first.ensureStreams([{ name: 's', partitions: 1 }]);
    for (let batch = 0; batch < 10; batch++) {
      await first.append(
        's',
        Array.from({ length: 100 }, (_, i) => ({ key: 'k', value: `${batch * 100 + i}`, timestamp: i })),
      );
    }
    await first.close();
    const second = new EmbeddedEventLog({ file });
    const back = await second.read('s', 0, 0, 10_000);
    expect(back.map((r) => Number(r.value))).toEqual(Array.from({ length: 1000 }, (_, i) => i)); // 10 batches × 100
    expect(back.map((r) => r.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await second.close();
  });

  it('loses nothing when two processes append at once', async () => {
    const file = tempFile();
    const log = new EmbeddedEventLog({ file });
    await log.ensureStreams([{ name: 's', partitions: 3 }]);
    const writer = join(__dirname, 'testing', 'append-worker.ts');
    const perWriter = 2000; // 200 appends of 10 records each, per process
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(writer, [file, name, String(perWriter)], {
          execArgv: ['-r', '@swc-node/register'],
          env: { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', '..', 'tsconfig.json') },
          stdio: 'inherit',
        });
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)),
        );
      });
    await Promise.all([run('w1'), run('w2')]);
    const ends = await log.endOffsets('s');
    const all = (await Promise.all(ends.map((e) => log.read('s', e.partition, 0, 100_000)))).flat();
    expect(all).toHaveLength(2 * perWriter);
    const values = new Set(all.map((r) => r.value));
    expect(values.size).toBe(2 * perWriter); // no overwrite, no duplicate
    for (const e of ends) {
      const offsets = all
        .filter((r) => r.partition === e.partition)
        .map((r) => r.offset)
        .sort((a, b) => a - b);
      expect(offsets).toEqual(Array.from({ length: e.offset }, (_, i) => i)); // dense: no gap, no reuse
    }
    await log.close();
  }, 60_000);
});
