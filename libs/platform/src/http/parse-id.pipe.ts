import { NotFoundException, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';

/**
 * Ids are UUIDs; a path id that is not one names nothing, so it is a 404 like any other unknown id
 * (and never reaches a uuid column as a malformed value). Any 8-4-4-4-12 hexadecimal form is one,
 * whatever its version digits, as it is to PostgreSQL, and it goes on in lower case, as PostgreSQL
 * prints it: an id stored as text (an Event's order id) is then found in any case, as a uuid column finds it.
 */
export class ParseIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (!isUUID(value, 'loose')) throw new NotFoundException(`${this.resource} ${value.slice(0, 100)} not found`);
    return value.toLowerCase();
  }
}
