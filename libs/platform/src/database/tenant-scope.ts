import { AsyncLocalStorage } from 'node:async_hooks';
import { escapeLiteral, type PoolClient } from 'pg';
import type { DataSource, QueryRunner, ReplicationMode } from 'typeorm';

/**
 * The role a request's transaction runs as. Row-level security lets it see and write only the
 * rows whose `merchant` is {@link MERCHANT_SETTING}; without the setting it sees nothing. The
 * login role owns the tables, so background work (relay, ingest, dispatch, retention) is not
 * subject to the policies. See docs/database-roles.md.
 */
export const TENANT_ROLE = 'ordercast_tenant';

/** The transaction-local setting the policies compare each row's `merchant` with. */
export const MERCHANT_SETTING = 'ordercast.merchant';

const storage = new AsyncLocalStorage<TenantScope>();
const scopedDataSources = new WeakSet<DataSource>();

/**
 * Makes every query of `dataSource` issued inside a tenant scope (repositories, query builders,
 * `query()`, `transaction()`, and `runPrepared()`) run on the scope's transaction. TypeORM asks
 * `createQueryRunner()` for a connection on every path, so that is the one place hooked: inside a
 * scope it returns the scope's runner, whose `release()` does nothing until the scope ends.
 */
export function scopeTenantQueries(dataSource: DataSource): void {
  if (scopedDataSources.has(dataSource)) return;
  scopedDataSources.add(dataSource);
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode?: ReplicationMode): QueryRunner => storage.getStore()?.runnerFor(dataSource, () => create(mode)) ?? create(mode);
}

/**
 * Runs `work` as `merchant`'s request: its first query opens one transaction per DataSource (as
 * {@link TENANT_ROLE}, the merchant set); when `work` settles the transactions commit (roll back
 * if it threw) and their connections go back to the pool, and only then does this settle, so no
 * response reports a write that is not committed. Work that touches no database opens nothing.
 */
export async function runInTenantScope<T>(merchant: string, work: () => Promise<T>): Promise<T> {
  const scope = new TenantScope(merchant);
  let result: T;
  try {
    result = await storage.run(scope, work);
  } catch (error) {
    await scope.end(false).catch(() => undefined);
    throw error;
  }
  await scope.end(true);
  return result;
}

/**
 * Commits what the current scope did so far and gives its connections back to the pool; the next
 * query opens a new transaction. For a request that waits (a long poll) between its queries, so
 * the wait holds no connection. Outside a scope it does nothing.
 */
export async function releaseTenantConnections(): Promise<void> {
  await storage.getStore()?.end(true);
}

/**
 * Runs `handOver` once the current request's transaction committed, outside the request's scope;
 * it is dropped when the transaction rolls back. Outside a scope, or before the scope's first
 * query, it runs now. For waking background machinery (dispatcher, outbox relay, long polls,
 * caches): it must see the committed rows, and whatever it starts must not run on the request's
 * connection, which is back in the pool by then.
 */
export function afterTenantCommit(handOver: () => void): void {
  const scope = storage.getStore();
  if (scope?.inTransaction()) scope.onCommit(handOver);
  else storage.exit(handOver);
}

/**
 * Runs `work` outside any tenant scope, on connections of its own as the login role. Only for
 * service-wide actions a request may ask for (signing-key rotation), never for merchant data.
 */
export function outsideTenantScope<T>(work: () => T): T {
  return storage.exit(work);
}

/** The connection of the current scope's transaction on `dataSource`, opened if needed; null outside a scope. */
export function tenantConnection(dataSource: DataSource): Promise<PoolClient> | null {
  if (!storage.getStore() || !scopedDataSources.has(dataSource)) return null;
  return dataSource.createQueryRunner().connect() as Promise<PoolClient>;
}

/** The SQL that opens a request's transaction: one simple-protocol message, so one round trip. */
export function openTenantTransaction(merchant: string): string {
  return `BEGIN; SET LOCAL ROLE ${TENANT_ROLE}; SELECT set_config('${MERCHANT_SETTING}', ${escapeLiteral(merchant)}, true)`;
}

/** One request's database work: a transaction per DataSource, opened by its first query. */
class TenantScope {
  private readonly transactions = new Map<DataSource, TenantTransaction>();
  private committed: Array<() => void> = [];

  constructor(private readonly merchant: string) {}

  runnerFor(dataSource: DataSource, create: () => QueryRunner): QueryRunner {
    let transaction = this.transactions.get(dataSource);
    if (!transaction) this.transactions.set(dataSource, (transaction = new TenantTransaction(create(), this.merchant)));
    return transaction.runner;
  }

  inTransaction(): boolean {
    return [...this.transactions.values()].some((transaction) => transaction.opened);
  }

  onCommit(handOver: () => void): void {
    this.committed.push(handOver);
  }

  /** Commits (or rolls back) and releases every transaction; the scope may open new ones afterwards. */
  async end(commit: boolean): Promise<void> {
    const transactions = [...this.transactions.values()];
    const handOvers = this.committed;
    this.transactions.clear();
    this.committed = [];
    const ended = await Promise.allSettled(transactions.map((transaction) => transaction.end(commit)));
    const failed = ended.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    if (commit) for (const handOver of handOvers) storage.exit(handOver);
  }
}

/** The TypeORM runner fields a transaction opened outside TypeORM must set, so it nests savepoints in it. */
interface RunnerTransactionState {
  isTransactionActive: boolean;
  transactionDepth: number;
}

/**
 * A QueryRunner whose connection is taken on first use and opened as the merchant's transaction
 * in the same round trip. TypeORM then sees an active transaction (depth 1): its `transaction()`
 * and `save()` nest savepoints in it instead of committing on their own.
 */
class TenantTransaction {
  private connection: Promise<PoolClient> | null = null;
  private ended = false;
  private readonly releaseConnection: (error?: Error) => Promise<void>;

  constructor(
    readonly runner: QueryRunner,
    merchant: string,
  ) {
    const connect = runner.connect.bind(runner) as () => Promise<PoolClient>;
    const runnerWithPool = runner as QueryRunner & { releasePostgresConnection(error?: Error): Promise<void> };
    this.releaseConnection = (error) => runnerWithPool.releasePostgresConnection(error);
    runner.connect = () => {
      if (this.ended) return Promise.reject(new Error('the request transaction has ended; work handed over must leave the tenant scope (afterTenantCommit)'));
      return (this.connection ??= connect().then(async (client) => {
        await client.query(openTenantTransaction(merchant));
        Object.assign(runner as unknown as RunnerTransactionState, { isTransactionActive: true, transactionDepth: 1 });
        return client;
      }));
    };
    // A transaction() as the request's first database use must nest in the request's transaction,
    // which opening it first does; otherwise TypeORM would count it as the outer transaction.
    const startTransaction = runner.startTransaction.bind(runner);
    runner.startTransaction = async (isolationLevel) => {
      await runner.connect();
      await startTransaction(isolationLevel);
    };
    runner.release = () => Promise.resolve();
  }

  get opened(): boolean {
    return this.connection !== null;
  }

  /**
   * COMMIT of a transaction in which a statement failed rolls back instead (its command tag says
   * so, it raises no error): that is an error here, or a request whose handler swallowed a failed
   * statement would report writes that were never made.
   */
  async end(commit: boolean): Promise<void> {
    this.ended = true;
    if (!this.connection) return this.releaseConnection();
    try {
      const client = await this.connection;
      const result = await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      if (commit && result.command === 'ROLLBACK') throw new Error('the request transaction was aborted by a failed statement and rolled back');
      await this.releaseConnection();
    } catch (error) {
      await this.releaseConnection(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}
