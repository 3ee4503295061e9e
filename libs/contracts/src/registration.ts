import {
  IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, Validate, ValidationArguments,
  ValidatorConstraint, ValidatorConstraintInterface, ValidateIf,
} from 'class-validator';
import { KafkaDestination, kafkaDestinationErrors, toKafkaDestination } from './kafka-destination';
import { ListedErrors } from './listed-errors';
import { JsonSchema, normaliseScope, ScopeObject, scopeErrors, Watch } from './scope';
import { TargetAuth, targetAuthErrors, toTargetAuth } from './target-auth';
import { targetUrlErrors } from './target-url';

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const DELIVERY_KINDS = ['webhook', 'poll', 'email', 'kafka'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];
export const PAYLOAD_KINDS = ['full', 'metadata'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

/** Where a registration came from: the order itself, the channel configuration, or an adapter call. */
export type RegistrationSource = 'order' | 'channel' | 'payment' | 'shipping';

/** A notification registered on an order, normalised from either accepted form. */
export interface Registration {
  id: string;
  reference: string | null;
  description: string | null;
  adapterId: string | null;
  url: string | null;
  method: HttpMethod;
  headers: Record<string, string>;
  scope: Watch[];
  payload: PayloadKind;
  delivery: DeliveryKind;
  email: string | null;
  secret: string | null;
  /** How a webhook target is authenticated; null (or absent, in snapshots made before it existed) for none. */
  auth?: TargetAuth | null;
  /** The topic of a `kafka` delivery; null (or absent) for the other kinds. */
  kafka?: KafkaDestination | null;
  /**
   * One order's deliveries to this target go one at a time, in change order: the next waits until
   * the previous succeeded or went dead. Absent on registrations stored before the field existed.
   */
  ordered?: boolean;
  source: RegistrationSource;
  createdAt: string;
}

/** A Standard Webhooks signing secret: `whsec_` and the base64 key. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/=]{24,256}$/;
export const WEBHOOK_SECRET_RULE = 'secret must be a Standard Webhooks secret: whsec_ followed by base64 (at least 24 characters)';
export const WEBHOOK_SECRET_BASE64_RULE = 'secret must be whsec_ followed by canonical standard base64 (a whole number of bytes, padded with = to a multiple of 4 characters, unused bits zero), as the Standard Webhooks libraries decode it';

/**
 * Whether the key is the standard base64 of its bytes, exactly: Node's decoder takes 31 characters,
 * missing or extra `=` and stray bits, but receivers' (Python's `base64.b64decode`, Go's
 * `StdEncoding`) refuse them, and a receiver that cannot load the secret cannot verify a delivery.
 */
function isCanonicalBase64(key: string): boolean {
  return Buffer.from(key, 'base64').toString('base64') === key;
}
/**
 * A signing secret as every response shows it. Sent back where a secret is stored (a channel's
 * notification put back, a subscription's PATCH), it means "keep the stored secret", also when the
 * target moves to another origin: the secret is never sent to a receiver, only signatures made
 * with it, so a receiver that moved keeps verifying (Svix keeps an endpoint's secret the same way);
 * whoever wants a new one gives it. Where nothing is stored, it is refused.
 */
export const MASKED_SECRET = 'whsec_********';
export const MASKED_SECRET_WITHOUT_STORED = `secret is masked (${MASKED_SECRET}) and there is no stored secret to keep: give it`;

/** What is wrong with a signing secret; `keepsMasked` where a masked one can name the stored secret. */
export function secretErrors(secret: unknown, keepsMasked = false): string[] {
  if (secret === MASKED_SECRET) return keepsMasked ? [] : [MASKED_SECRET_WITHOUT_STORED];
  if (typeof secret !== 'string' || !WEBHOOK_SECRET_PATTERN.test(secret)) return [WEBHOOK_SECRET_RULE];
  return isCanonicalBase64(secret.slice('whsec_'.length)) ? [] : [WEBHOOK_SECRET_BASE64_RULE];
}

export const MAX_HEADERS = 32;
export const MAX_HEADER_VALUE = 4096;
/**
 * Names and values of one registration's headers together, in UTF-8 bytes. 16 KiB is Node's default
 * request header limit and near other servers' (a receiver would answer 431 to more), and it keeps
 * 50 registrations' headers well inside an order's byte budget (see order-service's `OrderBudget`).
 */
export const MAX_HEADER_BYTES = 16 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/**
 * An HTTP field value as Node sends it (RFC 9110 field-vchar, obs-text and inner whitespace): Latin-1
 * without control characters, C1 (U+0080 to U+009F) included. Anything else would be accepted here and
 * then fail every delivery with "Invalid character in header content", or reach receivers as a control byte.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]*$/;
/**
 * Headers Ordercast sets itself or that HTTP owns; a registration cannot override them. The
 * representation and expectation headers are here too: `Content-Encoding`, `Content-Range` and the
 * digests would describe the plain JSON body as something it is not, `Expect` makes targets answer 417,
 * `Range` asks for a part of an answer, `Accept-Encoding` for a compressed one (stored as it came, no
 * secret in it could be masked), and the proxy headers are for a proxy Ordercast does not use.
 */
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'content-encoding', 'content-range', 'content-md5', 'digest', 'content-digest', 'repr-digest', 'expect', 'range', 'accept-encoding',
  'proxy-authorization', 'proxy-connection',
  'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-jws-signature',
]);

