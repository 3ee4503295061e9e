import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Page, pageOf, SECRET_BOX, SecretBox } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { ListEventsQuery } from './dto/list-events.query';
import { EventFilter, eventListQuery } from './event-list-query';
import { EVENT_COLUMNS, EVENT_SOURCES, EventRecord, EventRow, toEventRecord } from './event-record';

export type EventPage = Page<EventRecord>;

/** Reads Events of one merchant. */
@Injectable()
export class EventQueries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  async list(merchant: string, query: ListEventsQuery): Promise<EventPage> {
    const { list, count } = eventListQuery(merchant, toFilter(query), { limit: query.limit, offset: query.offset });
    // One after the other: a request's queries share its one transaction (and connection).
    const rows = await this.dataSource.query<EventRow[]>(list.sql, list.params);
    const totals = await this.dataSource.query<{ total: number }[]>(count.sql, count.params);
    const data = rows.map((row) => toEventRecord(row, this.box));
    return pageOf(data, query, totals[0].total);
  }

  /** 404 for an unknown id and for another merchant's Event alike; `id` is a UUID (ParseIdPipe). */
  async get(merchant: string, id: string): Promise<EventRecord> {
    const [record] = await this.byIds(merchant, [id]);
    if (!record) throw new NotFoundException(`event ${id} not found`);
    return record;
  }

  async byIds(merchant: string, ids: string[]): Promise<EventRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM ${EVENT_SOURCES}
       WHERE e.merchant = $1 AND e.id = ANY($2::uuid[]) ORDER BY e.created_at, e.id`,
      [merchant, ids],
    );
    return rows.map((row) => toEventRecord(row, this.box));
  }
}

function toFilter(query: ListEventsQuery): EventFilter {
  if (query.orderId !== undefined && query.order_id !== undefined && query.orderId !== query.order_id) {
    throw badRequest('orderId and order_id differ; give one of them');
  }
  const from = query.from === undefined ? undefined : new Date(query.from);
  const to = query.to === undefined ? undefined : new Date(query.to);
  if (from && to && from > to) throw badRequest('from must not be after to');
  return {
    orderId: query.orderId ?? query.order_id,
    scope: query.scope,
    status: query.status,
    notificationId: query.notificationId,
    subscriptionId: query.subscriptionId,
    reference: query.reference,
    channel: query.channel,
    from,
    to,
  };
}

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message] });
}
