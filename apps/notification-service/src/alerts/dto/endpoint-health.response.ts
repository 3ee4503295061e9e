import { ApiProperty } from '@nestjs/swagger';
import { ALERT_TYPES } from '../alert';

export class HealthWindowResponse {
  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty()
  minutes!: number;

  @ApiProperty({ description: 'The window held more completed attempts than are read; the figures cover the newest of them' })
  truncated!: boolean;
}

export class LastFailureResponse {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ format: 'uuid' })
  eventId!: string;

  @ApiProperty({ type: Number, nullable: true })
  statusCode!: number | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;
}

/** One endpoint (target origin) of the merchant over the window. */
export class EndpointHealthResponse {
  @ApiProperty({ example: 'https://erp.example.com', description: 'Scheme, host and port only; `mailto:` for email' })
  url!: string;

  @ApiProperty()
  attempts!: number;

  @ApiProperty()
  succeeded!: number;

  @ApiProperty({ description: 'Failed and dead attempts' })
  failed!: number;

  @ApiProperty()
  dead!: number;

  @ApiProperty({ minimum: 0, maximum: 1 })
  successRate!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSuccessAt!: string | null;

  @ApiProperty({ type: LastFailureResponse, nullable: true })
  lastFailure!: LastFailureResponse | null;

  @ApiProperty({ enum: ['open', 'closed'], description: 'As the alerts last recorded it (each instance keeps its own breakers)' })
  breaker!: 'open' | 'closed';

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  breakerChangedAt!: string | null;
}

export class SentAlertResponse {
  @ApiProperty({ format: 'uuid' })
  eventId!: string;

  @ApiProperty({ format: 'uuid' })
  messageId!: string;

  @ApiProperty({ enum: ALERT_TYPES })
  type!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed', 'dead'] })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class EndpointHealthReportResponse {
  @ApiProperty({ type: HealthWindowResponse })
  window!: HealthWindowResponse;

  @ApiProperty({ type: [EndpointHealthResponse] })
  data!: EndpointHealthResponse[];

  @ApiProperty({ type: [SentAlertResponse], description: 'The latest alert deliveries (first attempts), newest first' })
  alerts!: SentAlertResponse[];
}
