import type { INestApplication } from '@nestjs/common';
import { fixtures } from '@vgpu-twin/contracts';
import Ajv from 'ajv';
import { OPENAPI_JSON_PATH, OPENAPI_UI_PATH } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { METHODS } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { freePort } from '../../../ingest/src/testing/ingest-harness';
import { startApp } from './start';

interface Operation {
  summary?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}
interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head']);

/** `METHOD /path` of every route the express app serves, with `:param` written `{param}` as OpenAPI does. */
function servedRoutes(app: INestApplication): Set<string> {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  const routes = new Set<string>();
  for (const { route } of express.router.stack) {
    if (!route) continue; // middleware: body parsers, static files, the request counter
    // Nest mounts a module's `forRoutes('*')` middleware (the request logger) for every method.
    if (Object.keys(route.methods).length === METHODS.length) continue;
    for (const path of [route.path].flat())
      for (const method of Object.keys(route.methods))
        routes.add(`${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return routes;
}

function documentedRoutes(doc: OpenApiDocument): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of Object.keys(item))
      if (HTTP_METHODS.has(method)) routes.add(`${method.toUpperCase()} ${path}`);
  return routes;
}

/** Every property schema named `name` anywhere in a JSON Schema. */
function propertiesNamed(schema: unknown, name: string): unknown[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const own = (schema as { properties?: Record<string, unknown> }).properties?.[name];
  return [
    ...(own === undefined ? [] : [own]),
    ...Object.values(schema).flatMap((v) => propertiesNamed(v, name)),
  ];
}

// OpenAPI 3.0 schemas are JSON Schema plus `nullable`, which ajv reads; formats are left unchecked.
const ajv = new Ajv({ strict: false, validateFormats: false });

/** The all-in-one process's OpenAPI document against the routes it really serves. */
describe('OpenAPI document of the all-in-one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-openapi-'));
  let stop: (() => Promise<void>) | null = null;
  let app: INestApplication;
  let base = '';
  let doc: OpenApiDocument;

  beforeAll(async () => {
    const port = await freePort();
    ({ app, stop } = await startApp(
      { port: String(port), simulator: false },
      { VGPU_TWIN_DATA_DIR: dir, LOG_LEVEL: 'error' },
    ));
    base = `http://127.0.0.1:${port}`;
    const res = await fetch(`${base}${OPENAPI_JSON_PATH}`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Calls a route and checks its answer against what the document says of that route and status. */
  async function call(method: string, path: string, body?: unknown): Promise<number> {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(res.status)];
    if (!documented) throw new Error(`${method} ${path} answered ${res.status}, which is not documented`);
    const schema = documented.content?.['application/json']?.schema;
    if (schema) {
      const validate = ajv.compile(schema);
      const answer: unknown = await res.json();
      if (!validate(answer))
        throw new Error(
          `${method} ${path} ${res.status} breaks its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer)}`,
        );
    } else await res.arrayBuffer();
    return res.status;
  }

  it('is OpenAPI 3', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
  });

  it('documents every route the app serves, and only those', () => {
    // The docs' own routes (/docs, /docs-json, the UI's init script) are not part of the API.
    const served = [...servedRoutes(app)].filter((r) => !r.split(' ')[1]!.startsWith(OPENAPI_UI_PATH));
    expect(served.length).toBeGreaterThan(10);
    expect(new Set(served)).toEqual(documentedRoutes(doc));
  });

  it("takes POST /v1/telemetry's body schema from the contracts", () => {
    const body = doc.paths['/v1/telemetry']!.post!.requestBody!.content['application/json']!.schema;
    // telemetry.vm_sample's `data.gpuUtilPct` is a Percent (libs/contracts envelope.ts): 0..100
    expect(propertiesNamed(body, 'gpuUtilPct')).toContainEqual(
      expect.objectContaining({ type: 'number', minimum: 0, maximum: 100 }),
    );
    expect(propertiesNamed(body, 'progressRate').length).toBeGreaterThan(0);
  });

  it('names and tags every operation', () => {
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        expect([method, path, op.summary]).toEqual([method, path, expect.any(String)]);
        expect([method, path, op.tags]).toEqual([method, path, [expect.any(String)]]);
      }
  });

  it('answers as documented, in the schemas the document gives', async () => {
    const inventory = (['host.registered', 'gpu.registered', 'vm.placed', 'workload.profiled'] as const).map(
      (t) => fixtures[t],
    );
    const sample = fixtures['telemetry.vm_sample'];
    expect(await call('POST', '/v1/inventory', inventory)).toBe(202);
    expect(await call('POST', '/v1/telemetry', [sample])).toBe(202);
    expect(
      await call('POST', '/v1/telemetry', [
        { ...sample, id: 'bad', data: { ...sample.data, gpuUtilPct: 101 } },
      ]),
    ).toBe(400);
    expect(await call('POST', '/v1/telemetry', { not: 'a batch' })).toBe(400); // DomainErrorFilter's shape
    await eventually(
      async () => ((await (await fetch(`${base}/v1/twin/status`)).json()) as { events: number }).events >= 5,
      'the twin to apply the 5 events', // 4 inventory, 1 sample: the workload's profile is known
      20_000,
    );
    const vm = fixtures['vm.placed'].data;
    expect(
      await call('POST', '/v1/twin/what-if', { vm: { profile: vm.profile, workload: vm.workload } }),
    ).toBe(200);
    expect(await call('POST', '/v1/twin/what-if', { vm: { profile: '' } })).toBe(400);
    for (const path of [
      '/v1/twin/status',
      '/v1/twin/state-hash',
      '/v1/dashboard/state',
      '/v1/sources',
      '/health',
    ])
      expect(await call('GET', path)).toBe(200);
    expect(await call('GET', '/health/live')).toBe(200);
    expect([200, 503]).toContain(await call('GET', '/health/ready'));
  }, 30_000);

  it('serves Swagger UI at /docs, its assets from node_modules', async () => {
    const res = await fetch(`${base}${OPENAPI_UI_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('swagger-ui-bundle.js');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/); // no CDN
    const bundle = await fetch(`${base}${OPENAPI_UI_PATH}/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000); // swagger-ui-dist's, ~1.5 MB
  });
});
