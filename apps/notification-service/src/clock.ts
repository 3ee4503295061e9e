/** Injection token of the {@link Clock}. */
export const CLOCK = Symbol('CLOCK');

/** The time source of scheduling decisions, so they can be tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
