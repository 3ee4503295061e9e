import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { preparedStatement } from '../database/prepared-statement';
import { IDEMPOTENCY_KEY_RETENTION_HOURS } from './idempotency-key';

/**
 * The `idempotency_keys` table of the service's own schema (each service creates it in a migration,
 * with row-level security like its other merchant tables). Named without a schema: every service's
 * connections have `search_path` set to its schema (postgresOptions), so the same statements serve both.
 */

/** A request's key as stored: the request's fingerprint and the response to replay, sealed. */
export interface StoredResponse {
  fingerprint: string;
  status: number;
  body: string | null;
}

/**
 * The key's lock, for the rest of the transaction; false at once, without waiting, when another
 * transaction holds it: a request with this key is running. Keyed by a 64-bit hash of schema,
 * merchant and key (neither schema nor merchant names contain '/', so the joined text is
 * unambiguous); two live keys colliding is a 409 that a retry clears, never a wrong replay.
 */
const LOCK_KEY = preparedStatement(
  'idempotency.lock',
  "SELECT pg_try_advisory_xact_lock(hashtextextended(current_schema() || '/' || $1 || '/' || $2, 0)) AS locked",
);

/** The key's stored response, unless it has expired (rows past retention may wait for the purge). */
const FIND_KEY = preparedStatement(
  'idempotency.find',
  `SELECT fingerprint, status, body FROM idempotency_keys
   WHERE merchant = $1 AND key = $2 AND created_at > now() - ${IDEMPOTENCY_KEY_RETENTION_HOURS} * interval '1 hour'`,
);

/** Stores the response; an expired row of the same key not yet purged is replaced. */
const SAVE_KEY = preparedStatement(
  'idempotency.save',
  `INSERT INTO idempotency_keys (merchant, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, now())
   ON CONFLICT (merchant, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body, created_at = EXCLUDED.created_at`,
);

export async function lockIdempotencyKey(connection: PoolClient, merchant: string, key: string): Promise<boolean> {
  const { rows } = await connection.query<{ locked: boolean }>({ ...LOCK_KEY, values: [merchant, key] });
  return rows[0].locked;
}

export async function findIdempotencyKey(connection: PoolClient, merchant: string, key: string): Promise<StoredResponse | null> {
  const { rows } = await connection.query<StoredResponse>({ ...FIND_KEY, values: [merchant, key] });
  return rows[0] ?? null;
}

export async function saveIdempotencyKey(connection: PoolClient, merchant: string, key: string, response: StoredResponse): Promise<void> {
  await connection.query({ ...SAVE_KEY, values: [merchant, key, response.fingerprint, response.status, response.body] });
}

const PURGE_BATCH = 5000;

/**
 * Deletes keys past retention in batches of {@link PURGE_BATCH}, each its own short statement, so
 * a large backlog never holds locks for long. Runs as the login role (retention machinery), which
 * the row-level security policies do not restrict. Returns how many were deleted.
 */
export async function purgeExpiredIdempotencyKeys(dataSource: DataSource): Promise<number> {
  let total = 0;
  for (;;) {
    const rows: { key: string }[] = await dataSource.query(
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a top-level DELETE.
      `WITH deleted AS (DELETE FROM idempotency_keys WHERE ctid IN (
         SELECT ctid FROM idempotency_keys WHERE created_at <= now() - ${IDEMPOTENCY_KEY_RETENTION_HOURS} * interval '1 hour' LIMIT $1)
       RETURNING key) SELECT key FROM deleted`,
      [PURGE_BATCH],
    );
    total += rows.length;
    if (rows.length < PURGE_BATCH) return total;
  }
}
