import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * HTTP/1.1 pipelining: a client may send requests back to back on one connection before any
 * answer; Node starts them all at once and sends the answers in order. Two ways a connection ends
 * early would leave requests that ran but were never answered, so that a client retrying them
 * would make a write twice (found by black-box attacks):
 *
 * - A response that closes the connection (Fastify closes it after a body it refused while
 *   parsing, also once inflated): nothing pipelined behind it may run. So a request whose answer
 *   waits behind another's (Node has given its response no socket yet) runs its handler only once
 *   the answers in front are sent, and never when the connection closed first. Pipelined requests
 *   thus run one after another; a request alone on its connection pays one property check.
 * - Bytes Node's parser refuses (a 20 kB header, garbage, a second request after `Connection:
 *   close`): Node would write its 400 at once and destroy the socket, dropping the answers of the
 *   requests in front of it, which run on. The 400 is written after their answers instead.
 */

/** preValidation (the body is read): `proceed` now, or once the answers in front of this request are sent; never if the connection closes first. */
export function afterRequestsInFront(request: FastifyRequest, reply: FastifyReply, proceed: () => void): void {
  if (reply.raw.socket) return proceed();
  const onSocket = () => {
    forget();
    proceed();
  };
  const forget = onceClosed(request.raw.socket, () => reply.raw.off('socket', onSocket));
  reply.raw.once('socket', onSocket);
}

/** What to do for each request waiting on a connection when it closes: one `close` listener per connection, however many wait. */
const closeWaiters = new WeakMap<Socket, Set<() => void>>();

/**
 * Runs `onClose` when `socket` closes; returns what forgets it. One listener per socket (a client
 * pipelining hundreds of requests made Node warn of a listener leak with one per request).
 */
function onceClosed(socket: Socket, onClose: () => void): () => void {
  let waiters = closeWaiters.get(socket);
  if (waiters === undefined) {
    const all = new Set<() => void>();
    closeWaiters.set(socket, all);
    socket.once('close', () => {
      closeWaiters.delete(socket);
      for (const waiter of all) waiter();
    });
    waiters = all;
  }
  waiters.add(onClose);
  const registered = waiters;
  return () => registered.delete(onClose);
}

/**
 * Fastify's `clientErrorHandler`: what Node's parser refused is answered with 400 (431 for headers
 * too large, 408 for a request that took too long) and the connection closed, once the requests
 * in front of it on the connection are answered.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ statusCode: status, error: STATUS_TEXT[status], message: ['the request could not be read as HTTP'] });
  let answered = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    if (socket.writable && status !== 408) {
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy(error);
    }
  };
  // The answer being written, if any; when it is sent Node hands the socket to the next one queued behind it.
  const inFront = (): ServerResponse | null => {
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    return current && !current.writableFinished ? current : null;
  };
  const afterAnswers = () => {
    const current = inFront();
    if (current) current.once('finish', () => setImmediate(afterAnswers));
    else answer();
  };
  if (!inFront()) return answer();
  afterAnswers();
  // A request in front whose body the refused bytes cut short never finishes: answer anyway.
  setTimeout(answer, ANSWER_WAIT_MS).unref();
}

/** How long a refusal of Node's parser waits for the answers in front of it. */
const ANSWER_WAIT_MS = 5_000;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
