import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/**
 * The HTTP request the code running now serves, if any: the HTTP set-up runs each request's
 * handling inside it, and {@link JsonLogger} adds its id to every line logged meanwhile.
 */
export const requestContext = {
  run<T>(requestId: string, work: () => T): T {
    return storage.run({ requestId }, work);
  },
  requestId(): string | undefined {
    return storage.getStore()?.requestId;
  },
};
