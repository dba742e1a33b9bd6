import { ValidationError, type FieldIssue } from '@vgpu-twin/contracts';
import type { z } from 'zod';
import { buildCluster, clusterIssues, isCatalogueWorkload, unknownWorkload } from './cluster';
import { ScenarioSchema, type Scenario } from './schema';

/**
 * Parses a scenario file's text. Throws a ValidationError whose message names the file and every
 * bad path (`demo.json: timeline[3].vm: unknown VM 'vm-99'`), and whose `issues` list them. A
 * written-out cluster is checked whole, timeline included; a sampled (Alibaba) cluster's timeline
 * can only be checked against the sample, by `buildCluster`.
 */
export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw scenarioError(file, [{ path: '(file)', message: `is not JSON: ${(e as Error).message}` }]);
  }
  return validateScenario(raw, file);
}

/** `parseScenario` on an already parsed value. */
export function validateScenario(raw: unknown, file: string): Scenario {
  const r = ScenarioSchema.safeParse(raw);
  if (!r.success) throw scenarioError(file, shapeIssues(r.error.issues, raw));
  const scenario = r.data;
  const issues = referenceIssues(scenario);
  if (issues.length > 0) throw scenarioError(file, issues);
  if (!('alibaba' in scenario.cluster)) {
    try {
      buildCluster(scenario);
    } catch (e) {
      if (e instanceof ValidationError) throw scenarioError(file, e.issues);
      throw e;
    }
  }
  return scenario;
}

function scenarioError(file: string, issues: readonly FieldIssue[]): ValidationError {
  return new ValidationError(`${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** Workload names and written-out placements, which need no sample to check. */
function referenceIssues(s: Scenario): FieldIssue[] {
  const issues = 'alibaba' in s.cluster ? [] : clusterIssues(s.cluster);
  if ('alibaba' in s.cluster)
    s.cluster.alibaba.workloads?.forEach((w, i) => {
      if (!isCatalogueWorkload(w))
        issues.push({ path: `cluster.alibaba.workloads[${i}]`, message: unknownWorkload(w) });
    });
  s.timeline.forEach((a, i) => {
    if ((a.action === 'phase' || a.action === 'place') && !isCatalogueWorkload(a.workload))
      issues.push({ path: `timeline[${i}].workload`, message: unknownWorkload(a.workload) });
  });
  return issues;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/**
 * zod's issues in the scenario's words: an unknown key names its own path, a missing field says
 * so, and the cluster union reports only the branch the file meant (`alibaba` present or not).
 */
function shapeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  prefix: PropertyKey[] = [],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const i of issues) {
    const path = [...prefix, ...i.path];
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys)
        out.push({ path: formatPath([...path, k]), message: 'is not a field of the scenario format' });
    } else if (i.code === 'invalid_union' && i.errors.length > 0) {
      const value = valueAt(raw, path);
      const branch = isRecord(value) && 'alibaba' in value ? 1 : 0;
      out.push(...shapeIssues(i.errors[branch] ?? i.errors[0]!, raw, path));
    } else if (i.code === 'invalid_type' && valueAt(raw, path) === undefined) {
      out.push({ path: formatPath(path), message: `is required (${i.expected})` });
    } else out.push({ path: formatPath(path) || '(scenario)', message: i.message });
  }
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
