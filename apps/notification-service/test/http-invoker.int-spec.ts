import { TargetGuard } from '@ordercast/platform';
import { WebhookSink } from '../../../test/support/webhook-sink';
import { HttpRequest, MAX_RESPONSE_BODY_BYTES } from '../src/delivery/http-invoker';
import { NodeHttpInvoker } from '../src/delivery/node-http-invoker';

jest.setTimeout(30_000);

describe('NodeHttpInvoker against a real HTTP server on loopback', () => {
  let sink: WebhookSink;
  let open: NodeHttpInvoker;
  let guarded: NodeHttpInvoker;

  const callUrl = (invoker: NodeHttpInvoker, url: string) => invoker.invoke({ url, method: 'POST', headers: {}, body: '{}', timeoutMs: 2000 });
  const call = (invoker: NodeHttpInvoker, overrides: Partial<HttpRequest>) =>
    invoker.invoke({ url: sink.url('/hook'), method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000, ...overrides });

  beforeAll(async () => {
    sink = await WebhookSink.start();
    open = new NodeHttpInvoker(new TargetGuard(true), { maxSocketsPerHost: 4 });
    guarded = new NodeHttpInvoker(new TargetGuard(false), { maxSocketsPerHost: 4 });
  });
  afterAll(async () => {
    open.onApplicationShutdown();
    guarded.onApplicationShutdown();
    await sink.close();
  });

  it('sends the request as given and returns status, headers and body text', async () => {
    sink.respond('/hook', { status: 201, body: '{"received":true}', headers: { 'x-receipt': 'r-1' } });
    const result = await call(open, { headers: { 'Content-Type': 'application/json', 'X-API-Key': 'k' } });
    expect(result).toMatchObject({ kind: 'response', statusCode: 201, body: '{"received":true}', truncated: false, headers: { 'x-receipt': 'r-1' } });
    const [received] = sink.received('/hook');
    expect(received).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(received.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 'k' });
  });

  it('sends a Latin-1 header value as Latin-1 and the body as UTF-8', async () => {
    sink.respond('/latin1', { status: 200 });
    await call(open, { url: sink.url('/latin1'), headers: { 'Content-Type': 'application/json', 'X-Key': 'café' }, body: '{"name":"Åsa ☃"}' });
    const [received] = sink.received('/latin1');
    expect(received.headers['x-key']).toBe('café');
    expect(received.body).toBe('{"name":"Åsa ☃"}');
  });

  it('returns every status as a response and does not follow redirects', async () => {
    sink.respond('/moved', { status: 301, headers: { location: sink.url('/target') } });
    expect(await call(open, { url: sink.url('/moved') })).toMatchObject({ kind: 'response', statusCode: 301, headers: { location: sink.url('/target') } });
    sink.respond('/broken', { status: 500, body: 'oops' });
    expect(await call(open, { url: sink.url('/broken') })).toMatchObject({ kind: 'response', statusCode: 500, body: 'oops' });
    expect(sink.received('/target')).toHaveLength(0);
  });

  it('keeps 64 KiB of a large response body and says it was truncated', async () => {
    sink.respond('/large', { status: 200, body: 'x'.repeat(MAX_RESPONSE_BODY_BYTES * 3) });
    const result = await call(open, { url: sink.url('/large') });
    expect(result).toMatchObject({ kind: 'response', statusCode: 200, truncated: true });
    expect(result.kind === 'response' && result.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
  });

  it('gives up after the timeout, covering a slow answer', async () => {
    // The answer would come after the test's own timeout: only the invoker's timeout can end the call.
    sink.respond('/slow', { status: 200, delayMs: 120_000 });
    const result = await call(open, { url: sink.url('/slow'), timeoutMs: 300 });
    expect(result).toMatchObject({ kind: 'error', error: 'timeout after 300 ms' });
    expect(sink.received('/slow')).toHaveLength(1);
    // The reported duration covers the wait (timers fire at most a millisecond early); no upper bound, which would time the machine.
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('reports a closed port as connection refused', async () => {
    const closed = await WebhookSink.start();
    const closedUrl = closed.url('/x');
    await closed.close();
    expect(await call(open, { url: closedUrl })).toMatchObject({ kind: 'error', error: 'connection refused' });
  });

  it('refuses private addresses when private targets are not allowed: IP literals here, host names at connect time', async () => {
    const before = sink.received().length;
    expect(await call(guarded, { url: sink.url('/hook') })).toEqual({ kind: 'error', error: 'refused: private address', durationMs: 0 });
    expect(await call(guarded, { url: `http://[::1]:${sink.port}/hook` })).toMatchObject({ kind: 'error', error: 'refused: private address' });
    expect(await call(guarded, { url: `http://localhost:${sink.port}/hook` })).toMatchObject({ kind: 'error', error: 'refused: private address' });
    expect(sink.received()).toHaveLength(before);
  });

  it('sends the path with its query, and the userinfo of the URL as Basic credentials, on every call to the same URL', async () => {
    sink.respond('/query', 200);
    const url = `http://erp%40user:p%3Ass@127.0.0.1:${sink.port}/query?token=t-1&format=json`;
    for (let call = 0; call < 2; call += 1) expect(await open.invoke({ url, method: 'POST', headers: {}, body: '{}', timeoutMs: 2000 })).toMatchObject({ kind: 'response', statusCode: 200 });
    const received = sink.received('/query');
    expect(received).toHaveLength(2);
    for (const request of received) {
      expect(request.url).toBe('/query?token=t-1&format=json');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('erp@user:p:ss').toString('base64')}`);
    }
  });

  it('refuses a private address again on a second call, and a URL it cannot parse', async () => {
    for (let call = 0; call < 2; call += 1) {
      expect(await callUrl(guarded, sink.url('/hook'))).toEqual({ kind: 'error', error: 'refused: private address', durationMs: 0 });
      expect(await callUrl(open, 'http://exa mple.com/')).toMatchObject({ kind: 'error', error: 'invalid target URL', permanent: true });
    }
  });

  it('sends GET without a body', async () => {
    sink.respond('/get', 204);
    expect(await call(open, { url: sink.url('/get'), method: 'GET', body: null, headers: {} })).toMatchObject({ kind: 'response', statusCode: 204, body: '' });
    expect(sink.received('/get')[0]).toMatchObject({ method: 'GET', body: '' });
  });
});
