import { DispatchQueue } from './dispatch-queue';
import { Endpoint, webhookEndpoint } from './endpoint';

const noisy = webhookEndpoint('noisy', 'http://hooks.example.com:1/slow');
const noisyFast = webhookEndpoint('noisy', 'http://hooks.example.com:2/fast');
const quiet = webhookEndpoint('quiet', 'http://hooks.example.com:1/quiet');
const elsewhere = webhookEndpoint('quiet', 'http://other.example.com/');

function queue(limits: Partial<{ perEndpoint: number; perHost: number; waitingPerEndpoint: number }> = {}) {
  return new DispatchQueue<string>({ perEndpoint: 100, perHost: 100, waitingPerEndpoint: 100, ...limits });
}

function drain(target: DispatchQueue<string>): string[] {
  const started: string[] = [];
  for (let next = target.next(); next !== null; next = target.next()) started.push(next.item);
  return started;
}

function fill(target: DispatchQueue<string>, endpoint: Endpoint, prefix: string, count: number) {
  for (let i = 1; i <= count; i++) expect(target.push(endpoint, `${prefix}${i}`)).toBe(true);
}

describe('DispatchQueue', () => {
  it('takes turns over the endpoints: a backlog of thousands does not go ahead of a single fresh item', () => {
    const target = queue({ waitingPerEndpoint: 5000 });
    fill(target, noisy, 'n', 3000);
    target.push(quiet, 'q1');
    const started = drain(target).slice(0, 4);
    expect(started).toEqual(['n1', 'q1', 'n2', 'n3']);
  });

  it('round-robins every endpoint with waiting items, each in its own order', () => {
    const target = queue();
    fill(target, noisy, 'n', 3);
    fill(target, noisyFast, 'f', 2);
    fill(target, quiet, 'q', 1);
    expect(drain(target)).toEqual(['n1', 'f1', 'q1', 'n2', 'f2', 'n3']);
    expect(target.size).toBe(0);
  });

  it("holds an endpoint's items back while its calls are in flight, without holding back the other endpoints", () => {
    const target = queue({ perEndpoint: 2 });
    fill(target, noisy, 'n', 5);
    fill(target, quiet, 'q', 3);
    expect(drain(target)).toEqual(['n1', 'q1', 'n2', 'q2']);
    expect(target.size).toBe(4);
    target.done(quiet);
    expect(drain(target)).toEqual(['q3']);
    target.done(noisy);
    expect(drain(target)).toEqual(['n3']);
    expect(target.size).toBe(2);
  });

  it('bounds the calls per host over all merchants and ports, and other hosts go on', () => {
    const target = queue({ perEndpoint: 10, perHost: 3 });
    fill(target, noisy, 'n', 5);
    fill(target, quiet, 'q', 5);
    fill(target, elsewhere, 'e', 2);
    expect(drain(target)).toEqual(['n1', 'q1', 'e1', 'n2', 'e2']);
    target.done(noisy);
    expect(drain(target)).toHaveLength(1);
    expect(target.next()).toBeNull();
  });

  it("bounds a merchant's calls over all its endpoints, and its calls on one host over all its ports, and the others go on", () => {
    const target = new DispatchQueue<string>({ perEndpoint: 2, perHost: 100, waitingPerEndpoint: 100, perMerchant: 3, perMerchantHost: 100 });
    const rival = [1, 2, 3].map((port) => webhookEndpoint('rival', `http://hooks${port}.example.com/`));
    rival.forEach((endpoint, index) => fill(target, endpoint, `r${index + 1}.`, 2));
    fill(target, quiet, 'q', 2);
    expect(drain(target)).toEqual(['r1.1', 'r2.1', 'r3.1', 'q1', 'q2']);
    target.done(rival[1]);
    expect(drain(target)).toEqual(['r1.2']);

    const sameHost = new DispatchQueue<string>({ perEndpoint: 2, perHost: 4, waitingPerEndpoint: 100, perMerchantHost: 2 });
    fill(sameHost, noisy, 'n', 2);
    fill(sameHost, noisyFast, 'f', 2);
    fill(sameHost, quiet, 'q', 3);
    // noisy's two ports of hooks.example.com share its half of the host; quiet takes the other half.
    expect(drain(sameHost)).toEqual(['n1', 'f1', 'q1', 'q2']);
  });

  it('keeps the reserved slots for merchants with few calls in flight', () => {
    const target = new DispatchQueue<string>({ perEndpoint: 4, perHost: 100, waitingPerEndpoint: 100, perMerchant: 4, reserve: { slots: 8, reserved: 2, reservedPerHost: 0, light: 1 } });
    const gamma = webhookEndpoint('gamma', 'http://gamma.example.com/');
    fill(target, noisy, 'n', 5);
    fill(target, gamma, 'g', 5);
    // Taking turns, the two share the 6 unreserved slots; the last 2 of the 8 stay free.
    expect(drain(target)).toEqual(['n1', 'g1', 'n2', 'g2', 'n3', 'g3']);
    fill(target, quiet, 'q', 3);
    expect(drain(target)).toEqual(['q1']);
    target.done(quiet);
    expect(drain(target)).toEqual(['q2']);
  });

  it("keeps a host's reserved slots for merchants with few calls on it", () => {
    const target = new DispatchQueue<string>({ perEndpoint: 4, perHost: 8, waitingPerEndpoint: 100, perMerchantHost: 4, reserve: { slots: 100, reserved: 0, reservedPerHost: 2, light: 1 } });
    const gamma = webhookEndpoint('gamma', 'http://hooks.example.com:3/');
    fill(target, noisy, 'n', 5);
    fill(target, gamma, 'g', 5);
    fill(target, elsewhere, 'e', 2);
    // On hooks.example.com the two share its 6 unreserved slots; another host is not concerned.
    expect(drain(target)).toEqual(['n1', 'g1', 'e1', 'n2', 'g2', 'e2', 'n3', 'g3']);
    fill(target, quiet, 'q', 2);
    expect(drain(target)).toEqual(['q1']);
  });

  it("keeps the last of a merchant's share of a host for its endpoints with few calls in flight while one of them hangs", () => {
    const limits = { perEndpoint: 8, perHost: 100, waitingPerEndpoint: 100, perMerchantHost: 8, reserve: { slots: 100, reserved: 0, reservedPerHost: 0, light: 2, reservedPerMerchantHost: 2 } };
    // Alone on the host, an endpoint may take the merchant's whole share there.
    const alone = new DispatchQueue<string>(limits);
    fill(alone, noisy, 'n', 20);
    expect(drain(alone)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8']);

    // Two ports of one host, both with deliveries waiting: port 1 hangs (its calls never end), port 2 answers at once.
    const target = new DispatchQueue<string>(limits);
    fill(target, noisy, 'n', 50);
    fill(target, noisyFast, 'f', 50);
    let hanging = 0;
    for (let round = 0; round < 10; round++) {
      const started = drain(target);
      hanging += started.filter((item) => item.startsWith('n')).length;
      const healthy = started.filter((item) => item.startsWith('f'));
      // The hanging port never takes the last 2 of the merchant's 8 there; the healthy one starts every round.
      expect(hanging).toBeLessThanOrEqual(6);
      expect(healthy.length).toBeGreaterThanOrEqual(1);
      for (const _ of healthy) target.done(noisyFast);
    }
    // Another merchant on the host is not concerned.
    fill(target, quiet, 'q', 2);
    expect(drain(target)).toEqual(expect.arrayContaining(['q1', 'q2']));
  });

  it("gives a merchant's slots that a hanging endpoint frees to its other endpoint on the host, not back to the hanging one", () => {
    const target = new DispatchQueue<string>({
      perEndpoint: 8, perHost: 100, waitingPerEndpoint: 100, perMerchantHost: 8, reserve: { slots: 100, reserved: 0, reservedPerHost: 0, light: 2, reservedPerMerchantHost: 2 },
    });
    fill(target, noisy, 's', 20);
    expect(drain(target)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
    fill(target, noisyFast, 'h', 5);
    // The merchant's 8 on the host are all taken: the other port waits until calls of the hanging one end (time out)...
    expect(drain(target)).toEqual([]);
    target.done(noisy);
    target.done(noisy);
    // ...and then gets them, while the hanging one, past the merchant's unreserved 6 there, gets none back.
    expect(drain(target)).toEqual(['h1', 'h2']);
    target.done(noisyFast);
    expect(drain(target)).toEqual(['h3']);
    // The other port goes quiet: the hanging one still stays out of the reserve, which the next delivery there finds free...
    target.remove((item) => item.startsWith('h'));
    target.done(noisyFast);
    target.done(noisyFast);
    expect(drain(target)).toEqual([]);
    fill(target, noisyFast, 'k', 1);
    expect(drain(target)).toEqual(['k1']);
    // ...until every line of the merchant on the host is gone: then one endpoint alone has the whole share again.
    target.remove();
    target.done(noisyFast);
    for (let i = 0; i < 6; i++) target.done(noisy);
    fill(target, noisy, 't', 10);
    expect(drain(target)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8']);
  });

  it('keeps no reserve within a merchant across hosts: a merchant has twice an endpoint\'s concurrency there', () => {
    const slow = webhookEndpoint('noisy', 'http://slow.example.com/');
    const healthy = webhookEndpoint('noisy', 'http://healthy.example.com/');
    const target = new DispatchQueue<string>({
      perEndpoint: 4, perHost: 100, waitingPerEndpoint: 100, perMerchant: 8, perMerchantHost: 4, reserve: { slots: 100, reserved: 0, reservedPerHost: 0, light: 1, reservedPerMerchantHost: 1 },
    });
    fill(target, slow, 's', 10);
    fill(target, healthy, 'h', 10);
    expect(drain(target)).toEqual(['s1', 'h1', 's2', 'h2', 's3', 'h3', 's4', 'h4']);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 host it is', () => {
    expect(webhookEndpoint('m', 'http://[::ffff:127.0.0.1]:4001/x').host).toBe('127.0.0.1');
    expect(webhookEndpoint('m', 'http://[::FFFF:7f00:1]/').host).toBe('127.0.0.1');
    expect(webhookEndpoint('m', 'http://[::1]/').host).toBe('[::1]');
  });

  it('refuses items past the waiting bound of their endpoint only', () => {
    const target = queue({ waitingPerEndpoint: 2 });
    fill(target, noisy, 'n', 2);
    expect(target.push(noisy, 'n3')).toBe(false);
    expect(target.push(quiet, 'q1')).toBe(true);
    expect(target.size).toBe(3);
  });

  it('takes a longer line when the caller gives its endpoint more room, and counts the items past the usual room', () => {
    const target = queue({ perEndpoint: 1, waitingPerEndpoint: 2 });
    fill(target, noisy, 'n', 2);
    expect(target.push(noisy, 'n3', 4)).toBe(true);
    expect(target.push(noisy, 'n4', 4)).toBe(true);
    expect(target.push(noisy, 'n5', 4)).toBe(false);
    fill(target, quiet, 'q', 2);
    expect([target.size, target.pastRoom]).toEqual([6, 2]);
    expect(drain(target)).toEqual(['n1', 'q1']);
    expect([target.size, target.pastRoom]).toEqual([4, 1]);
    expect(target.remove((item) => item === 'n4' || item === 'q2')).toEqual(['n4', 'q2']);
    expect([target.size, target.pastRoom]).toEqual([2, 0]);
    target.done(noisy);
    expect(drain(target)).toEqual(['n2']);
    expect([target.size, target.pastRoom]).toEqual([1, 0]);
  });

  it('removes waiting items on request, keeping the others in turn', () => {
    const target = queue();
    fill(target, noisy, 'n', 3);
    fill(target, quiet, 'q', 2);
    expect(target.remove((item) => item.startsWith('n') && item !== 'n3')).toEqual(['n1', 'n2']);
    expect(drain(target)).toEqual(['n3', 'q1', 'q2']);
    fill(target, quiet, 'r', 2);
    expect(target.remove()).toEqual(['r1', 'r2']);
    expect(target.next()).toBeNull();
  });
});
