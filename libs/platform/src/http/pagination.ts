import type { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Where a page sits in a listing: its window and how many items the whole listing holds. */
export interface Pagination {
  offset: number;
  limit: number;
  size: number;
  totalSize: number;
}

/** One page of a listing: `data` in the listing's order, `pagination` to fetch the next. */
export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

/** The page `data` is, read at `limit` and `offset` from a listing of `totalSize` items. */
export function pageOf<T>(data: T[], { limit, offset }: { limit: number; offset: number }, totalSize: number): Page<T> {
  return { data, pagination: { offset, limit, size: data.length, totalSize } };
}

/** A listing's window, bounded: at most 500 items a page, offsets up to a million. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ minimum: 0, maximum: 1_000_000, default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}

/** The `pagination` of every paged list answer. */
export class PaginationResponse implements Pagination {
  @ApiProperty()
  offset!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty({ description: 'Items in this page' })
  size!: number;

  @ApiProperty({ description: 'Items in the whole listing (matching its filters)' })
  totalSize!: number;
}

/**
 * The body of a paged list of `item`s, for a named subclass to document:
 * `export class OrderPageResponse extends PageResponse(OrderResponse) {}` (the schema takes the subclass's name).
 */
export function PageResponse<T>(item: Class<T>): Class<Page<T>> {
  class PageOf implements Page<T> {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({ type: PaginationResponse })
    pagination!: PaginationResponse;
  }
  return PageOf;
}
