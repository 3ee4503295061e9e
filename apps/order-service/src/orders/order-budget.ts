/**
 * Bytes of a change event kept for everything beside its two snapshots: id, type, time, merchant,
 * channel, order id and the change itself (at most a few ids). They take about 1 KiB; the rest is margin.
 */
export const EVENT_ENVELOPE_BYTES = 16 * 1024;

/** The sizes of a write, in bytes of JSON. */
export interface BudgetedChange {
  /** The order before the change; null for a new order. */
  previousBytes: number | null;
  /** The order after the change. */
  orderBytes: number;
  /** The change event carrying both. */
  eventBytes: number;
}

/**
 * An order's byte budget, derived from the largest message the event bus accepts
 * (`KAFKA_MAX_MESSAGE_BYTES`). Every change event carries the order twice, before and after the
 * change, so an order whose JSON stays within half of that maximum less the envelope can always
 * be published, whatever change comes next. A change that would take an order past its budget is
 * refused before anything is written; so is one whose event would not fit the bus.
 *
 * A change that does not grow the order is never refused: removing registrations is how an
 * order over its budget (stored before it, or under a larger maximum) gets back under it. Its
 * event may still be too large for the bus; the outbox relay parks it then.
 *
 * What is measured is the JSON the order and its event are stored with, which the outbox
 * publishes: registration header values and secrets count sealed, as stored, never shorter
 * than in the clear, so the measure holds whether the bus carries them sealed or opened.
 */
export class OrderBudget {
  /** The most bytes one order's JSON may take. */
  readonly orderBytes: number;

  constructor(readonly maxMessageBytes: number) {
    this.orderBytes = Math.floor((maxMessageBytes - EVENT_ENVELOPE_BYTES) / 2);
  }

  /** Why a change is refused, or null when it fits. */
  problem(change: BudgetedChange): string | null {
    const { previousBytes, orderBytes, eventBytes } = change;
    if (previousBytes !== null && orderBytes <= previousBytes) return null;
    if (orderBytes > this.orderBytes) return `the order would take ${orderBytes} bytes; ${this.limit()}`;
    if (eventBytes > this.maxMessageBytes) {
      return `the change event would take ${eventBytes} bytes; the event bus takes at most KAFKA_MAX_MESSAGE_BYTES=${this.maxMessageBytes}`;
    }
    return null;
  }

  /** Why notifications a channel copies onto each new order are refused, or null: alone they must fit an order. */
  channelProblem(bytes: number): string | null {
    return bytes > this.orderBytes ? `the channel's notifications would take ${bytes} bytes of every order; ${this.limit()}` : null;
  }

  private limit(): string {
    return `an order may take at most ${this.orderBytes} bytes (its change events carry it twice and must fit KAFKA_MAX_MESSAGE_BYTES=${this.maxMessageBytes})`;
  }
}
