import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The longest window the health view reads: a day of a busy merchant's Events is already many rows. */
export const MAX_HEALTH_WINDOW_MINUTES = 1440;

export class EndpointHealthQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_HEALTH_WINDOW_MINUTES, default: 60, description: 'How far back the figures reach' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_HEALTH_WINDOW_MINUTES)
  windowMinutes: number = 60;
}
