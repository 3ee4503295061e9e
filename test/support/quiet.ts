import type { Client } from 'pg';

/**
 * Waits until nothing is left in the pipeline that could still send a request: every change is
 * published, notification-service has ingested every order's latest change (its snapshot is at
 * the order's lastModified, and one order's changes are ingested in order), and no Event is
 * pending. What a receiver got by then is final; a check for "nothing more" needs no sleep.
 */
export async function untilQuiet(sql: Client, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows: [busy] } = await sql.query<{ unsent: number; behind: number; pending: number }>(`
      SELECT (SELECT count(*)::int FROM orders.outbox WHERE sent_at IS NULL) AS unsent,
             (SELECT count(*)::int FROM orders.orders o LEFT JOIN notifications.order_snapshots s ON s.order_id = o.id::text
               WHERE s.last_modified IS DISTINCT FROM (o.document->>'lastModified')::timestamptz) AS behind,
             (SELECT count(*)::int FROM notifications.events WHERE status = 'pending') AS pending`);
    if (busy.unsent + busy.behind + busy.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`the pipeline is still busy after ${timeoutMs} ms: ${JSON.stringify(busy)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
