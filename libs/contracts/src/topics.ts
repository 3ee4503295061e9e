/** Kafka topic carrying every change of a checkout order, keyed by order id. */
export const ORDER_EVENTS_TOPIC = 'checkout.order-events.v1';
