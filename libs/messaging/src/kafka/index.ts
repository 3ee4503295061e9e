export { KafkaEventBus } from './kafka-event-bus';
export type { KafkaEventBusOptions } from './kafka-event-bus';
export type { KafkaEventBusLogger } from './kafka-logger';
