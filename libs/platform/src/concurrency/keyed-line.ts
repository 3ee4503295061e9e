/** A call in a key's line: when its work started, and when it settled. */
interface InLine {
  started: Promise<void>;
  settled: Promise<void>;
}

const STARTED: Promise<void> = Promise.resolve();

/**
 * Runs work in line per key: a call waits until the call before it with the same key settled
 * (fulfilled or rejected), calls with different keys do not wait for each other. A key is
 * forgotten once its line is empty.
 *
 * The line is for speed and fairness, never what keeps work correct, so it does not wait for a
 * call that is stuck: once the call in front has *run* (not waited) for `patienceMs`, the next one
 * starts anyway. A moving line is never given up on, however long (a thousand changes of one order
 * queued behind each other each take their turn), while a call stuck in front (a database that
 * stopped answering) holds each one behind it for `patienceMs` more, not for its whole wait.
 */
export class KeyedLine {
  private readonly lines = new Map<string, InLine>();

  constructor(private readonly patienceMs: number) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.lines.get(key);
    let started = STARTED;
    let result: Promise<T>;
    if (before === undefined) {
      result = work();
    } else {
      let start!: () => void;
      started = new Promise<void>((resolve) => (start = resolve));
      result = this.after(before).then(() => {
        start();
        return work();
      });
    }
    const entry: InLine = {
      started,
      settled: result.then(settled, settled).then(() => {
        if (this.lines.get(key) === entry) this.lines.delete(key);
      }),
    };
    this.lines.set(key, entry);
    return result;
  }

  /** Keys with work running or waiting. */
  get size(): number {
    return this.lines.size;
  }

  /** Resolves when `before` settled, or once it has run for the patience. */
  private after(before: InLine): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      void before.started.then(() => {
        timer = setTimeout(resolve, this.patienceMs);
        timer.unref();
      });
      void before.settled.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function settled(): void {}
