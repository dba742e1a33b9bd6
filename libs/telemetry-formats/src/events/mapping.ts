import { ValidationError } from '@vgpu-twin/contracts';
import { z } from 'zod';
import { normaliseBusId } from '../reading';

/**
 * The mapping file (`INGEST_MAPPING_FILE`, `agent --mapping`): what the sources cannot say
 * themselves. Which twin GPU a UUID is when the inventory names it otherwise; which VM and workload
 * a dcgm-exporter pod or a vGPU's VM is; and which metric is a VM's progress. Every pattern is a
 * regular expression matched against the whole value (as Prometheus matchers are).
 */
const Pattern = z.string().refine(
  (p) => {
    try {
      new RegExp(`^(?:${p})$`);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a valid regular expression' },
);

export const TelemetryMapping = z
  .object({
    /** A GPU by UUID, or by host and bus id, named `gpuId` in the twin. */
    gpus: z
      .array(
        z
          .object({
            uuid: z.string().min(1).optional(),
            host: z.string().min(1).optional(),
            /** Any form nvidia-smi prints (`82:00.0`, `0000:82:00.0`, `00000000:82:00.0`). */
            busId: z
              .string()
              .transform((b, ctx) => {
                const long = normaliseBusId(b);
                if (long === null) {
                  ctx.addIssue({ code: 'custom', message: 'must be a PCI bus id such as 00000000:82:00.0' });
                  return z.NEVER;
                }
                return long;
              })
              .optional(),
            gpuId: z.string().min(1),
            hostId: z.string().min(1).optional(),
          })
          .strict()
          .refine((g) => g.uuid !== undefined || (g.host !== undefined && g.busId !== undefined), {
            message: 'needs `uuid`, or `host` and `busId`',
          }),
      )
      .default([]),
    /**
     * A VM by the labels of its series: dcgm-exporter's `namespace`, `pod`, `container`, or a
     * vGPU's `vmName` / `vmUuid` from `nvidia-smi vgpu -q`. The first entry that matches wins.
     */
    vms: z
      .array(
        z
          .object({
            match: z.record(z.string(), Pattern),
            vm: z.string().min(1).optional(),
            /** The workload profile (`workload.profiled`) the VM runs; without one it stays unprofiled. */
            workload: z.string().min(1).optional(),
            sloSlowdown: z.number().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
    /**
     * A VM's progress: a metric its workload exports (steps, requests, samples), a counter turned
     * into a rate over `windowMs` or a gauge read as is. The VM is `vm`, or the value of the label
     * `vmLabel` on the series.
     */
    progress: z
      .array(
        z
          .object({
            metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name'),
            match: z.record(z.string(), Pattern).default({}),
            vm: z.string().min(1).optional(),
            vmLabel: z.string().min(1).optional(),
            type: z.enum(['counter', 'gauge']).default('counter'),
            windowMs: z.number().positive().default(30_000),
          })
          .strict()
          .refine((p) => (p.vm === undefined) !== (p.vmLabel === undefined), {
            message: 'needs exactly one of `vm` and `vmLabel`',
          }),
      )
      .default([]),
  })
  .strict();
export type TelemetryMapping = z.infer<typeof TelemetryMapping>;

export const EMPTY_MAPPING: TelemetryMapping = { gpus: [], vms: [], progress: [] };

/** Parses a mapping file's text; a bad one is a ValidationError naming each path. */
export function parseMapping(text: string, file = 'mapping'): TelemetryMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = TelemetryMapping.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new ValidationError(
    `${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    issues,
  );
}

const compiled = new Map<string, RegExp>();
/** True when every matcher's pattern matches the whole value of its label (a missing label is ''). */
export function matchesLabels(match: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [name, pattern] of Object.entries(match)) {
    let re = compiled.get(pattern);
    if (!re) compiled.set(pattern, (re = new RegExp(`^(?:${pattern})$`)));
    if (!re.test(labels[name] ?? '')) return false;
  }
  return true;
}
