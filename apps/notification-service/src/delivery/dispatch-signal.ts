import { Injectable } from '@nestjs/common';

type Listener = (eventIds: string[]) => void;

/**
 * Hands the ids of freshly committed pending Events to the local dispatcher, so a delivery
 * starts right after its transaction instead of at the next poll. Losing a signal costs only
 * latency: the rows are in the database and polling finds them.
 */
@Injectable()
export class DispatchSignal {
  private readonly listeners: Listener[] = [];

  notify(eventIds: string[]): void {
    if (eventIds.length === 0) return;
    for (const listener of this.listeners) listener(eventIds);
  }

  listen(listener: Listener): void {
    this.listeners.push(listener);
  }
}
