import { JsonLogger } from './json-logger';
import { requestContext } from './request-context';
import { serviceContext } from './service-context';

function capture(work: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
  try {
    work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with service, level and context', () => {
    const [line] = capture(() => new JsonLogger('order-service').log({ msg: 'hello', orderId: 'o-1' }, 'Relay'));
    expect(line).toMatchObject({ level: 'log', service: 'order-service', context: 'Relay', msg: 'hello', orderId: 'o-1' });
    expect(line).not.toHaveProperty('requestId');
  });

  it('adds the id of the request being served, also to lines logged after an await', async () => {
    const logger = new JsonLogger('notification-service');
    const lines: Record<string, unknown>[] = [];
    await requestContext.run('req-42', async () => {
      lines.push(...capture(() => logger.warn('before')));
      await new Promise((resolve) => setTimeout(resolve, 1));
      lines.push(...capture(() => logger.error({ msg: 'after', eventId: 'e-1' })));
    });
    lines.push(...capture(() => logger.warn('outside')));
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([['before', 'req-42'], ['after', 'req-42'], ['outside', undefined]]);
  });

  it('names the service whose context the line is logged in, also from a timer that context started', async () => {
    // Two apps in one process share the last app's logger: the context decides the label.
    const shared = new JsonLogger('notification-service');
    const lines: Record<string, unknown>[] = [];
    await serviceContext.run('order-service', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      lines.push(...capture(() => shared.warn('relay')));
    });
    lines.push(...capture(() => shared.warn('dispatcher')));
    expect(lines.map((line) => [line.msg, line.service])).toEqual([['relay', 'order-service'], ['dispatcher', 'notification-service']]);
  });

  it('redacts credentials and leaves out levels below its own', () => {
    const lines = capture(() => {
      const logger = new JsonLogger('order-service', 'warn');
      logger.log('not written');
      logger.warn({ msg: 'calling', authorization: 'Bearer abc.def', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).not.toMatch(/abc\.def|MfKQ9r8/);
  });

  it('redacts every query value and the fragment of a logged URL', () => {
    const [line] = capture(() => new JsonLogger('notification-service').warn({ msg: 'target failed', url: 'https://erp.example/o?format=json&Access_Token=t0k3n&sig=s1g#x' }));
    expect(line.url).toBe('https://erp.example/o?format=********&Access_Token=********&sig=********#********');
  });
});
