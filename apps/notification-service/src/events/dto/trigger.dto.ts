import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Without either field every notification registered on the order is sent. */
export class TriggerDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  notificationId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  reference?: string;
}