export function headerErrors(headers: unknown): string[] {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return ['headers must be an object of strings'];
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return [`headers must have at most ${MAX_HEADERS} entries`];
  const errors = entries.flatMap(([name, value]) => {
    if (!HEADER_NAME.test(name)) return [`header name "${name.slice(0, 64)}" is not a valid HTTP header name`];
    if (RESERVED_HEADERS.has(name.toLowerCase())) return [`header "${name}" is set by Ordercast and cannot be registered`];
    if (typeof value !== 'string') return [`header "${name}" must have a string value`];
    if (value.length > MAX_HEADER_VALUE) return [`header "${name}" value must be at most ${MAX_HEADER_VALUE} characters`];
    if (!HEADER_VALUE.test(value)) return [`header "${name}" value must be a valid HTTP field value: Latin-1 characters without control characters or line breaks`];
    return [];
  });
  if (errors.length > 0) return errors;
  // HTTP header names are case-insensitive: two spellings of one name would send one of them, or both.
  const seen = new Map<string, string>();
  for (const [name] of entries) {
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) return [`header "${name}" is given twice (also as "${earlier}"); header names are case-insensitive`];
    seen.set(name.toLowerCase(), name);
  }
  const bytes = entries.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value as string), 0);
  return bytes > MAX_HEADER_BYTES ? [`headers must take at most ${MAX_HEADER_BYTES} bytes in all (names and values); these take ${bytes}`] : [];
}

@ValidatorConstraint({ name: 'scope' })
class ScopeConstraint extends ListedErrors {
  protected check(value: unknown, args: ValidationArguments): string[] {
    return scopeErrors(value, (args.object as RegistrationDto).schema);
  }
}

@ValidatorConstraint({ name: 'headers' })
class HeadersConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return headerErrors(value);
  }
}

@ValidatorConstraint({ name: 'secret' })
class SecretConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return secretErrors(value);
  }
}

@ValidatorConstraint({ name: 'target' })
class TargetConstraint extends ListedErrors {
  protected check(value: unknown, args: ValidationArguments): string[] {
    return targetUrlErrors(value, args.property);
  }
}

@ValidatorConstraint({ name: 'auth' })
class TargetAuthConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return targetAuthErrors(value);
  }
}

@ValidatorConstraint({ name: 'kafka' })
class KafkaDestinationConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return kafkaDestinationErrors(value);
  }
}

@ValidatorConstraint({ name: 'delivery' })
class DeliveryTargetConstraint implements ValidatorConstraintInterface {
  validate(_: unknown, args: ValidationArguments): boolean {
    return deliveryTargetError(args.object as RegistrationDto) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return deliveryTargetError(args.object as RegistrationDto) ?? '';
  }
}

