/**
 * The bus refused a message for good: it is too large or invalid, and publishing it again can
 * never succeed. Anything else a publish throws is transient (the bus is down, a leader moved)
 * and worth retrying. `reason` names the refusal in the bus's words (Kafka's error type).
 */
export class MessageRejectedError extends Error {
  override readonly name = 'MessageRejectedError';

  constructor(
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
