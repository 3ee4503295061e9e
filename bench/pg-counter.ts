/**
 * A counting TCP proxy in front of PostgreSQL, for diagnostic runs (BENCH_PG_TRACE=1): each service connects
 * through its own proxy, which reads the frontend protocol and counts round trips (a Sync or a simple Query
 * each ends with one ReadyForQuery) and statements by their SQL text. It adds a loopback hop per query, so its
 * runs measure where round trips go, not how fast the pipeline is.
 */
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

export interface StatementCount {
  sql: string;
  count: number;
}

export interface PgCounts {
  roundTrips: number;
  statements: number;
  transactions: number;
  bySql: Map<string, number>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/** Collapses whitespace and cuts the text, so one statement shape is one key. */
function shape(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 140);
}

/** Parses the frontend message stream of one connection and counts into `counts`. */
class FrontendReader {
  private buffer: Buffer = Buffer.alloc(0);
  private startup = true;

  constructor(private readonly counts: PgCounts) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.startup) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        // SSL/GSS negotiation requests come before the real startup message.
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) this.startup = false;
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0]);
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      const body = this.buffer.subarray(5, 1 + length);
      this.count(type, body);
      this.buffer = this.buffer.subarray(1 + length);
    }
  }

  private count(type: string, body: Buffer): void {
    if (type === 'Q') {
      this.counts.roundTrips++;
      this.statement(body.subarray(0, body.indexOf(0)).toString('utf8'));
    } else if (type === 'P') {
      const nameEnd = body.indexOf(0);
      const sqlEnd = body.indexOf(0, nameEnd + 1);
      this.statement(body.subarray(nameEnd + 1, sqlEnd).toString('utf8'));
    } else if (type === 'S') {
      this.counts.roundTrips++;
    }
  }

  private statement(sql: string): void {
    const key = shape(sql);
    this.counts.statements++;
    if (/^(COMMIT|END)\b/i.test(key)) this.counts.transactions++;
    this.counts.bySql.set(key, (this.counts.bySql.get(key) ?? 0) + 1);
  }
}

export class PgCounter {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly counts: PgCounts,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<PgCounter> {
    const counts: PgCounts = { roundTrips: 0, statements: 0, transactions: 0, bySql: new Map() };
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      const reader = new FrontendReader(counts);
      sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        upstream.write(chunk);
      });
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    return new PgCounter(server, port, counts, sockets);
  }

  /** A copy of the counts, to subtract from a later one. */
  snapshot(): PgCounts {
    return { ...this.counts, bySql: new Map(this.counts.bySql) };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What happened between two snapshots, statements most frequent first. */
export function countsBetween(before: PgCounts, after: PgCounts, top = 12): { roundTrips: number; statements: number; transactions: number; topStatements: StatementCount[] } {
  const bySql = [...after.bySql.entries()]
    .map(([sql, count]) => ({ sql, count: count - (before.bySql.get(sql) ?? 0) }))
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, top);
  return {
    roundTrips: after.roundTrips - before.roundTrips,
    statements: after.statements - before.statements,
    transactions: after.transactions - before.transactions,
    topStatements: bySql,
  };
}
