const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** Delay before the next attempt after `failures` consecutive failures: 100 ms doubling up to 5 s. */
export function backoffDelay(failures: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(failures - 1, 0), MAX_DELAY_MS);
}
