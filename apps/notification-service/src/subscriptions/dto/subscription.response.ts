import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_KINDS, DeliveryKind, HTTP_METHODS, HttpMethod, JsonSchema, PAYLOAD_KINDS, PayloadKind } from '@ordercast/contracts';
import { ApiTargetAuthProperty, KafkaDestinationResponse, MutualTlsResponse, OAuth2ClientCredentialsResponse } from '@ordercast/platform';

/** One watch of a scope, as stored: a JSON pointer into the order and what its new value must be. */
export class SubscriptionWatchResponse {
  @ApiProperty({ example: '/state/currentStatus' })
  pointer!: string;

  @ApiProperty({ required: false, oneOf: [{ type: 'object', additionalProperties: true }, { type: 'boolean' }], example: { enum: ['completed'] } })
  schema?: JsonSchema;

  @ApiProperty({ required: false, type: [String], description: 'For /payments and /shippings: the states that fire' })
  states?: string[];
}

/** A merchant-wide subscription; header values and secret masked. */
export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ERP completions' })
  name!: string;

  @ApiProperty({ type: [String], description: 'Empty: every channel' })
  channels!: string[];

  @ApiProperty({ type: [SubscriptionWatchResponse] })
  scope!: SubscriptionWatchResponse[];

  @ApiProperty({ enum: DELIVERY_KINDS })
  delivery!: DeliveryKind;

  @ApiProperty({ enum: PAYLOAD_KINDS })
  payload!: PayloadKind;

  @ApiProperty({ type: String, nullable: true })
  url!: string | null;

  @ApiProperty({ enum: HTTP_METHODS })
  method!: HttpMethod;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Header values masked' })
  headers!: Record<string, string>;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Masked when set' })
  secret!: string | null;

  @ApiTargetAuthProperty('How a webhook target is authenticated, its client secret or private key masked; null for none')
  auth!: OAuth2ClientCredentialsResponse | MutualTlsResponse | null;

  @ApiProperty({ type: KafkaDestinationResponse, nullable: true, description: 'The topic of a kafka delivery, its SASL password masked; null for the other kinds' })
  kafka!: KafkaDestinationResponse | null;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why Ordercast disabled it (the target answered 410 Gone)' })
  disabledReason!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}
