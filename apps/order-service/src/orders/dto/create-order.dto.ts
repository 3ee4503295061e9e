import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RegistrationDto } from '@ordercast/contracts';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { IsCurrencyCode } from '../../common/validation';
import { RegistrationList } from '../../notifications/registration-list.decorator';
import { CartDto } from './cart.dto';

export class CreateOrderDto {
  @ApiPropertyOptional({ example: 'web-10001', description: "The shop's own order reference" }) @IsOptional() @IsString() @Length(1, 200)
  reference?: string;

  @ApiProperty({ example: 'SEK' }) @IsCurrencyCode()
  currency!: string;

  @ApiPropertyOptional({ example: 'SE' }) @IsOptional() @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as SE' })
  country?: string;

  @ApiPropertyOptional({ example: 'sv-SE' }) @IsOptional() @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'culture must be a language tag such as sv-SE' })
  culture?: string;

  @ApiProperty({ type: CartDto }) @IsDefined() @ValidateNested() @Type(() => CartDto)
  cart!: CartDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject()
  customer?: Record<string, unknown>;

  @RegistrationList('Notifications registered on the order, besides those its channel attaches')
  notifications?: RegistrationDto[];
}
