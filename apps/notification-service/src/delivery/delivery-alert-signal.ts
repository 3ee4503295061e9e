import { Injectable } from '@nestjs/common';
import type { CircuitState } from './circuit-breaker';

/**
 * What the dispatcher saw that may be worth an alert: a merchant endpoint's breaker opened or
 * closed, or a delivery went dead or was refused with 410. `eventId` is the attempt that showed it.
 */
export interface DeliveryIncident {
  kind: 'breaker-opened' | 'breaker-closed' | 'dead' | 'disabled';
  eventId: string;
  statusCode: number | null;
  error: string | null;
}

export type DeliveryIncidentListener = (incident: DeliveryIncident) => void;

/**
 * From the dispatcher to the alerts (alerts/endpoint-alerts.ts), which need the delivery writers
 * the dispatcher's module cannot import. In-process and fire-and-forget: an incident raised while
 * nobody listens is lost, which costs an alert, never a delivery.
 */
@Injectable()
export class DeliveryAlertSignal {
  private listener: DeliveryIncidentListener | null = null;

  listen(listener: DeliveryIncidentListener): void {
    this.listener = listener;
  }

  raise(incident: DeliveryIncident): void {
    this.listener?.(incident);
  }
}

/**
 * A circuit that went from closed to open opened; one that went from open or half-open to closed
 * closed. A failed probe (half-open to open) is the same outage, not a new one.
 */
export function breakerTransition(before: CircuitState, after: CircuitState): 'breaker-opened' | 'breaker-closed' | null {
  if (before === 'closed' && after === 'open') return 'breaker-opened';
  if (before !== 'closed' && after === 'closed') return 'breaker-closed';
  return null;
}
