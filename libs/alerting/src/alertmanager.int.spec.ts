import type { Matcher } from '@vgpu-twin/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../apps/ingest/src/testing/ingest-harness';
import { startAlertmanager, waitReady, type RunningAlertmanager } from '../../../test/support/alertmanager';
import { alertAnnotations, alertmanagerAlerts } from './alertmanager-format';
import { fingerprint } from './fingerprint';
import { compileMatchers, validateSilenceMatchers } from './matchers';
import { anAlertView } from './testing/alert-view';

/** Alertmanager's OpenAPI `gettableAlert`, the fields we check. */
interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  generatorURL: string;
  status: { state: 'unprocessed' | 'active' | 'suppressed'; silencedBy: string[]; inhibitedBy: string[] };
}

const RESEND_MS = 60_000;
const ALL = '?active=true&silenced=true&inhibited=true&unprocessed=true';

/** Our alerts in a real Alertmanager (Debian's prometheus-alertmanager): what it makes of our formats. */
describe('a real Alertmanager reading our alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-alertmanager-'));
  let am: RunningAlertmanager | null = null;
  let url = '';
  // Started a minute ago, so that "resolved a second ago" ends after it starts.
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const view = anAlertView({ startsAt });

  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const alerts = async (query = ''): Promise<GettableAlert[]> => {
    const res = await fetch(`${url}/api/v2/alerts${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as GettableAlert[];
  };
  const ours = async () => (await alerts(ALL)).find((a) => a.fingerprint === fingerprint(view.labels));

  beforeAll(async () => {
    am = startAlertmanager(dir, await freePort());
    url = am.url;
    await waitReady(url, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${am?.log()}`);
    });
  }, 30_000);
  afterAll(async () => {
    await am?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('given a firing alert POSTed to /api/v2/alerts, then GET lists it with our labels, annotations and fingerprint', async () => {
    const now = new Date().toISOString();
    const body = alertmanagerAlerts([view], {
      externalURL: 'http://notifier.test',
      now,
      resendMs: RESEND_MS,
    });
    const res = await post('/api/v2/alerts', body);
    expect(res.status).toBe(200);

    const listed = await alerts();
    expect(listed).toHaveLength(1);
    const [alert] = listed;
    // Alertmanager's own FNV-1a over the labels is the one fingerprint() computes.
    expect(alert!.fingerprint).toBe(fingerprint(view.labels));
    expect(alert!.labels).toEqual(view.labels); // all eight, vm gpu kind severity cluster among them
    expect(alert!.labels).toMatchObject({
      vm: 'vm-1',
      gpu: 'gpu-1',
      kind: 'interference',
      severity: 'warning',
      cluster: 'cluster-a',
    });
    expect(alert!.annotations).toEqual(alertAnnotations(view));
    expect(alert!.status).toEqual({ state: 'active', silencedBy: [], inhibitedBy: [] });
    expect(alert!.startsAt).toBe(startsAt); // strfmt.DateTime prints milliseconds, as toISOString does
    expect(alert!.endsAt).toBe(new Date(Date.parse(now) + 4 * RESEND_MS).toISOString()); // now + 4 × 60 s
    expect(alert!.generatorURL).toBe('http://notifier.test/?alert=interference%3Avm-1%3Afx');
  });

  // Each silence is created in Alertmanager and checked by our code: both accept or both refuse it,
  // and Alertmanager mutes our alert exactly when compileMatchers says it matches.
  const m = (name: Matcher['name'], op: Matcher['op'], value: string): Matcher => ({ name, op, value });
  it.each<[string, Matcher[]]>([
    ['equal', [m('vm', '=', 'vm-1')]],
    ['anchored regex: "vm" is not "vm-1"', [m('vm', '=~', 'vm')]],
    ['grouped alternation, first branch', [m('vm', '=~', 'vm-1|x')]],
    ['grouped alternation, no prefix match', [m('vm', '=~', 'x|vm')]],
    ['negated regex', [m('vm', '!~', 'vm-.*')]],
    ['!= matches "" yet is accepted (matchesEmpty looks at = and =~ only)', [m('vm', '!=', 'x')]],
    ['escaped punctuation', [m('vm', '=~', 'vm\\-\\d')]],
    ['case-sensitive', [m('gpu', '=~', 'GPU-1')]],
    ['leading (?i)', [m('gpu', '=~', '(?i)GPU-1')]],
    ['a brace that is not a repeat is a literal', [m('workload', '=~', 'resnet50{-train')]],
    ['] first in a class is a literal', [m('vm', '=~', 'vm-[]1]')]],
    ['AND with one matcher failing', [m('severity', '=~', 'warn.*'), m('vm', '=', '')]],
    ['every matcher matches ""', [m('vm', '=', ''), m('host', '=~', '.*')]],
    ['regex matching ""', [m('vm', '=~', '(vm-1)?')]],
    ['lookaround (not RE2)', [m('vm', '=~', 'vm(?=-1)')]],
    ['backreference (not RE2)', [m('vm', '=~', '(v)\\1')]],
  ])(
    'given a silence (%s), then Alertmanager and we agree on accepting it and on what it mutes',
    async (_, matchers) => {
      const ourError = (() => {
        try {
          validateSilenceMatchers(matchers);
          return null;
        } catch (e) {
          return (e as Error).message;
        }
      })();
      const res = await post('/api/v2/silences', {
        matchers: matchers.map((x) => ({
          name: x.name,
          value: x.value,
          isRegex: x.op.endsWith('~'),
          isEqual: !x.op.startsWith('!'),
        })),
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'int-test',
        comment: 'cross-check',
      });
      const answer = await res.text();
      expect({ accepted: res.status === 200, answer }).toEqual({
        accepted: ourError === null,
        answer: expect.any(String),
      });
      if (ourError !== null) {
        expect(res.status).toBe(400);
        return;
      }
      const { silenceID } = JSON.parse(answer) as { silenceID: string };
      try {
        const mutes = compileMatchers(matchers)(view.labels);
        const alert = await ours();
        expect(alert?.status).toEqual(
          mutes
            ? { state: 'suppressed', silencedBy: [silenceID], inhibitedBy: [] }
            : { state: 'active', silencedBy: [], inhibitedBy: [] },
        );
      } finally {
        expect((await fetch(`${url}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status).toBe(200);
      }
    },
  );

  it('given the alert POSTed again resolved a second ago, then GET no longer lists it, whatever the filters', async () => {
    const resolved = {
      ...view,
      state: 'resolved' as const,
      endsAt: new Date(Date.now() - 1_000).toISOString(),
    };
    const body = alertmanagerAlerts([resolved], {
      externalURL: 'http://notifier.test',
      now: new Date().toISOString(),
      resendMs: RESEND_MS,
    });
    expect((await post('/api/v2/alerts', body)).status).toBe(200);
    // Alertmanager 0.25 keeps a resolved alert in memory until its GC, but the v2 API's alertFilter
    // drops every alert whose endsAt has passed before looking at the state filters: not listed at
    // all, rather than listed with another state.
    expect(await alerts(ALL)).toEqual([]);
    expect(await alerts()).toEqual([]);
  });
});
