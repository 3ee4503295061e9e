import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';

/**
 * HTTP/1.1 pipelining: a client may send requests back to back on one connection before any
 * answer; Node starts them all at once and sends the answers in order. Two ways a connection ends
 * early would leave requests that ran but were never answered, so that a client retrying them
 * would make a write twice (found by black-box attacks):
 *
 * - A response that closes the connection (Fastify closes it after a body it refused while
 *   parsing, also once inflated): nothing pipelined behind it may run. A request's handler waits
 *   until every request in front of it on its connection has its body read or refused, and does
 *   not run when one of them closed the connection.
 * - Bytes Node's parser refuses (a 20 kB header, garbage, a second request after `Connection:
 *   close`): Node would write its 400 at once and destroy the socket, dropping the answers of the
 *   requests in front of it, which run on. The 400 is written after their answers instead.
 */
interface Connection {
  /** Requests that arrived, numbering them. */
  arrived: number;
  /** Position of the first request whose response closes the connection. */
  closedAfter: number;
  /** Positions whose body is not yet read or refused. */
  unparsed: Set<number>;
  /** Handlers waiting for the requests in front of them: run when none of those is unparsed. */
  waiting: Array<{ position: number; go: () => void }>;
  /** Requests not yet answered, and what to do when there are none. */
  unanswered: number;
  whenAnswered: (() => void) | null;
}

/** Each socket's Connection and each request's position, as symbol properties: cheaper than WeakMaps on every request. */
const CONNECTION = Symbol('pipelined connection');
const POSITION = Symbol('pipelined position');
type Tagged<T> = T & { [CONNECTION]?: Connection; [POSITION]?: number };

/**
 * Numbers every request of a connection as it arrives: call before any other hook of the app.
 * `configureHttpApp`'s hooks do the rest (one hook each per request, not two):
 * {@link afterRequestsInFront}, {@link sentOnConnection}, {@link answeredOnConnection}.
 */
export function guardPipelining(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket as Tagged<Socket>;
    const connection = (socket[CONNECTION] ??= { arrived: 0, closedAfter: Infinity, unparsed: new Set(), waiting: [], unanswered: 0, whenAnswered: null });
    const position = connection.arrived++;
    (request as Tagged<FastifyRequest>)[POSITION] = position;
    connection.unparsed.add(position);
    connection.unanswered += 1;
    done();
  });
}

/** preValidation (the body is read): `proceed` once every request in front has its body read or refused; never behind a closing response. */
export function afterRequestsInFront(request: FastifyRequest, reply: FastifyReply, proceed: () => void): void {
  const connection = (request.raw.socket as Tagged<Socket>)[CONNECTION];
  const position = (request as Tagged<FastifyRequest>)[POSITION];
  if (!connection || position === undefined) return proceed();
  parsed(connection, position);
  const go = () => (position > connection.closedAfter ? refuseBehindClose(reply) : proceed());
  if (unparsedBefore(connection, position)) connection.waiting.push({ position, go });
  else go();
}

/** onSend: a response (also a refusal of the body) settles its request's body; one that closes the connection ends what is behind it. */
export function sentOnConnection(request: FastifyRequest, reply: FastifyReply): void {
  const connection = (request.raw.socket as Tagged<Socket>)[CONNECTION];
  const position = (request as Tagged<FastifyRequest>)[POSITION];
  if (!connection || position === undefined) return;
  if (reply.getHeader('connection') === 'close') connection.closedAfter = Math.min(connection.closedAfter, position);
  parsed(connection, position);
}

/** onResponse: one request fewer waits for its answer. */
export function answeredOnConnection(request: FastifyRequest): void {
  const connection = (request.raw.socket as Tagged<Socket>)[CONNECTION];
  if (!connection || (request as Tagged<FastifyRequest>)[POSITION] === undefined) return;
  connection.unanswered -= 1;
  if (connection.unanswered === 0) connection.whenAnswered?.();
}

/**
 * Fastify's `clientErrorHandler`: what Node's parser refused is answered with 400 (431 for headers
 * too large, 408 for a request that took too long) and the connection closed, once the requests
 * in front of it on the connection are answered.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ statusCode: status, error: STATUS_TEXT[status], message: ['the request could not be read as HTTP'] });
  const answer = () => {
    if (socket.writable && status !== 408) {
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy(error);
    }
  };
  const connection = (socket as Tagged<Socket>)[CONNECTION];
  if (connection && connection.unanswered > 0) {
    connection.closedAfter = Math.min(connection.closedAfter, connection.arrived - 1);
    let answered = false;
    const once = () => {
      if (!answered) (answered = true), answer();
    };
    connection.whenAnswered = once;
    // A request in front whose body the refused bytes cut short never finishes: answer anyway.
    setTimeout(once, ANSWER_WAIT_MS).unref();
  } else {
    answer();
  }
}

/** How long a refusal of Node's parser waits for the answers in front of it. */
const ANSWER_WAIT_MS = 5_000;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function unparsedBefore(connection: Connection, position: number): boolean {
  for (const other of connection.unparsed) if (other < position) return true;
  return false;
}

function parsed(connection: Connection, position: number): void {
  if (!connection.unparsed.delete(position) || connection.waiting.length === 0) return;
  const waiting = connection.waiting;
  connection.waiting = waiting.filter((waiter) => unparsedBefore(connection, waiter.position));
  for (const waiter of waiting) if (!connection.waiting.includes(waiter)) waiter.go();
}

function refuseBehindClose(reply: FastifyReply): void {
  void reply.code(503).header('connection', 'close').send({
    statusCode: 503, error: 'Service Unavailable', message: ['an earlier request on this connection closed it; send this one again'],
  });
}

