import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { RegistrationDto } from '@ordercast/contracts';
import { createValidationPipe } from '@ordercast/platform';

function invalid(messages: string[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: messages });
}

/**
 * A JSON array of registrations as the body. The global pipe cannot see the item type of
 * an array parameter, so each item goes through the same validation here, and every
 * problem is reported with the item's index.
 */
@Injectable()
export class ParseRegistrationListPipe implements PipeTransform<unknown, Promise<RegistrationDto[]>> {
  private readonly validation = createValidationPipe();

  constructor(private readonly maxItems: number) {}

  async transform(value: unknown): Promise<RegistrationDto[]> {
    if (!Array.isArray(value)) throw invalid(['body must be a JSON array of registrations']);
    if (value.length > this.maxItems) throw invalid([`at most ${this.maxItems} registrations are allowed; got ${value.length}`]);
    const registrations: RegistrationDto[] = [];
    const errors: string[] = [];
    for (const [index, item] of value.entries()) {
      try {
        registrations.push(await this.validation.transform(item, { type: 'body', metatype: RegistrationDto }));
      } catch (error) {
        if (!(error instanceof BadRequestException)) throw error;
        errors.push(...messagesOf(error).map((message) => `[${index}].${message}`));
      }
    }
    if (errors.length > 0) throw invalid(errors);
    return registrations;
  }
}

function messagesOf(error: BadRequestException): string[] {
  const { message } = error.getResponse() as { message: string | string[] };
  return Array.isArray(message) ? message : [message];
}
