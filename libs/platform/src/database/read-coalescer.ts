/**
 * Answers concurrent look-ups of one group's rows (a merchant's orders) with one statement: the
 * keys asked for in the same turn of the event loop are read together when the turn ends
 * (`setImmediate`), and each caller gets its own row. Under load a service reads many rows per
 * round trip instead of one, so it makes fewer socket writes and wake-ups on both sides (the cost
 * that dominates on a machine where every system call is expensive); alone, a read waits only for
 * the rest of the current turn.
 *
 * The batch's statement runs in the async context of its first caller (the one that opened the
 * batch), so inside that caller's tenant scope: a group must be one merchant, whose scope every
 * caller of the batch shares. Only for reads that may be answered from any connection of that
 * merchant, outside any transaction's own writes (see `inAutocommitScope`).
 */
export class ReadCoalescer<Row> {
  private readonly open = new Map<string, Map<string, Array<Waiter<Row>>>>();

  /**
   * @param load reads `keys` of `group`, returning what it found by key (missing keys are unknown rows).
   * @param copy gives each further caller of a key a row of its own, so no two callers share an object one of them might change.
   * @param maxKeys keys per statement; a full batch is closed and the next caller opens another.
   */
  constructor(
    private readonly load: (group: string, keys: string[]) => Promise<Map<string, Row>>,
    private readonly copy: (row: Row) => Row,
    private readonly maxKeys = 100,
  ) {}

  /** The row of `key` in `group`, or undefined when there is none. */
  read(group: string, key: string): Promise<Row | undefined> {
    return new Promise<Row | undefined>((resolve, reject) => {
      let batch = this.open.get(group);
      if (!batch) {
        const opened = new Map<string, Array<Waiter<Row>>>();
        this.open.set(group, (batch = opened));
        setImmediate(() => this.flush(group, opened));
      }
      const waiters = batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else batch.set(key, [{ resolve, reject }]);
      if (batch.size >= this.maxKeys) this.open.delete(group);
    });
  }

  private flush(group: string, batch: Map<string, Array<Waiter<Row>>>): void {
    if (this.open.get(group) === batch) this.open.delete(group);
    this.load(group, [...batch.keys()]).then(
      (found) => {
        for (const [key, waiters] of batch) {
          const row = found.get(key);
          waiters.forEach((waiter, index) => waiter.resolve(row === undefined || index === 0 ? row : this.copy(row)));
        }
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}

interface Waiter<Row> {
  resolve(row: Row | undefined): void;
  reject(error: unknown): void;
}