function deliveryTargetError(dto: RegistrationDto): string | null {
  const delivery = dto.delivery ?? 'webhook';
  if (dto.url !== undefined && dto.invoke !== undefined) return 'give either url or invoke, not both';
  if (delivery === 'webhook' && dto.url === undefined && dto.invoke === undefined) return 'a webhook registration needs url (or invoke)';
  if (delivery === 'email' && dto.email === undefined) return 'an email registration needs email';
  if (delivery === 'kafka' && dto.kafka === undefined) return 'a kafka registration needs kafka: { brokers, topic }';
  if (delivery !== 'kafka' && dto.kafka !== undefined) return 'kafka is only for delivery "kafka"';
  if (delivery !== 'webhook' && dto.auth !== undefined) return 'auth is only for delivery "webhook"';
  if (dto.auth?.type === 'mtls' && !/^https:/i.test(dto.url ?? dto.invoke ?? '')) return 'a client certificate (auth type mtls) needs an https target';
  return null;
}

/**
 * A registration as clients send it: the Norce documentation form (`url`, `scope` object)
 * or the Norce API form (`invoke`, `scope` JSON pointer with `schema`).
 */
export class RegistrationDto {
  @IsOptional() @IsString() @MaxLength(200)
  reference?: string;

  @IsOptional() @IsString() @MaxLength(2000)
  description?: string;

  @IsOptional() @IsString() @MaxLength(200)
  adapterId?: string;

  @ValidateIf((dto: RegistrationDto) => dto.url !== undefined) @Validate(TargetConstraint)
  url?: string;

  @ValidateIf((dto: RegistrationDto) => dto.invoke !== undefined) @Validate(TargetConstraint)
  invoke?: string;

  @IsOptional() @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  @IsOptional() @Validate(HeadersConstraint)
  headers?: Record<string, string>;

  @Validate(ScopeConstraint) @Validate(DeliveryTargetConstraint)
  scope!: ScopeObject | Watch[] | string;

  @IsOptional()
  schema?: JsonSchema;

  @IsOptional() @IsIn(PAYLOAD_KINDS)
  payload?: PayloadKind;

  @IsOptional() @IsIn(DELIVERY_KINDS)
  delivery?: DeliveryKind;

  @IsOptional() @IsEmail() @MaxLength(320)
  email?: string;

  @IsOptional() @Validate(SecretConstraint)
  secret?: string;

  /** Target authentication: `{ type: "oauth2_client_credentials", tokenUrl, clientId, clientSecret, scope?, audience? }` or `{ type: "mtls", certificate, privateKey }`. */
  @IsOptional() @Validate(TargetAuthConstraint)
  auth?: Record<string, unknown>;

  /** The topic of a `kafka` delivery: `{ brokers, topic, sasl?: { mechanism, username, password }, ssl? }`. */
  @IsOptional() @Validate(KafkaDestinationConstraint)
  kafka?: Record<string, unknown>;

  @IsOptional() @IsBoolean()
  ordered?: boolean;
}

/** Builds the stored registration from a validated DTO. */
export function toRegistration(dto: RegistrationDto, id: string, source: RegistrationSource, now: Date): Registration {
  return {
    id,
    reference: dto.reference ?? null,
    description: dto.description ?? null,
    adapterId: dto.adapterId ?? null,
    url: dto.url ?? dto.invoke ?? null,
    method: dto.method ?? 'POST',
    headers: { ...(dto.headers ?? {}) },
    scope: normaliseScope(dto.scope, dto.schema),
    payload: dto.payload ?? 'full',
    delivery: dto.delivery ?? 'webhook',
    email: dto.email ?? null,
    secret: dto.secret ?? null,
    auth: dto.auth === undefined ? null : toTargetAuth(dto.auth),
    kafka: dto.kafka === undefined ? null : toKafkaDestination(dto.kafka),
    ordered: dto.ordered ?? false,
    source,
    createdAt: now.toISOString(),
  };
}
