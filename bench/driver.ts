/**
 * Drives order-service's API: creates orders with registrations and walks them through state, payment and
 * shipping changes. For every accepted change it records, per delivery the change should cause, the time the
 * API call returned, keyed like the sink keys what it receives (`<target>|<orderId>|<scope>`).
 */
import http from 'node:http';
import { now } from './clock';

export const MERCHANT = 'bench';
export const TOKEN = 'bench-token-1';
export const CHANNEL = 'bench';
/** The channel of the order-service-alone workloads: never configured, so its orders have no registrations. */
export const ALONE_CHANNEL = 'bench-alone';
/** The other merchant of the noisy-neighbour phase, whose backlog must not slow the bench merchant down. */
export const NOISY_MERCHANT = 'noisy';
export const NOISY_TOKEN = 'noisy-token-1';

export interface MerchantCredentials {
  merchant: string;
  token: string;
}

export interface TargetRegistration {
  /** Sink target name as it appears in the key (`hook/erp`, `slow/erp`). */
  target: string;
  url: string;
  watches: Array<'state' | 'payment' | 'shipping'>;
  headers?: Record<string, string>;
  /** Standard Webhooks signing secret (`whsec_...`). */
  secret?: string;
}

/** What one bench order is registered for: the channel's configuration and the order's own registrations. */
export interface RegistrationPlan {
  channel: TargetRegistration[];
  order: TargetRegistration[];
}

const WATCHED_STATES = ['processing', 'accepted', 'completed'];

export function registrationBody(registration: TargetRegistration) {
  const scope: { state?: string[]; payment?: boolean; shipping?: boolean } = {};
  if (registration.watches.includes('state')) scope.state = WATCHED_STATES;
  if (registration.watches.includes('payment')) scope.payment = true;
  if (registration.watches.includes('shipping')) scope.shipping = true;
  return {
    reference: registration.target.replace('/', '-'),
    url: registration.url,
    method: 'POST',
    scope,
    ...(registration.headers ? { headers: registration.headers } : {}),
    ...(registration.secret ? { secret: registration.secret } : {}),
  };
}

type Step =
  | { kind: 'state'; status: string }
  | { kind: 'payment'; state: string }
  | { kind: 'shipping'; state: string };

/** The changes after `order.created`, in the order the state machine allows them. */
export const STEPS: Step[] = [
  { kind: 'state', status: 'processing' },
  { kind: 'state', status: 'accepted' },
  { kind: 'payment', state: 'authorized' },
  { kind: 'payment', state: 'captured' },
  { kind: 'shipping', state: 'processing' },
  { kind: 'shipping', state: 'confirmed' },
  { kind: 'state', status: 'completed' },
];
/** order.created plus the steps. */
export const CHANGES_PER_ORDER = STEPS.length + 1;

export interface Accepted {
  /** Delivery key -> time the change that causes it was accepted. */
  expected: Map<string, number>;
  /** Time every accepted change returned, with the API call's own duration: [acceptedAt, durationMs]. */
  calls: Array<[number, number]>;
  changes: number;
  errors: number;
  errorSamples: string[];
}

export function emptyAccepted(): Accepted {
  return { expected: new Map(), calls: [], changes: 0, errors: 0, errorSamples: [] };
}

export interface BenchOrder {
  id: string;
  next: number;
  paymentId?: string;
  paymentState?: string;
  shippingId?: string;
}

class ApiError extends Error {}

/**
 * A minimal JSON client on node:http with a keep-alive pool. Not axios: the driver shares the two cores with
 * the services, and axios costs about twice the CPU per request.
 */
class JsonClient {
  private readonly agent: http.Agent;

