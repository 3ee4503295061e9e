import { ServerResponse } from 'node:http';

/** The request header that asks for the crash; nothing else changes in a request that carries it. */
export const KILL_BEFORE_RESPONSE_HEADER = 'x-test-kill-before-response';

/**
 * Test-only, never imported by the services: preloaded into a service process with
 * `NODE_OPTIONS=--require <this file, compiled>` by test/trust/idempotency-crash.e2e-spec.ts.
 * A request carrying {@link KILL_BEFORE_RESPONSE_HEADER} kills the process with SIGKILL at the
 * moment its response head would be written: after the request's transaction committed (the tenant
 * scope commits before the handler's result reaches the HTTP server) and before a byte of the response left.
 */
const writeHead = ServerResponse.prototype.writeHead;
ServerResponse.prototype.writeHead = function killBeforeResponse(this: ServerResponse, ...args: unknown[]) {
  if (this.req?.headers[KILL_BEFORE_RESPONSE_HEADER] !== undefined) process.kill(process.pid, 'SIGKILL');
  return (writeHead as (...parameters: unknown[]) => ServerResponse).apply(this, args);
} as typeof writeHead;
