import { Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { escapeLiteral, Pool, type PoolClient } from 'pg';
import type { DataSource, QueryRunner, ReplicationMode } from 'typeorm';
import { PlanCacheMode, tenantSessionOptions } from './database';
import { FairSlots } from './fair-slots';

/**
 * The role a request's transaction runs as. Row-level security lets it see and write only the
 * rows whose `merchant` is {@link MERCHANT_SETTING}; without the setting it sees nothing. The
 * login role owns the tables, so background work (relay, ingest, dispatch, retention) is not
 * subject to the policies. See docs/database-roles.md.
 */
export const TENANT_ROLE = 'ordercast_tenant';

/** The transaction-local setting the policies compare each row's `merchant` with. */
export const MERCHANT_SETTING = 'ordercast.merchant';

/**
 * How a request's statements run.
 * - `transaction` (the default): all of them in one transaction, committed when the request's work
 *   settles (rolled back if it threw).
 * - `autocommit`: each statement commits on its own. Only for requests whose every write is one
 *   statement, atomic by itself, and none of whose statements must commit or read together (in
 *   READ COMMITTED each statement reads its own snapshot anyway). It saves the round trips of
 *   BEGIN and COMMIT: the order API's read is one round trip instead of three, a change two
 *   instead of four. See {@link Autocommit}.
 */
export type TenantScopeMode = 'transaction' | 'autocommit';

/** What pg says when its pool's wait runs out: the same words, so DatabaseUnavailableFilter answers 503 for both waits. */
const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
/** The longest timer Node keeps: pg's `connectionTimeoutMillis: 0` means waiting for good. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const storage = new AsyncLocalStorage<TenantScope>();
/** The pool of tenant connections of each scoped DataSource, created on first use. */
const tenantPools = new Map<DataSource, TenantPool>();
/** The merchant a tenant connection is set to for its session (autocommit mode), as last set here. */
const sessionMerchants = new WeakMap<PoolClient, string>();
const logger = new Logger('TenantScope');

/**
 * Makes every query of `dataSource` issued inside a tenant scope (repositories, query builders,
 * `query()`, `transaction()`, and `runPrepared()`) run on the scope's connection. TypeORM asks
 * `createQueryRunner()` for a connection on every path, so that is the one place hooked: inside a
 * scope it returns the scope's runner, whose `release()` does nothing until the scope ends.
 *
 * A scope's connections come from a pool of their own, whose connections are opened as
 * {@link TENANT_ROLE} (a startup parameter, which `RESET ROLE` returns to): request work never runs
 * on a connection of the login role, and background work never on one of the tenant role.
 */
export function scopeTenantQueries(dataSource: DataSource): void {
  if (tenantPools.has(dataSource)) return;
  tenantPools.set(dataSource, new TenantPool(dataSource));
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode?: ReplicationMode): QueryRunner => storage.getStore()?.runnerFor(dataSource, () => create(mode)) ?? create(mode);
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    const pool = tenantPools.get(dataSource);
    tenantPools.delete(dataSource);
    await Promise.all([pool?.end().catch(() => undefined), destroy()]);
  };
}

/**
 * A pool with the options of the DataSource's own (size, timeouts, search_path), but whose
 * connections start as {@link TENANT_ROLE} and plan as the service's `requestPlans` says. Built on
 * its first `connect()`: the DataSource's pool exists only once it is initialised, and the role only
 * once migrations ran.
 */
class TenantPool {
  private pool: Pool | null = null;
  private slots: FairSlots | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * A connection for `merchant`'s request. Connections are handed out fairly between merchants
   * ({@link FairSlots}): when all are taken, the next one freed goes to the waiting merchant that
   * holds the fewest, so a merchant with a thousand requests in flight waits behind its own while
   * another merchant's request goes next (before, the pool's first-come queue let one merchant's
   * burst time out every other merchant's requests into 503s).
   */
  async connect(merchant: string): Promise<PoolClient> {
    const pool = (this.pool ??= this.build());
    const slots = (this.slots ??= new FairSlots(pool.options.max, pool.options.connectionTimeoutMillis || MAX_TIMEOUT_MS, POOL_TIMEOUT_MESSAGE));
    await slots.acquire(merchant);
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      slots.release(merchant);
      throw error;
    }
    const release = client.release;
    client.release = (error?: Error | boolean) => {
      client.release = release;
      slots.release(merchant);
      return release.call(client, error);
    };
    return client;
  }

  async end(): Promise<void> {
    await this.pool?.end();
  }

  private build(): Pool {
    const master = (this.dataSource.driver as unknown as { master: Pool & { options: { options?: string; requestPlans?: PlanCacheMode } } }).master;
    const pool = new Pool({ ...master.options, options: tenantSessionOptions(master.options.options ?? '', TENANT_ROLE, master.options.requestPlans) });
    pool.on('error', (error) => logger.warn({ msg: 'idle tenant connection failed', error: error.message }));
    // A connection that fails while checked out emits `error`; with no listener that would end the
    // process. The statement in flight fails on its own, and the pool drops the connection on release.
    pool.on('connect', (client) => client.on('error', (error) => logger.warn({ msg: 'tenant connection failed', error: error.message })));
    return pool;
  }
}

