import { ValidationError } from '@vgpu-twin/contracts';
import type { PromSample } from '@vgpu-twin/telemetry-formats';
import protobuf from 'protobufjs';
import { compress as compressBlock, uncompress } from 'snappyjs';

/**
 * Prometheus remote write 1.0: a snappy-compressed (block format) protobuf `WriteRequest`. The
 * message definitions are Prometheus's `prompb/remote.proto` and `types.proto`, reduced to the
 * fields 1.0 senders fill (histograms and exemplars are skipped).
 */
const root = protobuf.parse(`
syntax = "proto3";
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
`).root;
const WriteRequest = root.lookupType('WriteRequest');

interface DecodedWrite {
  timeseries?: {
    labels?: { name?: string; value?: string }[];
    samples?: { value?: number; timestamp?: number | { toNumber(): number } }[];
  }[];
  metadata?: { type?: number; metric_family_name?: string }[];
}

/** prompb MetricMetadata.MetricType: 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary. */
const TYPES: Record<number, PromSample['type']> = { 1: 'counter', 2: 'gauge', 3: 'histogram', 5: 'summary' };

/**
 * The largest decompressed write accepted: snappy's header states the length, and a 6-byte body
 * could otherwise make us allocate up to 2 GiB. Prometheus sends writes of a few MB at most.
 */
const MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Decodes a remote-write body into samples, one per (series, sample); `line` is the series'
 * position in the request (1-based), so problems name the series. A body that is not snappy or
 * not a WriteRequest is a ValidationError (400).
 */
export function decodeRemoteWrite(body: Buffer): PromSample[] {
  let raw: Uint8Array;
  try {
    raw = uncompress(body, MAX_UNCOMPRESSED_BYTES);
  } catch (e) {
    throw new ValidationError(
      `remote write: the body is not snappy-compressed (block format): ${(e as Error).message}`,
    );
  }
  let msg: DecodedWrite;
  try {
    msg = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number });
  } catch (e) {
    throw new ValidationError(
      `remote write: the body is not a prometheus.WriteRequest: ${(e as Error).message}`,
    );
  }
  const typeOf = new Map<string, PromSample['type']>();
  for (const m of msg.metadata ?? []) {
    const t = TYPES[m.type ?? 0];
    if (m.metric_family_name && t) typeOf.set(m.metric_family_name, t);
  }
  const samples: PromSample[] = [];
  (msg.timeseries ?? []).forEach((series, i) => {
    const labels: Record<string, string> = {};
    for (const l of series.labels ?? []) if (l.name) labels[l.name] = l.value ?? '';
    const name = labels.__name__ ?? '';
    delete labels.__name__;
    for (const s of series.samples ?? []) {
      const ts = typeof s.timestamp === 'object' ? s.timestamp.toNumber() : s.timestamp;
      samples.push({
        name,
        labels,
        value: s.value ?? 0,
        timestampMs: ts ?? null,
        line: i + 1,
        type: typeOf.get(name) ?? 'untyped',
      });
    }
  });
  return samples;
}

/** Encodes samples as a remote-write body, for tests and the benchmark. */
export function encodeRemoteWrite(
  series: readonly {
    labels: Record<string, string>;
    samples: readonly { value: number; timestampMs: number }[];
  }[],
): Buffer {
  const message = WriteRequest.fromObject({
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b)))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
    })),
  });
  return Buffer.from(compressBlock(WriteRequest.encode(message).finish()));
}
