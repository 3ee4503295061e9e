import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<string>();

/**
 * The service the code running now belongs to, when several share a process (the embedded
 * default runs both). Nest keeps one logger per process, the last app's, so a line's service
 * label cannot come from the logger alone: the launcher creates, starts and stops each app
 * inside its context, and everything the app schedules meanwhile (timers, connections, its
 * bus consumer) keeps it.
 */
export const serviceContext = {
  run<T>(service: string, work: () => T): T {
    return storage.run(service, work);
  },
  service(): string | undefined {
    return storage.getStore();
  },
};
