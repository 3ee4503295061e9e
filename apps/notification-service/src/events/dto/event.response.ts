import { ApiProperty } from '@nestjs/swagger';
import { HTTP_METHODS, HttpMethod } from '@ordercast/contracts';
import { EVENT_STATUSES, EVENT_TRIGGERS, EventStatus, EventTrigger } from '../event-types';

export class EventRequestResponse {
  @ApiProperty({ type: String, nullable: true, description: 'The target URL; `mailto:` for email, null for poll delivery' })
  url!: string | null;

  @ApiProperty({ enum: HTTP_METHODS })
  method!: HttpMethod;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Headers sent, secret values masked' })
  headers!: Record<string, string>;
}

/** One delivery attempt (Norce's Event), with its request and the target's answer. */
export class EventResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The delivery (webhook-id), the same on every attempt' })
  messageId!: string;

  @ApiProperty()
  orderId!: string;

  @ApiProperty()
  merchant!: string;

  @ApiProperty()
  channel!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The registration on the order, when not a subscription' })
  notificationId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  subscriptionId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiProperty({ example: 'state.completed' })
  scope!: string;

  @ApiProperty({ example: 'order.state.changed' })
  type!: string;

  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiProperty({ type: String, nullable: true, description: 'The attempt this one retries' })
  retryOf!: string | null;

  @ApiProperty({ enum: EVENT_TRIGGERS })
  trigger!: EventTrigger;

  @ApiProperty({ enum: EVENT_STATUSES })
  status!: EventStatus;

  @ApiProperty({ type: EventRequestResponse })
  request!: EventRequestResponse;

  @ApiProperty({ type: Number, nullable: true })
  statusCode!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Up to 64 KiB of the answer' })
  responseBody!: string | null;

  @ApiProperty()
  responseTruncated!: boolean;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  durationMs!: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;
}

export class PaginationResponse {
  @ApiProperty()
  offset!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty({ description: 'Events in this page' })
  size!: number;

  @ApiProperty({ description: 'Events matching the filters' })
  totalSize!: number;
}

export class EventPageResponse {
  @ApiProperty({ type: [EventResponse] })
  data!: EventResponse[];

  @ApiProperty({ type: PaginationResponse })
  pagination!: PaginationResponse;
}

export class EventListResponse {
  @ApiProperty({ type: [EventResponse] })
  data!: EventResponse[];
}

export class RetryCountResponse {
  @ApiProperty({ description: 'Deliveries retried' })
  count!: number;
}
