import type { DomainEvent } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { decodeRecords } from '@vgpu-twin/service-kit';
import type { Position } from './view';

export interface Pushed {
  readonly channel: string;
  readonly rooms: readonly string[];
  readonly event: DomainEvent;
  readonly position: Position;
}

/**
 * The last pushes of one one-partition stream, by offset, so a client that comes back after a gap
 * gets exactly what it missed: from this ring when it still holds the gap, from the log before it.
 */
export class PushRing {
  private readonly ring: (Pushed | undefined)[];
  private next = 0;
  private count = 0;
  /** The offset after the last one pushed or replayed: where the ring would start when empty. */
  private end = 0;

  constructor(
    readonly stream: string,
    capacity = 10_000,
  ) {
    this.ring = new Array<Pushed | undefined>(capacity);
  }

  /** Live pushes, in offset order. */
  add(p: Pushed): void {
    this.ring[this.next] = p;
    this.next = (this.next + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    this.end = p.position.offset + 1;
  }

  /** Records applied without a push (a rebuild, or a record that routes nowhere) still move the end. */
  advanceTo(nextOffset: number): void {
    if (nextOffset > this.end) this.end = nextOffset;
  }

  /** The first offset the ring covers: everything from here on that was pushed is in it. */
  get first(): number {
    if (this.count === 0) return this.end;
    return this.ring[(this.next - this.count + this.ring.length) % this.ring.length]!.position.offset;
  }

  /** The offset of the last record pushed or applied, -1 before any. */
  get last(): number {
    return this.end - 1;
  }

  /** Pushes with offset ≥ from, oldest first. */
  since(from: number): Pushed[] {
    const out: Pushed[] = [];
    for (let i = 0; i < this.count; i++) {
      const p = this.ring[(this.next - this.count + i + this.ring.length) % this.ring.length]!;
      if (p.position.offset >= from) out.push(p);
    }
    return out;
  }
}

/**
 * Reads `[from, ring.first)` of the ring's stream from the log, routed as the live path routes;
 * returns them and where the ring takes over. Await it, then take `ring.since(next)` in the same
 * synchronous step as joining the rooms, so nothing falls between the two.
 */
export async function readGap(
  log: EventLog,
  ring: PushRing,
  from: number,
  route: (event: DomainEvent, offset: number) => Pushed | null,
): Promise<{ missed: Pushed[]; next: number }> {
  const missed: Pushed[] = [];
  let next = from;
  while (next < ring.first) {
    const records = await log.read(ring.stream, 0, next, Math.min(1000, ring.first - next));
    if (records.length === 0) break;
    for (const { record, event } of decodeRecords(records).events) {
      const p = route(event, record.offset);
      if (p) missed.push(p);
    }
    next = records[records.length - 1]!.offset + 1;
  }
  return { missed, next: Math.max(next, from) };
}
