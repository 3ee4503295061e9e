/**
 * Where one merchant's deliveries go: the unit of concurrency limits, circuit breakers and fair
 * dispatch. Two merchants on one receiver are two endpoints, so one's failures or backlog never hold
 * back the other; `host` groups every merchant and port of one receiver, for the limits that protect it.
 */
export interface Endpoint {
  /** Merchant and target origin (scheme, host, port). */
  key: string;
  merchant: string;
  /** The host name alone: one receiver, whichever port or merchant. */
  host: string;
}

/** Emails all go to the one SMTP server, whose connection pool bounds them; per merchant all the same. */
const SMTP_HOST = 'smtp:';

export function webhookEndpoint(merchant: string, url: string): Endpoint {
  let origin = url;
  let host = url;
  try {
    const parsed = new URL(url);
    origin = parsed.origin.toLowerCase();
    host = ipv4Of(parsed.hostname.toLowerCase());
  } catch {
    // A malformed URL fails at the call; it still gets an endpoint of its own.
  }
  return { key: `${merchant} ${origin}`, merchant, host };
}

/**
 * An IPv4-mapped IPv6 literal (`[::ffff:127.0.0.1]`, which the URL parser writes `[::ffff:7f00:1]`) as
 * the IPv4 address it is: the same receiver, so the same host for the limits that protect it.
 */
function ipv4Of(hostname: string): string {
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(hostname);
  if (!mapped) return hostname;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

export function emailEndpoint(merchant: string): Endpoint {
  return { key: `${merchant} ${SMTP_HOST}`, merchant, host: SMTP_HOST };
}

/** A Kafka destination: the merchant's cluster, named by the brokers of the Event's `kafka://brokers/topic` URL. */
export function kafkaEndpoint(merchant: string, url: string): Endpoint {
  const cluster = `kafka:${url.slice('kafka://'.length).split('/')[0]}`;
  return { key: `${merchant} ${cluster}`, merchant, host: cluster };
}
