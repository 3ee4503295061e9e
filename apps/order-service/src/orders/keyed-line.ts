/**
 * Runs work in line per key: a call waits until the calls before it with the same key settled
 * (fulfilled or rejected), or for `patienceMs` at most, then runs anyway: the line is for speed and
 * fairness, never what keeps work correct, so a call stuck in front (a database that stopped
 * answering) delays each one behind it by `patienceMs`, not by its own wait. Calls with different
 * keys do not wait for each other. A key is forgotten once its line is empty.
 */
export class KeyedLine {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly patienceMs: number) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const result = before === undefined ? work() : this.waitFor(before).then(work);
    const tail: Promise<void> = result.then(settled, settled).then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    this.tails.set(key, tail);
    return result;
  }

  /** Keys with work running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  private waitFor(before: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const impatient = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.patienceMs);
      timer.unref();
    });
    return Promise.race([before, impatient]).finally(() => clearTimeout(timer));
  }
}

function settled(): void {}
