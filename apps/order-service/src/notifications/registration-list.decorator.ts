import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { RegistrationDto } from '@ordercast/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { MAX_REGISTRATIONS_PER_ORDER } from './order-registrations';
import { REGISTRATION_SCHEMA } from './registration.openapi';

/** An optional list of registrations made along with another request (order, payment, shipping). */
export const RegistrationList = (description: string) => applyDecorators(
  ApiPropertyOptional({ type: 'array', items: REGISTRATION_SCHEMA, maxItems: MAX_REGISTRATIONS_PER_ORDER, description }),
  IsOptional(),
  IsArray(),
  ArrayMaxSize(MAX_REGISTRATIONS_PER_ORDER),
  ValidateNested({ each: true }),
  Type(() => RegistrationDto),
);
