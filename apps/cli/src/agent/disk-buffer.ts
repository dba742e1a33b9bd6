import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Capture {
  /** Order of capture: drained strictly in this order. */
  readonly seq: number;
  readonly atMs: number;
  /** The `/v1/import` format of the text. */
  readonly format: string;
  readonly text: string;
}

export interface BufferLimits {
  readonly maxCaptures: number;
  readonly maxBytes: number;
}

/**
 * The agent's on-disk queue of captures not yet accepted by ingest: one file per capture, named by
 * its sequence number, written to a temporary name and renamed so a crash never leaves half a
 * capture. Bounded by count and bytes: past either bound the oldest captures are dropped, and the
 * drops are counted (persisted beside them) so the agent can say so in its log and to ingest.
 */
export class DiskBuffer {
  private seqs: number[];
  private sizes = new Map<number, number>();
  private bytes = 0;
  private droppedTotal: number;
  private nextSeq: number;

  constructor(
    private readonly dir: string,
    private readonly limits: BufferLimits,
  ) {
    mkdirSync(dir, { recursive: true });
    this.seqs = readdirSync(dir)
      .filter((f) => /^\d{16}\.json$/.test(f))
      .map((f) => Number(f.slice(0, 16)))
      .sort((a, b) => a - b);
    for (const s of this.seqs) {
      const size = statSync(this.file(s)).size;
      this.sizes.set(s, size);
      this.bytes += size;
    }
    this.droppedTotal = this.readDropped();
    this.nextSeq = (this.seqs[this.seqs.length - 1] ?? 0) + 1;
  }

  get length(): number {
    return this.seqs.length;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  /** Adds a capture; returns how many of the oldest were dropped to stay within the bounds. */
  push(capture: Omit<Capture, 'seq'>): number {
    const seq = this.nextSeq++;
    const body = JSON.stringify({ ...capture, seq });
    const tmp = join(this.dir, `${seq}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, this.file(seq));
    this.seqs.push(seq);
    this.sizes.set(seq, Buffer.byteLength(body));
    this.bytes += Buffer.byteLength(body);
    let dropped = 0;
    while (
      this.seqs.length > 1 &&
      (this.seqs.length > this.limits.maxCaptures || this.bytes > this.limits.maxBytes)
    ) {
      this.remove(this.seqs[0]!);
      dropped++;
    }
    if (dropped > 0) {
      this.droppedTotal += dropped;
      writeFileSync(join(this.dir, 'dropped'), String(this.droppedTotal));
    }
    return dropped;
  }

  /** The oldest capture, or null when the buffer is empty. */
  peek(): Capture | null {
    const seq = this.seqs[0];
    return seq === undefined ? null : (JSON.parse(readFileSync(this.file(seq), 'utf8')) as Capture);
  }

  /** Removes the oldest capture once ingest has it. */
  shift(): void {
    const seq = this.seqs[0];
    if (seq !== undefined) this.remove(seq);
  }

  private remove(seq: number): void {
    rmSync(this.file(seq), { force: true });
    this.bytes -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
    if (this.seqs[0] === seq) this.seqs.shift();
    else this.seqs = this.seqs.filter((s) => s !== seq);
  }

  private file(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.json`);
  }

  private readDropped(): number {
    try {
      return Number(readFileSync(join(this.dir, 'dropped'), 'utf8')) || 0;
    } catch {
      return 0;
    }
  }
}
