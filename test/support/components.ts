/**
 * Real components for integration tests. Outside CI a missing component skips its suites with a
 * printed reason; with CI=true it fails them (CI starts every component).
 */
function required(env: string, how: string): string | undefined {
  const value = process.env[env];
  if (value) return value;
  if (process.env['CI'] === 'true' || process.env['CI'] === '1') {
    throw new Error(`CI=true but ${env} is not set: ${how}`);
  }
  console.warn(`skipping: ${env} is not set (${how})`);
  return undefined;
}

export const kafkaBrokers = (): string[] | undefined =>
  required(
    'KAFKA_BROKERS',
    'start a broker with `npm run kafka:up` and export KAFKA_BROKERS=127.0.0.1:9092',
  )?.split(',');

export const databaseUrl = (): string | undefined =>
  required('DATABASE_URL', 'export DATABASE_URL=postgres://postgres@127.0.0.1:5432/test');

/** `describe` when the component is there; otherwise a skipped block whose reason was printed. */
export const describeIf = (available: unknown): jest.Describe => (available ? describe : describe.skip);

/**
 * A fresh broker creates its internal topics (consumer offsets, producer ids) on first use, which
 * can take tens of seconds on a loaded machine: do it once before the timed tests.
 */
export async function warmUpKafka(brokers: string[]): Promise<void> {
  const { KafkaEventLog } = await import('@vgpu-twin/event-log');
  const log = new KafkaEventLog({ brokers, clientId: 'warm-up', replicationFactor: 1 });
  try {
    const stream = `warm-up-${process.pid}-${Date.now()}`;
    await log.ensureStreams([{ name: stream, partitions: 1 }]);
    await log.append(stream, [{ key: 'k', value: 'v', timestamp: 0 }]);
    let seen = false;
    const consumer = await log.consume({
      group: `${stream}-g`,
      streams: [stream],
      handler: async () => void (seen = true),
    });
    while (!seen) await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
  } finally {
    await log.close();
  }
}
