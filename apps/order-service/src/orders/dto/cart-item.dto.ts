import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsAmount } from '../../common/validation';

export class CartItemDto {
  @ApiProperty({ example: 'SKU-1001' }) @IsString() @Length(1, 200)
  reference!: string;

  @ApiProperty({ example: 'Rain jacket' }) @IsString() @Length(1, 500)
  name!: string;

  @ApiProperty({ minimum: 1, example: 2 }) @IsInt() @Min(1) @Max(1_000_000)
  quantity!: number;

  @ApiProperty({ minimum: 0, example: 499 }) @IsAmount()
  unitPrice!: number;
}
