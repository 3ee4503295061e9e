import { testBox } from '../../test/fixtures/orders';
import { EventRow, toEventRecord } from './event-record';

const row = (overrides: Partial<EventRow>): EventRow => ({
  id: 'e-1', message_id: 'm-1', order_id: 'o-1', merchant: 'alpha', channel: 'web', notification_id: 'n-1', subscription_id: null,
  reference: 'erp', scope: 'state.completed', type: 'order.state.changed', attempt: 1, retry_of: null, trigger: 'automatic', status: 'pending',
  request_headers: {}, status_code: null, response_body: null, response_truncated: false, error: null, duration_ms: null,
  created_at: new Date('2025-01-01T11:00:00.000Z'), completed_at: null, next_attempt_at: null, url: 'https://erp.example.com/o-1', method: 'POST',
  message_headers: {}, ordered: false, sequence: null, waiting_for: null, held_back: [],
  ...overrides,
});

describe('toEventRecord, ordering fields', () => {
  it('shows an automatic attempt of an ordered message in its sequence, and what it waits for', () => {
    expect(toEventRecord(row({ ordered: true, sequence: 4, waiting_for: 'm-0' }), testBox))
      .toMatchObject({ ordered: true, sequence: 4, outOfSequence: false, waitingFor: 'm-0', heldBack: [] });
  });

  it('marks operator retries and manual sends to an ordered target as outside the sequence', () => {
    expect(toEventRecord(row({ ordered: true, sequence: 4, trigger: 'retry', attempt: 4 }), testBox).outOfSequence).toBe(true);
    expect(toEventRecord(row({ ordered: true, sequence: null, trigger: 'manual' }), testBox).outOfSequence).toBe(true);
  });

  it('never marks an unordered target out of sequence', () => {
    for (const trigger of ['automatic', 'retry', 'manual'] as const) {
      expect(toEventRecord(row({ trigger }), testBox)).toMatchObject({ ordered: false, sequence: null, outOfSequence: false, waitingFor: null });
    }
  });
});
