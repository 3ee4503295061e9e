import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_RECEIVE_MESSAGES, MAX_RECEIVE_TIMEOUT_MS } from '../poll-options';

/** Only the words true and false: anything else stays a string and fails IsBoolean. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ReceiveQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RECEIVE_MESSAGES, default: MAX_RECEIVE_MESSAGES })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_RECEIVE_MESSAGES)
  maxNumberMessages: number = MAX_RECEIVE_MESSAGES;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_RECEIVE_TIMEOUT_MS, default: 0, description: 'Long-poll: wait up to this long for a message when none is visible' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_RECEIVE_TIMEOUT_MS)
  timeoutMs: number = 0;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Acknowledge the received messages at once' })
  @IsOptional() @Transform(toBoolean) @IsBoolean({ message: 'autoAck must be true or false' })
  autoAck: boolean = false;
}
