export const EVENT_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Why an attempt exists: the automatic schedule, an operator's retry, or a manual send from the latest snapshot. */
export const EVENT_TRIGGERS = ['automatic', 'retry', 'manual'] as const;
export type EventTrigger = (typeof EVENT_TRIGGERS)[number];

/** The scope label of deliveries sent by `POST /orders/{orderId}/trigger`. */
export const MANUAL_SCOPE = 'manual';
/** The body `type` of deliveries sent by `POST /orders/{orderId}/trigger`. */
export const MANUAL_TYPE = 'order.notification.triggered';
