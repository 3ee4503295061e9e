import { ApiProperty } from '@nestjs/swagger';
import { isInstant } from '@ordercast/platform';
import { Validate, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { MAX_PERIOD_DAYS } from '../poll-options';

const DAY_MS = 24 * 60 * 60 * 1000;
@ValidatorConstraint({ name: 'instant' })
class InstantConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isInstant(value);
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an ISO 8601 date-time with Z or an offset, such as 2026-04-05T00:00:00Z`;
  }
}

@ValidatorConstraint({ name: 'period' })
class PeriodConstraint implements ValidatorConstraintInterface {
  validate(_: unknown, args: ValidationArguments): boolean {
    return periodError(args.object as PeriodQueryDto) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return periodError(args.object as PeriodQueryDto) ?? '';
  }
}

function periodError(dto: PeriodQueryDto): string | null {
  // A malformed bound is reported by its own check.
  if (!isInstant(dto.periodStart) || !isInstant(dto.periodEnd)) return null;
  const length = Date.parse(dto.periodEnd) - Date.parse(dto.periodStart);
  if (length <= 0) return 'periodEnd must be after periodStart';
  if (length > MAX_PERIOD_DAYS * DAY_MS) return `periodEnd must be at most ${MAX_PERIOD_DAYS} days after periodStart`;
  return null;
}

export class PeriodQueryDto {
  @ApiProperty({ format: 'date-time', example: '2026-04-05T00:00:00Z' })
  @Validate(InstantConstraint)
  periodStart!: string;

  @ApiProperty({ format: 'date-time', example: '2026-04-06T00:00:00Z', description: `Exclusive; at most ${MAX_PERIOD_DAYS} days after periodStart` })
  @Validate(InstantConstraint) @Validate(PeriodConstraint)
  periodEnd!: string;
}
