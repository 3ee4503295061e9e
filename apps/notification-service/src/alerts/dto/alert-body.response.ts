import { ApiProperty } from '@nestjs/swagger';
import { ALERT_TYPES, AlertType } from '../alert';

/** The endpoint an alert is about: its origin only, and the registration or subscription that used it. */
export class AlertEndpointResponse {
  @ApiProperty({ type: String, nullable: true, example: 'https://erp.example.com', description: 'Scheme, host and port only; `mailto:` for email, `kafka://brokers` for kafka' })
  url!: string | null;

  @ApiProperty({ type: String, nullable: true })
  notificationId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  subscriptionId!: string | null;
}

/** The body an alert subscription gets (webhook, email, poll queue or kafka), signed like an order notification. */
export class AlertBodyResponse {
  @ApiProperty({ format: 'uuid', description: 'The message id (webhook-id)' })
  id!: string;

  @ApiProperty({ enum: ALERT_TYPES })
  type!: AlertType;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty()
  merchant!: string;

  @ApiProperty({ type: AlertEndpointResponse })
  endpoint!: AlertEndpointResponse;

  @ApiProperty({
    type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }], nullable: true },
    description: 'The attempt that raised it: eventId, messageId, orderId, attempt, statusCode, error',
  })
  details!: Record<string, string | number | null>;
}
