/**
 * The statements that put a service's merchant tables under row-level security for the
 * `ordercast_tenant` role (tenant-scope.ts runs a request's transaction as that role, with
 * `ordercast.merchant` set). Both services' migrations run them, so the two databases enforce
 * the same isolation; the text is what those migrations ran, kept as it was.
 */
export interface TenantIsolation {
  /** The service's schema, unquoted. */
  schema: string;
  /** The merchant tables, quoted: full access for the tenant role, each behind the merchant policy. */
  tables: string[];
  /** Tables, quoted, the tenant role may only insert into: they have no merchant and no policy. */
  insertOnly?: string[];
}

/**
 * Creates the role and lets the login role act as it. The role is cluster-wide; several databases
 * of one cluster may migrate at once, so both steps tolerate losing the race. A superuser needs no
 * membership. See docs/database-roles.md for production, where a DBA creates the role.
 */
const CREATE_TENANT_ROLE = [
  `
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ordercast_tenant') THEN
          CREATE ROLE ordercast_tenant NOLOGIN NOBYPASSRLS;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`,
  `
      DO $$
      BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'ordercast_tenant', 'MEMBER') THEN
          EXECUTE format('GRANT ordercast_tenant TO %I', current_user);
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`,
];

/** The role, its grants, and row-level security with the merchant policy on every merchant table. */
export function tenantIsolationUp({ schema, tables, insertOnly = [] }: TenantIsolation): string[] {
  return [
    ...CREATE_TENANT_ROLE,
    `GRANT USAGE ON SCHEMA "${schema}" TO ordercast_tenant`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.join(', ')} TO ordercast_tenant`,
    ...insertOnly.map((table) => `GRANT INSERT ON ${table} TO ordercast_tenant`),
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${schema}" TO ordercast_tenant`,
    ...tables.flatMap((table) => [
      `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
      `
        CREATE POLICY "tenant_isolation" ON ${table} TO ordercast_tenant
        USING ("merchant" = current_setting('ordercast.merchant', true))
        WITH CHECK ("merchant" = current_setting('ordercast.merchant', true))`,
    ]),
  ];
}

/** Undoes {@link tenantIsolationUp} but keeps the role: other databases of the cluster may use it. */
export function tenantIsolationDown({ schema, tables, insertOnly = [] }: TenantIsolation): string[] {
  return [
    ...tables.flatMap((table) => [`DROP POLICY "tenant_isolation" ON ${table}`, `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`]),
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA "${schema}" FROM ordercast_tenant`,
    `REVOKE ALL ON ${[...tables, ...insertOnly].join(', ')} FROM ordercast_tenant`,
    `REVOKE USAGE ON SCHEMA "${schema}" FROM ordercast_tenant`,
  ];
}
