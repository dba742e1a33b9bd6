import { IngestConfigSchema } from '@vgpu-twin/ingest';
import { NotifierConfigSchema } from '@vgpu-twin/notifier';
import { LogConfigSchema, LoggingConfigSchema, loadConfig } from '@vgpu-twin/service-kit';
import { SimulatorConfigSchema } from '@vgpu-twin/simulator';
import { TwinConfigSchema } from '@vgpu-twin/twin';
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import * as startCommand from '../apps/cli/src/commands/start';
import { repoRoot, spawnTs, type Spawned } from './support/process';

/**
 * The deployment files (Dockerfile, deploy/compose, deploy/k8s, deploy/grafana) against the code
 * they deploy: every setting they pass is one a service reads and validates, every probe and
 * health check asks a path the services serve, every dashboard query names a metric the services
 * export. Nothing here needs Docker or a cluster: kustomize renders the overlays offline
 * (Debian's `kubernetes-client`; KUBECTL=/path/to/kubectl picks another binary).
 */

const rel = (...p: string[]) => join(repoRoot, ...p);
const pkg = JSON.parse(readFileSync(rel('package.json'), 'utf8')) as { version: string };
/** The one image every vgpu-twin container runs (README, "Deploying"). */
const IMAGE = `vgpu-twin:${pkg.version}`;
const PROBE_PATHS = ['/health/live', '/health/ready'];
const SECRET = 'vgpu-twin-secrets';

// ---------------------------------------------------------------------------------------------
// What the services read: their zod config schemas, by the entry point a container runs.

type Entry = 'ingest' | 'twin' | 'notifier' | 'simulator' | 'start';
type Schema = z.ZodObject;

/** Not exported (yet) by apps/cli/src/commands/start.ts: looked up so that its absence is a clear failure. */
const StartConfigSchema = (startCommand as unknown as { StartConfigSchema?: Schema }).StartConfigSchema;

function schemasOf(entry: Entry): Schema[] {
  switch (entry) {
    case 'ingest':
      return [LogConfigSchema, IngestConfigSchema];
    case 'twin':
      return [LogConfigSchema, TwinConfigSchema];
    case 'notifier':
      return [LogConfigSchema, NotifierConfigSchema];
    case 'simulator':
      return [LoggingConfigSchema, SimulatorConfigSchema]; // it opens no event log: it posts to ingest
    case 'start':
      if (!StartConfigSchema) {
        throw new Error(
          'apps/cli/src/commands/start.ts does not export StartConfigSchema: export it, so that the settings ' +
            'passed to `vgpu-twin start` (PORT) can be checked against it',
        );
      }
      return [
        LogConfigSchema,
        StartConfigSchema,
        IngestConfigSchema,
        TwinConfigSchema,
        NotifierConfigSchema,
        SimulatorConfigSchema,
      ];
    default: {
      const _exhaustive: never = entry;
      return _exhaustive;
    }
  }
}
const keysOf = (entry: Entry) => new Set(schemasOf(entry).flatMap((s) => Object.keys(s.shape)));
const SERVICE_KEYS = new Set(
  (
    [
      LogConfigSchema,
      IngestConfigSchema,
      TwinConfigSchema,
      NotifierConfigSchema,
      SimulatorConfigSchema,
    ] as Schema[]
  )
    .concat(StartConfigSchema ? [StartConfigSchema] : [])
    .flatMap((s) => Object.keys(s.shape)),
);
const PORT_KEY: Record<Entry, string | null> = {
  ingest: 'INGEST_PORT',
  twin: 'TWIN_PORT',
  notifier: 'NOTIFIER_PORT',
  simulator: null, // serves no HTTP
  start: 'PORT',
};
const START_FLAGS = (() => {
  const program = new Command();
  startCommand.registerStartCommand(program);
  const start = program.commands.find((c) => c.name() === 'start')!;
  return new Set(start.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f));
})();

/**
 * The entry point a container's command line runs: `node [node flags] dist/apps/<app>/src/main.js …`
 * (the Dockerfile's ENTRYPOINT is `node`); the CLI only as `start`.
 */
