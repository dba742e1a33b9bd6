import pino from 'pino';
import { pinoHttpOptions, redactUrl, requestId, scrubber, secretValues, serviceLogName } from './logging';

/** Lines written to a pino destination, parsed. */
function capture() {
  const lines: string[] = [];
  return {
    stream: { write: (s: string) => void lines.push(s) },
    lines,
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log lines', () => {
  it('name the service in kebab case', () => {
    expect(serviceLogName('VgpuTwin')).toBe('vgpu-twin');
    expect(serviceLogName('Twin')).toBe('twin');
    expect(serviceLogName('Ingest')).toBe('ingest');
  });

  it('keep a short, plain client request id and replace anything else', () => {
    expect(requestId('abc-123')).toBe('abc-123');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(requestId(undefined)).toMatch(uuid);
    expect(requestId('two words')).toMatch(uuid);
    expect(requestId('a\nforged line')).toMatch(uuid);
    expect(requestId('x'.repeat(129))).toMatch(uuid); // 128 characters at most
    expect(requestId(['a', 'b'])).toMatch(uuid); // the header sent twice
  });

  it('redact credentials in query strings', () => {
    expect(redactUrl('/?token=s3cret&room=a')).toBe('/?token=[Redacted]&room=a');
    expect(redactUrl('/v1/x?a=1&api_key=s3cret')).toBe('/v1/x?a=1&api_key=[Redacted]');
    expect(redactUrl('/v1/x?KEY=s3cret#top')).toBe('/v1/x?KEY=[Redacted]#top');
    expect(redactUrl('/v1/keys/monkey=1')).toBe('/v1/keys/monkey=1'); // a path, not a parameter
  });

  it('collect the secret settings, each API key alone', () => {
    expect(
      secretValues({
        INGEST_API_KEYS: 'k1, k2,,',
        NOTIFIER_TOKEN: 'tok',
        SIM_API_KEY: 'k1',
        DATABASE_URL: 'postgres://app:p%40ss@db:5432/twin',
      }).sort(),
    ).toEqual(['k1', 'k2', 'p@ss', 'tok']);
    expect(secretValues({ DATABASE_URL: 'not a url' })).toEqual([]);
  });

  it('scrub secret values wherever they appear, JSON-escaped or not', () => {
    const scrub = scrubber(['s3cret', 'with"quote']);
    expect(scrub('{"msg":"key s3cret, again s3cret"}')).toBe('{"msg":"key [Redacted], again [Redacted]"}');
    expect(scrub(JSON.stringify({ msg: 'a with"quote b' }))).toBe('{"msg":"a [Redacted] b"}');
    expect(scrubber([])('unchanged')).toBe('unchanged');
  });

  it('carry level, time, service and msg; honour the level; redact header paths; scrub secrets', () => {
    const out = capture();
    const [options] = pinoHttpOptions({
      service: 'twin',
      level: 'info',
      format: 'json',
      secrets: ['s3cret'],
      destination: out.stream,
    });
    const logger = pino(options, out.stream);
    logger.debug('not written at info');
    logger.info({ headers: { authorization: 'Bearer abc', 'x-api-key': 'def' } }, 'headers');
    logger.warn('the key s3cret leaked into a message');
    const [headers, warned] = out.json();
    expect(out.lines).toHaveLength(2);
    expect(headers).toMatchObject({
      level: 'info',
      service: 'twin',
      msg: 'headers',
      headers: { authorization: '[Redacted]', 'x-api-key': '[Redacted]' },
    });
    expect(Date.parse(headers!.time as string)).not.toBeNaN(); // ISO-8601
    expect(warned).toMatchObject({ level: 'warn', msg: 'the key [Redacted] leaked into a message' });
  });
});
