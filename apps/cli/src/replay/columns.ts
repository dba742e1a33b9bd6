import type { AnyVmSample, DomainEvent } from '@vgpu-twin/contracts';

/**
 * Decoded events of one partition, in log order, as columns: what a read worker posts to the
 * replay's merge. Copying decoded objects between threads costs about what JSON.parse did (the
 * structured clone walks every object), so the telemetry samples — nearly every event of a
 * window — travel as typed arrays and interned strings, and become objects again on the main
 * thread only when the merge reaches them, one at a time. Anything else travels as JSON.
 */
export interface EventColumns {
  readonly count: number;
  /** The record offset of each event (a packed record's events share one). */
  readonly offsets: Float64Array;
  /** 0: a `telemetry.vm_sample` (its index into the sample columns); 1: JSON (into `json`). */
  readonly kind: Uint8Array;
  readonly ref: Uint32Array;
  readonly json: readonly string[];
  /** Per sample: id, version, indices into `strings` (ts, source, vmId, gpuId), the numbers. */
  readonly ids: readonly string[];
  readonly versions: Uint8Array;
  readonly stringRefs: Uint32Array;
  readonly numbers: Float64Array;
  readonly strings: readonly string[];
}

/** The numeric fields of a VM sample (v1 and v2 carry the same keys), in the contract's order. */
const NUMERIC = [
  'gpuUtilPct',
  'memUtilPct',
  'fbUsedMib',
  'pcieRxMBps',
  'pcieTxMBps',
  'vcpuUtilPct',
  'vmMemUtilPct',
  'progressRate',
] as const;
const N = NUMERIC.length;
/** ts, source, vmId, gpuId. */
const S = 4;

/** Builds one chunk of columns; `add` events in log order, then `finish` (the buffers can be transferred). */
export class ColumnsBuilder {
  private readonly offsets: number[] = [];
  private readonly kind: number[] = [];
  private readonly ref: number[] = [];
  private readonly json: string[] = [];
  private readonly ids: string[] = [];
  private readonly versions: number[] = [];
  private readonly stringRefs: number[] = [];
  private readonly numbers: number[] = [];
  private readonly strings: string[] = [];
  private readonly interned = new Map<string, number>();

  get count(): number {
    return this.kind.length;
  }

  add(event: DomainEvent, offset: number): void {
    this.offsets.push(offset);
    if (event.type !== 'telemetry.vm_sample') {
      this.kind.push(1);
      this.ref.push(this.json.push(JSON.stringify(event)) - 1);
      return;
    }
    this.kind.push(0);
    this.ref.push(this.ids.push(event.id) - 1);
    this.versions.push(event.version);
    this.stringRefs.push(
      this.intern(event.ts),
      this.intern(event.source),
      this.intern(event.data.vmId),
      this.intern(event.data.gpuId),
    );
    // null as NaN: JSON has no NaN, so the two never meet
    for (const key of NUMERIC) this.numbers.push(event.data[key] ?? Number.NaN);
  }

  finish(): EventColumns {
    return {
      count: this.kind.length,
      offsets: Float64Array.from(this.offsets),
      kind: Uint8Array.from(this.kind),
      ref: Uint32Array.from(this.ref),
      json: this.json,
      ids: this.ids,
      versions: Uint8Array.from(this.versions),
      stringRefs: Uint32Array.from(this.stringRefs),
      numbers: Float64Array.from(this.numbers),
      strings: this.strings,
    };
  }

  private intern(s: string): number {
    let i = this.interned.get(s);
    if (i === undefined) this.interned.set(s, (i = this.strings.push(s) - 1));
    return i;
  }
}

/** The buffers of a chunk, for `postMessage`'s transfer list (moved, not copied). */
export function transferablesOf(c: EventColumns): ArrayBuffer[] {
  return [c.offsets, c.kind, c.ref, c.versions, c.stringRefs, c.numbers].map((a) => a.buffer as ArrayBuffer);
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** The `i`-th event of a chunk, as decoding its record gave it (the worker validated it). */
export function eventAt(c: EventColumns, i: number): DomainEvent {
  const r = c.ref[i]!;
  if (c.kind[i] === 1) return JSON.parse(c.json[r]!) as DomainEvent;
  const s = r * S;
  const n = r * N;
  const x = c.numbers;
  const sample = {
    id: c.ids[r]!,
    type: 'telemetry.vm_sample' as const,
    version: c.versions[r]!,
    ts: c.strings[c.stringRefs[s]!]!,
    source: c.strings[c.stringRefs[s + 1]!]!,
    data: {
      vmId: c.strings[c.stringRefs[s + 2]!]!,
      gpuId: c.strings[c.stringRefs[s + 3]!]!,
      gpuUtilPct: orNull(x[n]!),
      memUtilPct: orNull(x[n + 1]!),
      fbUsedMib: orNull(x[n + 2]!),
      pcieRxMBps: orNull(x[n + 3]!),
      pcieTxMBps: orNull(x[n + 4]!),
      vcpuUtilPct: orNull(x[n + 5]!),
      vmMemUtilPct: orNull(x[n + 6]!),
      progressRate: orNull(x[n + 7]!),
    },
  };
  return sample as AnyVmSample;
}
