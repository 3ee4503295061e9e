/**
 * Runs work in line per key: a call waits until the calls before it with the same key settled
 * (fulfilled or rejected), calls with different keys do not wait for each other. A key is
 * forgotten once its line is empty, so the lines held are the keys with work running.
 */
export class KeyedLine {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const result = before === undefined ? work() : before.then(work);
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
}

function settled(): void {}
