import { Streams, type InventoryEvent } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { decodeRecords } from '@vgpu-twin/service-kit';
import { applyToIndex, emptyIndex, type InventoryIndex } from '@vgpu-twin/telemetry-formats';

/**
 * Ingest's view of the inventory: the inventory stream folded into an index (which GPU a UUID is,
 * where each VM runs), read forward from where it last stopped whenever a source needs it. The log
 * is the one truth, so discovery on one ingest sees what another appended.
 */
export class InventoryView {
  readonly index: InventoryIndex = emptyIndex();
  private readonly next = new Map<number, number>();
  private reading: Promise<void> | null = null;
  private readAtMs = -Infinity;

  constructor(private readonly log: EventLog) {}

  /**
   * Reads what the inventory stream gained since the last call (one read at a time). With
   * `staleMs`, a read finished that recently is good enough: telemetry on the hot path (every
   * scrape and remote write) need not ask the log each time — on Kafka that is an admin request.
   * Discovery asks without it, so it compares against everything appended before it.
   */
  catchUp(staleMs = 0): Promise<void> {
    if (this.reading === null && Date.now() - this.readAtMs <= staleMs) return Promise.resolve();
    this.reading ??= this.readAll().finally(() => {
      this.reading = null;
      this.readAtMs = Date.now();
    });
    return this.reading;
  }

  private async readAll(): Promise<void> {
    for (const { partition, offset: end } of await this.log.endOffsets(Streams.inventory)) {
      let at = this.next.get(partition) ?? 0;
      while (at < end) {
        const records = await this.log.read(Streams.inventory, partition, at, 5000);
        if (records.length === 0) break;
        for (const { event } of decodeRecords(records).events)
          applyToIndex(this.index, event as InventoryEvent);
        at = records[records.length - 1]!.offset + 1;
      }
      this.next.set(partition, at);
    }
  }
}
