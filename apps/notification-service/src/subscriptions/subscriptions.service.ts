import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  brokerHost, DeliveryKind, HttpMethod, KafkaDestination, MASKED_SECRET, MASKED_SECRET_WITHOUT_STORED, normaliseScope, PayloadKind, subscriptionSchemaProblem, TargetAuth,
  toKafkaDestination, toTargetAuth, Watch, withTargetSecrets,
} from '@ordercast/contracts';
import {
  keepMaskedValues, MASK, maskHeaders, maskSealedHeaders, maskSecret, maskTargetConnection, maskUrlCredentials, openUrlCredentials, SECRET_BOX, SecretBox, sealUrlCredentials, TargetGuard,
} from '@ordercast/platform';
import { EntityManager, Not, Repository } from 'typeorm';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { SubscriptionEvents } from './subscription-events';
import { SubscriptionEntity } from './subscription.entity';

export const MAX_SUBSCRIPTIONS_PER_MERCHANT = 100;

/** A subscription as every response shows it: header values and secret masked. */
export interface SubscriptionView {
  id: string;
  name: string;
  channels: string[];
  scope: Watch[];
  /** Alert types of an alert subscription; empty for an order subscription. */
  events: string[];
  delivery: DeliveryKind;
  payload: PayloadKind;
  url: string | null;
  method: HttpMethod;
  headers: Record<string, string>;
  email: string | null;
  secret: string | null;
  /** Credentials masked; an mTLS certificate shown with its subject, fingerprint and expiry. */
  auth: TargetAuth | null;
  /** The SASL password masked. */
  kafka: KafkaDestination | null;
  ordered: boolean;
  enabled: boolean;
  /** Why Ordercast disabled it (the target answered 410 Gone); null otherwise. */
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The fields that decide where a subscription delivers, before sealing. */
interface Target {
  delivery: DeliveryKind;
  url: string | null;
  method: HttpMethod;
  headers: Record<string, string>;
  email: string | null;
  secret: string | null;
  auth: TargetAuth | null;
  kafka: KafkaDestination | null;
}

const NO_WEBHOOK: Pick<Target, 'url' | 'method' | 'headers' | 'secret' | 'auth'> = { url: null, method: 'POST', headers: {}, secret: null, auth: null };

function badRequest(messages: string[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: messages });
}

/** What is wrong with where a subscription would deliver: each delivery kind has its own fields. */
function targetErrors(target: Target, given: { url?: unknown; email?: unknown; method?: unknown; headers?: unknown; secret?: unknown; auth?: unknown; kafka?: unknown }): string[] {
  const errors: string[] = [];
  if (target.delivery === 'webhook' && target.url === null) errors.push('a webhook subscription needs url');
  if (target.delivery === 'email' && target.email === null) errors.push('an email subscription needs email');
  if (target.delivery === 'kafka' && target.kafka === null) errors.push('a kafka subscription needs kafka: { brokers, topic }');
  if (target.delivery !== 'kafka' && given.kafka != null) errors.push(`kafka is only used by kafka delivery, not ${target.delivery}`);
  if (target.auth?.type === 'mtls' && !/^https:/i.test(target.url ?? '')) errors.push('a client certificate (auth type mtls) needs an https target');
  if (target.delivery !== 'webhook') {
    for (const field of ['url', 'method', 'headers', 'secret', 'auth'] as const) {
      if (given[field] !== undefined && given[field] !== null) errors.push(`${field} is only used by webhook delivery, not ${target.delivery}`);
    }
  }
  if (target.delivery !== 'email' && given.email !== undefined && given.email !== null) errors.push(`email is only used by email delivery, not ${target.delivery}`);
  return errors;
}

/** An alert subscription receives alerts, not order changes: what selects order changes has no place on it. */
function alertErrors(alerts: boolean, given: { scope?: unknown; schema?: unknown; channels?: unknown; payload?: unknown }): string[] {
  if (!alerts) return [];
  return (['scope', 'schema', 'channels', 'payload'] as const)
    .filter((field) => given[field] !== undefined)
    .map((field) => `${field} is not used by an alert subscription (one with events)`);
}

/**
 * A stored auth as a GET shows it, for a PATCH that leaves it out: the OAuth2 client secret and the
 * token URL's query values masked, so that they are kept only where masked ones would be. An mTLS key is kept as it is (it is only
 * ever used in the handshake, never sent).
 */
function authAsShown(auth: TargetAuth | null): TargetAuth | null {
  return auth?.type === 'oauth2_client_credentials' ? { ...auth, tokenUrl: maskUrlCredentials(auth.tokenUrl), clientSecret: MASK } : auth;
}