  constructor(private readonly baseUrl: URL, maxSockets: number, private readonly headers: Record<string, string>) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const request = http.request(
        {
          host: this.baseUrl.hostname,
          port: this.baseUrl.port,
          path: `${this.baseUrl.pathname}${path}`,
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: {
            ...this.headers,
            ...headers,
            ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new ApiError(`${method} ${path}: ${status} ${text.slice(0, 300)}`));
            try {
              resolve((text ? JSON.parse(text) : null) as T);
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new ApiError(`${method} ${path}: no answer in 30 s`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Drives one workload against order-service, recording what each accepted change should deliver. */
export class OrderDriver {
  private readonly http: JsonClient;

  constructor(
    baseUrl: string,
    maxSockets: number,
    private readonly plan: RegistrationPlan,
    private readonly accepted: Accepted,
    as: MerchantCredentials = { merchant: MERCHANT, token: TOKEN },
    private readonly channel: string = CHANNEL,
  ) {
    this.http = new JsonClient(new URL(`${baseUrl}/api/v0/checkout`), maxSockets, { 'X-Merchant': as.merchant, Authorization: `Bearer ${as.token}` });
  }

  close(): void {
    this.http.close();
  }

  async configureChannel(): Promise<void> {
    await this.http.request('PUT', `/channels/${this.channel}/notifications`, this.plan.channel.map(registrationBody));
  }

  /** Creates an order (one change); null if the API refused it. */
  async createOrder(index: number): Promise<BenchOrder | null> {
    const body = {
      reference: `bench-${index}`,
      currency: 'SEK',
      country: 'SE',
      culture: 'sv-SE',
      cart: {
        items: [
          { reference: 'sku-1', name: 'Mug', quantity: 2, unitPrice: 100 },
          { reference: 'sku-2', name: 'Tea', quantity: 1, unitPrice: 49 },
        ],
        total: 249,
      },
      customer: { email: `customer-${index}@example.com`, firstName: 'Bench', lastName: `Customer ${index}` },
      notifications: this.plan.order.map(registrationBody),
    };
    const result = await this.call<{ id: string }>(() => this.http.request('POST', '/orders', body, { 'X-Channel': this.channel }), []);
    return result ? { id: result.id, next: 0 } : null;
  }

  /** Performs the order's next change; false when it failed (the order is then abandoned). */
  async step(order: BenchOrder): Promise<boolean> {
    const step = STEPS[order.next++];
    const base = `/orders/${order.id}`;
    if (step.kind === 'state') {
      const keys = this.keys(order.id, 'state', `state.${step.status}`);
      return (await this.call(() => this.http.request('PUT', `${base}/state`, { currentStatus: step.status }), keys)) !== null;
    }
    const keys = this.keys(order.id, step.kind, `${step.kind}.${step.state}`);
    if (step.kind === 'payment') {
      const payment = order.paymentId
        ? await this.call<{ id: string }>(() => this.http.request('PATCH', `${base}/payments/${order.paymentId}`, { state: step.state }), keys)
        : await this.call<{ id: string }>(
            () => this.http.request('POST', `${base}/payments`, { adapterId: 'bench-pay', name: 'Card', amount: 249, currency: 'SEK', state: step.state }),
            keys,
          );
      order.paymentId ??= payment?.id;
      return payment !== null;
    }
    const shipping = order.shippingId
      ? await this.call<{ id: string }>(() => this.http.request('PATCH', `${base}/shippings/${order.shippingId}`, { state: step.state }), keys)
      : await this.call<{ id: string }>(() => this.http.request('POST', `${base}/shippings`, { adapterId: 'bench-ship', name: 'Post', price: 49, state: step.state }), keys);
    order.shippingId ??= shipping?.id;
    return shipping !== null;
  }

  /**
   * One payment change: the order's first call adds a payment, every later one moves it between
   * authorized and captured (payment states may follow each other freely), so each call is a change
   * that writes the order and an outbox row. False when the API refused it.
   */
  async changePayment(order: BenchOrder): Promise<boolean> {
    const state = order.paymentState === 'authorized' ? 'captured' : 'authorized';
    const base = `/orders/${order.id}/payments`;
    const payment = order.paymentId
      ? await this.call<{ id: string }>(() => this.http.request('PATCH', `${base}/${order.paymentId}`, { state }), [])
      : await this.call<{ id: string }>(() => this.http.request('POST', base, { adapterId: 'bench-pay', name: 'Card', amount: 249, currency: 'SEK', state }), []);
    if (!payment) return false;
    order.paymentId ??= payment.id;
    order.paymentState = state;
    return true;
  }

  /** `GET /orders/{id}`; false when it failed. */
  async readOrder(order: BenchOrder): Promise<boolean> {
    return (await this.call(() => this.http.request('GET', `/orders/${order.id}`), [])) !== null;
  }

  private keys(orderId: string, watch: 'state' | 'payment' | 'shipping', scope: string): string[] {
    return [...this.plan.channel, ...this.plan.order].filter((r) => r.watches.includes(watch)).map((r) => `${r.target}|${orderId}|${scope}`);
  }

  private async call<T>(request: () => Promise<T>, keys: string[]): Promise<T | null> {
    const started = now();
    try {
      const data = await request();
      const acceptedAt = now();
      this.accepted.changes++;
      this.accepted.calls.push([acceptedAt, acceptedAt - started]);
      for (const key of keys) this.accepted.expected.set(key, acceptedAt);
      return data;
    } catch (error) {
      this.accepted.errors++;
      if (this.accepted.errorSamples.length < 5) this.accepted.errorSamples.push(describe(error));
      return null;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Closed loop: `concurrency` workers, each taking the next order and walking it through every change,
 * so at most `concurrency` requests are in flight; stops creating orders once `changes` have been issued.
 */
export async function driveClosedLoop(driver: OrderDriver, orders: number, concurrency: number): Promise<void> {
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < orders) {
      const order = await driver.createOrder(nextIndex++);
      if (!order) continue;
      while (order.next < STEPS.length) {
        if (!(await driver.step(order))) break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Open loop at a fixed rate: every 1/rate seconds one change is issued, whether or not earlier ones returned
 * (so a slow service shows up as latency, not as a lower rate). Each change is the next step of an order whose
 * previous change has returned, or the creation of a new order when none is ready.
 */
export async function driveFixedRate(driver: OrderDriver, rate: number, seconds: number, firstIndex: number): Promise<{ issued: number; maxInFlight: number }> {
  const ready: BenchOrder[] = [];
  const inFlight = new Set<Promise<void>>();
  let issued = 0;
  let maxInFlight = 0;
  let index = firstIndex;
  const total = Math.round(rate * seconds);
  const started = now();

  const issue = () => {
    const order = ready.shift();
    const work = order
      ? driver.step(order).then((ok) => {
          if (ok && order.next < STEPS.length) ready.push(order);
        })
      : driver.createOrder(index++).then((created) => {
          if (created) ready.push(created);
        });
    const tracked: Promise<void> = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    issued++;
  };

  while (issued < total) {
    const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
    while (issued < due) issue();
    const nextAt = started + (issued * 1000) / rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - now())));
  }
  await Promise.all(inFlight);
  return { issued, maxInFlight };
}
