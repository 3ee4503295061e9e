import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_KINDS, DeliveryKind, HTTP_METHODS, HttpMethod, JsonSchema, PAYLOAD_KINDS, PayloadKind, ScopeObject, Watch,
} from '@ordercast/contracts';
import {
  ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate,
} from 'class-validator';
import {
  CHANNEL_PATTERN, HeadersConstraint, KafkaDestinationConstraint, MAX_CHANNELS, ScopeConstraint, TargetAuthConstraint, TargetUrlConstraint, WEBHOOK_SECRET_PATTERN, WEBHOOK_SECRET_RULE,
} from './subscription-validators';

const SCOPE_DESCRIPTION =
  'Either registration form: `{ state: [...], payment: true | [...], shipping: true | [...] }`, a list of watches `[{ pointer, schema?, states? }]`, or a JSON pointer string with `schema`';

/** A merchant-wide subscription (Verifone Central's notification): every order of the merchant, or of the listed channels. */
export class CreateSubscriptionDto {
  @ApiProperty({ maxLength: 200, example: 'Completed orders to the ERP' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_CHANNELS, description: 'Channels it covers; empty or absent means every channel' })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_CHANNELS) @ArrayUnique()
  @Matches(CHANNEL_PATTERN, { each: true, message: 'each channel must be 1 to 100 letters, digits, ".", "_" or "-"' })
  channels?: string[];

  @ApiProperty({ description: SCOPE_DESCRIPTION, oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }, { type: 'string' }], example: { state: ['completed'] } })
  @Validate(ScopeConstraint)
  scope!: ScopeObject | Watch[] | string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'JSON Schema the new value must match (with a JSON pointer scope)', example: { enum: ['completed'] } })
  @IsOptional()
  schema?: JsonSchema;

  @ApiPropertyOptional({ enum: DELIVERY_KINDS, default: 'webhook' })
  @IsOptional() @IsIn(DELIVERY_KINDS)
  delivery?: DeliveryKind;

  @ApiPropertyOptional({ description: 'Webhook target (webhook delivery only); placeholders {order.id}, {order.reference}, {merchant}, {channel}' })
  @IsOptional() @Validate(TargetUrlConstraint)
  url?: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'POST' })
  @IsOptional() @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Sent with every call; values are encrypted at rest and masked in responses' })
  @IsOptional() @Validate(HeadersConstraint)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ format: 'email', description: 'Recipient (email delivery only)' })
  @IsOptional() @IsEmail() @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ enum: PAYLOAD_KINDS, default: 'full', description: '`metadata` leaves the order snapshot out' })
  @IsOptional() @IsIn(PAYLOAD_KINDS)
  payload?: PayloadKind;

  @ApiPropertyOptional({ description: 'Standard Webhooks signing secret (webhook delivery only); shown masked afterwards', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  @IsOptional() @IsString() @Matches(WEBHOOK_SECRET_PATTERN, { message: WEBHOOK_SECRET_RULE })
  secret?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Target authentication (webhook delivery only): `{ type: "oauth2_client_credentials", tokenUrl, clientId, clientSecret, scope?, audience? }` or `{ type: "mtls", certificate, privateKey }`; the client secret and private key are shown masked afterwards' })
  @IsOptional() @Validate(TargetAuthConstraint)
  auth?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The topic of a kafka delivery: `{ brokers: ["host:port"], topic, sasl?: { mechanism, username, password }, ssl? }`; the SASL password is shown masked afterwards' })
  @IsOptional() @Validate(KafkaDestinationConstraint)
  kafka?: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}
