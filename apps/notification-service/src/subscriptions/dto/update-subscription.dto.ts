import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_KINDS, DeliveryKind, HTTP_METHODS, HttpMethod, JsonSchema, MASKED_SECRET, PAYLOAD_KINDS, PayloadKind, ScopeObject, Watch,
} from '@ordercast/contracts';
import { ApiSchemaProperty, HEADERS_SCHEMA, IfGiven, MASK, SCOPE_JSON_SCHEMA, SCOPE_SCHEMA } from '@ordercast/platform';
import {
  ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, Matches, MaxLength, Validate, ValidateIf,
} from 'class-validator';
import {
  CHANNEL_PATTERN, HeadersConstraint, KafkaDestinationConstraint, KEEPS_MASKED, MAX_CHANNELS, ScopeConstraint, SecretConstraint, TargetAuthConstraint, TargetUrlConstraint,
} from './subscription-validators';

/** Any field of a subscription; the rest stays as it is. `enabled` turns it on or off. */
export class UpdateSubscriptionDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IfGiven() @IsString() @IsNotEmpty() @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_CHANNELS, description: 'Replaces the channels; [] means every channel' })
  @IfGiven() @IsArray() @ArrayMaxSize(MAX_CHANNELS) @ArrayUnique()
  @Matches(CHANNEL_PATTERN, { each: true, message: 'each channel must be 1 to 100 letters, digits, ".", "_" or "-"' })
  channels?: string[];

  @ApiSchemaProperty(SCOPE_SCHEMA, 'Replaces the scope')
  @ValidateIf((dto: UpdateSubscriptionDto) => dto.scope !== undefined || dto.schema !== undefined) @Validate(ScopeConstraint)
  scope?: ScopeObject | Watch[] | string;

  @ApiSchemaProperty(SCOPE_JSON_SCHEMA, 'With a JSON pointer scope in the same request')
  @IfGiven()
  schema?: JsonSchema;

  @ApiPropertyOptional({ enum: DELIVERY_KINDS, description: 'Switching away from webhook drops url, method, headers and secret; away from email drops email' })
  @IfGiven() @IsIn(DELIVERY_KINDS)
  delivery?: DeliveryKind;

  @ApiPropertyOptional()
  @IfGiven() @Validate(TargetUrlConstraint)
  url?: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS })
  @IfGiven() @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  @ApiSchemaProperty(HEADERS_SCHEMA, `Replaces the headers; a value of ${MASK} keeps that header's stored value while the url keeps its origin`)
  @IfGiven() @Validate(HeadersConstraint)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ format: 'email' })
  @IfGiven() @IsEmail() @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ enum: PAYLOAD_KINDS })
  @IfGiven() @IsIn(PAYLOAD_KINDS)
  payload?: PayloadKind;

  @ApiPropertyOptional({
    nullable: true,
    description: `A new Standard Webhooks secret, or null to stop signing with one; ${MASKED_SECRET} (as shown) keeps the stored secret, also when the url moves to another origin (receivers only ever get signatures)`,
  })
  @ValidateIf((dto: UpdateSubscriptionDto) => dto.secret !== undefined && dto.secret !== null) @Validate(SecretConstraint, [KEEPS_MASKED])
  secret?: string | null;

  @ApiPropertyOptional({ type: 'object', nullable: true, additionalProperties: true, description: 'Target authentication (webhook delivery only): `{ type: "oauth2_client_credentials", tokenUrl, clientId, clientSecret, scope?, audience? }` or `{ type: "mtls", certificate, privateKey }`; the client secret and private key are shown masked afterwards' + '; a masked value sent back keeps the stored one; null removes it' })
  @ValidateIf((dto: UpdateSubscriptionDto) => dto.auth !== undefined && dto.auth !== null) @Validate(TargetAuthConstraint)
  auth?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The topic of a kafka delivery: `{ brokers: ["host:port"], topic, sasl?: { mechanism, username, password }, ssl? }`; the SASL password is shown masked afterwards' + '; a masked password sent back keeps the stored one' })
  @IfGiven() @Validate(KafkaDestinationConstraint)
  kafka?: Record<string, unknown>;

  @ApiPropertyOptional({ default: false, description: "One order's deliveries go one at a time, in change order; a dead one releases the next" })
  @IfGiven() @IsBoolean()
  ordered?: boolean;

  @ApiPropertyOptional()
  @IfGiven() @IsBoolean()
  enabled?: boolean;
}
