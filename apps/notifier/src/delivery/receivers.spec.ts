import { parseReceivers, redactUrl } from './receivers';

describe('parseReceivers', () => {
  it('configures nothing when neither variable is set or both are blank', () => {
    expect(parseReceivers({})).toEqual([]);
    expect(parseReceivers({ NOTIFIER_WEBHOOK_URLS: ' ', NOTIFIER_ALERTMANAGER_URL: '' })).toEqual([]);
  });

  it('names unnamed webhooks by their position and keeps the names given', () => {
    const env = {
      NOTIFIER_WEBHOOK_URLS: ' http://a.example/hook , ops=https://b.example/in?team=gpu,http://c.example/x,',
    };
    expect(parseReceivers(env)).toEqual([
      { name: 'webhook-1', kind: 'webhook', url: 'http://a.example/hook' },
      // position 2, named: the query's `=` comes after `://`, the name's before it
      { name: 'ops', kind: 'webhook', url: 'https://b.example/in?team=gpu' },
      // position 3 even though entry 2 was named; the trailing comma is no entry
      { name: 'webhook-3', kind: 'webhook', url: 'http://c.example/x' },
    ]);
  });

  it('reads a bare URL with `=` in its query as a URL, not a name', () => {
    expect(parseReceivers({ NOTIFIER_WEBHOOK_URLS: 'http://a.example/?token=abc' })).toEqual([
      { name: 'webhook-1', kind: 'webhook', url: 'http://a.example/?token=abc' },
    ]);
  });

  it("points the alertmanager receiver at the base URL's /api/v2/alerts, trailing slash or not", () => {
    const am = (base: string) => parseReceivers({ NOTIFIER_ALERTMANAGER_URL: base });
    expect(am('http://am:9093')).toEqual([
      { name: 'alertmanager', kind: 'alertmanager', url: 'http://am:9093/api/v2/alerts' },
    ]);
    expect(am('http://am:9093/')[0]!.url).toBe('http://am:9093/api/v2/alerts');
    // Alertmanager run with --web.route-prefix=/alertmanager
    expect(am('https://ops.example/alertmanager/')[0]!.url).toBe(
      'https://ops.example/alertmanager/api/v2/alerts',
    );
  });

  it('lists webhooks before alertmanager', () => {
    const names = parseReceivers({
      NOTIFIER_WEBHOOK_URLS: 'http://a.example',
      NOTIFIER_ALERTMANAGER_URL: 'http://am:9093',
    }).map((r) => r.name);
    expect(names).toEqual(['webhook-1', 'alertmanager']);
  });

  it.each([
    ['ftp://a.example/x', /NOTIFIER_WEBHOOK_URLS: bad entry "ftp:\/\/a.example\/x": only http: and https:/],
    ['not a url', /NOTIFIER_WEBHOOK_URLS: bad entry "not a url": "not a url" is not a URL/],
    ['hook=', /NOTIFIER_WEBHOOK_URLS: bad entry "hook=": "" is not a URL/],
    [
      '=http://a.example',
      /NOTIFIER_WEBHOOK_URLS: bad entry "=http:\/\/a.example": receiver name "" must match/,
    ],
    [
      'my hook=http://a.example',
      /bad entry "my hook=http:\/\/a.example": receiver name "my hook" must match/,
    ],
    [
      'ops=http://a.example,ops=http://b.example',
      /bad entry "ops=http:\/\/b.example": .*"ops" is already taken/,
    ],
    // the second entry's default name is webhook-2, which the first took explicitly
    [
      'webhook-2=http://a.example,http://b.example',
      /bad entry "http:\/\/b.example": .*"webhook-2" is already/,
    ],
  ])('refuses NOTIFIER_WEBHOOK_URLS=%j', (value, message) => {
    expect(() => parseReceivers({ NOTIFIER_WEBHOOK_URLS: value })).toThrow(message);
  });

  it.each([
    [
      'javascript:alert(1)',
      /NOTIFIER_ALERTMANAGER_URL: bad entry "javascript:alert\(1\)": only http: and https:/,
    ],
    [
      'am:9093',
      /NOTIFIER_ALERTMANAGER_URL: bad entry "am:9093": only http: and https: URLs are allowed, not am:/,
    ],
    ['http://am:9093/?x=1', /NOTIFIER_ALERTMANAGER_URL: bad entry "http:\/\/am:9093\/\?x=1": .*no query/],
  ])('refuses NOTIFIER_ALERTMANAGER_URL=%j', (value, message) => {
    expect(() => parseReceivers({ NOTIFIER_ALERTMANAGER_URL: value })).toThrow(message);
  });

  it('refuses a webhook that takes the name of the alertmanager receiver', () => {
    expect(() =>
      parseReceivers({
        NOTIFIER_WEBHOOK_URLS: 'alertmanager=http://a.example',
        NOTIFIER_ALERTMANAGER_URL: 'http://am:9093',
      }),
    ).toThrow(/NOTIFIER_ALERTMANAGER_URL: .*"alertmanager" is already taken/);
  });

  it('keeps passwords out of its errors', () => {
    expect(() => parseReceivers({ NOTIFIER_WEBHOOK_URLS: 'bad name=ftp://u:hunter2@a.example' })).toThrow(
      'NOTIFIER_WEBHOOK_URLS: bad entry "bad name=ftp://***@a.example"',
    );
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://alice:s3cret@am:9093/api/v2/alerts', 'http://***@am:9093/api/v2/alerts'],
    ['https://token@hooks.example/x', 'https://***@hooks.example/x'],
    // an unencoded `@` in the password: the userinfo runs to the last `@` of the authority
    ['http://alice:p@ss@am:9093/', 'http://***@am:9093/'],
    // an `@` after the authority is no userinfo
    ['http://am:9093/path?by=a@b.example', 'http://am:9093/path?by=a@b.example'],
    ['http://am:9093/', 'http://am:9093/'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
