import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parseMatcher, validateSilenceMatchers } from '@vgpu-twin/alerting';
import {
  AlertState,
  AlertView,
  IllegalStateError,
  IncidentView,
  Matcher,
  NotFoundError,
  SilenceView,
  Streams,
  ValidationError,
  partitionKey,
  type DomainEvent,
  type LifecycleEvent,
  type OperatorCommand,
} from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import type { AlertHistoryStore } from '@vgpu-twin/persistence';
import {
  ApiZodBody,
  ApiZodQuery,
  ApiZodResponse,
  ErrorBody,
  EVENT_LOG,
  appendEvents,
} from '@vgpu-twin/service-kit';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { assertCluster, BearerGuard, clustersOf, Viewer, type Access } from '../auth';
import type { NotifierConfig } from '../config';
import { redactUrl, type Receiver } from '../delivery/receivers';
import { ALERT_HISTORY, NOTIFIER_CONFIG, RECEIVERS } from '../tokens';
import { silenceClusters, LifecycleView } from './view';
import { NotifierProcessor } from '../notifier-processor';

const states = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  )
  .pipe(z.array(AlertState));
const time = z.iso.datetime({ message: 'must be an ISO-8601 UTC time such as 2026-01-01T00:00:00Z' });
const limit = z.coerce.number().int().min(1).max(1000).default(100);

const AlertsQuery = z.object({
  state: states
    .optional()
    .describe('comma-separated states: firing, acknowledged, silenced, inhibited, flapping, resolved'),
  cluster: z.string().optional(),
  host: z.string().optional(),
  gpu: z.string().optional(),
  vm: z.string().optional(),
  kind: z.string().optional(),
  since: time.optional().describe('alerts active at some time after this'),
  until: time.optional().describe('alerts active at some time before this'),
  limit: limit.describe('1–1000, default 100'),
  cursor: z.string().optional().describe("the previous page's nextCursor"),
});
const IncidentsQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  cluster: z.string().optional(),
  gpu: z.string().optional(),
  limit,
  cursor: z.string().optional(),
});
const SilencesQuery = z.object({ state: z.enum(['pending', 'active', 'expired']).optional() });
const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a number and a unit: 45s, 30m, 2h, 1d')
  .transform((d) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(d)!;
    const ms: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    return Number(n) * (ms[unit!] ?? 1);
  });
const SilenceBody = z.object({
  matchers: z
    .array(z.union([Matcher, z.string()]))
    .min(1, 'at least one matcher')
    .describe(
      'objects {name, op, value} or Alertmanager-style strings such as vm="vm-3" or kind=~"drift|interference"',
    ),
  startsAt: time.optional().describe('default now'),
  endsAt: time.optional(),
  duration: Duration.optional().describe('instead of endsAt, e.g. 2h (default 2h)'),
  createdBy: z.string().min(1),
  comment: z.string().default(''),
});
const AckBody = z.object({ by: z.string().min(1), note: z.string().default('') });
const Transition = z.object({
  position: z.number(),
  eventId: z.string(),
  type: z.string(),
  at: z.string(),
  from: AlertState.nullable(),
  to: AlertState,
  reason: z.string(),
  actor: z.string().nullable(),
});
const ReceiverStatus = z.object({
  name: z.string(),
  kind: z.enum(['webhook', 'alertmanager']),
  url: z.string(),
  queued: z.number(),
  delivered: z.number(),
  deadLettered: z.number(),
  pending: z.number(),
  lastDeliveredAt: z.string().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
});

/** Query or body → typed, or a 400 naming each bad field. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new ValidationError(issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), issues);
}

/** How long a command waits for its effect before answering 202 instead of the new state. */
const COMMAND_WAIT_MS = 5000;

