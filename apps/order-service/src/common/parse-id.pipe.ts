import { NotFoundException, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';

/**
 * Ids are UUIDs; a path id that is not one names nothing, so it is a 404 like any other
 * unknown id (and never reaches a uuid column as a malformed value).
 */
export class ParseIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (!isUUID(value)) throw new NotFoundException(`${this.resource} ${value.slice(0, 100)} not found`);
    return value;
  }
}