function entryOf(argv: readonly string[], where: string): { entry: Entry; args: string[] } {
  if (argv[0] !== 'node') throw new Error(`${where}: runs ${JSON.stringify(argv)}, not node`);
  const i = argv.findIndex((a) => /^dist\/apps\/[\w-]+\/src\/main\.js$/.test(a));
  if (i < 0) throw new Error(`${where}: ${JSON.stringify(argv)} runs no dist/apps/<app>/src/main.js`);
  const script = argv[i]!;
  const app = script.split('/')[2]!;
  if (!existsSync(rel(script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))) {
    throw new Error(`${where}: ${script} is built from no source file in this repository`);
  }
  const args = argv.slice(i + 1);
  if (app === 'cli') {
    if (args[0] !== 'start')
      throw new Error(`${where}: the CLI runs ${JSON.stringify(args)}, expected start`);
    const unknown = args.slice(1).filter((a) => a.startsWith('-') && !START_FLAGS.has(a.split('=')[0]!));
    if (unknown.length > 0)
      throw new Error(`${where}: \`vgpu-twin start\` has no option ${unknown.join(', ')}`);
    return { entry: 'start', args: args.slice(1) };
  }
  if (app === 'ingest' || app === 'twin' || app === 'notifier' || app === 'simulator')
    return { entry: app, args };
  throw new Error(`${where}: ${script} is no service`);
}

interface Effective {
  /** What the service parsed from its environment (every schema of the entry point). */
  readonly config: Record<string, unknown>;
  readonly problems: string[];
}

