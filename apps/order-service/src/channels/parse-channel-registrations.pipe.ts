import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { MASKED_SECRET, RegistrationDto } from '@ordercast/contracts';
import { ParseRegistrationListPipe } from '../notifications/parse-registration-list.pipe';

/** A channel notification as PUT takes it: a registration, possibly as a GET showed it. */
export interface ChannelRegistrationRequest {
  registration: RegistrationDto;
  /** The id a GET showed: the stored notification this one replaces. */
  id: string | null;
  /** The secret was sent back masked (`whsec_********`): keep the stored one. */
  keepSecret: boolean;
}

/** What a GET shows of a notification and a PUT cannot set: taken out before validation. */
const SHOWN_ONLY = ['id', 'source', 'createdAt'] as const;

/**
 * The channel's notifications as PUT takes them: registrations, each validated as on every other
 * endpoint, or the list a GET returned, edited (Norce and Stripe users read, change and put back).
 * What a GET shows but a PUT cannot set (`source`, `createdAt`) is ignored, and so are the nulls a
 * GET shows in `auth` and `kafka` for "none"; `id` names the stored
 * notification to replace; a masked secret means "keep the stored one", wherever the target moved
 * (see `MASKED_SECRET`).
 */
@Injectable()
export class ParseChannelRegistrationsPipe implements PipeTransform<unknown, Promise<ChannelRegistrationRequest[]>> {
  private readonly list: ParseRegistrationListPipe;

  constructor(maxItems: number) {
    this.list = new ParseRegistrationListPipe(maxItems);
  }

  async transform(value: unknown): Promise<ChannelRegistrationRequest[]> {
    // Anything but a list is refused by the list pipe, with its message.
    const items: unknown[] = Array.isArray(value) ? value : await this.list.transform(value);
    const shown = items.map((item, index) => split(item, index));
    const ids = shown.flatMap((item) => (item.id === null ? [] : [item.id]));
    const errors = [
      ...shown.flatMap((item) => item.errors),
      ...ids.filter((id, index) => ids.indexOf(id) !== index).map((id) => `id ${id} is given twice`),
    ];
    if (errors.length > 0) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors });
    const registrations = await this.list.transform(shown.map((item) => item.rest));
    return registrations.map((registration, index) => ({ registration, id: shown[index].id, keepSecret: shown[index].keepSecret }));
  }
}

function split(item: unknown, index: number): { rest: unknown; id: string | null; keepSecret: boolean; errors: string[] } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { rest: item, id: null, keepSecret: false, errors: [] };
  const rest: Record<string, unknown> = { ...item };
  const id = rest.id;
  for (const field of SHOWN_ONLY) delete rest[field];
  // A GET shows "none" as null (no auth, no SASL, no OAuth2 scope); a registration says it by leaving the field out.
  for (const field of ['auth', 'kafka'] as const) {
    if (rest[field] === null) delete rest[field];
    else if (typeof rest[field] === 'object' && !Array.isArray(rest[field])) rest[field] = withoutNulls(rest[field] as Record<string, unknown>);
  }
  const keepSecret = rest.secret === MASKED_SECRET;
  if (keepSecret) delete rest.secret;
  const errors = id === undefined || id === null || typeof id === 'string' ? [] : [`[${index}].id must be the id a GET showed`];
  return { rest, id: typeof id === 'string' ? id : null, keepSecret, errors };
}

function withoutNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
}
