import type { QueryRunner } from 'typeorm';
import { runStatements } from './run-statements';

/** A table (schema-qualified, quoted) and one of its columns whose values are often a few kB. */
export type WideColumn = readonly [table: string, column: string];

/**
 * A migration's `up` that compresses new values of `columns` with lz4 instead of pglz, where the server has lz4 (a server
 * built without it keeps pglz). PostgreSQL compresses every value of a row past about 2 kB when the
 * row is written, updates included; in a CPU profile of the bench's PostgreSQL backends pglz was
 * the busiest function of their own (4.6% of their time), for a fraction of that with lz4.
 * Applies to values written from now on; stored ones stay as they are.
 */
export function compressWithLz4(columns: readonly WideColumn[]): (runner: QueryRunner) => Promise<void> {
  return async (runner) => {
    const [row]: { lz4: boolean }[] = await runner.query(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    if (!row?.lz4) return;
    await runStatements(columns.map(([table, column]) => `ALTER TABLE ${table} ALTER COLUMN "${column}" SET COMPRESSION lz4`))(runner);
  };
}

/** Undoes {@link compressWithLz4}: the server's default compression again. */
export function compressByDefault(columns: readonly WideColumn[]): (runner: QueryRunner) => Promise<void> {
  return runStatements(columns.map(([table, column]) => `ALTER TABLE ${table} ALTER COLUMN "${column}" SET COMPRESSION DEFAULT`));
}

/**
 * A migration step that changes a wide column's JSON type (`json`: the text as written; `jsonb`: a
 * parsed tree) and keeps it on lz4 where the server has it: ALTER COLUMN ... TYPE rewrites the table
 * and resets the column's compression to the default.
 */
export function retypeWideColumn([table, column]: WideColumn, type: 'json' | 'jsonb'): (runner: QueryRunner) => Promise<void> {
  return async (runner) => {
    await runner.query(`ALTER TABLE ${table} ALTER COLUMN "${column}" TYPE ${type} USING "${column}"::${type}`);
    await compressWithLz4([[table, column]])(runner);
  };
}
