import type { DataSource } from 'typeorm';
import { Page, pageOf } from '../http/pagination';

/** A listing's two statements: `page` reads a window of it (`$1` limit, `$2` offset), `count` its size as `total`. */
export interface PageQuerySql {
  page: string;
  count: string;
}

/**
 * One page of a service-wide listing and the listing's size, read side by side on two pooled
 * connections: only for reads outside a request's transaction (a tenant scope has one connection).
 */
export async function queryPage<Row>(dataSource: DataSource, sql: PageQuerySql, window: { limit: number; offset: number }): Promise<Page<Row>> {
  const [rows, [{ total }]] = await Promise.all([
    dataSource.query<Row[]>(sql.page, [window.limit, window.offset]),
    dataSource.query<{ total: number }[]>(sql.count),
  ]);
  return pageOf(rows, window, total);
}
