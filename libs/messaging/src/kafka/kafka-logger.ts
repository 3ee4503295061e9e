import { LogEntry, logCreator } from 'kafkajs';
import { HandlerFailedError } from './handler-failed.error';

/** What the bus logs through: Nest's Logger fits, and so does the console. */
export interface KafkaEventBusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: KafkaEventBusLogger = {
  log: (message) => console.log(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

const REPEAT_WINDOW_MS = 10_000;

/**
 * Routes kafkajs's own log (WARN and ERROR entries) to the bus logger, all at warn: publish failures reach
 * the caller anyway and consumers recover by themselves, so none of them needs an operator by itself.
 */
export function kafkaLogCreator(logger: KafkaEventBusLogger): logCreator {
  const repeats = new RepeatedLineFilter(REPEAT_WINDOW_MS);
  return () =>
    ({ namespace, log }: LogEntry) => {
      const { message, error, groupId, topic, partition } = log;
      // Expected: retries are bounded on purpose (see CLIENT_RETRY) and the producer is replaced after a failure.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // The subscription logs handler failures itself, with the offsets that will be delivered again.
      if (error instanceof HandlerFailedError) return;
      const context = [groupId && `group ${groupId}`, topic && `topic ${topic}`, partition !== undefined && `partition ${partition}`]
        .filter(Boolean)
        .join(', ');
      const line = repeats.pass(`kafkajs ${namespace}: ${message}${context ? ` (${context})` : ''}${error ? `: ${errorText(error)}` : ''}`);
      if (line) logger.warn(line);
    };
}

/** While a broker is down kafkajs logs the same connection error on every retry; one line per window is enough. */
export class RepeatedLineFilter {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly windowMs: number) {}

  /** The line to log, or null when the same line was let through less than a window ago. */
  pass(line: string, now = Date.now()): string | null {
    const previous = this.seen.get(line);
    if (previous && now - previous.at < this.windowMs) {
      previous.suppressed += 1;
      return null;
    }
    if (this.seen.size >= 100) {
      for (const [seenLine, entry] of this.seen) if (now - entry.at >= this.windowMs) this.seen.delete(seenLine);
    }
    this.seen.set(line, { at: now, suppressed: 0 });
    return previous?.suppressed ? `${line} (${previous.suppressed} more since the last report)` : line;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}
