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
