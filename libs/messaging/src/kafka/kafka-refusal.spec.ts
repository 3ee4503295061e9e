import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { refusalOf } from './kafka-refusal';

/** A broker answer as kafkajs raises it (protocol/error.js). */
const protocolError = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code, retriable, message: `broker says ${type}` } as unknown as Error);

describe('refusalOf', () => {
  it('names the broker answers that refuse a message for good', () => {
    expect(refusalOf(protocolError('MESSAGE_TOO_LARGE', 10, false))).toBe('MESSAGE_TOO_LARGE');
    expect(refusalOf(protocolError('RECORD_LIST_TOO_LARGE', 18, false))).toBe('RECORD_LIST_TOO_LARGE');
    expect(refusalOf(protocolError('INVALID_RECORD', 87, false))).toBe('INVALID_RECORD');
  });

  it('finds them through the errors kafkajs wraps them in', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocolError('MESSAGE_TOO_LARGE', 10, false), { retryCount: 3, retryTime: 1000 });
    expect(refusalOf(wrapped)).toBe('MESSAGE_TOO_LARGE');
    expect(refusalOf(new Error('publishing failed', { cause: protocolError('INVALID_RECORD', 87, false) }))).toBe('INVALID_RECORD');
  });

  it('leaves outages and refusals of the whole topic or client transient', () => {
    expect(refusalOf(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBeNull();
    expect(refusalOf(protocolError('NOT_ENOUGH_REPLICAS', 19, true))).toBeNull();
    expect(refusalOf(protocolError('LEADER_NOT_AVAILABLE', 5, true))).toBeNull();
    expect(refusalOf(protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false))).toBeNull();
    expect(refusalOf(protocolError('INVALID_TIMESTAMP', 32, false))).toBeNull();
    expect(refusalOf(new Error('MESSAGE_TOO_LARGE in a message text is not a refusal'))).toBeNull();
    expect(refusalOf('MESSAGE_TOO_LARGE')).toBeNull();
  });
});
