import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterRequestsInFront } from './pipelining';

/** A request whose response waits behind another's on `socket` (it has no socket of its own yet). */
function waiting(socket: EventEmitter): { request: FastifyRequest; reply: FastifyReply; response: EventEmitter } {
  const response = Object.assign(new EventEmitter(), { socket: null });
  return { request: { raw: { socket } } as unknown as FastifyRequest, reply: { raw: response } as unknown as FastifyReply, response };
}

describe('afterRequestsInFront', () => {
  it('runs each waiting request once its response gets the socket, with one close listener for all of them', () => {
    const socket = new EventEmitter();
    const ran: number[] = [];
    const requests = Array.from({ length: 40 }, (_, index) => {
      const request = waiting(socket);
      afterRequestsInFront(request.request, request.reply, () => ran.push(index));
      return request;
    });
    // Forty waiting: Node warned of a leak past ten listeners when each added its own.
    expect(socket.listenerCount('close')).toBe(1);
    requests[0].response.emit('socket');
    requests[1].response.emit('socket');
    expect(ran).toEqual([0, 1]);
  });

  it('never runs the requests still waiting when the connection closes', () => {
    const socket = new EventEmitter();
    const ran: number[] = [];
    const requests = [0, 1, 2].map((index) => {
      const request = waiting(socket);
      afterRequestsInFront(request.request, request.reply, () => ran.push(index));
      return request;
    });
    requests[0].response.emit('socket');
    socket.emit('close');
    requests[1].response.emit('socket');
    requests[2].response.emit('socket');
    expect(ran).toEqual([0]);
    expect(socket.listenerCount('close')).toBe(0);
  });
});
