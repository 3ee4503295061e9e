import { BadRequestException, createParamDecorator, ExecutionContext, PipeTransform } from '@nestjs/common';
import { headerValue } from '@ordercast/platform';
import type { FastifyRequest } from 'fastify';

const CHANNEL = /^[A-Za-z0-9._-]{1,100}$/;
const RULE = '1 to 100 letters, digits, ".", "_" or "-"';

function invalid(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message] });
}

/** The sales channel of a new order, from the `X-Channel` header. */
export const ChannelHeader = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const channel = headerValue(context.getArgByIndex<FastifyRequest>(0), 'x-channel');
  if (!channel || !CHANNEL.test(channel)) throw invalid(`X-Channel header is required: ${RULE}`);
  return channel;
});

/** A channel name in a path. */
export class ParseChannelPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!CHANNEL.test(value)) throw invalid(`channel must be ${RULE}`);
    return value;
  }
}