/**
 * Runs `work` as `merchant`'s request: its first query takes one connection per DataSource (as
 * {@link TENANT_ROLE}, the merchant set) and, in `transaction` mode, opens a transaction on it;
 * when `work` settles the transactions commit (roll back if it threw) and their connections go
 * back to the pool, and only then does this settle, so no response reports a write that is not
 * committed. Work that touches no database opens nothing.
 */
export async function runInTenantScope<T>(merchant: string, work: () => Promise<T>, mode: TenantScopeMode = 'transaction'): Promise<T> {
  const scope = new TenantScope(merchant, mode);
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

/**
 * Whether the current request runs in `autocommit` mode: each of its statements commits on its
 * own, so no statement of it reads what another of its statements wrote and has not committed.
 * Such a request's reads may be answered on any connection of the same merchant ({@link TurnBatcher}).
 */
export function inAutocommitScope(): boolean {
  return storage.getStore()?.mode === 'autocommit';
}

/** The connection of the current scope's transaction on `dataSource`, opened if needed; null outside a scope. */
export function tenantConnection(dataSource: DataSource): Promise<PoolClient> | null {
  if (!storage.getStore() || !tenantPools.has(dataSource)) return null;
  return dataSource.createQueryRunner().connect() as Promise<PoolClient>;
}

/**
 * The SQL that opens a request's transaction: one simple-protocol message, so one round trip. The
 * role is the connection's already; setting it again costs nothing and holds if it ever were not.
 */
export function openTenantTransaction(merchant: string): string {
  return `BEGIN; SET LOCAL ROLE ${TENANT_ROLE}; SELECT set_config('${MERCHANT_SETTING}', ${escapeLiteral(merchant)}, true)`;
}

/**
 * Sets `merchant` for the rest of a tenant connection's session (autocommit mode), unless it is
 * set to it already: a connection keeps its merchant between requests, so a merchant's requests
 * pay the round trip only when their connection last served another merchant. A transaction's own
 * setting (`openTenantTransaction`, local) ends with it and leaves the session's as it was.
 */
async function setSessionMerchant(client: PoolClient, merchant: string): Promise<void> {
  if (sessionMerchants.get(client) === merchant) return;
  sessionMerchants.delete(client);
  // The role again too: the connection started as it, and if a pooler dropped the startup parameter this still holds.
  await client.query(`SELECT set_config('role', '${TENANT_ROLE}', false), set_config('${MERCHANT_SETTING}', $1, false)`, [merchant]);
  sessionMerchants.set(client, merchant);
}

/** One request's database work: a connection per DataSource, taken (and opened) by its first query. */
class TenantScope {
  private readonly transactions = new Map<DataSource, TenantTransaction>();
  private committed: Array<() => void> = [];

  constructor(
    private readonly merchant: string,
    readonly mode: TenantScopeMode,
  ) {}

  runnerFor(dataSource: DataSource, create: () => QueryRunner): QueryRunner {
    let transaction = this.transactions.get(dataSource);
    if (!transaction) this.transactions.set(dataSource, (transaction = new TenantTransaction(create(), tenantPools.get(dataSource)!, this.merchant, this.mode)));
    return transaction.runner;
  }

  /** Whether a transaction is open whose commit hand-overs must wait for; never in autocommit mode, where each statement has committed when it returns. */
  inTransaction(): boolean {
    return [...this.transactions.values()].some((transaction) => transaction.opened && transaction.mode === 'transaction');
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
 * A QueryRunner whose connection is taken from the tenant pool on first use and, in `transaction`
 * mode, opened as the merchant's transaction in the same round trip. TypeORM then sees an active
 * transaction (depth 1): its `transaction()` and `save()` nest savepoints in it instead of
 * committing on their own. In `autocommit` mode the connection's session is set to the merchant
 * (usually already) and TypeORM sees no transaction: a `save()` or `transaction()` opens and
 * commits its own.
 */
class TenantTransaction {
  private connection: Promise<PoolClient> | null = null;
  private ended = false;

  constructor(
    readonly runner: QueryRunner,
    pool: TenantPool,
    merchant: string,
    readonly mode: TenantScopeMode,
  ) {
    runner.connect = () => {
      if (this.ended) return Promise.reject(new Error('the request transaction has ended; work handed over must leave the tenant scope (afterTenantCommit)'));
      return (this.connection ??= pool.connect(merchant).then(async (client) => {
        try {
          if (mode === 'transaction') {
            await client.query(openTenantTransaction(merchant));
            Object.assign(runner as unknown as RunnerTransactionState, { isTransactionActive: true, transactionDepth: 1 });
          } else {
            await setSessionMerchant(client, merchant);
          }
        } catch (error) {
          client.release(error instanceof Error ? error : true);
          throw error;
        }
        Object.assign(runner, { databaseConnection: client });
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
   * statement would report writes that were never made. In autocommit mode there is nothing to
   * end, unless a statement left a transaction open (a `transaction()` whose work never settled):
   * such a connection is closed, not pooled.
   */
  async end(commit: boolean): Promise<void> {
    this.ended = true;
    Object.assign(this.runner, { isReleased: true });
    if (!this.connection) return;
    let client: PoolClient;
    try {
      client = await this.connection;
    } catch {
      return; // opening failed: the connection was released then
    }
    try {
      if (this.mode === 'autocommit') {
        client.release(this.runner.isTransactionActive ? new Error('a transaction was left open') : undefined);
        return;
      }
      const result = await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      if (commit && result.command === 'ROLLBACK') throw new Error('the request transaction was aborted by a failed statement and rolled back');
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}
