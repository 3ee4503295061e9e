import { ApiProperty } from '@nestjs/swagger';
import { CHANGE_TYPES, ChangeType } from '@ordercast/contracts';

/** A change event the bus refused for good, without its snapshots. */
export class ParkedChangeResponse {
  @ApiProperty({ format: 'uuid', description: 'The change event id' })
  id!: string;

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

  @ApiProperty({ format: 'date-time' })
  parkedAt!: string;

  @ApiProperty({ description: "Why the bus refused it, in the bus's words", example: 'MESSAGE_TOO_LARGE' })
  reason!: string;

  @ApiProperty({ type: 'integer', description: "The event's size as stored, in bytes" })
  bytes!: number;
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
