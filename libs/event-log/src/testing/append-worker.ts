// Child process for the concurrent-append test: appends N records to a shared embedded log file.
import { EmbeddedEventLog } from '../embedded-log';

async function main(): Promise<void> {
  const [file, name, count] = process.argv.slice(2);
  const log = new EmbeddedEventLog({ file: file!, synchronous: 'NORMAL' });
  const n = Number(count);
  for (let i = 0; i < n; i += 10) {
    await log.append(
      's',
      Array.from({ length: 10 }, (_, j) => ({
        key: `${name}-${(i + j) % 7}`,
        value: `${name}:${i + j}`,
        timestamp: i + j,
      })),
    );
  }
  await log.close();
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
