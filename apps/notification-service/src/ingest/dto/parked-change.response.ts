import { ApiProperty } from '@nestjs/swagger';
import { CHANGE_TYPES, ChangeType } from '@ordercast/contracts';

/** A change event ingest gave up on, with where it was read, without its snapshots. */
export class ParkedChangeResponse {
  @ApiProperty({ description: 'The change event id' })
  changeId!: string;

  @ApiProperty()
  orderId!: string;

  @ApiProperty()
  merchant!: string;

  @ApiProperty()
  channel!: string;

  @ApiProperty({ enum: CHANGE_TYPES })
  type!: ChangeType;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ example: 'checkout.order-events.v1' })
  topic!: string;

  @ApiProperty({ type: 'integer' })
  partition!: number;

  @ApiProperty({ description: 'The Kafka offset, a decimal string (it can pass 2^53)', example: '4711' })
  offset!: string;

  @ApiProperty({ type: 'integer', description: 'Ingest attempts made before it was parked' })
  attempts!: number;

  @ApiProperty({ description: 'The last failure, or that the service stopped while ingesting it' })
  reason!: string;

  @ApiProperty({ format: 'date-time' })
  parkedAt!: string;
}

export class ParkedChangesPaginationResponse {
  @ApiProperty()
  offset!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty({ description: 'Parked changes in this page' })
  size!: number;

  @ApiProperty({ description: 'Parked changes in all' })
  totalSize!: number;
}

export class ParkedChangePageResponse {
  @ApiProperty({ type: [ParkedChangeResponse] })
  data!: ParkedChangeResponse[];

  @ApiProperty({ type: ParkedChangesPaginationResponse })
  pagination!: ParkedChangesPaginationResponse;
}
