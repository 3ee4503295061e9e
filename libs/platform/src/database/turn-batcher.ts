/**
 * Runs the statements one group (a merchant) asks for in the same turn of the event loop as one:
 * the items submitted in a turn are handed to `run` together when the turn ends (`setImmediate`),
 * and each submitter gets its own item's result. Under load a service then makes one round trip to
 * PostgreSQL for many requests instead of one each, so fewer socket writes and wake-ups on both
 * sides (the cost that dominates on a machine where every system call is expensive) and, for
 * writes, one commit for many; alone, a request waits only for the rest of the current turn.
 *
 * `run` is called in the async context of the batch's first submitter, so inside that request's
 * tenant scope: a group must be one merchant, whose scope every request of the batch shares. Only
 * for statements that may run on any connection of that merchant and commit on their own (see
 * `inAutocommitScope`), and whose items succeed or fail independently inside the one statement, or
 * whose submitters may fail together (a failed `run` rejects every submission of its batch).
 */
export class TurnBatcher<Item, Result> {
  private readonly open = new Map<string, Batch<Item, Result>>();

  /**
   * @param run runs the items of `group` as one statement: their results, in the items' order.
   * @param limits items per statement, and bytes (as `sizeOf` counts them): a batch is closed when
   *   it is full, or before an item would take it past `maxBytes`, and the next submitter opens another.
   */
  constructor(
    private readonly run: (group: string, items: Item[]) => Promise<Result[]>,
    private readonly limits: BatchLimits<Item> = {},
  ) {}

  submit(group: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const bytes = this.limits.sizeOf?.(item) ?? 0;
      let batch = this.open.get(group);
      if (batch && batch.bytes + bytes > (this.limits.maxBytes ?? Infinity)) batch = this.close(group);
      if (!batch) {
        const opened: Batch<Item, Result> = { submissions: [], bytes: 0 };
        this.open.set(group, (batch = opened));
        setImmediate(() => this.flush(group, opened));
      }
      batch.submissions.push({ item, resolve, reject });
      batch.bytes += bytes;
      if (batch.submissions.length >= (this.limits.maxItems ?? 100)) this.close(group);
    });
  }

  private close(group: string): undefined {
    this.open.delete(group);
    return undefined;
  }

  private flush(group: string, batch: Batch<Item, Result>): void {
    if (this.open.get(group) === batch) this.open.delete(group);
    const { submissions } = batch;
    this.run(group, submissions.map((submission) => submission.item)).then(
      (results) => submissions.forEach((submission, index) => submission.resolve(results[index])),
      (error: unknown) => submissions.forEach((submission) => submission.reject(error)),
    );
  }
}

export interface BatchLimits<Item> {
  /** Items per statement (100). */
  maxItems?: number;
  /** Bytes per statement, as `sizeOf` counts them; an item larger by itself still runs, alone. */
  maxBytes?: number;
  sizeOf?: (item: Item) => number;
}

interface Batch<Item, Result> {
  submissions: Array<Submission<Item, Result>>;
  bytes: number;
}

interface Submission<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}
