import { envInt, envNumber, envPort } from '@vgpu-twin/service-kit';
import { hostname } from 'node:os';
import { z } from 'zod';
import { defaultModelPath } from './model-file';

export const TwinConfigSchema = z
  .object({
    /** Port of the standalone twin's status API (`nx serve twin`). */
    TWIN_PORT: envPort(8083),
    /** Default SLO: observed slowdown above this, sustained, raises an interference alert. */
    TWIN_SLO_SLOWDOWN: envNumber(1.5, 1),
    /** Samples the slowdown must stay above (or back under) the SLO to raise (or resolve) an alert. */
    TWIN_SUSTAIN_SAMPLES: envInt(5, 1),
    /** Progress-rate samples averaged into one observed slowdown. */
    TWIN_SMOOTHING_SAMPLES: envInt(3, 1),
    /** An observation event at least every N samples of a VM (sooner when it moves > 5%). */
    TWIN_OBSERVATION_EVERY: envInt(10, 1),
    /** Consumer group shared by twin instances. */
    TWIN_GROUP: z.string().min(1).default('twin'),
    /** Where snapshots go: a SQLite file under VGPU_TWIN_DATA_DIR, PostgreSQL at DATABASE_URL, or none (rebuild from the log). */
    TWIN_SNAPSHOT_STORE: z
      .enum(['sqlite', 'postgres', 'none'], { message: "must be 'sqlite', 'postgres' or 'none'" })
      .default('sqlite'),
    DATABASE_URL: z.string().optional(),
    /** A snapshot after this many events. */
    TWIN_SNAPSHOT_EVERY: envInt(10_000, 1),
    /** …but at most one snapshot this often (ms): a snapshot serialises the whole state. */
    TWIN_SNAPSHOT_MIN_INTERVAL_MS: envInt(30_000),
    /** Snapshots kept per instance: more lets replays start from snapshots further back. */
    TWIN_SNAPSHOT_KEEP: envInt(3, 1),
    /** Records applied and committed at a time. */
    TWIN_MAX_BATCH: envInt(1000, 1),
    /**
     * The interference model whose learned residual corrects the scheduler model: an artifact
     * (`vgpu-twin model train`) or a directory of them (the newest by createdAt is used). Default:
     * the artifact that ships in models/default/hybrid.json; `none`: the scheduler model alone.
     */
    TWIN_MODEL: z
      .string()
      .min(1)
      .default(() => defaultModelPath()),
    /** Names this instance's own inventory consumer group: unique per running instance, stable across its restarts. */
    TWIN_INSTANCE_ID: z.string().min(1).default(hostname()),
  })
  .superRefine((c, ctx) => {
    if (c.TWIN_SNAPSHOT_STORE === 'postgres' && !c.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required when TWIN_SNAPSHOT_STORE=postgres',
      });
    }
  });
export type TwinServiceConfig = z.infer<typeof TwinConfigSchema>;
