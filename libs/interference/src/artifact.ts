import { createHash } from 'node:crypto';
import { ValidationError, SchedulingPolicy } from '@vgpu-twin/contracts';
import { z } from 'zod';
import { forestFromJson, forestToJson } from './compiled';
import { pairsToCsv, profilesToCsv, type PairRow, type Profiles } from './csv';
import { REGRESSORS, type ForestOptions, type Regressor } from './models';

export const ARTIFACT_FORMAT = 'vgpu-twin.interference-model';
export const ARTIFACT_VERSION = 1;

const Metrics = z.object({
  mse: z.number(),
  mae: z.number(),
  spearman: z.number(),
  f1: z.number(),
  n: z.number().int(),
});
export type Metrics = z.infer<typeof Metrics>;

const ForestJson = z.object({
  nInputs: z.number().int(),
  roots: z.array(z.number().int()),
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: z.array(z.number()),
});

/** The versioned model file (`model.json`). Everything but `createdAt` is a function of the inputs. */
export const ModelArtifact = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  kind: z.enum(REGRESSORS),
  features: z.array(z.string()).min(1),
  policy: SchedulingPolicy,
  schedulerColumns: z.array(z.string()),
  /** sha256 of the canonical CSV of the training profiles and pairs. */
  trainingDataHash: z.string(),
  trainingPairs: z.number().int(),
  rowsUsed: z.number().int(),
  options: z
    .object({
      trees: z.number().int(),
      maxFeatures: z.number(),
      minNumSamples: z.number().int(),
      maxDepth: z.number(),
      seed: z.number().int(),
      maxTrainRows: z.number().int(),
    })
    .optional(),
  metrics: z.object({
    train: Metrics,
    cv: Metrics.extend({ folds: z.number().int() }).optional(),
  }),
  createdAt: z.string(),
  forest: ForestJson.optional(),
  linear: z.object({ coefficients: z.array(z.number()), intercept: z.number() }).optional(),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;

export function hashDataset(profiles: Profiles, pairs: readonly PairRow[]): string {
  return createHash('sha256').update(profilesToCsv(profiles)).update(pairsToCsv(pairs)).digest('hex');
}

export function buildArtifact(
  model: Regressor,
  meta: {
    readonly trainingDataHash: string;
    readonly trainingPairs: number;
    readonly rowsUsed: number;
    readonly options?: ForestOptions;
    readonly metrics: ModelArtifact['metrics'];
    /** ISO-8601 time, passed in: the domain never reads the clock. */
    readonly createdAt: string;
  },
): ModelArtifact {
  return {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    kind: model.kind,
    features: [...model.features],
    policy: model.policy,
    schedulerColumns: [...model.schedulerColumns],
    trainingDataHash: meta.trainingDataHash,
    trainingPairs: meta.trainingPairs,
    rowsUsed: meta.rowsUsed,
    ...(model.kind !== 'linear' && meta.options ? { options: { ...meta.options } } : {}),
    metrics: meta.metrics,
    createdAt: meta.createdAt,
    ...(model.forest ? { forest: forestToJson(model.forest) } : {}),
    ...(model.linear
      ? { linear: { coefficients: [...model.linear.coefficients], intercept: model.linear.intercept } }
      : {}),
  };
}

export function serializeArtifact(a: ModelArtifact): string {
  return JSON.stringify(a) + '\n';
}

export function parseArtifact(
  text: string,
  file = 'model.json',
): { artifact: ModelArtifact; model: Regressor } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${file}: not JSON (${(e as Error).message})`, [
      { path: file, message: 'not JSON' },
    ]);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== ARTIFACT_VERSION) {
    throw new ValidationError(
      `${file}: artifact version ${String(version)} is not supported (want ${ARTIFACT_VERSION})`,
      [{ path: `${file}:version`, message: 'unsupported version' }],
    );
  }
  const parsed = ModelArtifact.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: `${file}:${i.path.join('.')}`,
      message: i.message,
    }));
    throw new ValidationError(
      `${file}: not a model artifact: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const a = parsed.data;
  const needsForest = a.kind !== 'linear';
  if (needsForest ? !a.forest : !a.linear) {
    throw new ValidationError(
      `${file}: a ${a.kind} model needs its ${needsForest ? 'forest' : 'linear'} section`,
      [{ path: `${file}:${needsForest ? 'forest' : 'linear'}`, message: 'missing' }],
    );
  }
  const nInputs = 2 * a.features.length;
  if ((a.forest && a.forest.nInputs !== nInputs) || (a.linear && a.linear.coefficients.length !== nInputs)) {
    throw new ValidationError(`${file}: model inputs do not match its ${a.features.length} features`, [
      { path: `${file}:features`, message: 'input count mismatch' },
    ]);
  }
  const model: Regressor = {
    kind: a.kind,
    features: a.features,
    policy: a.policy,
    schedulerColumns: a.schedulerColumns,
    ...(a.forest ? { forest: forestFromJson(a.forest, `${file}:forest`) } : {}),
    ...(a.linear ? { linear: a.linear } : {}),
  };
  return { artifact: a, model };
}

/** The artifact the twin should use: the newest by `createdAt` (ISO strings sort by time). */
export function currentArtifact<A extends { readonly createdAt: string }>(
  artifacts: readonly A[],
): A | undefined {
  return [...artifacts].sort((a, b) =>
    a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0,
  )[0];
}
