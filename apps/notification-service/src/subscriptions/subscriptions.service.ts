import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DeliveryKind, HttpMethod, normaliseScope, PayloadKind, Watch } from '@ordercast/contracts';
import {
  keepMaskedValues, maskHeaders, maskSealedHeaders, maskSecret, maskUrlCredentials, openUrlCredentials, SECRET_BOX, SecretBox, sealUrlCredentials, TargetGuard,
} from '@ordercast/platform';
import { Repository } from 'typeorm';
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
  delivery: DeliveryKind;
  payload: PayloadKind;
  url: string | null;
  method: HttpMethod;
  headers: Record<string, string>;
  email: string | null;
  secret: string | null;
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
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NO_WEBHOOK: Pick<Target, 'url' | 'method' | 'headers' | 'secret'> = { url: null, method: 'POST', headers: {}, secret: null };

function badRequest(messages: string[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: messages });
}

/** What is wrong with where a subscription would deliver: each delivery kind has its own fields. */
function targetErrors(target: Target, given: { url?: unknown; email?: unknown; method?: unknown; headers?: unknown; secret?: unknown }): string[] {
  const errors: string[] = [];
  if (target.delivery === 'webhook' && target.url === null) errors.push('a webhook subscription needs url');
  if (target.delivery === 'email' && target.email === null) errors.push('an email subscription needs email');
  if (target.delivery !== 'webhook') {
    for (const field of ['url', 'method', 'headers', 'secret'] as const) {
      if (given[field] !== undefined && given[field] !== null) errors.push(`${field} is only used by webhook delivery, not ${target.delivery}`);
    }
  }
  if (target.delivery !== 'email' && given.email !== undefined && given.email !== null) errors.push(`email is only used by email delivery, not ${target.delivery}`);
  return errors;
}

/**
 * Merchant-wide subscriptions (Verifone Central's notifications). A PATCH may send header values and
 * URL credentials back masked, as a GET showed them, to keep the stored ones, but only while the
 * target's origin stays the same (see {@link keepMaskedValues}); moving the URL to another origin
 * needs every secret header and credential given again. The signing secret stays across a move, as
 * Svix keeps an endpoint's: no receiver is ever sent the secret, only signatures, and a receiver
 * that moved keeps verifying; whoever wants a new one sets `secret`. Ingest reads the enabled ones
 * from the table for every batch, so a change applies from the next change event on; it is also
 * announced on {@link SubscriptionEvents} for anything that keeps them in memory.
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
    };
    const errors = [...targetErrors(target, request), ...keepMaskedValues(target, null).problems];
    if (errors.length > 0) throw badRequest(errors);
    if (target.url !== null) await this.targets.assertAllowed(target.url, 'url');

    const saved = await this.subscriptions.manager.transaction(async (manager) => {
      // Serialises creates of one merchant, so two at once cannot both pass the limit.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('ordercast.subscriptions:' || $1))`, [merchant]);
      const count = await manager.countBy(SubscriptionEntity, { merchant });
      if (count >= MAX_SUBSCRIPTIONS_PER_MERCHANT) {
        throw badRequest([`a merchant can have at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} subscriptions; delete one first`]);
      }
      return manager.save(manager.create(SubscriptionEntity, {
        merchant,
        name: request.name,
        channels: request.channels ?? [],
        scope: normaliseScope(request.scope, request.schema),
        payload: request.payload ?? 'full',
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
      delivery,
    };
    if (delivery === 'webhook' && (request.url !== undefined || request.headers !== undefined)) {
      // Headers left out are the stored ones as shown: like masked ones, they follow the target only within its origin.
      const given = { url: request.url ?? stored.url, headers: request.headers ?? maskHeaders(stored.headers) };
      const kept = keepMaskedValues(given, stored.delivery === 'webhook' ? stored : null);
      if (kept.problems.length > 0) throw badRequest(kept.problems);
      target.url = kept.target.url;
      target.headers = kept.target.headers;
    }
    if (request.method !== undefined) target.method = request.method;
    if (request.email !== undefined) target.email = request.email;
    if (request.secret !== undefined) target.secret = request.secret;
    const errors = targetErrors(target, request);
    if (errors.length > 0) throw badRequest(errors);
    if (request.url !== undefined && target.url !== null) await this.targets.assertAllowed(target.url, 'url');

    if (request.name !== undefined) row.name = request.name;
    if (request.channels !== undefined) row.channels = request.channels;
    if (request.scope !== undefined) row.scope = normaliseScope(request.scope, request.schema);
    if (request.payload !== undefined) row.payload = request.payload;
    if (request.enabled !== undefined) {
      row.enabled = request.enabled;
      // Whoever sets it now decides; a reason from an earlier 410 no longer applies.
      row.disabledReason = null;
    }
    Object.assign(row, this.seal(target));
    const saved = await this.subscriptions.save(row);
    this.events.emit({ merchant, subscriptionId: id, change: 'updated' });
    return this.view(saved);
  }

  /** Only a disabled subscription can be deleted (as in Verifone Central), so nothing stops by accident. */
  async remove(merchant: string, id: string): Promise<void> {
    const found = UUID.test(id) ? await this.subscriptions.delete({ merchant, id, enabled: false }) : { affected: 0 };
    if (!found.affected) {
      await this.find(merchant, id);
      throw new ConflictException('disable the subscription before deleting it');
    }
    this.events.emit({ merchant, subscriptionId: id, change: 'deleted' });
  }

  private async find(merchant: string, id: string): Promise<SubscriptionEntity> {
    const row = UUID.test(id) ? await this.subscriptions.findOneBy({ merchant, id }) : null;
    if (!row) throw new NotFoundException(`subscription ${id} not found`);
    return row;
  }

  private seal(target: Target): Target {
    return {
      ...target,
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
    };
  }

  private view(row: SubscriptionEntity): SubscriptionView {
    return {
      id: row.id,
      name: row.name,
      channels: row.channels,
      scope: row.scope,
      delivery: row.delivery,
      payload: row.payload,
      url: maskUrlCredentials(row.url),
      method: row.method,
      headers: maskSealedHeaders(row.headers, (value) => this.box.decrypt(value, 'header-values')),
      email: row.email,
      secret: maskSecret(row.secret),
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}
