import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_KINDS, DeliveryKind, HTTP_METHODS, HttpMethod, JsonSchema, MASKED_SECRET, PAYLOAD_KINDS, PayloadKind, ScopeObject, Watch,
} from '@ordercast/contracts';
import { ApiSchemaProperty, HEADERS_SCHEMA, SCOPE_JSON_SCHEMA, SCOPE_SCHEMA } from '@ordercast/platform';
import { ALERT_TYPES, AlertType } from '../../alerts/alert';
import {
  ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate, ValidateIf,
} from 'class-validator';
import {
  CHANNEL_PATTERN, HeadersConstraint, KafkaDestinationConstraint, MAX_CHANNELS, ScopeConstraint, SecretConstraint, TargetAuthConstraint, TargetUrlConstraint,
} from './subscription-validators';

/** A merchant-wide subscription (Verifone Central's notification): every order of the merchant, or of the listed channels. */
export class CreateSubscriptionDto {
  @ApiProperty({ maxLength: 200, example: 'Completed orders to the ERP' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_CHANNELS, description: 'Channels it covers; empty or absent means every channel' })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_CHANNELS) @ArrayUnique()
  @Matches(CHANNEL_PATTERN, { each: true, message: 'each channel must be 1 to 100 letters, digits, ".", "_" or "-"' })
  channels?: string[];

  @ApiSchemaProperty(SCOPE_SCHEMA, 'Required, except on an alert subscription (with `events`), which has none')
  @ValidateIf((dto: CreateSubscriptionDto) => dto.events === undefined || dto.scope !== undefined) @Validate(ScopeConstraint)
  scope?: ScopeObject | Watch[] | string;

  @ApiPropertyOptional({
    type: [String], enum: ALERT_TYPES, example: ['endpoint.failing', 'endpoint.recovered'],
    description: "Makes an alert subscription: it receives Ordercast's operational alerts of these types (debounced), never order changes; then scope, schema, channels and payload are not allowed",
  })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(ALERT_TYPES, { each: true, message: `each event must be one of ${ALERT_TYPES.join(', ')}` })
  events?: AlertType[];

  @ApiSchemaProperty(SCOPE_JSON_SCHEMA)
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

  @ApiSchemaProperty(HEADERS_SCHEMA)
  @IsOptional() @Validate(HeadersConstraint)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ format: 'email', description: 'Recipient (email delivery only)' })
  @IsOptional() @IsEmail() @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ enum: PAYLOAD_KINDS, default: 'full', description: '`metadata` leaves the order snapshot out' })
  @IsOptional() @IsIn(PAYLOAD_KINDS)
  payload?: PayloadKind;

  @ApiPropertyOptional({ description: `Standard Webhooks signing secret (webhook delivery only); shown as ${MASKED_SECRET} afterwards`, example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  @IsOptional() @Validate(SecretConstraint)
  secret?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Target authentication (webhook delivery only): `{ type: "oauth2_client_credentials", tokenUrl, clientId, clientSecret, scope?, audience? }` or `{ type: "mtls", certificate, privateKey }`; the client secret and private key are shown masked afterwards' })
  @IsOptional() @Validate(TargetAuthConstraint)
  auth?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The topic of a kafka delivery: `{ brokers: ["host:port"], topic, sasl?: { mechanism, username, password }, ssl? }`; the SASL password is shown masked afterwards' })
  @IsOptional() @Validate(KafkaDestinationConstraint)
  kafka?: Record<string, unknown>;

  @ApiPropertyOptional({ default: false, description: "One order's deliveries go one at a time, in change order; a dead one releases the next" })
  @IsOptional() @IsBoolean()
  ordered?: boolean;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}
