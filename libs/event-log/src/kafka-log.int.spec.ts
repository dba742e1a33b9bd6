import { describeIf, kafkaBrokers, warmUpKafka } from '../../../test/support/components';
import { KafkaEventLog } from './kafka-log';
import { eventLogContract } from './testing/event-log-contract';

const brokers = kafkaBrokers();

describeIf(brokers)('Kafka event log (real broker)', () => {
  jest.setTimeout(120_000);
  beforeAll(() => warmUpKafka(brokers!), 180_000);
  const open = () =>
    new KafkaEventLog({ brokers: brokers!, clientId: 'vgpu-twin-test', replicationFactor: 1 });

  eventLogContract('Kafka', async () => {
    const log = open();
    const others: KafkaEventLog[] = [];
    return {
      log,
      reopen: async () => {
        const other = open();
        others.push(other);
        return other;
      },
      close: async () => {
        await Promise.all([log.close(), ...others.map((o) => o.close())]);
      },
    };
  });
});
