import { Injectable, Logger } from '@nestjs/common';
import { afterTenantCommit } from '@ordercast/platform';

/** A merchant's subscriptions changed; whatever holds them in memory must read them again. */
export interface SubscriptionsChanged {
  merchant: string;
  subscriptionId: string;
  change: 'created' | 'updated' | 'deleted';
}

export type SubscriptionsChangedListener = (event: SubscriptionsChanged) => void;

/**
 * In-process signal, emitted after the change is committed. Other instances do not hear it,
 * so a cache of subscriptions must also expire on its own.
 */
@Injectable()
export class SubscriptionEvents {
  private readonly logger = new Logger(SubscriptionEvents.name);
  private readonly listeners = new Set<SubscriptionsChangedListener>();

  /** Returns the function that stops listening. */
  onChanged(listener: SubscriptionsChangedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** From a request, listeners hear the change once the request's transaction committed (never if it rolls back). */
  emit(event: SubscriptionsChanged): void {
    afterTenantCommit(() => {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          // The change is committed; a failing listener must not turn the API call into an error.
          this.logger.error(`a SubscriptionsChanged listener failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
  }
}