/** Parses a container's environment with the schemas of its entry point, as the service does at boot. */
function effectiveConfig(entry: Entry, env: Record<string, string>, where: string): Effective {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const schema of schemasOf(entry)) {
    try {
      Object.assign(config, loadConfig(schema, env));
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  return { config, problems };
}

function portOf(entry: Entry, args: readonly string[], config: Record<string, unknown>): number | null {
  const key = PORT_KEY[entry];
  if (key === null) return null;
  const flag = args.findIndex((a) => a === '--port' || a === '-p');
  return flag >= 0 ? Number(args[flag + 1]) : (config[key] as number);
}

/**
 * Settings that keep state in a SQLite file under VGPU_TWIN_DATA_DIR: right for the one embedded
 * pod on its volume, wrong where every pod or container of a service has a data folder of its own.
 */
const SQLITE_STATE = [
  ['EVENT_LOG', 'embedded'],
  ['TWIN_SNAPSHOT_STORE', 'sqlite'],
  ['INGEST_KEY_STORE', 'sqlite'],
  ['NOTIFIER_HISTORY_STORE', 'sqlite'],
] as const;
const sqliteState = (where: string, config: Record<string, unknown>) =>
  SQLITE_STATE.filter(([k, v]) => config[k] === v).map(([k, v]) => `${where}: ${k}=${v}`);

// ---------------------------------------------------------------------------------------------
// Kubernetes: the kustomize overlays as rendered.

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    securityContext?: { runAsNonRoot?: boolean };
  };
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: unknown;
}
interface WorkloadSpec {
  replicas?: number;
  serviceName?: string;
  strategy?: { type: string };
  selector: { matchLabels: Record<string, string> };
  template: PodTemplate;
}
interface ServiceSpec {
  selector: Record<string, string>;
  clusterIP?: string;
  ports: { port: number; targetPort?: number | string }[];
}
interface PdbSpec {
  selector: { matchLabels: Record<string, string> };
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

const KUBECTL = process.env['KUBECTL'] ?? 'kubectl';

function kustomize(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync(KUBECTL, ['kustomize', rel(dir)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `${KUBECTL} not found: these checks render deploy/k8s with \`kubectl kustomize\`. Install it ` +
          '(Debian: apt-get install -y kubernetes-client) or set KUBECTL to a kubectl binary; .ci/run installs it.',
      );
    }
    throw new Error(`${KUBECTL} kustomize ${dir} failed:\n${err.stderr ?? err.message}`);
  }
  return parseAllDocuments(out)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${dir}: ${d.errors.map((x) => x.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

interface RenderedContainer {
  readonly where: string;
  readonly workload: K8sObject & { spec: WorkloadSpec };
  readonly container: Container;
  readonly entry: Entry;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly config: Record<string, unknown>;
}

interface Rendered {
  readonly objects: K8sObject[];
  readonly containers: RenderedContainer[];
  readonly problems: string[];
}

const isWorkload = (o: K8sObject): o is K8sObject & { spec: WorkloadSpec } =>
  ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'].includes(o.kind);

/** Every check that holds for any overlay; the problems found, one line each. */
function checkRendered(dir: string, objects: K8sObject[]): Rendered {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
  const containers: RenderedContainer[] = [];

  for (const s of byKind('Secret')) {
    problems.push(
      `${dir}: renders Secret ${s.metadata.name}: secrets are created in the cluster, never kept here`,
    );
  }
  for (const [name, data] of configMaps) {
    for (const key of Object.keys(data)) {
      if (!SERVICE_KEYS.has(key))
        problems.push(`${dir}: ConfigMap ${name} sets ${key}, which no service reads`);
    }
  }

  for (const w of objects.filter(isWorkload)) {
    const at = `${dir}: ${w.kind} ${w.metadata.name}`;
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet') {
      problems.push(`${at}: expected Deployments and StatefulSets only`);
      continue;
    }
    const pod = w.spec.template;
    if (!labelsMatch(w.spec.selector.matchLabels, pod.metadata.labels)) {
      problems.push(`${at}: its selector does not match its pod labels`);
    }
    if (pod.spec.securityContext?.runAsNonRoot !== true) problems.push(`${at}: pods must set runAsNonRoot`);
    if (
      w.kind === 'StatefulSet' &&
      !objects.some((o) => o.kind === 'Service' && o.metadata.name === w.spec.serviceName)
    ) {
      problems.push(`${at}: serviceName ${w.spec.serviceName} names no Service`);
    }
    for (const v of pod.spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim)) {
        problems.push(`${at}: volume ${v.name} claims ${claim}, which is not rendered`);
      }
    }
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const where = `${at} container ${c.name}`;
      if (c.image !== IMAGE) problems.push(`${where}: image ${c.image}, expected ${IMAGE}`);
      let run: { entry: Entry; args: string[] };
      try {
        run = entryOf([...(c.command ?? []), ...(c.args ?? [])], where);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      const readable = keysOf(run.entry);
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? []) {
        if (from.secretRef)
          problems.push(`${where}: envFrom a whole Secret; name each key with secretKeyRef`);
        const name = from.configMapRef?.name;
        if (name === undefined) continue;
        const data = configMaps.get(name);
        if (data === undefined) problems.push(`${where}: envFrom ConfigMap ${name}, which is not rendered`);
        Object.assign(env, data ?? {});
      }
      for (const e of c.env ?? []) {
        if (!readable.has(e.name))
          problems.push(`${where}: sets ${e.name}, which ${run.entry} does not read`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) {
          if (ref.name !== SECRET)
            problems.push(`${where}: ${e.name} from Secret ${ref.name}, expected ${SECRET}`);
          if (ref.key !== e.name)
            problems.push(`${where}: ${e.name} from key ${ref.key}: name the key as the variable`);
          env[e.name] = `secret-${ref.key}`;
        } else if (e.valueFrom?.fieldRef) {
          env[e.name] = 'pod-0';
        } else if (e.valueFrom?.configMapKeyRef) {
          const cm = configMaps.get(e.valueFrom.configMapKeyRef.name);
          const v = cm?.[e.valueFrom.configMapKeyRef.key];
          if (v === undefined) problems.push(`${where}: ${e.name} from a ConfigMap key that is not rendered`);
          env[e.name] = v ?? '';
        } else {
          env[e.name] = e.value ?? '';
        }
      }
      const { config, problems: invalid } = effectiveConfig(run.entry, env, where);
      problems.push(...invalid);
      containers.push({ where, workload: w, container: c, entry: run.entry, args: run.args, env, config });

      const ports = c.ports ?? [];
      const resolvePort = (p: number | string) =>
        typeof p === 'number' ? ports.find((x) => x.containerPort === p) : ports.find((x) => x.name === p);
      const port = portOf(run.entry, run.args, config);
      if (port !== null && !ports.some((p) => p.containerPort === port)) {
        problems.push(`${where}: listens on ${port} (${PORT_KEY[run.entry]}), not among its containerPorts`);
      }
      const probes = {
        livenessProbe: c.livenessProbe,
        readinessProbe: c.readinessProbe,
        startupProbe: c.startupProbe,
      };
      if (run.entry === 'simulator') {
        // It serves no HTTP: a probe could only fail.
        for (const [kind, p] of Object.entries(probes))
          if (p) problems.push(`${where}: the simulator has no ${kind} to answer`);
      } else {
        if (c.livenessProbe?.httpGet?.path !== '/health/live')
          problems.push(`${where}: livenessProbe must GET /health/live`);
        if (c.readinessProbe?.httpGet?.path !== '/health/ready')
          problems.push(`${where}: readinessProbe must GET /health/ready`);
      }
      for (const [kind, p] of Object.entries(probes)) {
        if (!p) continue;
        if (!p.httpGet) {
          problems.push(`${where}: ${kind} is not an httpGet`);
          continue;
        }
        if (!PROBE_PATHS.includes(p.httpGet.path)) problems.push(`${where}: ${kind} GETs ${p.httpGet.path}`);
        const target = resolvePort(p.httpGet.port);
        if (!target) problems.push(`${where}: ${kind} port ${p.httpGet.port} is no containerPort`);
        else if (target.containerPort !== port)
          problems.push(`${where}: ${kind} probes ${target.containerPort}, the service listens on ${port}`);
      }
      if (!c.resources?.requests?.['cpu'] || !c.resources.requests['memory'])
        problems.push(`${where}: no cpu and memory requests`);
      if (!c.resources?.limits?.['memory']) problems.push(`${where}: no memory limit`);
    }
  }

  // The twin: replicas share the telemetry partitions through one consumer group, and each instance
  // needs an id that survives its restarts (it names its snapshots and its inventory group).
  for (const t of containers.filter((c) => c.entry === 'twin' || c.entry === 'start')) {
    const replicas = t.workload.spec.replicas ?? 1;
    const partitions = t.config['KAFKA_TELEMETRY_PARTITIONS'] as number; // the ConfigMap's, else the default 12
    if (replicas > partitions) {
      problems.push(
        `${t.where}: ${replicas} twin replicas, more than the ${partitions} telemetry partitions`,
      );
    }
    const id = t.container.env?.find((e) => e.name === 'TWIN_INSTANCE_ID');
    const stableName =
      t.workload.kind === 'StatefulSet' && id?.valueFrom?.fieldRef?.fieldPath === 'metadata.name';
    const pinned = replicas === 1 && t.env['TWIN_INSTANCE_ID'] !== undefined && id?.valueFrom === undefined;
    if (!stableName && !pinned) {
      problems.push(
        `${t.where}: TWIN_INSTANCE_ID must survive restarts: a StatefulSet's metadata.name, or a fixed value for one replica`,
      );
    }
  }

  const workloads = objects.filter(isWorkload);
  for (const pdb of byKind('PodDisruptionBudget')) {
    const spec = pdb.spec as PdbSpec;
    const matched = workloads.filter((w) =>
      labelsMatch(spec.selector.matchLabels, w.spec.template.metadata.labels),
    );
    if (matched.length !== 1) {
      problems.push(
        `${dir}: PodDisruptionBudget ${pdb.metadata.name} selects ${matched.length} workloads, expected 1`,
      );
      continue;
    }
    const replicas = matched[0]!.spec.replicas ?? 1;
    const allows =
      spec.maxUnavailable !== undefined
        ? Number(spec.maxUnavailable) >= 1
        : Number(spec.minAvailable) < replicas;
    if (!allows)
      problems.push(
        `${dir}: PodDisruptionBudget ${pdb.metadata.name} allows no disruption of ${replicas} pods`,
      );
  }
  for (const svc of byKind('Service')) {
    const spec = svc.spec as ServiceSpec;
    const pods = workloads.filter((w) => labelsMatch(spec.selector, w.spec.template.metadata.labels));
    if (pods.length === 0) problems.push(`${dir}: Service ${svc.metadata.name} selects no pods`);
    for (const p of spec.ports) {
      const target = p.targetPort ?? p.port;
      const ok = pods.some((w) =>
        w.spec.template.spec.containers.some((c) =>
          (c.ports ?? []).some((cp) =>
            typeof target === 'number' ? cp.containerPort === target : cp.name === target,
          ),
        ),
      );
      if (!ok)
        problems.push(
          `${dir}: Service ${svc.metadata.name} targets port ${target}, which its pods do not expose`,
        );
    }
  }
  return { objects, containers, problems };
}

