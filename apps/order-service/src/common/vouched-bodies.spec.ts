import { ArgumentMetadata, HttpException, Type, ValidationPipe } from '@nestjs/common';
import { createValidationPipe, vouchOf } from '@ordercast/platform';
import { ChangeOrderStateDto } from '../orders/dto/change-order-state.dto';
import { UpdatePaymentDto } from '../payments/dto/update-payment.dto';

/** The hot routes' DTOs whose bodies may skip class-validator (`VouchedBy`), and bodies to try each with. */
const VALUES: unknown[] = [
  undefined, null, true, 0, -0, -1, 0.5, 249, 1e12, 1e12 + 1, NaN, Infinity, -Infinity, '', '249', 'SEK',
  'intent', 'captured', 'refunded', 'removed', 'processing', 'checkout', 'accepted', 'Captured', 'captured ', [], ['captured'], {}, { state: 'captured' },
];
const CASES: Array<{ dto: Type<unknown>; keys: string[] }> = [
  { dto: UpdatePaymentDto, keys: ['state', 'amount'] },
  { dto: ChangeOrderStateDto, keys: ['currentStatus'] },
];

function bodiesFor(keys: string[]): unknown[] {
  const bodies: unknown[] = [{}, [], 'text', 7, null, { other: 1 }, { [keys[0]]: 'captured', other: 1 }, { constructor: 'x' }, { toString: 'captured' }];
  for (const key of keys) for (const value of VALUES) bodies.push({ [key]: value });
  if (keys.length === 2) for (const first of VALUES) for (const second of VALUES) bodies.push({ [keys[0]]: first, [keys[1]]: second });
  return bodies;
}

/** A copy the pipe may change, made in this realm (structuredClone's objects have another Object.prototype under jest). */
function copy(body: unknown): unknown {
  if (Array.isArray(body)) return [...body];
  return typeof body === 'object' && body !== null ? { ...body } : body;
}

/** What a pipe makes of `body`: the value it returns (its class and own properties), or the error response it throws. */
async function outcome(pipe: ValidationPipe, body: unknown, metadata: ArgumentMetadata): Promise<unknown> {
  try {
    const value = await pipe.transform(copy(body), metadata);
    return { returned: value, type: (value as object | null)?.constructor?.name };
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), response: error.getResponse() };
  }
}

/** The pipe as it was: class-transformer and class-validator for every body. */
function fullValidation(): ValidationPipe {
  const pipe = createValidationPipe();
  return Object.assign(Object.create(Object.getPrototypeOf(Object.getPrototypeOf(pipe)) as object) as ValidationPipe, pipe);
}

describe.each(CASES)('vouched bodies of $dto.name', ({ dto, keys }) => {
  const metadata: ArgumentMetadata = { type: 'body', metatype: dto, data: undefined };

  it('has a vouch', () => {
    expect(vouchOf(dto)).toBeDefined();
  });

  it('answers every body exactly as the full validation does: the same instance, or the same 400', async () => {
    const vouching = createValidationPipe();
    const full = fullValidation();
    expect(full).not.toBeInstanceOf(vouching.constructor);
    let vouched = 0;
    for (const body of bodiesFor(keys)) {
      const fast = await outcome(vouching, body, metadata);
      if (Array.isArray(body)) {
        // Refused before either validation runs, and worded as such.
        expect(fast).toMatchObject({ status: 400, response: { message: ['request body must be a JSON object'] } });
        continue;
      }
      expect({ body, outcome: fast }).toEqual({ body, outcome: await outcome(full, body, metadata) });
      if (typeof body === 'object' && body !== null && !Array.isArray(body) && vouchOf(dto)!(body as Record<string, unknown>)) vouched += 1;
    }
    expect(vouched).toBeGreaterThanOrEqual(4);
  });

  it('skips class-validator for a body it vouches for, and only then', async () => {
    const pipe = createValidationPipe();
    const validate = jest.spyOn(pipe as unknown as { validate: () => unknown }, 'validate');
    const valid = { [keys[0]]: keys[0] === 'amount' ? 5 : dto === ChangeOrderStateDto ? 'processing' : 'captured' };
    await expect(pipe.transform(valid, metadata)).resolves.toBeInstanceOf(dto);
    expect(validate).not.toHaveBeenCalled();
    await expect(pipe.transform({ [keys[0]]: 'nonsense' }, metadata)).rejects.toBeInstanceOf(HttpException);
    expect(validate).toHaveBeenCalledTimes(1);
  });
});
