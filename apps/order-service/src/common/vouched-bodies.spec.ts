import { ArgumentMetadata, HttpException, Type, ValidationPipe } from '@nestjs/common';
import { createValidationPipe, vouchOf } from '@ordercast/platform';
import { ChangeOrderStateDto } from '../orders/dto/change-order-state.dto';
import { AddPaymentDto } from '../payments/dto/add-payment.dto';
import { UpdatePaymentDto } from '../payments/dto/update-payment.dto';
import { AddShippingDto } from '../shippings/dto/add-shipping.dto';
import { UpdateShippingDto } from '../shippings/dto/update-shipping.dto';

/** The hot routes' DTOs whose bodies may skip class-validator (`VouchedBy`), and bodies to try each with. */
const VALUES: unknown[] = [
  undefined, null, true, 0, -0, -1, 0.5, 249, 1e12, 1e12 + 1, NaN, Infinity, -Infinity, '', '249', 'SEK', 'SE', 'sek', ' SEK', 'SEKK',
  'intent', 'captured', 'refunded', 'removed', 'processing', 'confirmed', 'checkout', 'accepted', 'Captured', 'captured ',
  'x'.repeat(200), 'x'.repeat(201), '\uFE0F', 'a\uFE0F', '\uD800', '\u{1F600}'.repeat(100), '\u{1F600}'.repeat(101), 'x'.repeat(199) + '\uFE0E',
  [], ['captured'], {}, { state: 'captured' },
];
/**
 * `keys`: the body's fields, tried one by one over VALUES, and two of them pairwise. `base`: a body
 * the DTO takes, for DTOs with required fields: each field is then varied, left out, and joined by another.
 */
const CASES: Array<{ dto: Type<unknown>; keys: string[]; base?: Record<string, unknown> }> = [
  { dto: UpdatePaymentDto, keys: ['state', 'amount'] },
  { dto: ChangeOrderStateDto, keys: ['currentStatus'] },
  { dto: UpdateShippingDto, keys: ['state', 'price'] },
  { dto: AddPaymentDto, keys: ['adapterId', 'name', 'amount', 'currency', 'state'], base: { adapterId: 'bench-pay', name: 'Card', amount: 249, currency: 'SEK', state: 'captured' } },
  { dto: AddShippingDto, keys: ['adapterId', 'name', 'price', 'state'], base: { adapterId: 'bench-ship', name: 'Post', price: 49, state: 'processing' } },
];

function bodiesFor(keys: string[], base: Record<string, unknown> = {}): unknown[] {
  const bodies: unknown[] = [{}, [], 'text', 7, null, { other: 1 }, { [keys[0]]: 'captured', other: 1 }, { constructor: 'x' }, { toString: 'captured' }];
  bodies.push(base, { ...base, other: 1 }, { ...base, address: {} }, { ...base, notifications: [] }, { ...base, __proto__: { state: 'captured' } });
  for (const key of keys) {
    const { [key]: _left, ...without } = base;
    bodies.push(without);
    for (const value of VALUES) bodies.push({ ...base, [key]: value });
  }
  const [first, second] = keys;
  if (second !== undefined) for (const one of VALUES) for (const two of VALUES) bodies.push({ ...base, [first]: one, [second]: two });
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

describe.each(CASES)('vouched bodies of $dto.name', ({ dto, keys, base }) => {
  const metadata: ArgumentMetadata = { type: 'body', metatype: dto, data: undefined };

  it('has a vouch', () => {
    expect(vouchOf(dto)).toBeDefined();
  });

  it('answers every body exactly as the full validation does: the same instance, or the same 400', async () => {
    const vouching = createValidationPipe();
    const full = fullValidation();
    expect(full).not.toBeInstanceOf(vouching.constructor);
    let vouched = 0;
    for (const body of bodiesFor(keys, base)) {
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
    const valid = base ?? { [keys[0]]: keys[0] === 'amount' ? 5 : dto === ChangeOrderStateDto || dto === UpdateShippingDto ? 'processing' : 'captured' };
    await expect(pipe.transform(valid, metadata)).resolves.toBeInstanceOf(dto);
    expect(validate).not.toHaveBeenCalled();
    await expect(pipe.transform({ [keys[0]]: 'nonsense' }, metadata)).rejects.toBeInstanceOf(HttpException);
    expect(validate).toHaveBeenCalledTimes(1);
  });
});
