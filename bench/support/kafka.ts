import { Kafka, logLevel } from 'kafkajs';

/**
 * Leaves a shared broker as a bench found it: the topics and consumer groups whose names start
 * with one of `prefixes` go. Call it once, when the bench ends — not between runs: creating topics
 * right after deleting others made kafkajs's createTopics (waitForLeaders) fail with "This server
 * does not host this topic-partition" on the local broker. A failure is logged, never thrown.
 */
export async function deleteBenchTopics(
  brokers: string,
  prefixes: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  if (prefixes.length === 0) return;
  const admin = new Kafka({
    clientId: 'bench-cleanup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => prefixes.some((p) => g.startsWith(p)));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    log(`deleted ${topics.length} topics and ${groups.length} consumer groups`);
  } catch (e) {
    log(`could not delete topics ${prefixes.join('*, ')}*: ${(e as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