describe('deploy/k8s: the kustomize overlays, rendered by kubectl kustomize', () => {
  const overlays = readdirSync(rel('deploy/k8s/overlays'));

  it('has the embedded, distributed and simulator overlays', () => {
    expect(overlays.sort()).toEqual(['distributed', 'embedded', 'simulator']);
  });

  it('keeps no Secret with data anywhere under deploy/', () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(rel(dir), { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(e.name)) {
          for (const d of parseAllDocuments(readFileSync(rel(path), 'utf8'))) {
            const o = d.toJS() as K8sObject | null;
            if (o?.kind === 'Secret' && (o.data || o.stringData))
              found.push(`${path}: Secret ${o.metadata.name}`);
          }
        }
      }
    };
    walk('deploy');
    expect(found).toEqual([]);
  });

  const render = (overlay: string) => {
    const dir = `deploy/k8s/overlays/${overlay}`;
    return checkRendered(dir, kustomize(dir));
  };
  const entries = (r: Rendered) => r.containers.map((c) => c.entry).sort();

  it('embedded: one pod running `vgpu-twin start --no-simulator` on the embedded log, on a volume', () => {
    const r = render('embedded');
    expect(r.problems).toEqual([]);
    expect(entries(r)).toEqual(['start']);
    const [c] = r.containers;
    expect(c!.args).toContain('--no-simulator');
    expect(c!.config['EVENT_LOG']).toBe('embedded');
    expect(c!.config['TWIN_SNAPSHOT_STORE']).toBe('sqlite');
    expect(c!.workload.kind).toBe('Deployment');
    expect(c!.workload.spec.replicas).toBe(1);
    expect(c!.workload.spec.strategy?.type).toBe('Recreate'); // a ReadWriteOnce volume, one writer of the log
    // the data directory the log lives in is the PersistentVolumeClaim
    const dataDir = c!.env['VGPU_TWIN_DATA_DIR'];
    const mount = c!.container.volumeMounts?.find((m) => m.mountPath === dataDir);
    const volume = c!.workload.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.persistentVolumeClaim?.claimName).toBeDefined();
    const secretKeys = (c!.container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    expect(secretKeys.sort()).toEqual(['INGEST_API_KEYS', 'NOTIFIER_TOKEN']);
  });

  it('distributed: ingest, twin and notifier on Kafka, their state in PostgreSQL, nothing in a pod’s own files', () => {
    const r = render('distributed');
    expect(r.problems).toEqual([]);
    expect(entries(r)).toEqual(['ingest', 'notifier', 'twin']);
    expect(r.containers.flatMap((c) => sqliteState(c.where, c.config))).toEqual([]);
    for (const c of r.containers) {
      expect(c.config['KAFKA_BROKERS']).not.toMatch(/127\.0\.0\.1|localhost/); // an in-cluster Service
    }
    // PostgreSQL for the twin's snapshots, ingest's keys and the notifiers' history, its URL from the Secret
    for (const c of r.containers) {
      const url = c.container.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name;
      expect([c.where, url]).toEqual([c.where, SECRET]);
    }
    // two notifiers: deciding and delivery shared through consumer groups
    expect(r.containers.find((c) => c.entry === 'notifier')!.workload.spec.replicas).toBe(2);
    const twin = r.containers.find((c) => c.entry === 'twin')!;
    expect(twin.config['TWIN_SNAPSHOT_STORE']).toBe('postgres');
    expect(twin.container.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name).toBe(
      SECRET,
    );
    expect(twin.workload.spec.replicas).toBeGreaterThan(1);
    // a PodDisruptionBudget for the twin and for ingest
    const pdbs = r.objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.spec as PdbSpec);
    for (const entry of ['twin', 'ingest']) {
      const w = r.containers.find((c) => c.entry === entry)!.workload;
      expect([
        entry,
        pdbs.some((p) => labelsMatch(p.selector.matchLabels, w.spec.template.metadata.labels)),
      ]).toEqual([entry, true]);
    }
  });

  it('simulator: the distributed services plus the simulator posting to the ingest Service', () => {
    const r = render('simulator');
    expect(r.problems).toEqual([]);
    expect(entries(r)).toEqual(['ingest', 'notifier', 'simulator', 'twin']);
    expect(r.containers.flatMap((c) => sqliteState(c.where, c.config))).toEqual([]);
    const sim = r.containers.find((c) => c.entry === 'simulator')!;
    const url = new URL(sim.config['SIM_INGEST_URL'] as string);
    const ingest = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === url.hostname);
    expect(ingest).toBeDefined();
    expect((ingest!.spec as ServiceSpec).ports.map((p) => p.port)).toContain(Number(url.port));
    const ingestPod = r.containers.find((c) => c.entry === 'ingest')!;
    expect(
      labelsMatch((ingest!.spec as ServiceSpec).selector, ingestPod.workload.spec.template.metadata.labels),
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Docker Compose.

interface ComposeService {
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  profiles?: string[];
}

/** Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` with nothing set: the defaults. */
const interpolate = (s: string) =>
  s.replace(/\$\{(\w+)(?::?[-?]([^}]*))?\}/g, (_m, _v, d?: string) => d ?? '');

describe('deploy/compose/compose.yaml', () => {
  const compose = parse(readFileSync(rel('deploy/compose/compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const services = Object.entries(compose.services);
  const envOf = (s: ComposeService): Record<string, string> => {
    const e = s.environment ?? {};
    const pairs = Array.isArray(e)
      ? e.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)] as const)
      : Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)] as const);
    return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v)]));
  };
  const ours = services
    .filter(([, s]) => s.image !== undefined && interpolate(s.image).endsWith(IMAGE))
    .map(([name, s]) => {
      const command = typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []);
      return { name, s, ...entryOf(['node', ...command], `compose service ${name}`), env: envOf(s) };
    });

  it('runs Kafka 3.9 in KRaft mode and PostgreSQL 16', () => {
    const kafka = compose.services['kafka']!;
    expect(interpolate(kafka.image!)).toMatch(/^apache\/kafka:3\.9\.\d+$/); // kafkajs 2.2.4 cannot talk to Kafka 4
    expect(envOf(kafka)['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(Object.keys(envOf(kafka)).some((k) => /ZOOKEEPER/.test(k))).toBe(false);
    expect(interpolate(compose.services['postgres']!.image!)).toBe('postgres:16');
  });

  it('runs each service from the vgpu-twin image, with settings the service reads and validates', () => {
    expect(ours.map((o) => o.entry).sort()).toEqual(['ingest', 'notifier', 'simulator', 'twin', 'twin']);
    const problems: string[] = [];
    for (const o of ours) {
      const readable = keysOf(o.entry);
      for (const k of Object.keys(o.env)) {
        if (!readable.has(k)) problems.push(`${o.name}: sets ${k}, which ${o.entry} does not read`);
      }
      problems.push(...effectiveConfig(o.entry, o.env, o.name).problems);
      if (o.s.entrypoint !== undefined) problems.push(`${o.name}: overrides the image's entrypoint (node)`);
    }
    expect(problems).toEqual([]);
  });

  it('puts them on Kafka and their state in PostgreSQL, at most one twin per telemetry partition', () => {
    const kafkaListeners = envOf(compose.services['kafka']!)['KAFKA_ADVERTISED_LISTENERS']!;
    const twins = ours.filter((o) => o.entry === 'twin');
    const state: string[] = [];
    for (const o of ours.filter((x) => x.entry !== 'simulator')) {
      const c = effectiveConfig(o.entry, o.env, o.name).config;
      state.push(...sqliteState(o.name, c));
      // a listener the broker advertises to the other containers
      expect(kafkaListeners.split(',').map((l) => l.replace(/^\w+:\/\//, ''))).toContain(c['KAFKA_BROKERS']);
      if (c['DATABASE_URL'] !== undefined)
        expect(new URL(c['DATABASE_URL'] as string).hostname).toBe('postgres');
    }
    expect(state).toEqual([]);
    for (const t of twins) {
      const c = effectiveConfig('twin', t.env, t.name).config;
      expect(c['DATABASE_URL']).toBeDefined();
      expect(twins.length).toBeLessThanOrEqual(c['KAFKA_TELEMETRY_PARTITIONS'] as number);
    }
    // each twin its own, stable instance id (it names its snapshots and its inventory group)
    const ids = twins.map((t) => t.env['TWIN_INSTANCE_ID']);
    expect(new Set(ids).size).toBe(twins.length);
    expect(ids.every((id) => !!id)).toBe(true);
  });

  it('health-checks every HTTP service on its real readiness path and port, and publishes that port', () => {
    const problems: string[] = [];
    for (const o of ours) {
      const { config } = effectiveConfig(o.entry, o.env, o.name);
      const port = portOf(o.entry, o.args, config);
      const test = o.s.healthcheck?.test;
      const line = Array.isArray(test) ? test.join(' ') : (test ?? '');
      if (port === null) {
        if (test !== undefined) problems.push(`${o.name}: the simulator serves no HTTP to health-check`);
        continue;
      }
      const urls = [...line.matchAll(/https?:\/\/[^'"\s)]+/g)].map((m) => new URL(m[0]));
      if (urls.length === 0) problems.push(`${o.name}: its health check asks no URL`);
      for (const u of urls) {
        if (!PROBE_PATHS.includes(u.pathname)) problems.push(`${o.name}: health check GETs ${u.pathname}`);
        if (Number(u.port) !== port)
          problems.push(`${o.name}: health check on ${u.port}, the service listens on ${port}`);
      }
      const targets = (o.s.ports ?? []).map((p) =>
        typeof p === 'string' ? Number(interpolate(p).split(':').pop()) : p.target,
      );
      if (!targets.includes(port)) problems.push(`${o.name}: port ${port} is not published`);
    }
    expect(problems).toEqual([]);
  });

  it('starts a container only once what it depends on is healthy', () => {
    const problems: string[] = [];
    for (const [name, s] of services) {
      if (Array.isArray(s.depends_on)) {
        problems.push(`${name}: depends_on without a condition`);
        continue;
      }
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = compose.services[dep];
        if (!target) problems.push(`${name}: depends on ${dep}, which is no service`);
        else if (condition !== 'service_healthy')
          problems.push(`${name}: depends on ${dep} with ${condition}`);
        else if (!target.healthcheck?.test)
          problems.push(`${name}: waits for ${dep} to be healthy, which has no health check`);
      }
    }
    expect(problems).toEqual([]);
    for (const o of ours.filter((x) => x.entry !== 'simulator')) {
      expect([o.name, Object.keys(o.s.depends_on ?? {})]).toEqual([
        o.name,
        expect.arrayContaining(['kafka']),
      ]);
    }
    const sim = ours.find((o) => o.entry === 'simulator')!;
    expect(sim.s.profiles).toEqual(['simulator']); // optional: `--profile simulator`
    const url = new URL(sim.env['SIM_INGEST_URL']!);
    expect(Object.keys(sim.s.depends_on ?? {})).toContain(url.hostname);
    const ingest = ours.find((o) => o.name === url.hostname)!;
    expect(Number(url.port)).toBe(effectiveConfig('ingest', ingest.env, ingest.name).config['INGEST_PORT']);
  });
});

// ---------------------------------------------------------------------------------------------
// The Dockerfile: what compose and the manifests assume of the image.

describe('Dockerfile', () => {
  const text = readFileSync(rel('Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const instr = (name: string) =>
    lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  it('builds on node:20-bookworm-slim and runs as a non-root user with VGPU_TWIN_DATA_DIR=/data', () => {
    const args = Object.fromEntries(instr('ARG').map((a) => a.split('=') as [string, string]));
    const bases = instr('FROM').map((f) =>
      f.split(/\s+/)[0]!.replace(/^\$\{(\w+)\}$/, (_m, v: string) => args[v] ?? v),
    );
    expect(bases.length).toBeGreaterThanOrEqual(2); // multi-stage: the toolchain stays in the build stage
    expect(new Set(bases)).toEqual(new Set(['node:20-bookworm-slim']));
    expect(instr('USER').pop()).not.toMatch(/^(root|0)(:|$)/);
    expect(instr('ENV').join(' ')).toMatch(/\bVGPU_TWIN_DATA_DIR=\/data\b/);
  });

  it('runs node on the CLI’s start by default, and ships what the services read at run time', () => {
    expect(JSON.parse(instr('ENTRYPOINT').pop()!)).toEqual(['node']);
    const cmd = JSON.parse(instr('CMD').pop()!) as string[];
    expect(entryOf(['node', ...cmd], 'Dockerfile CMD').entry).toBe('start');
    expect(instr('COPY').some((c) => /\bmodels\/default\b/.test(c))).toBe(true); // TWIN_MODEL's default
    expect(existsSync(rel('models/default/hybrid.json'))).toBe(true);
    const ignored = readFileSync(rel('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '.git']));
  });
});

// ---------------------------------------------------------------------------------------------
// Grafana: every query names a metric the services export.

/** The metrics the services export (libs/service-kit/src/metrics.ts), by name and type. */
const METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  vgpu_twin_ingest_records_accepted_total: 'counter',
  vgpu_twin_ingest_records_rejected_total: 'counter',
  vgpu_twin_ingest_batch_records: 'histogram',
  vgpu_twin_ingest_append_duration_seconds: 'histogram',
  vgpu_twin_ingest_source_readings_total: 'counter',
  vgpu_twin_log_consumer_lag_records: 'gauge',
  vgpu_twin_twin_events_applied_total: 'counter',
  vgpu_twin_twin_predictions_total: 'counter',
  vgpu_twin_twin_alerts_raised_total: 'counter',
  vgpu_twin_twin_snapshot_age_seconds: 'gauge',
  vgpu_twin_twin_model_info: 'gauge',
  vgpu_twin_notifier_connected_clients: 'gauge',
  vgpu_twin_notifier_pushes_total: 'counter',
  vgpu_twin_notifier_notifications_total: 'counter',
  vgpu_twin_http_requests_total: 'counter',
  vgpu_twin_http_request_duration_seconds: 'histogram',
};

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (not functions, labels, keywords or numbers). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (/[0-9.$]/.test(bare[m.index - 1] ?? ' ')) continue; // 1e-9, $variable
    if (/^\s*\(/.test(bare.slice(m.index + m[0].length))) continue; // a function or an aggregation
    if (PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

interface Panel {
  id?: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

describe('deploy/grafana/vgpu-twin.json', () => {
  const dashboard = JSON.parse(readFileSync(rel('deploy/grafana/vgpu-twin.json'), 'utf8')) as Dashboard;
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queries = [
    ...panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr ?? '' })),
    ),
    ...dashboard.templating.list
      .filter((v) => v.type === 'query')
      .map((v) => ({ where: `variable $${v.name}`, expr: v.definition ?? '' })),
  ];
  const defaults = (() => {
    const r = new Registry();
    collectDefaultMetrics({ register: r });
    return r.getMetricsAsJSON().then((ms) => new Map(ms.map((m) => [m.name, String(m.type)])));
  })();
  /** A referenced series' metric: a histogram's _bucket, _sum and _count are the histogram's. */
  const metricOf = (name: string, histograms: Set<string>) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && histograms.has(base) ? base : name;
  };
  const referenced = async () => {
    const histograms = new Set(
      [...Object.entries(METRICS), ...(await defaults)].filter(([, t]) => t === 'histogram').map(([n]) => n),
    );
    return queries.flatMap((q) => {
      const names = q.expr.startsWith('label_values(')
        ? [/^label_values\(\s*([A-Za-z_:][\w:]*)/.exec(q.expr)?.[1] ?? '']
        : metricNames(q.expr);
      return names.map((n) => ({ where: q.where, name: metricOf(n, histograms) }));
    });
  };

  it('reads metric names out of PromQL (the parser the checks below rely on)', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (service, le) (rate(a_bucket{job=~"$job",route!~"/metrics|x"}[$__rate_interval]))) / clamp_min(sum(b_total) without (x), 1e-9)',
      ),
    ).toEqual(['a_bucket', 'b_total']);
  });

  it('is a schemaVersion 39 dashboard over a Prometheus data source variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds?.query).toBe('prometheus');
    const off = panels
      .filter((p) => p.type !== 'row')
      .flatMap((p) =>
        [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)].map((uid) => [p.title, uid]),
      )
      .filter(([, uid]) => uid !== `\${${ds!.name}}`);
    expect(off).toEqual([]);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queries.length).toBeGreaterThan(20);
  });

  it('queries only metrics the services export, and every one of them', async () => {
    const known = new Set([...Object.keys(METRICS), ...(await defaults).keys()]);
    const refs = await referenced();
    expect(refs.filter((r) => !known.has(r.name)).map((r) => `${r.where}: ${r.name}`)).toEqual([]);
    const used = new Set(refs.map((r) => r.name));
    expect(Object.keys(METRICS).filter((m) => !used.has(m))).toEqual([]);
  });

  describe('against the all-in-one app (`vgpu-twin start --no-simulator`)', () => {
    let dir: string;
    let proc: Spawned | undefined;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vgpu-deploy-'));
      proc = spawnTs('apps/cli/src/main.ts', ['start', '--no-simulator', '--port', '0'], {
        VGPU_TWIN_DATA_DIR: dir,
        EVENT_LOG: 'embedded',
      });
      url = (await proc.waitFor(/dashboard:\s+(http:\/\/localhost:\d+)\//, 90_000))[1]!;
    }, 100_000);

    afterAll(async () => {
      await proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers the probes’ paths: /health/live, and /health/ready once it has caught up', async () => {
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      let ready = 0;
      const deadline = Date.now() + 30_000;
      while (ready !== 200 && Date.now() < deadline) {
        ready = (await fetch(`${url}/health/ready`)).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready).toBe(200);
    });

    it('exports every metric the dashboard queries, with the type it is queried as', async () => {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      const exported = new Map(
        [...(await res.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
      );
      const missing = [...new Set((await referenced()).map((r) => r.name))].filter((n) => !exported.has(n));
      expect(missing).toEqual([]);
      const wrongType = Object.entries(METRICS)
        .filter(([n, t]) => exported.get(n) !== t)
        .map(([n, t]) => `${n}: ${exported.get(n) ?? 'absent'}, expected ${t}`);
      expect(wrongType).toEqual([]);
    });
  });
});
