import { ApiProperty } from '@nestjs/swagger';
import { CHANGE_TYPES, ChangeType } from '@ordercast/contracts';
import { PageResponse } from '@ordercast/platform';

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

export class ParkedChangePageResponse extends PageResponse(ParkedChangeResponse) {}