@ApiTags('alerts')
@ApiBearerAuth()
@ApiZodResponse(401, ErrorBody, 'no token, or an unknown one (when tokens are configured)')
@ApiZodResponse(403, ErrorBody, "another cluster's data")
@Controller('v1')
@UseGuards(BearerGuard)
export class AlertsController {
  constructor(
    private readonly view: LifecycleView,
    private readonly processor: NotifierProcessor,
    @Inject(ALERT_HISTORY) private readonly store: AlertHistoryStore,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(RECEIVERS) private readonly receivers: readonly Receiver[],
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  @ApiOperation({ summary: 'Pages through alert history, newest first, with filters' })
  @ApiZodQuery(AlertsQuery)
  @ApiZodResponse(200, z.object({ alerts: z.array(AlertView), nextCursor: z.string().nullable() }), 'a page')
  @Get('alerts')
  alerts(@Query() query: unknown, @Viewer() access: Access) {
    const q = parse(AlertsQuery, query);
    if (q.cluster) assertCluster(access, q.cluster, 'alerts');
    const clusters = clustersOf(access);
    return this.store.alerts({
      ...(q.state ? { state: q.state } : {}),
      ...(clusters ? { clusters } : {}),
      ...pick(q, ['cluster', 'host', 'gpu', 'vm', 'kind', 'cursor']),
      ...(q.since ? { since: Date.parse(q.since) } : {}),
      ...(q.until ? { until: Date.parse(q.until) } : {}),
      limit: q.limit,
    });
  }

  @ApiOperation({ summary: 'One alert with every transition it went through' })
  @ApiZodResponse(200, z.object({ alert: AlertView, transitions: z.array(Transition) }), 'the alert')
  @ApiZodResponse(404, ErrorBody, 'no such alert')
  @Get('alerts/:id')
  async alert(@Param('id') id: string, @Viewer() access: Access) {
    const found = await this.store.alert(id);
    if (!found) throw new NotFoundError(`no alert ${id}`);
    assertCluster(access, found.alert.labels.cluster, `alert ${id}`);
    return found;
  }

  @ApiOperation({
    summary: 'Acknowledges an alert: it stops repeating notifications and stays visible, marked',
  })
  @ApiZodBody(AckBody)
  @ApiZodResponse(200, z.object({ alert: AlertView }), 'acknowledged')
  @ApiZodResponse(
    202,
    z.object({ accepted: z.literal(true) }),
    'recorded; the lifecycle has not applied it yet',
  )
  @ApiZodResponse(404, ErrorBody, 'no such alert')
  @ApiZodResponse(409, ErrorBody, 'the alert is resolved')
  @Post('alerts/:id/ack')
  @HttpCode(200)
  async ack(
    @Param('id') id: string,
    @Body() body: unknown,
    @Viewer() access: Access,
    @Res({ passthrough: true }) res: Response,
  ) {
    const b = parse(AckBody, body);
    const open = this.view.book.alerts.get(id);
    if (!open) {
      const past = await this.store.alert(id);
      if (!past) throw new NotFoundError(`no alert ${id}`);
      assertCluster(access, past.alert.labels.cluster, `alert ${id}`);
      throw new IllegalStateError(
        `alert ${id} is resolved (${past.alert.endsAt}); there is nothing to acknowledge`,
      );
    }
    assertCluster(access, open.labels.cluster, `alert ${id}`);
    if (open.acknowledged) return { alert: open };
    const effect = this.view.waitFor(
      (e) => e.type === 'alert.acknowledged' && e.data.alert.alertId === id,
      COMMAND_WAIT_MS,
    );
    await this.command({ type: 'operator.acknowledged', data: { alertId: id, by: b.by, note: b.note } });
    const applied = await effect;
    if (!applied || !('alert' in applied.data)) {
      res.status(202);
      return { accepted: true as const };
    }
    return { alert: applied.data.alert };
  }

  @ApiOperation({ summary: 'Pages through incidents: the alerts of one cause on one GPU' })
  @ApiZodQuery(IncidentsQuery)
  @ApiZodResponse(
    200,
    z.object({ incidents: z.array(IncidentView), nextCursor: z.string().nullable() }),
    'a page',
  )
  @Get('incidents')
  incidents(@Query() query: unknown, @Viewer() access: Access) {
    const q = parse(IncidentsQuery, query);
    if (q.cluster) assertCluster(access, q.cluster, 'incidents');
    const clusters = clustersOf(access);
    return this.store.incidents({
      ...pick(q, ['status', 'cluster', 'gpu', 'cursor']),
      ...(clusters ? { clusters } : {}),
      limit: q.limit,
    });
  }

  @ApiOperation({ summary: 'One incident with its alerts' })
  @ApiZodResponse(200, z.object({ incident: IncidentView, alerts: z.array(AlertView) }), 'the incident')
  @ApiZodResponse(404, ErrorBody, 'no such incident')
  @Get('incidents/:id')
  async incident(@Param('id') id: string, @Viewer() access: Access) {
    const incident = await this.store.incident(id);
    if (!incident) throw new NotFoundError(`no incident ${id}`);
    assertCluster(access, incident.clusterId, `incident ${id}`);
    const alerts = await Promise.all(incident.alertIds.map((a) => this.store.alert(a)));
    return { incident, alerts: alerts.flatMap((a) => (a ? [a.alert] : [])) };
  }

  @ApiOperation({ summary: 'Silences, newest first; expired ones stay in history' })
  @ApiZodQuery(SilencesQuery)
  @ApiZodResponse(200, z.object({ silences: z.array(SilenceView) }), 'the silences')
  @Get('silences')
  async silences(@Query() query: unknown, @Viewer() access: Access) {
    const q = parse(SilencesQuery, query);
    const clusters = clustersOf(access);
    return {
      silences: await this.store.silences({ ...pick(q, ['state']), ...(clusters ? { clusters } : {}) }),
    };
  }

  @ApiOperation({ summary: 'One silence' })
  @ApiZodResponse(200, z.object({ silence: SilenceView }), 'the silence')
  @ApiZodResponse(404, ErrorBody, 'no such silence')
  @Get('silences/:id')
  async silence(@Param('id') id: string, @Viewer() access: Access) {
    const silence = this.view.book.silences.get(id) ?? (await this.store.silence(id));
    if (!silence) throw new NotFoundError(`no silence ${id}`);
    this.assertSilence(access, silence);
    return { silence };
  }

  @ApiOperation({
    summary:
      "Creates a silence: matching alerts are silenced from its start to its end (Alertmanager's matchers)",
  })
  @ApiZodBody(SilenceBody)
  @ApiZodResponse(201, z.object({ silence: SilenceView }), 'created')
  @ApiZodResponse(
    202,
    z.object({ accepted: z.literal(true), silenceId: z.string() }),
    'recorded; not applied yet',
  )
  @ApiZodResponse(400, ErrorBody, 'a bad matcher or time')
  @Post('silences')
  @HttpCode(201)
  async createSilence(
    @Body() body: unknown,
    @Viewer() access: Access,
    @Res({ passthrough: true }) res: Response,
  ) {
    const b = parse(SilenceBody, body);
    const matchers = b.matchers.map((m, i) => {
      if (typeof m !== 'string') return m;
      try {
        return parseMatcher(m);
      } catch (e) {
        throw new ValidationError(`matchers[${i}]: ${(e as Error).message}`);
      }
    });
    validateSilenceMatchers(matchers);
    if (!access.all) {
      for (const m of matchers)
        if (m.name === 'cluster' && m.op === '=') assertCluster(access, m.value, 'silence');
      if (!matchers.some((m) => m.name === 'cluster' && m.op === '='))
        throw new ValidationError(
          'a token for some clusters must silence within one of them: add a matcher cluster="<id>"',
        );
    }
    const now = Date.now();
    const startsAt = b.startsAt ? Date.parse(b.startsAt) : now;
    if (b.endsAt && b.duration !== undefined) throw new ValidationError('give endsAt or duration, not both');
    const endsAt = b.endsAt ? Date.parse(b.endsAt) : startsAt + (b.duration ?? 2 * 3_600_000);
    if (endsAt <= startsAt) throw new ValidationError('endsAt must be after startsAt');
    if (endsAt <= now) throw new ValidationError('endsAt is in the past: the silence would never apply');
    const silenceId = `silence-${randomUUID()}`;
    const effect = this.view.waitFor(
      (e) => e.type === 'silence.created' && e.data.silence.silenceId === silenceId,
      COMMAND_WAIT_MS,
    );
    await this.command({
      type: 'operator.silence_created',
      data: {
        silenceId,
        matchers,
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        createdBy: b.createdBy,
        comment: b.comment,
      },
    });
    const applied = await effect;
    if (!applied || !('silence' in applied.data)) {
      res.status(202);
      return { accepted: true as const, silenceId };
    }
    return { silence: applied.data.silence };
  }

  @ApiOperation({ summary: 'Expires a silence now; it stays in history' })
  @ApiZodResponse(200, z.object({ silence: SilenceView }), 'expired')
  @ApiZodResponse(404, ErrorBody, 'no such silence')
  @ApiZodResponse(409, ErrorBody, 'expired already')
  @Delete('silences/:id')
  async expireSilence(@Param('id') id: string, @Query('by') by: unknown, @Viewer() access: Access) {
    const live = this.view.book.silences.get(id);
    if (!live) {
      const past = await this.store.silence(id);
      if (!past) throw new NotFoundError(`no silence ${id}`);
      this.assertSilence(access, past);
      throw new IllegalStateError(`silence ${id} expired already`);
    }
    this.assertSilence(access, live);
    const who = typeof by === 'string' && by !== '' ? by : 'api';
    const effect = this.view.waitFor(
      (e) => e.type === 'silence.expired' && e.data.silence.silenceId === id,
      COMMAND_WAIT_MS,
    );
    await this.command({ type: 'operator.silence_expired', data: { silenceId: id, by: who } });
    const applied = (await effect) as Extract<LifecycleEvent, { type: 'silence.expired' }> | null;
    return { silence: applied ? applied.data.silence : { ...live, state: 'expired', expiredBy: who } };
  }

  @ApiOperation({ summary: 'Each receiver: what was queued, delivered, dead-lettered, and the last error' })
  @ApiZodResponse(200, z.object({ receivers: z.array(ReceiverStatus) }), 'the receivers')
  @Get('receivers')
  receiversStatus() {
    return {
      receivers: this.receivers.map((r) => {
        const s = this.view.book.receivers.get(r.name);
        const queued = s?.queued ?? 0;
        const delivered = s?.delivered ?? 0;
        const deadLettered = s?.deadLettered ?? 0;
        return {
          name: r.name,
          kind: r.kind,
          url: redactUrl(r.url),
          queued,
          delivered,
          deadLettered,
          pending: Math.max(0, queued - delivered - deadLettered),
          lastDeliveredAt: s?.lastDeliveredAt ?? null,
          lastError: s?.lastError ?? null,
          lastErrorAt: s?.lastErrorAt ?? null,
        };
      }),
    };
  }

  private assertSilence(access: Access, s: SilenceView): void {
    if (access.all) return;
    for (const c of silenceClusters(s, () => this.processor.model.clusterIds()))
      assertCluster(access, c, `silence ${s.silenceId}`);
  }

  /** Operators' commands go on the alerts stream, in order with the twin's alerts, for the decider. */
  private async command(c: Pick<OperatorCommand, 'type' | 'data'>): Promise<void> {
    const event = {
      id: `op-${randomUUID()}`,
      version: 1,
      ts: new Date().toISOString(),
      source: `notifier@${this.config.NOTIFIER_INSTANCE}`,
      ...c,
    } as DomainEvent;
    await appendEvents(this.log, new Map([[Streams.alerts, [event]]]), partitionKey);
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
