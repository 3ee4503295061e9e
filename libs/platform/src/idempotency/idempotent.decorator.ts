import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency-key';

export const IDEMPOTENT_ROUTE = 'ordercast:idempotent';

export interface IdempotentOptions {
  /** Request headers that are part of the request besides the body (e.g. `x-channel`): a different value is a different request. */
  headers?: string[];
}

/**
 * Marks a non-idempotent write that honours `Idempotency-Key` (IETF draft): the same key and the
 * same request within 24 hours returns the first response again without doing anything. The
 * IdempotencyInterceptor does the work, so no handler carries any of it.
 */
export const Idempotent = (options: IdempotentOptions = {}) => applyDecorators(
  SetMetadata(IDEMPOTENT_ROUTE, { headers: (options.headers ?? []).map((name) => name.toLowerCase()) }),
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: `1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, bare or as a quoted string. The same key with the same request within 24 h `
      + 'returns the first response again (Idempotent-Replayed: true) and changes nothing; with a different request 422; while the first is running 409.',
  }),
);
