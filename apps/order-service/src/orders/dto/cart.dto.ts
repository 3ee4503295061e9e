import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateBy, ValidateNested } from 'class-validator';
import { IsAmount, isAmount, MAX_AMOUNT } from '../../common/validation';
import { CartItemDto } from './cart-item.dto';

/**
 * Without a `total`, the order's total is the items' sum, which must be an amount like a total sent
 * (a thousand items at a trillion each summed past 2^53 and was stored rounded). Items that are not
 * well-formed are reported by their own checks, not here.
 */
const SumsToAnAmount = () =>
  ValidateBy({
    name: 'sumsToAnAmount',
    validator: {
      validate: (items: unknown, args) => {
        if ((args?.object as CartDto | undefined)?.total !== undefined || !Array.isArray(items)) return true;
        const lines = items as Array<Partial<CartItemDto> | null>;
        if (!lines.every((line) => typeof line?.quantity === 'number' && typeof line.unitPrice === 'number')) return true;
        return isAmount(lines.reduce((sum, line) => sum + line!.quantity! * line!.unitPrice!, 0));
      },
      defaultMessage: () => `$property: the sum of quantity × unitPrice must not be greater than ${MAX_AMOUNT} (or send total)`,
    },
  });

export class CartDto {
  @ApiProperty({ type: [CartItemDto] }) @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => CartItemDto) @SumsToAnAmount()
  items!: CartItemDto[];

  @ApiPropertyOptional({ minimum: 0, description: 'Defaults to the sum of quantity × unitPrice' }) @IsOptional() @IsAmount()
  total?: number;
}
