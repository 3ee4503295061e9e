import type { FastifyInstance, FastifyReply } from 'fastify';
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

const connections = new WeakMap<object, Connection>();
const positions = new WeakMap<object, number>();

/** Installs the hooks; call before any other hook of the app, so that every request is numbered. */
export function guardPipelining(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, _reply, done) => {
    const connection = connectionOf(request.raw.socket);
    const position = connection.arrived++;
    positions.set(request, position);
    connection.unparsed.add(position);
    connection.unanswered += 1;
    done();
  });
  instance.addHook('preValidation', (request, reply, done) => {
    const connection = connections.get(request.raw.socket);
    const position = positions.get(request);
    if (!connection || position === undefined) return done();
    parsed(connection, position);
    const go = () => (position > connection.closedAfter ? refuseBehindClose(reply) : done());
    if ([...connection.unparsed].some((other) => other < position)) connection.waiting.push({ position, go });
    else go();
  });
  instance.addHook('onSend', (request, reply, payload, done) => {
    const connection = connections.get(request.raw.socket);
    const position = positions.get(request);
    if (connection && position !== undefined) {
      if (String(reply.getHeader('connection')).toLowerCase() === 'close') connection.closedAfter = Math.min(connection.closedAfter, position);
      parsed(connection, position);
    }
    done(null, payload);
  });
  instance.addHook('onResponse', (request, _reply, done) => {
    const connection = connections.get(request.raw.socket);
    if (connection && positions.has(request)) {
      connection.unanswered -= 1;
      if (connection.unanswered === 0) connection.whenAnswered?.();
    }
    done();
  });
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
  const connection = connections.get(socket);
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

function connectionOf(socket: object): Connection {
  let connection = connections.get(socket);
  if (!connection) {
    connection = { arrived: 0, closedAfter: Infinity, unparsed: new Set(), waiting: [], unanswered: 0, whenAnswered: null };
    connections.set(socket, connection);
  }
  return connection;
}

function parsed(connection: Connection, position: number): void {
  if (!connection.unparsed.delete(position) || connection.waiting.length === 0) return;
  const ready = connection.waiting.filter((waiter) => ![...connection.unparsed].some((other) => other < waiter.position));
  connection.waiting = connection.waiting.filter((waiter) => !ready.includes(waiter));
  for (const waiter of ready) waiter.go();
}

function refuseBehindClose(reply: FastifyReply): void {
  void reply.code(503).header('connection', 'close').send({
    statusCode: 503, error: 'Service Unavailable', message: ['an earlier request on this connection closed it; send this one again'],
  });
}

