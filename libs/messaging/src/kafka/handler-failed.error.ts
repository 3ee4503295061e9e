/**
 * Thrown out of kafkajs's eachBatch when the subscriber's handler fails, so kafkajs fetches the batch again.
 * Marked retriable: kafkajs does not restart a consumer after errors it considers fatal (a TypeError from a
 * handler bug would be one), and a subscription must keep redelivering instead of going silent.
 */
export class HandlerFailedError extends Error {
  override readonly name = 'HandlerFailedError';
  readonly retriable = true;
}
