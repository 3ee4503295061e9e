/**
 * The `idempotency_keys` table (idempotency-keys.ts) in a service's schema, unquoted: written in
 * the request's transaction, so a key exists exactly when its change does; a merchant table under
 * row-level security like the others; a `created_at` index for the purge of expired keys.
 */
export function idempotencyKeysUp(schema: string): string[] {
  const table = `"${schema}"."idempotency_keys"`;
  return [
    `
      CREATE TABLE ${table} (
        "merchant" text NOT NULL,
        "key" text NOT NULL,
        "fingerprint" text NOT NULL,
        "status" smallint NOT NULL,
        "body" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("merchant", "key")
      )`,
    `CREATE INDEX "idempotency_keys_created_at" ON ${table} ("created_at")`,
    `GRANT SELECT, INSERT, UPDATE ON ${table} TO ordercast_tenant`,
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `
      CREATE POLICY "tenant_isolation" ON ${table} TO ordercast_tenant
      USING ("merchant" = current_setting('ordercast.merchant', true))
      WITH CHECK ("merchant" = current_setting('ordercast.merchant', true))`,
  ];
}

export function idempotencyKeysDown(schema: string): string[] {
  return [`DROP TABLE "${schema}"."idempotency_keys"`];
}
