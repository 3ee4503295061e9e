import { ApiProperty } from '@nestjs/swagger';
import type { AckFailureReason } from '../poll-queue';

const ACK_FAILURE_REASONS: AckFailureReason[] = ['unknown message', 'message expired'];

export class NotificationRefResponse {
  @ApiProperty()
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
}

/** The body a webhook gets, queued as it is. */
export class DeliveryBodyResponse {
  @ApiProperty({ format: 'uuid', description: 'The message id (webhook-id)' })
  id!: string;

  @ApiProperty({ example: 'order.state.changed' })
  type!: string;

  @ApiProperty({ example: 'state.completed' })
  scope!: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: "The order's version after the change (1 when created), strictly increasing per order: drop a message whose sequence is below the highest one applied; 0 for a manual send from a snapshot stored before versions were carried" })
  sequence!: number;

  @ApiProperty({ format: 'date-time', description: "The order's lastModified after the change, also when the order is left out (payload: metadata)" })
  lastModified!: string;

  @ApiProperty()
  merchant!: string;

  @ApiProperty()
  channel!: string;

  @ApiProperty()
  orderId!: string;

  @ApiProperty({ type: NotificationRefResponse })
  notification!: NotificationRefResponse;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed: `kind` and its details', example: { kind: 'state', from: 'accepted', to: 'completed' } })
  change!: Record<string, unknown>;

  @ApiProperty({ required: false, type: Object, additionalProperties: true, description: 'The order after the change, as order-service returns it (left out with payload: metadata)' })
  order?: Record<string, unknown>;
}

export class ReceivedMessageInfoResponse {
  @ApiProperty({ format: 'uuid' })
  messageId!: string;

  @ApiProperty({ description: 'Changes on every receive' })
  receiptHandle!: string;
}

export class ReceivedMessageResponse {
  @ApiProperty({ type: ReceivedMessageInfoResponse })
  messageInfo!: ReceivedMessageInfoResponse;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: DeliveryBodyResponse })
  orderNotification!: DeliveryBodyResponse;
}

export class ReceiveResponse {
  @ApiProperty({ type: [ReceivedMessageResponse] })
  messages!: ReceivedMessageResponse[];

  @ApiProperty({ type: [Object], description: 'Always empty: autoAck is applied in the statement that claims the messages' })
  autoAckFailedMessages!: never[];
}

export class AckFailureResponse {
  @ApiProperty({ format: 'uuid' })
  messageIdentifier!: string;

  @ApiProperty({ enum: ACK_FAILURE_REASONS })
  reason!: AckFailureReason;
}

export class AckResponse {
  @ApiProperty({ type: [AckFailureResponse] })
  ackFailedMessages!: AckFailureResponse[];
}

export class ListedMessageInfoResponse {
  @ApiProperty({ format: 'uuid' })
  messageId!: string;
}

export class ListedMessageResponse {
  @ApiProperty({ type: ListedMessageInfoResponse })
  messageInfo!: ListedMessageInfoResponse;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty()
  acknowledged!: boolean;

  @ApiProperty({ type: DeliveryBodyResponse })
  orderNotification!: DeliveryBodyResponse;
}

export class MessagePeriodResponse {
  @ApiProperty({ type: [ListedMessageResponse] })
  messagesResponses!: ListedMessageResponse[];

  @ApiProperty({ description: 'More messages fall in the period than one answer lists; ask for a shorter one' })
  truncated!: boolean;
}