/**
 * Merchant-wide subscriptions (Verifone Central's notifications). A PATCH may send header values,
 * URL credentials and target credentials (OAuth2 client secret, SASL password) back masked, as a
 * GET showed them, to keep the stored ones, but only while the target's origin stays the same (see
 * {@link keepMaskedValues}); moving the URL to another origin needs every secret header, credential
 * and client secret given again. The signing secret stays across a move, left out or sent back
 * masked, as Svix keeps an endpoint's: no receiver is ever sent the secret, only signatures, and a
 * receiver that moved keeps verifying; whoever wants a new one sets `secret` (see MASKED_SECRET).
 * Ingest reads the enabled ones from the table for every batch, so a change applies from the next
 * change event on; it is also announced on {@link SubscriptionEvents} for anything that keeps them
 * in memory.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectRepository(SubscriptionEntity) private readonly subscriptions: Repository<SubscriptionEntity>,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly targets: TargetGuard,
    private readonly events: SubscriptionEvents,
  ) {}

  async list(merchant: string): Promise<SubscriptionView[]> {
    const rows = await this.subscriptions.find({ where: { merchant }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map((row) => this.view(row));
  }

  async get(merchant: string, id: string): Promise<SubscriptionView> {
    return this.view(await this.find(merchant, id));
  }

  async create(merchant: string, request: CreateSubscriptionDto): Promise<SubscriptionView> {
    const delivery = request.delivery ?? 'webhook';
    const target: Target = {
      delivery,
      url: request.url ?? null,
      method: request.method ?? 'POST',
      headers: request.headers ?? {},
      email: request.email ?? null,
      secret: request.secret ?? null,
      // null, as a PATCH takes it, is none.
      auth: request.auth == null ? null : toTargetAuth(request.auth),
      kafka: request.kafka == null ? null : toKafkaDestination(request.kafka),
    };
    const errors = [...targetErrors(target, request), ...keepMaskedValues(target, null).problems, ...alertErrors(request.events !== undefined, request)];
    if (errors.length > 0) throw badRequest(errors);
    if (target.url !== null) await this.targets.assertAllowed(target.url, 'url');
    await this.assertConnectionAllowed(target);

    const saved = await this.subscriptions.manager.transaction(async (manager) => {
      await lockMerchantSubscriptions(manager, merchant);
      const count = await manager.countBy(SubscriptionEntity, { merchant });
      if (count >= MAX_SUBSCRIPTIONS_PER_MERCHANT) {
        throw badRequest([`a merchant can have at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} subscriptions; delete one first`]);
      }
      // Validation requires a scope unless events are given.
      const scope = request.scope === undefined ? [] : normaliseScope(request.scope, request.schema);
      await assertSchemasFit(manager, merchant, null, scope);
      return manager.save(manager.create(SubscriptionEntity, {
        merchant,
        name: request.name,
        channels: request.channels ?? [],
        scope,
        events: request.events ?? [],
        payload: request.payload ?? 'full',
        ordered: request.ordered ?? false,
        enabled: request.enabled ?? true,
        disabledReason: null,
        ...this.seal(target),
      }));
    });
    this.events.emit({ merchant, subscriptionId: saved.id, change: 'created' });
    return this.view(saved);
  }

  async update(merchant: string, id: string, request: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const row = await this.find(merchant, id);
    const stored = this.open(row);
    const delivery = request.delivery ?? row.delivery;
    const target: Target = {
      ...stored,
      ...(delivery === 'webhook' ? {} : NO_WEBHOOK),
      ...(delivery === 'email' ? {} : { email: null }),
      ...(delivery === 'kafka' ? {} : { kafka: null }),
      delivery,
    };
    if (delivery === 'webhook' && (request.url !== undefined || request.headers !== undefined || request.auth !== undefined)) {
      // Headers and auth left out are the stored ones as shown: like masked ones, they follow the target only within its origin.
      const given = {
        url: request.url ?? stored.url,
        headers: request.headers ?? maskHeaders(stored.headers),
        auth: request.auth === undefined ? authAsShown(stored.auth) : request.auth === null ? null : toTargetAuth(request.auth),
      };
      const kept = keepMaskedValues(given, stored.delivery === 'webhook' ? stored : null);
      if (kept.problems.length > 0) throw badRequest(kept.problems);
      target.url = kept.target.url;
      target.headers = kept.target.headers;
      target.auth = kept.target.auth ?? null;
    }
    if (request.method !== undefined) target.method = request.method;
    if (request.email !== undefined) target.email = request.email;
    // The masked secret a GET showed keeps the stored one wherever the url goes, as leaving it out does (see MASKED_SECRET).
    const keepsSecret = request.secret === MASKED_SECRET;
    if (request.secret !== undefined && !keepsSecret) target.secret = request.secret;
    if (request.kafka === null) target.kafka = null;
    else if (request.kafka !== undefined) {
      const kept = keepMaskedValues({ url: null, headers: {}, kafka: toKafkaDestination(request.kafka) }, { url: null, headers: {}, kafka: stored.kafka });
      if (kept.problems.length > 0) throw badRequest(kept.problems);
      target.kafka = kept.target.kafka ?? null;
    }
    const errors = [...targetErrors(target, request), ...alertErrors(row.events.length > 0, request)];
    if (keepsSecret && stored.secret === null) errors.push(MASKED_SECRET_WITHOUT_STORED);
    if (errors.length > 0) throw badRequest(errors);
    if (request.url !== undefined && target.url !== null) await this.targets.assertAllowed(target.url, 'url');
    if (request.auth !== undefined || request.kafka !== undefined) await this.assertConnectionAllowed(target);

    if (request.name !== undefined) row.name = request.name;
    if (request.channels !== undefined) row.channels = request.channels;
    if (request.scope !== undefined) row.scope = normaliseScope(request.scope, request.schema);
    if (request.payload !== undefined) row.payload = request.payload;
    if (request.ordered !== undefined) row.ordered = request.ordered;
    if (request.enabled !== undefined) {
      row.enabled = request.enabled;
      // Whoever sets it now decides; a reason from an earlier 410 no longer applies.
      row.disabledReason = null;
    }
    Object.assign(row, this.seal(target));
    const saved = request.scope === undefined
      ? await this.subscriptions.save(row)
      : await this.subscriptions.manager.transaction(async (manager) => {
        await lockMerchantSubscriptions(manager, merchant);
        await assertSchemasFit(manager, merchant, id, row.scope);
        return manager.save(row);
      });
    this.events.emit({ merchant, subscriptionId: id, change: 'updated' });
    return this.view(saved);
  }

  /** Only a disabled subscription can be deleted (as in Verifone Central), so nothing stops by accident. */
  async remove(merchant: string, id: string): Promise<void> {
    const found = await this.subscriptions.delete({ merchant, id, enabled: false });
    if (!found.affected) {
      await this.find(merchant, id);
      throw new ConflictException('disable the subscription before deleting it');
    }
    this.events.emit({ merchant, subscriptionId: id, change: 'deleted' });
  }

  private async find(merchant: string, id: string): Promise<SubscriptionEntity> {
    const row = await this.subscriptions.findOneBy({ merchant, id });
    if (!row) throw new NotFoundException(`subscription ${id} not found`);
    return row;
  }

  /** The token URL and the brokers pass the same SSRF rules as a URL (and again when connecting). */
  private async assertConnectionAllowed(target: Target): Promise<void> {
    if (target.auth?.type === 'oauth2_client_credentials') await this.targets.assertAllowed(target.auth.tokenUrl, 'auth.tokenUrl');
    for (const broker of target.kafka?.brokers ?? []) await this.targets.assertHostAllowed(brokerHost(broker), 'kafka.brokers');
  }

  private seal(target: Target): Target {
    return {
      ...withTargetSecrets(target, (value) => this.box.encrypt(value, 'target-credentials')),
      url: sealUrlCredentials(target.url, this.box),
      headers: this.box.encryptValues(target.headers, 'header-values'),
      secret: target.secret === null ? null : this.box.encrypt(target.secret, 'signing-secrets'),
    };
  }

  private open(row: SubscriptionEntity): Target {
    return {
      delivery: row.delivery,
      url: row.url === null ? null : openUrlCredentials(row.url, this.box),
      method: row.method,
      headers: this.box.decryptValues(row.headers, 'header-values'),
      email: row.email,
      secret: row.secret === null ? null : this.box.decrypt(row.secret, 'signing-secrets'),
      ...withTargetSecrets({ auth: row.auth, kafka: row.kafka }, (value) => this.box.decrypt(value, 'target-credentials')),
    };
  }

  private view(row: SubscriptionEntity): SubscriptionView {
    return {
      id: row.id,
      name: row.name,
      channels: row.channels,
      scope: row.scope,
      events: row.events,
      delivery: row.delivery,
      payload: row.payload,
      url: maskUrlCredentials(row.url),
      method: row.method,
      headers: maskSealedHeaders(row.headers, (value) => this.box.decrypt(value, 'header-values')),
      email: row.email,
      secret: maskSecret(row.secret),
      ...maskTargetConnection({ auth: row.auth, kafka: row.kafka }),
      ordered: row.ordered,
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

/**
 * Serialises the writes of one merchant's subscriptions that check all of them (the count on create, the
 * schemas on create and on a scope change) until the transaction ends, so two at once cannot both pass.
 */
async function lockMerchantSubscriptions(manager: EntityManager, merchant: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('ordercast.subscriptions:' || $1))`, [merchant]);
}

/**
 * 400 when the merchant's subscriptions, with `scope` as the one of `id` (or a new one), would carry more
 * distinct scope schemas than notification-service compiles for one merchant (see subscriptionSchemaProblem).
 * Called under {@link lockMerchantSubscriptions}.
 */
async function assertSchemasFit(manager: EntityManager, merchant: string, id: string | null, scope: Watch[]): Promise<void> {
  const others = await manager.find(SubscriptionEntity, { where: id === null ? { merchant } : { merchant, id: Not(id) }, select: { id: true, scope: true } });
  const problem = subscriptionSchemaProblem([...others.map((other) => other.scope), scope]);
  if (problem !== null) throw badRequest([problem]);
}
