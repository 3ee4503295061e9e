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
 * `inAutocommitScope`), and whose items succeed or fail independently inside the one statement.
 */
export class TurnBatcher<Item, Result> {
  private readonly open = new Map<string, Array<Submission<Item, Result>>>();

  /**
   * @param run runs the items of `group` as one statement: their results, in the items' order.
   * @param maxItems items per statement; a full batch is closed and the next submitter opens another.
   */
  constructor(
    private readonly run: (group: string, items: Item[]) => Promise<Result[]>,
    private readonly maxItems = 100,
  ) {}

  submit(group: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      let batch = this.open.get(group);
      if (!batch) {
        const opened: Array<Submission<Item, Result>> = [];
        this.open.set(group, (batch = opened));
        setImmediate(() => this.flush(group, opened));
      }
      batch.push({ item, resolve, reject });
      if (batch.length >= this.maxItems) this.open.delete(group);
    });
  }

  private flush(group: string, batch: Array<Submission<Item, Result>>): void {
    if (this.open.get(group) === batch) this.open.delete(group);
    this.run(group, batch.map((submission) => submission.item)).then(
      (results) => batch.forEach((submission, index) => submission.resolve(results[index])),
      (error: unknown) => batch.forEach((submission) => submission.reject(error)),
    );
  }
}

interface Submission<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}
