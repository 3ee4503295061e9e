import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { IsAmount } from '../../common/validation';
import { CartItemDto } from './cart-item.dto';

export class CartDto {
  @ApiProperty({ type: [CartItemDto] }) @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => CartItemDto)
  items!: CartItemDto[];

  @ApiPropertyOptional({ minimum: 0, description: 'Defaults to the sum of quantity × unitPrice' }) @IsOptional() @IsAmount()
  total?: number;
}
