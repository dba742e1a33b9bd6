import { readFileSync } from 'node:fs';
import { ValidationError, type FieldIssue } from '@vgpu-twin/contracts';
import { parseAlibabaNodes, type AlibabaNode } from '@vgpu-twin/placement';
import { ConfigError } from '@vgpu-twin/service-kit';
import {
  buildCluster,
  demoScenario,
  parseScenario,
  type Scenario,
  type SimCluster,
} from '@vgpu-twin/simulation';

/** A scenario read and checked, with what running it needs from disk. */
export interface LoadedScenario {
  readonly scenario: Scenario;
  /** Where it came from: the file, or `built-in demo`. */
  readonly source: string;
  readonly cluster: SimCluster;
  readonly alibabaNodes?: readonly AlibabaNode[];
}

/** The names that mean the built-in demo. */
export const DEMO_SCENARIO = 'demo';

/**
 * Reads a scenario file (`demo` or nothing: the built-in one) and, for a `cluster.alibaba`
 * scenario, the node list it samples; builds its cluster, so that every problem, timeline included,
 * shows before anything runs. Throws a ValidationError whose message names the file and each bad path.
 */
export function loadScenario(file: string | undefined, alibabaNodesFile: string): LoadedScenario {
  if (file === undefined || file === DEMO_SCENARIO) {
    const scenario = demoScenario();
    return { scenario, source: 'built-in demo', cluster: buildCluster(scenario) };
  }
  const scenario = parseScenario(read(file), file);
  let alibabaNodes: AlibabaNode[] | undefined;
  if ('alibaba' in scenario.cluster)
    alibabaNodes = parseAlibabaNodes(read(alibabaNodesFile), alibabaNodesFile);
  let cluster: SimCluster;
  try {
    cluster = buildCluster(scenario, alibabaNodes ? { alibabaNodes } : {});
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    throw new ValidationError(`${file}: ${lines(e.issues).join('; ')}`, e.issues);
  }
  return { scenario, source: file, cluster, ...(alibabaNodes ? { alibabaNodes } : {}) };
}

/** `loadScenario` for a service at start: a bad file is one line naming it and its first bad path. */
export function loadScenarioAtStart(file: string | undefined, alibabaNodesFile: string): LoadedScenario {
  try {
    return loadScenario(file, alibabaNodesFile);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const [first, ...rest] = e.issues;
    const what = first ? `${file ?? DEMO_SCENARIO}: ${lines([first])[0]}` : e.message;
    throw new ConfigError(
      `invalid scenario ${what}${rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''}`,
    );
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ValidationError(`${file}: (file): cannot be read (${code})`, [
      { path: '(file)', message: `cannot be read (${code})` },
    ]);
  }
}

const lines = (issues: readonly FieldIssue[]): string[] => issues.map((i) => `${i.path}: ${i.message}`);
