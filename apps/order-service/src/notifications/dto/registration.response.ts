import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_KINDS, DeliveryKind, HTTP_METHODS, HttpMethod, JsonSchema, PAYLOAD_KINDS, PayloadKind, RegistrationSource } from '@ordercast/contracts';
import { ApiTargetAuthProperty, KafkaDestinationResponse, MutualTlsResponse, OAuth2ClientCredentialsResponse } from '@ordercast/platform';

const REGISTRATION_SOURCES: RegistrationSource[] = ['order', 'channel', 'payment', 'shipping'];

/** One watch of a scope, as stored: both registration forms are normalised to a list of these. */
export class WatchResponse {
  @ApiProperty({ description: 'JSON pointer into the order', example: '/state/currentStatus' })
  pointer!: string;

  @ApiProperty({ required: false, oneOf: [{ type: 'object', additionalProperties: true }, { type: 'boolean' }], description: 'JSON Schema the new value must match', example: { enum: ['completed'] } })
  schema?: JsonSchema;

  @ApiProperty({ required: false, type: [String], description: 'For /payments and /shippings: the states that fire', example: ['captured'] })
  states?: string[];
}

/** A registration as the API returns it: with its id, header values and secret masked. */
export class RegistrationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'erp-export' })
  reference!: string | null;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: String, nullable: true })
  adapterId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Target URL (null for poll and email delivery)', example: 'https://erp.example.com/api/orders/{order.id}/import' })
  url!: string | null;

  @ApiProperty({ enum: HTTP_METHODS })
  method!: HttpMethod;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Header values masked', example: { 'X-API-Key': '********' } })
  headers!: Record<string, string>;

  @ApiProperty({ type: [WatchResponse] })
  scope!: WatchResponse[];

  @ApiProperty({ enum: PAYLOAD_KINDS })
  payload!: PayloadKind;

  @ApiProperty({ enum: DELIVERY_KINDS })
  delivery!: DeliveryKind;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Masked when set', example: 'whsec_********' })
  secret!: string | null;

  @ApiTargetAuthProperty('How a webhook target is authenticated, its client secret or private key masked; null for none')
  auth!: OAuth2ClientCredentialsResponse | MutualTlsResponse | null;

  @ApiProperty({ type: KafkaDestinationResponse, nullable: true, description: 'The topic of a kafka delivery, its SASL password masked; null for the other kinds' })
  kafka!: KafkaDestinationResponse | null;

  @ApiProperty({ enum: REGISTRATION_SOURCES, description: 'Where it was registered: on the order, copied from the channel, or with a payment or shipping' })
  source!: RegistrationSource;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}
